// Package engine is the sync engine: it scopes an Entra snapshot by the directory's settings,
// flattens nested groups into the desired Atlassian state, plans the operations against the live
// Atlassian state, checks the safety rails (confirmation, deactivation threshold, protected groups,
// limits) and applies the plan with bounded concurrency, journaling every operation so that a
// crash or cancel resumes without duplicates or losses. Engine.Run (lifecycle.go) is the one
// lifecycle of a sync run (lock, key proof, prepare, confirmation, rails, record, resume, apply,
// commit, report, close) that the app, the headless commands, both schedulers, the bench and the
// reliability suite all go through; Engine.Preview is its first half alone. It talks to Graph,
// Atlassian and the store only through the small interfaces below and the lifecycle's (Locker,
// Reports, KeyProver), typed in the engine's own model (model.go), so it links neither the Graph
// SDK nor SQLite; internal/adapter fits the real clients to them. Its own tests run it on
// in-memory fakes of these ports (fakes_test.go) and on hand-built plan inputs, with no emulator,
// network or database; the tests that drive it through the real clients against the emulators
// live in internal/reliability (engine_*_test.go).
package engine

import (
	"context"
	"iter"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// Source is the Graph side (internal/entra).
type Source interface {
	ReadFull(ctx context.Context) (*directory.Snapshot, directory.DeltaLinks, error)
	// ReadDelta returns apperr GraphDeltaExpired when only a full read can continue.
	ReadDelta(ctx context.Context, links directory.DeltaLinks) (*directory.Delta, error)
}

// TenantSource is a Source that can read the tenant and its domains alone; an incremental run
// uses it to see domain changes, which Graph's delta does not carry.
type TenantSource interface {
	ReadTenant(ctx context.Context) (directory.Tenant, []directory.Domain, error)
}

// Target is the Atlassian SCIM side (internal/adapter.SCIM wraps internal/atlassian.SCIM).
type Target interface {
	ListUsers(ctx context.Context, fn func(User) error) error
	ListGroups(ctx context.Context, fn func(Group) error) error
	GetUser(ctx context.Context, id string) (User, error)
	GetGroup(ctx context.Context, id string) (Group, error)
	FindUserByExternalID(ctx context.Context, externalID string) (User, bool, error)
	FindUserByUserName(ctx context.Context, userName string) (User, bool, error)
	// FindGroupByDisplayName is the only group lookup Atlassian documents (no externalId filter).
	FindGroupByDisplayName(ctx context.Context, name string) (Group, bool, error)
	CreateUser(ctx context.Context, u User) (User, error)
	// PatchUser writes the changes (DiffUser's paths and values) to the user.
	PatchUser(ctx context.Context, id string, changes []report.Change) error
	SetActive(ctx context.Context, id string, active bool) error
	CreateGroup(ctx context.Context, displayName, externalID string) (Group, error)
	AddMembers(ctx context.Context, groupID string, userIDs []string) error
	RemoveMembers(ctx context.Context, groupID string, userIDs []string) error
	DeleteGroup(ctx context.Context, id string) error
}

// OrgGroups is the Organizations API side (internal/adapter.Org wraps internal/atlassian.Org): the groups of
// every directory of the organization, which the SCIM directory cannot see.
type OrgGroups interface {
	FindGroupsByName(ctx context.Context, names []string) ([]OrgGroup, error)
}

// State is the part of the store the engine uses (internal/adapter.Store wraps internal/store.Store).
type State interface {
	Mappings(ctx context.Context, dirID string) ([]Mapping, error)
	PutMappings(ctx context.Context, dirID string, ms []Mapping) error
	PutRun(ctx context.Context, r Run) error
	Runs(ctx context.Context, dirID, status string, limit int) ([]Run, error)
	// JournalAdd writes what es yields, in one transaction. It is a stream because an
	// initial sync journals every apply unit (140,000 at bench scenario L, 150–250 MB of JSON):
	// the engine makes each entry's JSON only when the store asks for it.
	JournalAdd(ctx context.Context, runID string, es iter.Seq[JournalEntry]) error
	JournalMark(ctx context.Context, runID string, es []JournalEntry) error
	Journal(ctx context.Context, runID, state string) ([]JournalEntry, error)
	DeltaState(ctx context.Context, dirID string) (*DeltaState, error)
	SetDeltaState(ctx context.Context, dirID string, d *DeltaState) error
	Decisions(ctx context.Context, dirID string) (map[string]string, error)
}

// Progress is one progress event of a run.
type Progress struct {
	RunID      string  `json:"runId"` // the preview or apply run
	Phase      string  `json:"phase"`
	Done       int     `json:"done"`
	Total      int     `json:"total"`
	Rate       float64 `json:"rate"`
	ETASeconds float64 `json:"etaSeconds"`
}

// Phases of a run, in order.
const (
	PhaseReadTenant    = "read_tenant"
	PhaseReadAtlassian = "read_atlassian"
	PhasePlan          = "plan"
	PhaseReadOrg       = "read_organization" // the plan's new group names looked up in the organization
	PhaseCreateGroups  = "create_groups"
	PhaseUsers         = "users"
	PhaseAddMembers    = "add_members"
	PhaseRemoveMembers = "remove_members"
	PhaseDeactivate    = "deactivate"
	PhaseRetireGroups  = "retire_groups"
)
