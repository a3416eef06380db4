// Package adapter fits the real clients to the engine's ports: internal/entra's Graph reader,
// internal/atlassian's SCIM and Organizations clients and internal/store's Store, converted to
// and from the engine's own model types (internal/engine/model.go). It is the one place that
// knows both sides, so the engine links neither the Graph SDK, SQLite nor an HTTP client and is
// tested with in-memory fakes.
//
// Each model type has the same fields as the client type it mirrors, so a conversion is a Go
// conversion: streamed users and groups are converted one at a time, with no allocation (a
// group's member list is shared, not copied), and mappings and journal entries pass to and from
// the store one row at a time, never as a second slice. Each wrapper embeds its client, so the client's
// other methods (Verify, Stats, SetDecision…) stay reachable through the port.
package adapter

import (
	"context"
	"iter"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// Graph is the engine's Source, and TenantSource (an incremental run reads the tenant and its
// domains again: Graph's delta carries neither), over the Graph reader. Progress, when set, sees
// the read's counts as they grow.
type Graph struct {
	Reader   *entra.Reader
	Progress func(entra.Progress)
}

var (
	_ engine.Source       = Graph{}
	_ engine.TenantSource = Graph{}
)

func (g Graph) ReadFull(ctx context.Context) (*directory.Snapshot, directory.DeltaLinks, error) {
	return g.Reader.ReadFull(ctx, g.Progress)
}

func (g Graph) ReadDelta(ctx context.Context, links directory.DeltaLinks) (*directory.Delta, error) {
	return g.Reader.ReadDelta(ctx, links, g.Progress)
}

func (g Graph) ReadTenant(ctx context.Context) (directory.Tenant, []directory.Domain, error) {
	return g.Reader.ReadTenant(ctx)
}

// SCIM is the engine's Target over an Atlassian SCIM client.
type SCIM struct{ *atlassian.SCIM }

var _ engine.Target = SCIM{}

func (s SCIM) ListUsers(ctx context.Context, fn func(engine.User) error) error {
	return s.SCIM.ListUsers(ctx, func(u atlassian.User) error { return fn(engine.User(u)) })
}

func (s SCIM) ListGroups(ctx context.Context, fn func(engine.Group) error) error {
	return s.SCIM.ListGroups(ctx, func(g atlassian.Group) error { return fn(engine.Group(g)) })
}

func (s SCIM) GetUser(ctx context.Context, id string) (engine.User, error) {
	u, err := s.SCIM.GetUser(ctx, id)
	return engine.User(u), err
}

func (s SCIM) GetGroup(ctx context.Context, id string) (engine.Group, error) {
	g, err := s.SCIM.GetGroup(ctx, id)
	return engine.Group(g), err
}

func (s SCIM) FindUserByExternalID(ctx context.Context, externalID string) (engine.User, bool, error) {
	u, found, err := s.SCIM.FindUserByExternalID(ctx, externalID)
	return engine.User(u), found, err
}

func (s SCIM) FindUserByUserName(ctx context.Context, userName string) (engine.User, bool, error) {
	u, found, err := s.SCIM.FindUserByUserName(ctx, userName)
	return engine.User(u), found, err
}

func (s SCIM) FindGroupByDisplayName(ctx context.Context, name string) (engine.Group, bool, error) {
	g, found, err := s.SCIM.FindGroupByDisplayName(ctx, name)
	return engine.Group(g), found, err
}

func (s SCIM) CreateUser(ctx context.Context, u engine.User) (engine.User, error) {
	c, err := s.SCIM.CreateUser(ctx, atlassian.User(u))
	return engine.User(c), err
}

// PatchUser writes the engine's changes as SCIM PATCH operations, one per changed attribute.
func (s SCIM) PatchUser(ctx context.Context, id string, changes []report.Change) error {
	ops := make([]atlassian.PatchOp, len(changes))
	for i, c := range changes {
		ops[i] = atlassian.PatchOpFor(c.Attribute, c.Old, c.New)
	}
	return s.SCIM.PatchUser(ctx, id, ops)
}

func (s SCIM) CreateGroup(ctx context.Context, displayName, externalID string) (engine.Group, error) {
	g, err := s.SCIM.CreateGroup(ctx, displayName, externalID)
	return engine.Group(g), err
}

// Org is the engine's OrgGroups (and OrgDomains) over an Atlassian Organizations client.
type Org struct{ *atlassian.Org }

var (
	_ engine.OrgGroups  = Org{}
	_ engine.OrgDomains = Org{}
)

func (o Org) FindGroupsByName(ctx context.Context, names []string) ([]engine.OrgGroup, error) {
	gs, err := o.Org.FindGroupsByName(ctx, names)
	return convertAll(gs, func(g atlassian.OrgGroup) engine.OrgGroup { return engine.OrgGroup(g) }), err
}

func (o Org) ListDomains(ctx context.Context) ([]engine.OrgDomain, error) {
	ds, err := o.Org.ListDomains(ctx)
	return convertAll(ds, func(d atlassian.OrgDomain) engine.OrgDomain { return engine.OrgDomain(d) }), err
}

// Store is the engine's State over the SQLite store.
type Store struct{ *store.Store }

var _ engine.State = Store{}

func (s Store) Mappings(ctx context.Context, dirID string) ([]engine.Mapping, error) {
	var out []engine.Mapping
	err := s.Store.EachMapping(ctx, dirID, func(m store.Mapping) { out = append(out, engine.Mapping(m)) })
	return out, err
}

func (s Store) PutMappings(ctx context.Context, dirID string, ms []engine.Mapping) error {
	return s.Store.PutMappingsSeq(ctx, dirID, convertEach(ms, func(m engine.Mapping) store.Mapping { return store.Mapping(m) }))
}

func (s Store) PutRun(ctx context.Context, r engine.Run) error {
	return s.Store.PutRun(ctx, store.Run(r))
}

func (s Store) Runs(ctx context.Context, dirID, status string, limit int) ([]engine.Run, error) {
	rs, err := s.Store.Runs(ctx, dirID, status, limit)
	return convertAll(rs, func(r store.Run) engine.Run { return engine.Run(r) }), err
}

func (s Store) JournalAdd(ctx context.Context, runID string, es iter.Seq[engine.JournalEntry]) error {
	return s.Store.JournalAddSeq(ctx, runID, func(yield func(store.Entry) bool) {
		for e := range es {
			if !yield(store.Entry(e)) {
				return
			}
		}
	})
}

func (s Store) JournalMark(ctx context.Context, runID string, es []engine.JournalEntry) error {
	return s.Store.JournalMarkSeq(ctx, runID, toStoreEntries(es))
}

func (s Store) Journal(ctx context.Context, runID, state string) ([]engine.JournalEntry, error) {
	var out []engine.JournalEntry
	err := s.Store.EachJournalEntry(ctx, runID, state, func(e store.Entry) { out = append(out, engine.JournalEntry(e)) })
	return out, err
}

func (s Store) DeltaState(ctx context.Context, dirID string) (*engine.DeltaState, error) {
	d, err := s.Store.DeltaState(ctx, dirID)
	if d == nil {
		return nil, err
	}
	return (*engine.DeltaState)(d), err
}

func (s Store) SetDeltaState(ctx context.Context, dirID string, d *engine.DeltaState) error {
	return s.Store.SetDeltaState(ctx, dirID, (*store.DeltaState)(d))
}

func toStoreEntries(es []engine.JournalEntry) iter.Seq[store.Entry] {
	return convertEach(es, func(e engine.JournalEntry) store.Entry { return store.Entry(e) })
}

// convertEach yields the elements of a slice converted one at a time: the store writes them
// without a second slice (an initial sync journals one entry per user).
func convertEach[A, B any](in []A, f func(A) B) iter.Seq[B] {
	return func(yield func(B) bool) {
		for _, a := range in {
			if !yield(f(a)) {
				return
			}
		}
	}
}

// convertAll converts a small slice element by element; nil stays nil.
func convertAll[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i := range in {
		out[i] = f(in[i])
	}
	return out
}
