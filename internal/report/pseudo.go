package report

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pseudonymizer replaces personal data in a report for sharing: user names become "User 4f2a9c",
// emails "user-4f2a9c@example.invalid" (or @ the original domain with KeepDomains), phone numbers
// "(redacted)". A pseudonym is an HMAC-SHA256 of the value under a random key made for one export
// and then thrown away: the same person gets the same pseudonym everywhere in that export, and
// nobody (the admin included) can map it back or link two exports.
//
// Kept as they are: group names and membership chains (they are what a reviewer checks), Entra and
// Atlassian object ids (opaque; a reviewer with access to the tenant can re-identify on purpose),
// actions, results and codes. Free text (messages, details) has the object's own name and email
// replaced.
//
// A Pseudonymizer is not safe for concurrent use.
type Pseudonymizer struct {
	KeepDomains bool
	key         []byte
	names       map[string]string // original → pseudonym
	emails      map[string]string
	taken       map[string]string // pseudonym → original, to lengthen on a collision
}

// NewPseudonymizer makes one with a fresh random key.
func NewPseudonymizer(keepDomains bool) *Pseudonymizer {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("crypto/rand failed: " + err.Error()) // rand.Read never fails on supported platforms
	}
	return newPseudonymizerKey(key, keepDomains)
}

func newPseudonymizerKey(key []byte, keepDomains bool) *Pseudonymizer {
	return &Pseudonymizer{KeepDomains: keepDomains, key: key,
		names: map[string]string{}, emails: map[string]string{}, taken: map[string]string{}}
}

// tag returns a short hex tag for v, unique within this export: 6 hex digits, lengthened when two
// values would share one (100,000 users make a 6-digit collision likely somewhere).
func (p *Pseudonymizer) tag(kind, v string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	sum := hex.EncodeToString(m.Sum(nil))
	for n := 6; ; n += 2 {
		t := kind + sum[:n]
		if orig, ok := p.taken[t]; !ok || orig == v || n >= len(sum) {
			p.taken[t] = v
			return sum[:n]
		}
	}
}

// Name returns the pseudonym of a person's name.
func (p *Pseudonymizer) Name(v string) string {
	if v == "" {
		return ""
	}
	if s, ok := p.names[v]; ok {
		return s
	}
	s := "User " + p.tag("n", v)
	p.names[v] = s
	return s
}

// Email returns the pseudonym of an email address (or any user name shaped like one).
func (p *Pseudonymizer) Email(v string) string {
	if v == "" {
		return ""
	}
	key := strings.ToLower(v)
	if s, ok := p.emails[key]; ok {
		return s
	}
	domain := "example.invalid"
	if i := strings.LastIndexByte(key, '@'); i >= 0 && p.KeepDomains {
		domain = key[i+1:]
	}
	s := "user-" + p.tag("e", key) + "@" + domain
	p.emails[key] = s
	return s
}

func (p *Pseudonymizer) header(h *header) {
	h.Pseudonymized = true
	h.Confirmed.Account = p.Email(h.Confirmed.Account)
}

func (p *Pseudonymizer) object(o *ObjectRef) (name, email string) {
	name, email = o.Name, o.Email
	if o.Type == "group" {
		return "", ""
	}
	o.Name = p.Name(o.Name)
	o.Email = p.Email(o.Email)
	return name, email
}

func (p *Pseudonymizer) scrub(text string, o *ObjectRef, name, email string) string {
	if text == "" {
		return text
	}
	if email != "" {
		text = replaceLoose(text, email, o.Email)
	}
	if name != "" && len(name) > 2 {
		text = replaceLoose(text, name, o.Name)
	}
	return text
}

func (p *Pseudonymizer) operation(op *Operation) {
	name, email := p.object(&op.Object)
	if op.Group != nil && op.Group.Type != "group" {
		g := *op.Group
		p.object(&g)
		op.Group = &g
	}
	if len(op.Changes) > 0 {
		cs := make([]Change, len(op.Changes))
		for i, c := range op.Changes {
			c.Old, c.New = p.attribute(c.Attribute, c.Old), p.attribute(c.Attribute, c.New)
			cs[i] = c
		}
		op.Changes = cs
	}
	op.Message = p.scrub(op.Message, &op.Object, name, email)
	op.Reason = p.scrub(op.Reason, &op.Object, name, email)
}

func (p *Pseudonymizer) skip(s *Skip) {
	name, email := p.object(&s.Object)
	s.Detail = p.scrub(s.Detail, &s.Object, name, email)
}

// runErrors scrubs run-level messages, written last, of every email and full name seen in the
// report (single words are left: "Bob" would also match inside ordinary words).
func (p *Pseudonymizer) runErrors(errs []RunError) []RunError {
	if len(errs) == 0 {
		return errs
	}
	out := make([]RunError, len(errs))
	for i, e := range errs {
		for orig, ps := range p.emails {
			e.Message = replaceLoose(e.Message, orig, ps)
		}
		for orig, ps := range p.names {
			if strings.Contains(orig, " ") {
				e.Message = replaceLoose(e.Message, orig, ps)
			}
		}
		out[i] = e
	}
	return out
}

// replaceLoose replaces every occurrence of old in s by repl, where an occurrence may differ
// from old in case (Unicode simple folding, so "ALICE@CONTOSO.COM" and "ſam" match) and may
// spell any of its characters percent-encoded, in either hex case ("alice%40contoso.com",
// "o%27neil%2Bsales"), with "+" for a space (query encoding). Messages quote emails the way
// the service that refused them saw them: in a SCIM filter, a URL, or as the admin typed them.
func replaceLoose(s, old, repl string) string {
	if old == "" || s == "" {
		return s
	}
	// An ASCII first character is checked inline: run errors are scrubbed of every email in the
	// report, so this loop runs (users × message length) times.
	first := old[0]
	if 'A' <= first && first <= 'Z' {
		first += 'a' - 'A'
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if c := s[i]; first < utf8.RuneSelf && c < utf8.RuneSelf && c != '%' && c != '+' && c|0x20 != first && c != first {
			i++
			continue
		}
		if n := matchLoose(s[i:], old); n > 0 {
			if b.Len() == 0 && last == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteString(repl)
			i += n
			last = i
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// matchLoose returns the length of the prefix of s that spells old (see replaceLoose), or 0.
func matchLoose(s, old string) int {
	i := 0
	for _, r := range old {
		if i < len(s) {
			sr, w := utf8.DecodeRuneInString(s[i:])
			if equalFoldRune(sr, r) {
				i += w
				continue
			}
			if r == ' ' && s[i] == '+' {
				i++
				continue
			}
		}
		// The rune's UTF-8 bytes, each as %HH.
		var buf [utf8.UTFMax]byte
		k := utf8.EncodeRune(buf[:], r)
		for _, want := range buf[:k] {
			if i+3 > len(s) || s[i] != '%' {
				return 0
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			got := hi<<4 | lo
			if !ok1 || !ok2 || (got != want && !(want < utf8.RuneSelf && equalFoldRune(rune(got), rune(want)))) {
				return 0
			}
			i += 3
		}
	}
	return i
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// attribute pseudonymizes one SCIM attribute value by what the attribute holds.
func (p *Pseudonymizer) attribute(attr, v string) string {
	if v == "" {
		return v
	}
	a := strings.ToLower(attr)
	switch {
	case strings.Contains(a, "phone"):
		return "(redacted)"
	case strings.Contains(a, "email"), a == "username", strings.Contains(v, "@"):
		return p.Email(v)
	case a == "displayname", strings.HasPrefix(a, "name."), a == "name", a == "nickname":
		return p.Name(v)
	}
	return v
}

// Pseudonymize returns a pseudonymized copy of r (the input is not changed).
func (p *Pseudonymizer) Pseudonymize(r *Report) *Report {
	c := *r
	h := c.header()
	p.header(&h)
	c.Confirmed = h.Confirmed
	c.Pseudonymized = true
	c.Operations = make([]Operation, len(r.Operations))
	defer func() { c.Errors = p.runErrors(r.Errors) }()
	for i := range r.Operations {
		c.Operations[i] = r.Operations[i]
		p.operation(&c.Operations[i])
	}
	c.Skips = make([]Skip, len(r.Skips))
	for i := range r.Skips {
		c.Skips[i] = r.Skips[i]
		p.skip(&c.Skips[i])
	}
	return &c
}
