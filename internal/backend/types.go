package backend

import (
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// The DTOs below cross into the frontend as JSON: times are RFC 3339 strings, durations are
// milliseconds or seconds in their name, maps are keyed by strings only, and no field ever
// carries a secret (keys are write-only: inputs have them, outputs only say whether one is set).

// Event names emitted through the Emitter.
const (
	EventProgress   = "sync:progress"   // Progress
	EventRunDone    = "sync:done"       // RunSummary
	EventDeviceCode = "auth:devicecode" // DeviceCode
	EventSchedule   = "sync:schedule"   // ScheduleNotice: an automatic sync stopped and waits for the admin
)

// Emitter is injected by the app layer (Wails events) or the CLI (progress bar).
type Emitter interface{ Emit(event string, data any) }

// DirectoryInput creates or edits a directory. Empty key fields on edit keep the stored key.
type DirectoryInput struct {
	Name            string `json:"name"`
	Cloud           string `json:"cloud"` // "global" | "usgov" | "china"
	ClientID        string `json:"clientId"`
	SCIMBaseURL     string `json:"scimBaseUrl"` // https://api.atlassian.com/scim/directory/{id}
	SCIMAPIKey      string `json:"scimApiKey,omitempty"`
	SCIMKeyCreated  string `json:"scimKeyCreated,omitempty"` // YYYY-MM-DD, to warn before the one-year expiry
	OrgID           string `json:"orgId,omitempty"`
	OrgAPIKey       string `json:"orgApiKey,omitempty"`
	AllowCustomHost bool   `json:"allowCustomHost"` // a non-Atlassian SCIM host (proxy, test); shown as a warning
	// The Connection tab's Advanced endpoints ("" keeps the cloud's default): a proxy, a
	// sovereign-cloud endpoint or a test tenant. Each must be https.
	GraphURL     string `json:"graphUrl,omitempty"`     // e.g. https://graph.microsoft.com/v1.0
	AuthorityURL string `json:"authorityUrl,omitempty"` // e.g. https://login.microsoftonline.com (the tenant is appended)
	OrgURL       string `json:"orgUrl,omitempty"`       // e.g. https://api.atlassian.com
	// SignInTenant is the Directory (tenant) ID or a verified domain of the tenant, which a
	// single-tenant app registration needs to sign in ("" → the "organizations" endpoint).
	SignInTenant string `json:"signInTenant,omitempty"`
	// SaveUntested is the admin's explicit choice to save keys that Atlassian refused in the
	// connection test ("Save anyway"); without it a refused key is not saved (issue 18 point 5).
	SaveUntested bool `json:"saveUntested,omitempty"`
}

// Directory is one identity-provider directory as the list and overview screens show it.
type Directory struct {
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	Cloud            string      `json:"cloud"`
	ClientID         string      `json:"clientId"`
	TenantID         string      `json:"tenantId,omitempty"` // pinned at the first confirmed sync
	TenantName       string      `json:"tenantName,omitempty"`
	SCIMBaseURL      string      `json:"scimBaseUrl"`
	OrgID            string      `json:"orgId,omitempty"`
	AllowCustomHost  bool        `json:"allowCustomHost"`
	HasSCIMKey       bool        `json:"hasScimKey"`
	HasOrgKey        bool        `json:"hasOrgKey"`
	SCIMKeyCreated   string      `json:"scimKeyCreated,omitempty"`
	KeyExpiresInDays int         `json:"keyExpiresInDays,omitempty"` // -1 unknown
	Account          string      `json:"account,omitempty"`          // signed-in Microsoft account (UPN)
	Status           DirStatus   `json:"status"`
	StatusReason     string      `json:"statusReason,omitempty"`
	LastRun          *RunSummary `json:"lastRun,omitempty"`
	NextSync         string      `json:"nextSync,omitempty"`
	SyncedUsers      int         `json:"syncedUsers"`
	SyncedGroups     int         `json:"syncedGroups"`
	SyncedDomains    int         `json:"syncedDomains"`
	Created          string      `json:"created"`
	Demo             bool        `json:"demo,omitempty"`
	GraphURL         string      `json:"graphUrl,omitempty"`
	AuthorityURL     string      `json:"authorityUrl,omitempty"`
	OrgURL           string      `json:"orgUrl,omitempty"`
	SignInTenant     string      `json:"signInTenant,omitempty"` // tenant id or domain the sign-in uses until one is pinned
	LastAlert        *Alert      `json:"lastAlert,omitempty"`    // the last alert of an automatic sync
	// Warnings the overview shows: another directory syncs the same Entra tenant.
	Warnings []string `json:"warnings,omitempty"`
}

// Account is the signed-in Microsoft account of a directory.
type Account struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	TenantID string `json:"tenantId"`
	ObjectID string `json:"objectId"`
}

// DeviceCode is emitted while a device-code sign-in waits for the admin.
type DeviceCode struct {
	DirectoryID string `json:"directoryId"`
	UserCode    string `json:"userCode"`
	URL         string `json:"url"`
	Message     string `json:"message"`
}

// TenantCard is what the admin sees before the first sync to catch a wrong tenant.
type TenantCard struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	InitialDomain  string `json:"initialDomain"`
	DefaultDomain  string `json:"defaultDomain"`
	PinnedTenantID string `json:"pinnedTenantId,omitempty"`
	Mismatch       bool   `json:"mismatch"` // signed in to another tenant than the pinned one
}

// DomainRow is one Entra domain with the organization's claim status beside it.
type DomainRow struct {
	Name            string `json:"name"`
	VerifiedInEntra bool   `json:"verifiedInEntra"`
	IsDefault       bool   `json:"isDefault"`
	IsInitial       bool   `json:"isInitial"`
	AtlassianStatus string `json:"atlassianStatus"` // verified | unverified | superseded | missing_token | deleted | unknown | not_claimed
	Selectable      bool   `json:"selectable"`      // only verified Entra domains qualify
	Selected        bool   `json:"selected"`
}

// GroupQuery pages the group picker: children of ParentID ("" = top level), or a search across all.
type GroupQuery struct {
	ParentID string `json:"parentId,omitempty"`
	Search   string `json:"search,omitempty"`
	Offset   int    `json:"offset"`
	Limit    int    `json:"limit"` // 0 → 200
}

// GroupNode is one group in the picker.
type GroupNode struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Subgroups   int    `json:"subgroups"`   // direct subgroups
	Users       int    `json:"users"`       // transitive user members
	Selected    bool   `json:"selected"`    // selected itself
	Implied     bool   `json:"implied"`     // brought in by a selected ancestor
	OverLimit   bool   `json:"overLimit"`   // more than Atlassian's 35,000 users per group
	HasChildren bool   `json:"hasChildren"` // for the tree's expander
}

// GroupPage is a page of the picker.
type GroupPage struct {
	Groups []GroupNode `json:"groups"`
	Total  int         `json:"total"`
}

// Settings is the sync settings as stored (see engine.Settings).
type Settings = engine.Settings

// PreviewOptions asks for a plan.
type PreviewOptions struct {
	Full bool `json:"full"` // a full reconcile against the live Atlassian state instead of a delta
}

// Conflict is an unmanaged Atlassian group with the same name as a synced Entra group.
type Conflict struct {
	GroupEntraID string `json:"groupEntraId"`
	DisplayName  string `json:"displayName"`
	AtlassianID  string `json:"atlassianId"`
	Decision     string `json:"decision"` // "" (pending) | "take_over" | "skip" | "retry"
	// Scope: "directory" (a SCIM group of this directory: take over or skip) or "organization"
	// (outside the SCIM directory, read through the Organizations API or learnt from a 409: skip,
	// or resolve it in admin.atlassian.com and retry).
	Scope         string   `json:"scope,omitempty"`
	DefaultAccess bool     `json:"defaultAccess,omitempty"` // an app's default access group: Atlassian cannot sync it
	CanTakeOver   bool     `json:"canTakeOver,omitempty"`
	Hint          string   `json:"hint,omitempty"` // what the admin can do, in words
	WouldAdd      []string `json:"wouldAdd"`       // user names (first 200)
	WouldRemove   []string `json:"wouldRemove"`
	AddCount      int      `json:"addCount"`
	RemoveCount   int      `json:"removeCount"`
}

// ErrorDTO is an apperr.Error for the screens.
type ErrorDTO struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action,omitempty"`
}

// PlanSummary is what Preview returns. Its operations and skips are paged from the preview's
// report (RunID) through report.View, as every run's are (OpenReport).
type PlanSummary struct {
	PlanID        string         `json:"planId"`
	DirectoryID   string         `json:"directoryId"`
	RunID         string         `json:"runId"` // the preview's run (its report)
	TenantID      string         `json:"tenantId"`
	TenantName    string         `json:"tenantName"`
	InitialDomain string         `json:"initialDomain"`
	Domains       []string       `json:"domains"` // the exact domain set the confirmation binds to
	Digest        string         `json:"digest"`
	Full          bool           `json:"full"`
	Counts        []report.Count `json:"counts"`
	Operations    int            `json:"operations"`
	Skips         int            `json:"skips"`
	Conflicts     []Conflict     `json:"conflicts"`
	Notices       []string       `json:"notices,omitempty"` // the plan's blind spots, said plainly
	// Renames: create the new group, copy its members, retire the old one (which still grants
	// its access to StillGrants people until the rename is finished).
	Renames          []engine.Rename `json:"renames,omitempty"`
	OrgChecked       bool            `json:"orgChecked,omitempty"` // new groups were looked up in the whole organization
	Blocked          []ErrorDTO      `json:"blocked"`              // plan errors: limits, unresolved conflicts, threshold
	Deactivations    int             `json:"deactivations"`
	ManagedUsers     int             `json:"managedUsers"`
	ThresholdTripped bool            `json:"thresholdTripped"`
	// The membership-removal threshold (deleted groups' members count) and the read-shrink rail.
	MembershipRemovals      int    `json:"membershipRemovals"`
	ManagedMemberships      int    `json:"managedMemberships"`
	DeletedGroups           int    `json:"deletedGroups"`
	RemovalThresholdTripped bool   `json:"removalThresholdTripped"`
	ReadShrinkTripped       bool   `json:"readShrinkTripped"`
	ReportPath              string `json:"reportPath"`
	Created                 string `json:"created"`
	ExpiresInSeconds        int    `json:"expiresInSeconds"`
}

// Confirmation is the domain confirmation dialog's answer: apply refuses unless all three match.
type Confirmation struct {
	TenantID          string   `json:"tenantId"`
	Domains           []string `json:"domains"`
	PlanDigest        string   `json:"planDigest"`
	OverrideThreshold bool     `json:"overrideThreshold"`
	// Each rail the plan trips needs its own override: one tick never lets another rail by.
	OverrideRemovalThreshold bool `json:"overrideRemovalThreshold"`
	OverrideReadShrink       bool `json:"overrideReadShrink"`
}

// RunSummary is one run (preview or apply) in the history.
type RunSummary struct {
	RunID          string         `json:"runId"`
	DirectoryID    string         `json:"directoryId"`
	Kind           string         `json:"kind"`   // a report.Kind
	Status         string         `json:"status"` // a report.Status
	Started        string         `json:"started"`
	Ended          string         `json:"ended,omitempty"`
	DurationMillis int64          `json:"durationMillis"`
	Full           bool           `json:"full"`
	Automatic      bool           `json:"automatic"`
	Counts         []report.Count `json:"counts"`
	// Of an apply's operations: run (succeeded or failed), failed, and never run (a cancel, or
	// an error that stopped the run). Held conflicts are neither.
	Done         int    `json:"done"`
	Failed       int    `json:"failed"`
	NotDone      int    `json:"notDone"`
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	ReportPath   string `json:"reportPath,omitempty"`
}

// Progress is emitted during a run.
type Progress struct {
	DirectoryID string  `json:"directoryId"`
	RunID       string  `json:"runId"`
	Phase       string  `json:"phase"` // read_tenant | read_atlassian | plan | create_groups | users | add_members | remove_members | deactivate | retire_groups
	Done        int     `json:"done"`
	Total       int     `json:"total"`
	Rate        float64 `json:"rate"`       // operations per second
	ETASeconds  float64 `json:"etaSeconds"` // -1 unknown
	Message     string  `json:"message,omitempty"`
}

// ScheduleNotice says why an automatic sync stopped before writing.
type ScheduleNotice struct {
	DirectoryID string   `json:"directoryId"`
	Error       ErrorDTO `json:"error"`
	At          string   `json:"at"`
}

// HeadlessOptions are the CLI's `sync` flags: the headless confirmation dialog.
type HeadlessOptions struct {
	ConfirmTenant  string
	ConfirmDomains []string
	Yes            bool // skips the interactive prompt, never the tenant and domain check
	// ConfirmPlanDigest is the digest of the plan the admin approved at the terminal prompt:
	// when set, the apply refuses any other plan (the tenant changed between question and answer).
	ConfirmPlanDigest string
	OverrideThreshold bool
	// --override-removal-threshold and --override-read-shrink
	OverrideRemovalThreshold bool
	OverrideReadShrink       bool
	Full                     bool
	Apply                    bool // false: plan only
	// Automatic marks the run as the OS scheduler's (idpsync sync --scheduled): recorded as an
	// automatic run, as the app's own schedule records its runs.
	Automatic bool
}
