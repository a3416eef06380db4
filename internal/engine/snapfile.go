package engine

import (
	"encoding/gob"
	"fmt"

	"github.com/idpsync/idpsync/internal/directory"
)

// The snapshot file, version 4: a savedSnapshot header, then the snapshot in gob messages of at
// most snapChunk elements — users, groups, the member ids that are no user's or group's, the
// Members keys, then the direct memberships as indices into one table of ids (the users', then
// the groups', then the others'). Two reasons, both measured at bench scenario L:
//   - gob encodes and decodes one message whole in memory: the one-message snapshot of version
//     2 (about 100 MB of gob) was held as bytes beside the snapshot at every commit and load;
//   - decoding version 2 allocated every member id again, 1,008,337 strings (67 of a decoded
//     snapshot's 121 MB); from indices a membership's id is its user's or group's own string.
const snapChunk = 1 << 14

// snapIDs indexes the ids of s: users, groups, then any other member id (extra).
func snapIDs(s *directory.Snapshot) (index map[string]int32, extra []string) {
	index = make(map[string]int32, len(s.Users)+len(s.Groups))
	add := func(id string) bool {
		if _, ok := index[id]; ok {
			return false
		}
		index[id] = int32(len(index))
		return true
	}
	for i := range s.Users {
		add(s.Users[i].ID)
	}
	for i := range s.Groups {
		add(s.Groups[i].ID)
	}
	for _, k := range sortedKeys(s.Members) {
		if add(k) {
			extra = append(extra, k)
		}
		for _, m := range s.Members[k] {
			if add(m.ID) {
				extra = append(extra, m.ID)
			}
		}
	}
	return index, extra
}

// snapMembers is one chunk of memberships: id indices, kinds, and the OData types that are set
// (by position in the chunk).
type snapMembers struct {
	Mem   []int32
	Kind  []directory.MemberKind
	OData map[int32]string
}

// writeSnapshot encodes h and then s in chunks.
func writeSnapshot(enc *gob.Encoder, h savedSnapshot, s *directory.Snapshot) error {
	index, extra := snapIDs(s)
	keys := sortedKeys(s.Members) // sorted: the same snapshot makes the same file
	h.Tenant, h.Domains = s.Tenant, s.Domains
	h.Users, h.Groups, h.Extra, h.Keys = len(s.Users), len(s.Groups), len(extra), len(keys)
	for _, ms := range s.Members {
		h.Memberships += len(ms)
	}
	if err := enc.Encode(h); err != nil {
		return err
	}
	if err := encodeChunks(enc, s.Users); err != nil {
		return err
	}
	if err := encodeChunks(enc, s.Groups); err != nil {
		return err
	}
	if err := encodeChunks(enc, extra); err != nil {
		return err
	}
	ki, sizes := make([]int32, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		ki[i], sizes[i] = index[k], int32(len(s.Members[k]))
	}
	if err := encodeChunks(enc, ki); err != nil {
		return err
	}
	if err := encodeChunks(enc, sizes); err != nil {
		return err
	}
	var c snapMembers
	flush := func() error {
		if len(c.Mem) == 0 {
			return nil
		}
		err := enc.Encode(c)
		c = snapMembers{Mem: c.Mem[:0], Kind: c.Kind[:0]}
		return err
	}
	for _, k := range keys {
		for _, m := range s.Members[k] {
			if m.ODataType != "" {
				if c.OData == nil {
					c.OData = map[int32]string{}
				}
				c.OData[int32(len(c.Mem))] = m.ODataType
			}
			c.Mem, c.Kind = append(c.Mem, index[m.ID]), append(c.Kind, m.Kind)
			if len(c.Mem) == snapChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func encodeChunks[T any](enc *gob.Encoder, all []T) error {
	for lo := 0; lo < len(all); lo += snapChunk {
		if err := enc.Encode(all[lo:min(lo+snapChunk, len(all))]); err != nil {
			return err
		}
	}
	return nil
}

func decodeChunks[T any](dec *gob.Decoder, n int) ([]T, error) {
	out := make([]T, 0, n)
	for len(out) < n {
		var c []T
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		if len(c) == 0 || len(out)+len(c) > n {
			return nil, fmt.Errorf("snapshot chunk of %d past %d of %d", len(c), len(out), n)
		}
		out = append(out, c...)
	}
	return out, nil
}

// readSnapshot decodes what writeSnapshot wrote after the header h.
func readSnapshot(dec *gob.Decoder, h *savedSnapshot) (*directory.Snapshot, error) {
	s := &directory.Snapshot{Tenant: h.Tenant, Domains: h.Domains}
	var err error
	if s.Users, err = decodeChunks[directory.User](dec, h.Users); err != nil {
		return nil, err
	}
	if s.Groups, err = decodeChunks[directory.Group](dec, h.Groups); err != nil {
		return nil, err
	}
	extra, err := decodeChunks[string](dec, h.Extra)
	if err != nil {
		return nil, err
	}
	keys, err := decodeChunks[int32](dec, h.Keys)
	if err != nil {
		return nil, err
	}
	sizes, err := decodeChunks[int32](dec, h.Keys)
	if err != nil {
		return nil, err
	}
	nu, ng, nx := int32(len(s.Users)), int32(len(s.Groups)), int32(len(extra))
	id := func(i int32) (string, error) {
		switch {
		case i < 0 || i >= nu+ng+nx:
			return "", fmt.Errorf("snapshot id %d of %d", i, nu+ng+nx)
		case i < nu:
			return s.Users[i].ID, nil
		case i < nu+ng:
			return s.Groups[i-nu].ID, nil
		}
		return extra[i-nu-ng], nil
	}
	all := make([]directory.Member, 0, h.Memberships) // one allocation; each key's members are a window of it
	for len(all) < h.Memberships {
		var c snapMembers
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		if len(c.Mem) == 0 || len(c.Kind) != len(c.Mem) || len(all)+len(c.Mem) > h.Memberships {
			return nil, fmt.Errorf("snapshot membership chunk of %d past %d of %d", len(c.Mem), len(all), h.Memberships)
		}
		for j, i := range c.Mem {
			mid, err := id(i)
			if err != nil {
				return nil, err
			}
			all = append(all, directory.Member{ID: mid, Kind: c.Kind[j], ODataType: c.OData[int32(j)]})
		}
	}
	s.Members = make(map[string][]directory.Member, len(keys))
	lo := 0
	for k, key := range keys {
		kid, err := id(key)
		if err != nil {
			return nil, err
		}
		hi := lo + int(sizes[k])
		if sizes[k] < 0 || hi > len(all) {
			return nil, fmt.Errorf("snapshot members of key %d past %d", k, len(all))
		}
		s.Members[kid] = all[lo:hi:hi] // capped: an append copies instead of overwriting the next key's
		lo = hi
	}
	return s, nil
}
