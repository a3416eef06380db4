package engine

import "time"

// The engine's model: the shapes its ports (ports.go) speak. The adapters of the real clients
// (internal/adapter) convert from and to these; each type has the same fields as the client type
// it mirrors, so a conversion is a plain Go conversion that copies no strings and allocates
// nothing per object (a streamed user or group, a member list).

// User is a SCIM user as the sync sees it: exactly the mapped attributes (see UserFromEntra).
type User struct {
	ID                string `json:"id,omitempty"`
	ExternalID        string `json:"externalId,omitempty"`
	UserName          string `json:"userName"`
	DisplayName       string `json:"displayName,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	FamilyName        string `json:"familyName,omitempty"`
	Email             string `json:"email,omitempty"` // the work email
	Title             string `json:"title,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	MobilePhone       string `json:"mobilePhone,omitempty"`
	WorkPhone         string `json:"workPhone,omitempty"`
	Department        string `json:"department,omitempty"`
	Active            bool   `json:"active"`
	// AccountID is the Atlassian account the SCIM user is linked to (Atlassian's SCIM extension);
	// read only, used to suspend and restore access (suspend.go).
	AccountID string `json:"accountId,omitempty"`
}

// Group is a SCIM group with the SCIM ids of its (user) members.
type Group struct {
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []string `json:"members,omitempty"`
}

// OrgGroup is one group of the organization outside the SCIM directory (Organizations API v2).
type OrgGroup struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	DirectoryID    string `json:"directoryId"`
	ExternalSynced bool   `json:"externalSynced"`
	ManagedBy      string `json:"managedBy"`
	// DefaultAccess: the group is the default group of an app, which Atlassian cannot sync
	// until its default status is removed.
	DefaultAccess bool     `json:"defaultAccess"`
	DefaultFor    []string `json:"defaultFor,omitempty"`
}

// OrgDomain is one domain of the organization with its claim.
type OrgDomain struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`      // lower case
	ClaimType string `json:"claimType"` // "dns" | "http"
	Status    string `json:"status"`    // ClaimVerified, or another status Atlassian documents
}

// ClaimVerified is the claim status of a domain the organization verified ("verified" in the
// Organizations REST API's domain object).
const ClaimVerified = "verified"

// Mapping links an Entra object to its Atlassian SCIM object.
type Mapping struct {
	Kind    string // "user" | "group"
	EntraID string
	SCIMID  string // empty in PutMappings: forget the mapping
	Managed bool   // created or adopted by this app (so it may deactivate or overwrite it)
	Hash    string // hash of the last synced desired state, to skip unchanged objects
}

// Run is one preview or apply as the state records it.
type Run struct {
	ID           string
	DirectoryID  string
	Kind         string // preview | apply
	Status       string // report.Status values
	Full         bool
	Automatic    bool
	Started      time.Time
	Ended        time.Time
	Counts       string // JSON
	Settings     string // JSON
	ReportPath   string
	ErrorCode    string
	ErrorMessage string
	PID          int
	Host         string
}

// JournalEntry is one journaled apply unit.
type JournalEntry struct {
	Seq    int
	Op     []byte // JSON of the engine's unit
	State  string // JournalPending | JournalDone | JournalFailed
	Result string // JSON of the unit's OpResult, or text
}

// Journal states.
const (
	JournalPending = "pending"
	JournalDone    = "done"
	JournalFailed  = "failed"
)

// DeltaState is what an incremental run resumes from.
type DeltaState struct {
	UsersLink      string
	GroupsLink     string
	SnapshotDigest string // digest of the snapshot file the links continue from
	RunsSinceFull  int
	Updated        time.Time
}
