package backend

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
)

type groupCache struct {
	at   time.Time
	snap *directory.Snapshot
	flat *directory.Flat
}

// groupTree returns the directory's groups, read once and kept for a few minutes: the picker
// pages and searches through them without going back to Graph.
func (b *Backend) groupTree(ctx context.Context, d store.Directory) (*groupCache, error) {
	b.mu.Lock()
	if b.groups == nil {
		b.groups = map[string]*groupCache{}
	}
	gc := b.groups[d.ID]
	b.mu.Unlock()
	if gc != nil && time.Since(gc.at) < 5*time.Minute {
		return gc, nil
	}
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	snap, _, err := r.ReadFull(ctx, nil)
	if err != nil {
		return nil, err
	}
	return b.cacheGroups(d.ID, snap), nil
}

// cacheGroups keeps a snapshot for the picker; a preview leaves its snapshot here so that the
// picker opened after it costs no read.
func (b *Backend) cacheGroups(dirID string, snap *directory.Snapshot) *groupCache {
	gc := &groupCache{at: time.Now(), snap: snap, flat: directory.Flatten(snap)}
	b.mu.Lock()
	if b.groups == nil {
		b.groups = map[string]*groupCache{}
	}
	b.groups[dirID] = gc
	b.mu.Unlock()
	return gc
}

func (b *Backend) Groups(ctx context.Context, id string, q GroupQuery) (GroupPage, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return GroupPage{}, err
	}
	gc, err := b.groupTree(ctx, d)
	if err != nil {
		return GroupPage{}, err
	}
	s, err := b.settings(ctx, id)
	if err != nil {
		return GroupPage{}, err
	}
	selected := map[string]bool{}
	implied := map[string]bool{}
	for _, g := range s.Groups {
		selected[g] = true
		for _, sub := range gc.flat.Subgroups(g) {
			implied[sub] = true
		}
	}
	names := make(map[string]string, len(gc.snap.Groups))
	for _, g := range gc.snap.Groups {
		names[g.ID] = g.DisplayName
	}
	var ids []string
	switch {
	case q.Search != "":
		needle := strings.ToLower(q.Search)
		for _, g := range gc.snap.Groups {
			if strings.Contains(strings.ToLower(g.DisplayName), needle) {
				ids = append(ids, g.ID)
			}
		}
	case q.ParentID != "":
		ids = gc.flat.Children(q.ParentID)
	default:
		for _, g := range gc.snap.Groups {
			if len(gc.flat.Parents(g.ID)) == 0 {
				ids = append(ids, g.ID)
			}
		}
	}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { _, ok := names[id]; return !ok })
	slices.SortFunc(ids, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b])); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	perGroup := engine.MaxUsersPerGroup
	if ns, err := s.Normalize(); err == nil {
		perGroup = ns.Limits.UsersPerGroup // the directory's limit, raised by Atlassian or not
	}
	page := GroupPage{Groups: []GroupNode{}, Total: len(ids)}
	if q.Offset < len(ids) {
		for _, gid := range ids[q.Offset:min(len(ids), q.Offset+q.Limit)] {
			kids := len(gc.flat.Children(gid))
			users := gc.flat.MemberCount(gid)
			page.Groups = append(page.Groups, GroupNode{ID: gid, DisplayName: names[gid], Subgroups: kids, Users: users,
				Selected: selected[gid], Implied: implied[gid] && !selected[gid], OverLimit: users > perGroup, HasChildren: kids > 0})
		}
	}
	return page, nil
}
