// Package tenant generates seeded, reproducible Entra ID tenants for the Graph emulator and the
// tests: users, nested groups with cycles, guests, disabled accounts, awkward names and member
// types the sync must skip. It also applies random changes between reads and records versions so
// the emulator can answer delta queries with exactly the changes since a token.
package tenant

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/idpsync/idpsync/internal/directory"
)

// Spec sizes a generated tenant. Zero values take the defaults noted on each field.
type Spec struct {
	Seed            uint64
	Name            string  // tenant short name; default "contoso"
	Users           int     // default 50
	Groups          int     // default 10
	Depth           int     // nesting levels; default 3
	MembersPerGroup int     // average direct user members per group; default 10
	GuestFraction   float64 // default 0.05; guests get #EXT# UPNs and userType Guest
	DisabledFrac    float64 // default 0.05
	NoMailFrac      float64 // default 0.05; those users' userName falls back to the UPN
	CaseTwins       int     // pairs of users whose mails differ only by case; default 1
	Cycles          int     // extra nesting edges that close a cycle; default 1 when Depth > 1
	OtherMembers    int     // servicePrincipal / device / orgContact members; default 3
	LargeGroup      int     // when > 0, the first group gets this many direct user members
}

func (s *Spec) defaults() {
	s.Name = cmp.Or(s.Name, "contoso")
	s.Users = cmp.Or(s.Users, 50)
	s.Groups = cmp.Or(s.Groups, 10)
	s.Depth = cmp.Or(s.Depth, 3)
	s.MembersPerGroup = cmp.Or(s.MembersPerGroup, 10)
	s.GuestFraction = cmp.Or(s.GuestFraction, 0.05)
	s.DisabledFrac = cmp.Or(s.DisabledFrac, 0.05)
	s.NoMailFrac = cmp.Or(s.NoMailFrac, 0.05)
	s.CaseTwins = cmp.Or(s.CaseTwins, 1)
	if s.Cycles == 0 && s.Depth > 1 {
		s.Cycles = 1
	}
	s.OtherMembers = cmp.Or(s.OtherMembers, 3)
}

// Removal reasons of Graph's @removed annotation.
const (
	ReasonChanged = "changed" // soft-deleted, restorable
	ReasonDeleted = "deleted" // permanently deleted
)

// UserRec is a user with its change bookkeeping. Changed is the tenant version of the last
// change; Removed is non-empty for a deleted user kept as a tombstone for delta.
type UserRec struct {
	directory.User
	Changed uint64
	Removed string
}

// GroupRec is a group with its current direct members in Graph's order.
type GroupRec struct {
	directory.Group
	Members []directory.Member
	Changed uint64
	Removed string
}

// memberChange is one membership add or removal at a version, for groups delta.
type memberChange struct {
	version uint64
	group   string
	member  directory.Member
	removed bool
}

// Tenant is a generated directory. All methods are safe for concurrent use; the emulator reads
// while tests mutate.
type Tenant struct {
	mu          sync.RWMutex
	ID          string
	DisplayName string
	Domains     []directory.Domain
	// Size is the number of users at generation, which sets Graph's throttling tier.
	Size int

	version  uint64
	users    map[string]*UserRec
	groups   map[string]*GroupRec
	userIDs  []string // alive, sorted; rebuilt after a mutation
	groupIDs []string
	memLog   []memberChange
	rng      *rand.Rand
	seq      int
}

var (
	givenNames = []string{"Ada", "Zoë", "Łukasz", "José", "Søren", "محمد", "דוד", "李", "Ōta", "Chloé", "Ngozi", "Åsa", "Björk", "Ιωάννης", "Анна", "Priyā"}
	surnames   = []string{"Lovelace", "Müller", "García", "Nguyễn", "Øster", "العلي", "כהן", "王", "O'Brien", "Smith-Jones", "Ñúñez", "Kowalski", "Δημητρίου", "Иванова", "van der Berg"}
	titles     = []string{"Engineer", "Manager", "Designer", "Analyst", "", "Director"}
	depts      = []string{"R&D", "Sales", "Finance", "Support", "", "Ops"}
	langs      = []string{"en-US", "fr-FR", "de-DE", "ar-SA", "he-IL", "", "ja-JP"}
	otherTypes = []string{"#microsoft.graph.servicePrincipal", "#microsoft.graph.device", "#microsoft.graph.orgContact"}
)

// Generate builds a tenant; the same Spec (seed included) gives the same tenant.
func Generate(spec Spec) *Tenant {
	spec.defaults()
	r := rand.New(rand.NewPCG(spec.Seed, 0x1d5))
	t := &Tenant{
		rng:         r,
		DisplayName: spec.Name + " Ltd",
		users:       make(map[string]*UserRec, spec.Users),
		groups:      make(map[string]*GroupRec, spec.Groups),
		version:     1,
		Size:        spec.Users,
	}
	t.ID = t.newID()
	initial := spec.Name + ".onmicrosoft.com"
	main := spec.Name + ".example"
	t.Domains = []directory.Domain{
		{Name: initial, IsVerified: true, IsInitial: true},
		{Name: main, IsVerified: true, IsDefault: true},
		{Name: "eu." + main, IsVerified: true},
		{Name: "unverified-" + spec.Name + ".example", IsVerified: false},
	}
	mailDomains := []string{main, main, main, "eu." + main, "unverified-" + spec.Name + ".example", initial}

	ids := make([]string, spec.Users)
	for i := 0; i < spec.Users; i++ {
		u := t.newUser(i, mailDomains, initial, spec)
		t.users[u.ID] = u
		ids[i] = u.ID
	}
	// Case twins: a second account whose mail differs from another's only by letter case.
	for k := 0; k < spec.CaseTwins && 2*k+1 < len(ids); k++ {
		a, b := t.users[ids[2*k]], t.users[ids[2*k+1]]
		if a.Mail == "" || strings.Contains(a.UserPrincipalName, "#EXT#") {
			continue
		}
		b.Mail = strings.ToUpper(a.Mail[:1]) + a.Mail[1:]
		if b.Mail == a.Mail {
			b.Mail = strings.ToUpper(a.Mail)
		}
	}

	levels := make([][]string, spec.Depth)
	gids := make([]string, spec.Groups)
	for i := 0; i < spec.Groups; i++ {
		g := &GroupRec{Group: directory.Group{ID: t.newID(), DisplayName: groupName(i), SecurityEnabled: true}, Changed: 1}
		if i%5 == 4 {
			g.GroupTypes = []string{"Unified"}
			g.MailEnabled = true
		}
		t.groups[g.ID] = g
		gids[i] = g.ID
		lvl := i * spec.Depth / spec.Groups
		levels[lvl] = append(levels[lvl], g.ID)
	}
	parentOf := map[string]string{}
	for l := 1; l < spec.Depth; l++ {
		for _, gid := range levels[l] {
			if len(levels[l-1]) == 0 {
				continue
			}
			p := levels[l-1][r.IntN(len(levels[l-1]))]
			parentOf[gid] = p
			t.addMember(p, directory.Member{ID: gid, Kind: directory.MemberGroup}, 0)
		}
	}
	// A cycle: a deepest-level group gets its own top-level ancestor as a member.
	for c := 0; c < spec.Cycles && spec.Depth > 1 && len(levels[spec.Depth-1]) > 0; c++ {
		deep := levels[spec.Depth-1][r.IntN(len(levels[spec.Depth-1]))]
		top := deep
		for parentOf[top] != "" {
			top = parentOf[top]
		}
		if top != deep {
			t.addMember(deep, directory.Member{ID: top, Kind: directory.MemberGroup}, 0)
		}
	}
	if spec.Users > 0 {
		for i, gid := range gids {
			n := spec.MembersPerGroup
			if i == 0 && spec.LargeGroup > 0 {
				n = min(spec.LargeGroup, spec.Users)
			}
			// pick's indices are distinct and the group holds only groups so far, so members are
			// appended without addMember's duplicate scan, which made a 50,000-member group
			// quadratic (minutes under -race).
			g := t.groups[gid]
			for _, k := range pick(r, spec.Users, n) {
				g.Members = append(g.Members, directory.Member{ID: ids[k], Kind: directory.MemberUser})
			}
		}
	}
	for k := 0; k < spec.OtherMembers && len(gids) > 0; k++ {
		typ := otherTypes[k%len(otherTypes)]
		t.addMember(gids[r.IntN(len(gids))], directory.Member{ID: t.newID(), Kind: directory.MemberOther, ODataType: typ}, 0)
	}
	t.memLog = t.memLog[:0] // the initial state is version 1; only later changes are logged
	t.reindex()
	return t
}

// pick returns n distinct indices below total (n clamped).
func pick(r *rand.Rand, total, n int) []int {
	if n > total {
		n = total
	}
	if n*3 > total {
		return r.Perm(total)[:n]
	}
	seen := make(map[int]struct{}, n)
	out := make([]int, 0, n)
	for len(out) < n {
		k := r.IntN(total)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}

func groupName(i int) string {
	names := []string{"Engineering", "Sales", "Ünïcode Team", "فريق", "צוות", "Support & Ops", "Finance"}
	return fmt.Sprintf("%s %d", names[i%len(names)], i)
}

// newID returns a GUID-shaped id from the tenant's random source.
func (t *Tenant) newID() string {
	a, b := t.rng.Uint64(), t.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, uint16(b>>48)&0xfff, b&0xffffffffffff)
}

func (t *Tenant) newUser(i int, mailDomains []string, initial string, spec Spec) *UserRec {
	r := t.rng
	given := givenNames[r.IntN(len(givenNames))]
	sur := surnames[r.IntN(len(surnames))]
	u := &UserRec{Changed: 1, User: directory.User{
		ID:                t.newID(),
		GivenName:         given,
		Surname:           sur,
		DisplayName:       given + " " + sur,
		JobTitle:          titles[r.IntN(len(titles))],
		Department:        depts[r.IntN(len(depts))],
		PreferredLanguage: langs[r.IntN(len(langs))],
		UserType:          "Member",
		AccountEnabled:    true,
	}}
	local := fmt.Sprintf("user%d", i)
	if r.IntN(2) == 0 {
		local = fmt.Sprintf("u%d.%s", i, asciiLower(sur))
	}
	dom := mailDomains[r.IntN(len(mailDomains))]
	u.UserPrincipalName = local + "@" + dom
	u.Mail = u.UserPrincipalName
	if r.Float64() < spec.GuestFraction {
		ext := fmt.Sprintf("guest%d@partner%d.example", i, r.IntN(3))
		u.UserPrincipalName = strings.ReplaceAll(ext, "@", "_") + "#EXT#@" + initial
		u.Mail = ext
		u.UserType = "Guest"
	}
	if r.Float64() < spec.NoMailFrac {
		u.Mail = ""
	}
	if r.Float64() < spec.DisabledFrac {
		u.AccountEnabled = false
	}
	if r.IntN(3) > 0 {
		u.MobilePhone = fmt.Sprintf("+1 555 %07d", r.IntN(10_000_000))
	}
	if r.IntN(3) > 0 {
		u.BusinessPhone = fmt.Sprintf("+1 425 %07d", r.IntN(10_000_000))
	}
	return u
}

func asciiLower(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// addMember appends m to group gid and logs the change at version v (0 = generation, unlogged).
func (t *Tenant) addMember(gid string, m directory.Member, v uint64) bool {
	g := t.groups[gid]
	for _, e := range g.Members {
		if e.ID == m.ID {
			return false
		}
	}
	g.Members = append(g.Members, m)
	if v > 0 {
		t.memLog = append(t.memLog, memberChange{version: v, group: gid, member: m})
	}
	return true
}

func (t *Tenant) removeMember(gid, id string, v uint64) (directory.Member, bool) {
	g := t.groups[gid]
	for i, e := range g.Members {
		if e.ID == id {
			g.Members = slices.Delete(g.Members, i, i+1)
			t.memLog = append(t.memLog, memberChange{version: v, group: gid, member: e, removed: true})
			return e, true
		}
	}
	return directory.Member{}, false
}

func (t *Tenant) reindex() {
	t.userIDs = t.userIDs[:0]
	for id, u := range t.users {
		if u.Removed == "" {
			t.userIDs = append(t.userIDs, id)
		}
	}
	sort.Strings(t.userIDs)
	t.groupIDs = t.groupIDs[:0]
	for id, g := range t.groups {
		if g.Removed == "" {
			t.groupIDs = append(t.groupIDs, id)
		}
	}
	sort.Strings(t.groupIDs)
}
