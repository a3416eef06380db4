package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
)

// Prints are what an incremental run needs of the previous run's desired state: one 16-byte
// digest per user (its mapped SCIM attributes) and per group (its name and transitive members),
// and whether each user was active. Touch compares them with the current desired state, so an
// incremental run scopes only the current snapshot: scoping and flattening the stored one as
// well was half of an incremental run's CPU (4–9 s at bench scenario L) and ~150 MB of its
// heap (a second Desired and Flat of 2.87 M memberships). They are saved beside the snapshot
// they were scoped from, under the same settings hash, so they are exactly that snapshot's.
type Prints struct {
	Users  map[string]UserPrint
	Groups map[string]Print
}

// Print is the first 16 bytes of a SHA-256: distinct states collide with probability 2^-128.
type Print [16]byte

// UserPrint is a user's print and its active flag (Touch expands a user whose active flag
// changed to its groups).
type UserPrint struct {
	Sum    Print
	Active bool
}

// PrintsOf is the prints of a desired state.
func PrintsOf(d *Desired) *Prints {
	p := &Prints{Users: make(map[string]UserPrint, len(d.Users)), Groups: make(map[string]Print, len(d.Groups))}
	h := sha256.New()
	// The SCIM user as JSON: every field of User, so a field added later is compared too (the
	// encoding is injective on User: strings are quoted, the field order is fixed).
	enc := json.NewEncoder(h)
	for id, u := range d.Users {
		h.Reset()
		_ = enc.Encode(u.SCIM)
		p.Users[id] = UserPrint{Sum: sum16(h), Active: u.SCIM.Active}
	}
	var n [binary.MaxVarintLen64]byte
	str := func(s string) { // length-prefixed, so that no two lists of strings write the same bytes
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	for id, g := range d.Groups {
		h.Reset()
		str(g.Name)
		for _, m := range g.Members {
			str(m)
		}
		p.Groups[id] = sum16(h)
	}
	return p
}

func sum16(h hash.Hash) Print {
	var b [sha256.Size]byte
	var out Print
	copy(out[:], h.Sum(b[:0]))
	return out
}

// Touch compares two desired states and returns the users and groups whose desired state differs,
// plus every group of a user new to the desired state (its memberships may exist already).
func Touch(old, cur *Desired) *Touched { return touchPrints(PrintsOf(old), PrintsOf(cur), cur) }

// touchPrints is Touch of the desired state that old prints and cur, whose prints cp are.
func touchPrints(old, cp *Prints, cur *Desired) *Touched {
	t := &Touched{Users: map[string]bool{}, Groups: map[string]bool{}}
	changed(t.Users, old.Users, cp.Users)
	changed(t.Groups, old.Groups, cp.Groups)
	for id := range t.Users {
		if o, existed := old.Users[id]; existed {
			// An attribute change leaves the groups alone; a membership change shows above as
			// a changed member list. Expanding every touched user to all of its groups made an
			// incremental run read most of a large tenant's groups. But a disabled user is a
			// listed member that may not exist in Atlassian: enabled again, it is created and
			// must join its groups, whose member lists did not change.
			if n, ok := cur.Users[id]; !ok || n.SCIM.Active == o.Active {
				continue
			}
		}
		for _, g := range cur.Flat.UserGroups(id) {
			if _, ok := cur.Groups[g]; ok {
				t.Groups[g] = true
			}
		}
	}
	return t
}

// changed marks in t every key whose value differs between old and cur, or that only one has.
func changed[V comparable](t map[string]bool, old, cur map[string]V) {
	for id, v := range cur {
		if o, ok := old[id]; !ok || o != v {
			t[id] = true
		}
	}
	for id := range old {
		if _, ok := cur[id]; !ok {
			t[id] = true
		}
	}
}
