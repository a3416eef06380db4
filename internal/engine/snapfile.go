package engine

import (
	"github.com/idpsync/idpsync/internal/directory"
)

// storedSnapshot is how the snapshot sits in its file (version 3): the direct memberships as
// indices into one table of ids (the users', then the groups', then any other) instead of one
// string per membership. Decoding the version 2 form allocated every member id again, 1,008,337
// strings at bench scenario L (67 MB of the 121 MB a decoded snapshot held); decoded from
// this form, a membership's id is the very string of its user's or group's id.
type storedSnapshot struct {
	Tenant  directory.Tenant
	Domains []directory.Domain
	Users   []directory.User
	Groups  []directory.Group
	Extra   []string // member ids that are no user's or group's of the snapshot
	// The Members map: for each key (an id index, in Keys) its members Mem[Off[k]:Off[k+1]]
	// (id indices) with their Kind; ODataType is kept only where it is set (by Mem position).
	Keys  []int32
	Off   []int32
	Mem   []int32
	Kind  []directory.MemberKind
	OData map[int32]string
}

func compactSnapshot(s *directory.Snapshot) *storedSnapshot {
	c := &storedSnapshot{Tenant: s.Tenant, Domains: s.Domains, Users: s.Users, Groups: s.Groups}
	index := make(map[string]int32, len(s.Users)+len(s.Groups))
	n := int32(0)
	add := func(id string) int32 {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = n
		n++
		return n - 1
	}
	for i := range s.Users {
		add(s.Users[i].ID)
	}
	for i := range s.Groups {
		add(s.Groups[i].ID)
	}
	fixed := n
	id := func(v string) int32 {
		i := add(v)
		if i >= fixed && int(i-fixed) == len(c.Extra) {
			c.Extra = append(c.Extra, v)
		}
		return i
	}
	total := 0
	for _, ms := range s.Members {
		total += len(ms)
	}
	c.Keys, c.Off = make([]int32, 0, len(s.Members)), make([]int32, 1, len(s.Members)+1)
	c.Mem, c.Kind = make([]int32, 0, total), make([]directory.MemberKind, 0, total)
	for _, k := range sortedKeys(s.Members) { // sorted: the same snapshot makes the same file
		c.Keys = append(c.Keys, id(k))
		for _, m := range s.Members[k] {
			if m.ODataType != "" {
				if c.OData == nil {
					c.OData = map[int32]string{}
				}
				c.OData[int32(len(c.Mem))] = m.ODataType
			}
			c.Mem = append(c.Mem, id(m.ID))
			c.Kind = append(c.Kind, m.Kind)
		}
		c.Off = append(c.Off, int32(len(c.Mem)))
	}
	return c
}

func (c *storedSnapshot) snapshot() *directory.Snapshot {
	nu, ng := int32(len(c.Users)), int32(len(c.Groups))
	id := func(i int32) string {
		switch {
		case i < nu:
			return c.Users[i].ID
		case i < nu+ng:
			return c.Groups[i-nu].ID
		}
		return c.Extra[i-nu-ng]
	}
	s := &directory.Snapshot{Tenant: c.Tenant, Domains: c.Domains, Users: c.Users, Groups: c.Groups,
		Members: make(map[string][]directory.Member, len(c.Keys))}
	all := make([]directory.Member, len(c.Mem)) // one allocation; each key's members are a window of it
	for j, i := range c.Mem {
		all[j] = directory.Member{ID: id(i), Kind: c.Kind[j], ODataType: c.OData[int32(j)]}
	}
	for k, key := range c.Keys {
		lo, hi := c.Off[k], c.Off[k+1]
		s.Members[id(key)] = all[lo:hi:hi] // capped: an append copies instead of overwriting the next key's
	}
	return s
}
