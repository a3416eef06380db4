// Package report defines the sync report (one versioned JSON schema written for every run,
// preview or apply) and renders, loads and compares it: JSON (optionally gzip), CSV and a
// self-contained HTML viewer.
package report

import "time"

// SchemaVersion is the version of the JSON document below. Loaders refuse versions they do not know.
const SchemaVersion = 1

// Kind says whether the run only planned (preview, dry run) or applied.
type Kind string

const (
	KindPreview Kind = "preview"
	KindApply   Kind = "apply"
)

// Status is the outcome of the run as a whole.
type Status string

const (
	StatusSucceeded Status = "succeeded"
	StatusPartial   Status = "partial"  // some operations failed
	StatusFailed    Status = "failed"   // stopped by an error before or during apply
	StatusCanceled  Status = "canceled" // stopped by the admin; the rest is recorded
	StatusBlocked   Status = "blocked"  // a safety rail (threshold, confirmation, conflict) stopped it before writing
	StatusPlanned   Status = "planned"  // a preview
	StatusRunning   Status = "running"
)

// Report is the whole document. Operations and Skips may be very long; writers stream them.
type Report struct {
	Schema        string       `json:"schema"` // always "idpsync.report"
	Version       int          `json:"version"`
	AppVersion    string       `json:"appVersion"`
	RunID         string       `json:"runId"`
	Kind          Kind         `json:"kind"`
	Status        Status       `json:"status"`
	Directory     DirectoryRef `json:"directory"`
	Tenant        TenantRef    `json:"tenant"`
	Confirmed     Confirmation `json:"confirmation"`
	Settings      Settings     `json:"settings"`
	Started       time.Time    `json:"started"`
	Ended         time.Time    `json:"ended"`
	Phases        []Phase      `json:"phases"`
	Counts        []Count      `json:"counts"`
	Errors        []RunError   `json:"errors,omitempty"`  // run-level errors (not tied to one operation)
	Notices       []string     `json:"notices,omitempty"` // what the plan could not see (no organization key…)
	Operations    []Operation  `json:"operations"`
	Skips         []Skip       `json:"skips"`
	Pseudonymized bool         `json:"pseudonymized,omitempty"`
}

// DirectoryRef names the identity-provider directory the run belongs to.
type DirectoryRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TenantRef names the Entra tenant that was read.
type TenantRef struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	InitialDomain string `json:"initialDomain,omitempty"`
}

// Confirmation is what the admin confirmed before the run: the tenant, the exact domain set, the plan digest.
type Confirmation struct {
	TenantID   string    `json:"tenantId"`
	Domains    []string  `json:"domains"`
	PlanDigest string    `json:"planDigest,omitempty"`
	Account    string    `json:"account,omitempty"` // the signed-in account (UPN) that confirmed
	At         time.Time `json:"at,omitempty"`
	Automatic  bool      `json:"automatic,omitempty"` // a standing confirmation used by a scheduled sync
}

// Settings is a copy of the sync settings used by the run (no secrets).
type Settings struct {
	DomainMode             string   `json:"domainMode"` // "all" | "specific"
	Domains                []string `json:"domains,omitempty"`
	UserMode               string   `json:"userMode"`         // "all" | "groups"
	Groups                 []string `json:"groups,omitempty"` // selected group ids
	IncludeDisabled        bool     `json:"includeDisabled"`
	IncludeExternal        bool     `json:"includeExternal"`
	DeactivationMaxCount   int      `json:"deactivationMaxCount"`
	DeactivationMaxPercent float64  `json:"deactivationMaxPercent"`
	RemovalMaxCount        int      `json:"removalMaxCount,omitempty"` // the membership-removal threshold (absent in older reports)
	RemovalMaxPercent      float64  `json:"removalMaxPercent,omitempty"`
	ProtectedGroups        []string `json:"protectedGroups,omitempty"`
	DeleteOutOfScopeGroups bool     `json:"deleteOutOfScopeGroups"`
	Incremental            bool     `json:"incremental"`
	// LeaveScope is what happens to a user who leaves scope: "deactivate" (also when absent, in
	// older reports) or "suspend" (access suspended through the Organizations API).
	LeaveScope string `json:"leaveScope,omitempty"`
}

// Phase is one timed step of the run: read_tenant, read_atlassian, plan, apply.
type Phase struct {
	Name     string        `json:"name"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"durationNs"`
	Requests int           `json:"requests,omitempty"`
}

// Count is one cell of the summary: object type × action × result.
type Count struct {
	Object string `json:"object"` // "user" | "group" | "membership"
	Action Action `json:"action"`
	Result Result `json:"result"`
	N      int    `json:"n"`
}

// Action is what an operation does in Atlassian.
type Action string

const (
	CreateUser     Action = "create_user"
	UpdateUser     Action = "update_user"
	ReactivateUser Action = "reactivate_user"
	DeactivateUser Action = "deactivate_user"
	CreateGroup    Action = "create_group"
	AddMember      Action = "add_member"
	RemoveMember   Action = "remove_member"
	RetireGroup    Action = "retire_group"   // left as it is, no longer managed
	DeleteGroup    Action = "delete_group"   // only with the explicit setting
	AdoptUser      Action = "adopt_user"     // matched an existing account by userName
	AdoptGroup     Action = "adopt_group"    // took over an unmanaged same-named group
	ConflictGroup  Action = "conflict_group" // held for the admin's decision
	// SuspendUser and RestoreUser are the "suspend access" choice for users who leave scope:
	// the Organizations API v2 suspends the account's access in the directory (roles and group
	// memberships kept, not billed) and restores it when the user returns.
	SuspendUser Action = "suspend_user"
	RestoreUser Action = "restore_user"
)

// IsMembership says whether a's operations change a group membership: the one test behind the
// summary's object column (Object), so the engine, the report and the screens (which read
// that column) never list the membership actions themselves.
func (a Action) IsMembership() bool { return a == AddMember || a == RemoveMember }

// Object is the summary's object column for an operation of a: memberships are counted apart
// from the users they concern, the group actions under "group", everything else under "user".
func (a Action) Object() string {
	switch {
	case a.IsMembership():
		return "membership"
	case a == CreateGroup || a == AdoptGroup || a == ConflictGroup || a == RetireGroup || a == DeleteGroup:
		return "group"
	}
	return "user"
}

// Result is the outcome of one operation.
type Result string

const (
	ResultPlanned   Result = "planned"
	ResultSucceeded Result = "succeeded"
	ResultFailed    Result = "failed"
	ResultSkipped   Result = "skipped"
)

// The lists of every Kind, Status, Action and Result, for the frontend's enums (app.Enums):
// its tables of words are typed Record<…> over them, so a value added here without words fails
// the frontend's type check.
var (
	Kinds    = []Kind{KindPreview, KindApply}
	Statuses = []Status{StatusSucceeded, StatusPartial, StatusFailed, StatusCanceled, StatusBlocked, StatusPlanned, StatusRunning}
	Actions  = []Action{CreateUser, UpdateUser, AdoptUser, ReactivateUser, DeactivateUser, SuspendUser, RestoreUser, // in the screens' order
		CreateGroup, AdoptGroup, ConflictGroup, AddMember, RemoveMember, RetireGroup, DeleteGroup}
	Results = []Result{ResultPlanned, ResultSucceeded, ResultFailed, ResultSkipped}
)

// ObjectRef identifies a user or group on both sides.
type ObjectRef struct {
	Type        string `json:"type"` // "user" | "group"
	Name        string `json:"name"` // display name
	Email       string `json:"email,omitempty"`
	EntraID     string `json:"entraId,omitempty"`
	AtlassianID string `json:"atlassianId,omitempty"`
}

// Change is one attribute's old and new value.
type Change struct {
	Attribute string `json:"attribute"` // SCIM path, e.g. "name.givenName"
	Old       string `json:"old"`
	New       string `json:"new"`
}

// Operation is one planned or applied change.
type Operation struct {
	Seq     int        `json:"seq"`
	Action  Action     `json:"action"`
	Object  ObjectRef  `json:"object"`
	Group   *ObjectRef `json:"group,omitempty"` // for memberships
	Chain   []string   `json:"chain,omitempty"` // group names from the synced group down to the direct group
	Changes []Change   `json:"changes,omitempty"`
	Reason  string     `json:"reason,omitempty"` // why (e.g. "disabled in Entra", "left scope")
	Result  Result     `json:"result"`
	Code    string     `json:"code,omitempty"` // apperr code on failure
	Message string     `json:"message,omitempty"`
	// Warning is a refusal the plan predicts, e.g. "Atlassian may refuse: the organization has
	// not verified contoso.com", so that the plan and the result never disagree silently.
	Warning string `json:"warning,omitempty"`
}

// Skip is an object left out of scope, with its reason.
type Skip struct {
	Object ObjectRef `json:"object"`
	Reason string    `json:"reason"` // stable reason code, e.g. "unverified_domain"
	Detail string    `json:"detail,omitempty"`
}

// RunError is an error of the run as a whole.
type RunError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action,omitempty"`
}
