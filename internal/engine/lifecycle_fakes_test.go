package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// In-memory ports for the lifecycle's tests: a tenant that is a fixed snapshot, an organization
// that is two maps, a state that is maps, and a lock that counts.

// memSource is a tenant of users and groups; its delta is the users changed since the last full
// read, as a delta link read again gives the same changes (group changes are not needed here).
type memSource struct {
	snap  *directory.Snapshot
	err   error
	reads int
	last  map[string]directory.User
}

var memLinks = directory.DeltaLinks{Users: "u-link", Groups: "g-link"}

func (s *memSource) seen() {
	s.last = map[string]directory.User{}
	for _, u := range s.snap.Users {
		s.last[u.ID] = u
	}
}

func (s *memSource) ReadFull(context.Context) (*directory.Snapshot, directory.DeltaLinks, error) {
	s.reads++
	if s.err != nil {
		return nil, directory.DeltaLinks{}, s.err
	}
	s.seen()
	cp := *s.snap
	cp.Users = slices.Clone(s.snap.Users)
	return &cp, memLinks, nil
}

func (s *memSource) ReadDelta(context.Context, directory.DeltaLinks) (*directory.Delta, error) {
	s.reads++
	d := &directory.Delta{Links: memLinks}
	for _, u := range s.snap.Users {
		if s.last[u.ID] != u {
			d.Users = append(d.Users, u)
		}
	}
	return d, nil
}

type memTarget struct {
	mu        sync.Mutex
	users     map[string]User
	groups    map[string]Group
	next      int
	writes    int
	verified  int
	verifyErr error
}

func newMemTarget() *memTarget {
	return &memTarget{users: map[string]User{}, groups: map[string]Group{}}
}

func (t *memTarget) Verify(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.verified++
	return t.verifyErr
}

func (t *memTarget) id(prefix string) string {
	t.next++
	return fmt.Sprintf("%s%d", prefix, t.next)
}

func (t *memTarget) ListUsers(_ context.Context, fn func(User) error) error {
	t.mu.Lock()
	us := make([]User, 0, len(t.users))
	for _, u := range t.users {
		us = append(us, u)
	}
	t.mu.Unlock()
	for _, u := range us {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTarget) ListGroups(_ context.Context, fn func(Group) error) error {
	t.mu.Lock()
	gs := make([]Group, 0, len(t.groups))
	for _, g := range t.groups {
		g.Members = slices.Clone(g.Members)
		gs = append(gs, g)
	}
	t.mu.Unlock()
	for _, g := range gs {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

var errMemNotFound = apperr.New(apperr.AtlassianNotFound, "not found")

func (t *memTarget) GetUser(_ context.Context, id string) (User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u, ok := t.users[id]; ok {
		return u, nil
	}
	return User{}, errMemNotFound
}

func (t *memTarget) GetGroup(_ context.Context, id string) (Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g, ok := t.groups[id]; ok {
		return g, nil
	}
	return Group{}, errMemNotFound
}

func (t *memTarget) findUser(match func(User) bool) (User, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, u := range t.users {
		if match(u) {
			return u, true, nil
		}
	}
	return User{}, false, nil
}

func (t *memTarget) FindUserByExternalID(_ context.Context, ext string) (User, bool, error) {
	return t.findUser(func(u User) bool { return u.ExternalID == ext })
}

func (t *memTarget) FindUserByUserName(_ context.Context, name string) (User, bool, error) {
	return t.findUser(func(u User) bool { return strings.EqualFold(u.UserName, name) })
}

func (t *memTarget) FindGroupByDisplayName(_ context.Context, name string) (Group, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.groups {
		if strings.EqualFold(g.DisplayName, name) {
			return g, true, nil
		}
	}
	return Group{}, false, nil
}

func (t *memTarget) CreateUser(_ context.Context, u User) (User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	u.ID = t.id("su")
	t.users[u.ID] = u
	return u, nil
}

func (t *memTarget) PatchUser(_ context.Context, id string, _ []report.Change) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	return nil
}

func (t *memTarget) SetActive(_ context.Context, id string, active bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	u, ok := t.users[id]
	if !ok {
		return errMemNotFound
	}
	u.Active = active
	t.users[id] = u
	return nil
}

func (t *memTarget) CreateGroup(_ context.Context, name, ext string) (Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	g := Group{ID: t.id("sg"), DisplayName: name, ExternalID: ext}
	t.groups[g.ID] = g
	return g, nil
}

func (t *memTarget) AddMembers(_ context.Context, id string, users []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	g, ok := t.groups[id]
	if !ok {
		return errMemNotFound
	}
	for _, u := range users {
		if !slices.Contains(g.Members, u) {
			g.Members = append(g.Members, u)
		}
	}
	t.groups[id] = g
	return nil
}

func (t *memTarget) RemoveMembers(_ context.Context, id string, users []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	g, ok := t.groups[id]
	if !ok {
		return errMemNotFound
	}
	g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return slices.Contains(users, m) })
	t.groups[id] = g
	return nil
}

func (t *memTarget) DeleteGroup(_ context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	delete(t.groups, id)
	return nil
}

type memState struct {
	mu         sync.Mutex
	maps       map[string]Mapping // by kind and Entra id
	runs       map[string]Run
	journal    map[string]map[int]JournalEntry
	delta      *DeltaState
	journalErr error // JournalAdd fails with it
}

func newMemState() *memState {
	return &memState{maps: map[string]Mapping{}, runs: map[string]Run{}, journal: map[string]map[int]JournalEntry{}}
}

func (s *memState) Mappings(context.Context, string) ([]Mapping, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Mapping, 0, len(s.maps))
	for _, m := range s.maps {
		out = append(out, m)
	}
	return out, nil
}

func (s *memState) PutMappings(_ context.Context, _ string, ms []Mapping) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range ms {
		if m.SCIMID == "" {
			delete(s.maps, m.Kind+"/"+m.EntraID)
		} else {
			s.maps[m.Kind+"/"+m.EntraID] = m
		}
	}
	return nil
}

func (s *memState) PutRun(ctx context.Context, r Run) error {
	if err := ctx.Err(); err != nil {
		return err // as SQLite does: a canceled context writes nothing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[r.ID] = r
	return nil
}

func (s *memState) Runs(_ context.Context, _ string, status string, limit int) ([]Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Run
	for _, r := range s.runs {
		if status == "" || r.Status == status {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Run) int { return b.Started.Compare(a.Started) })
	return out[:min(limit, len(out))], nil
}

func (s *memState) JournalAdd(_ context.Context, runID string, es []JournalEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journalErr != nil {
		return s.journalErr
	}
	if s.journal[runID] == nil {
		s.journal[runID] = map[int]JournalEntry{}
	}
	for _, e := range es {
		if e.State == "" {
			e.State = JournalPending
		}
		s.journal[runID][e.Seq] = e
	}
	return nil
}

func (s *memState) JournalMark(_ context.Context, runID string, es []JournalEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		old, ok := s.journal[runID][e.Seq]
		if !ok {
			return errors.New("mark of an entry never added")
		}
		old.State, old.Result = e.State, e.Result
		s.journal[runID][e.Seq] = old
	}
	return nil
}

func (s *memState) Journal(_ context.Context, runID, state string) ([]JournalEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JournalEntry
	for _, e := range s.journal[runID] {
		if state == "" || e.State == state {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b JournalEntry) int { return a.Seq - b.Seq })
	return out, nil
}

func (s *memState) DeltaState(context.Context, string) (*DeltaState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delta, nil
}

func (s *memState) SetDeltaState(_ context.Context, _ string, d *DeltaState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delta = d
	return nil
}

func (s *memState) Decisions(context.Context, string) (map[string]string, error) {
	return map[string]string{}, nil
}

// memLock is a directory lock that refuses a second holder and counts releases.
type memLock struct {
	mu       sync.Mutex
	held     bool
	taken    int
	released int
}

func (l *memLock) TryLock(_ context.Context, dirID, purpose string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return nil, apperr.New(apperr.SyncLocked, "another sync of this directory is running")
	}
	l.held = true
	l.taken++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.held = false
			l.released++
		})
	}, nil
}
