package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atomicfile"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// ReadCounts sizes one read of the tenant: what the read-shrink rail compares run to run.
type ReadCounts struct {
	Users       int `json:"users"`
	Groups      int `json:"groups"`
	Memberships int `json:"memberships"` // direct member entries of all groups, as read
}

// CountRead sizes a snapshot.
func CountRead(s *directory.Snapshot) *ReadCounts {
	if s == nil {
		return nil
	}
	c := &ReadCounts{Users: len(s.Users), Groups: len(s.Groups)}
	for _, m := range s.Members {
		c.Memberships += len(m)
	}
	return c
}

// Shrink is one count that fell far below the last synced read's.
type Shrink struct {
	Object string `json:"object"` // users | groups | memberships
	Last   int    `json:"last"`
	Now    int    `json:"now"`
}

// The read-shrink rail: a read holding less than half of the last synced read's users, groups or
// memberships, by at least shrinkMinDrop objects, or none of them where there were some, is far
// more likely a broken read (a permission or consent taken away, a filter, a Graph outage that
// answers with empty pages) than a tenant that lost half of itself between two syncs; planned
// as it is, it would deactivate and remove everyone missing. The floor keeps a 6-user test tenant
// that loses 3 from tripping it; an empty read always trips it.
const (
	shrinkMaxFactor = 2
	shrinkMinDrop   = 10
)

// ReadShrunk compares a read with the last synced one (nil when either is unknown).
func ReadShrunk(last, now *ReadCounts) []Shrink {
	if last == nil || now == nil {
		return nil
	}
	var out []Shrink
	for _, c := range []Shrink{{"users", last.Users, now.Users}, {"groups", last.Groups, now.Groups}, {"memberships", last.Memberships, now.Memberships}} {
		if c.Last > 0 && ((c.Now == 0) || (c.Now*shrinkMaxFactor < c.Last && c.Last-c.Now >= shrinkMinDrop)) {
			out = append(out, c)
		}
	}
	return out
}

// RemovalThresholdError is the error an apply gets when the plan trips the membership-removal
// threshold.
func (p *Plan) RemovalThresholdError() *apperr.Error {
	del := ""
	if p.DeletedGroups > 0 {
		del = fmt.Sprintf(" (%d of them by deleting %d groups)", p.MembershipRemovals-p.Count(report.RemoveMember), p.DeletedGroups)
	}
	return apperr.New(apperr.RemovalsExceeded, "the plan removes %d of %d managed group memberships%s, over the threshold (%d memberships or %.1f%%)",
		p.MembershipRemovals, p.ManagedMemberships, del, p.Settings.RemovalMaxCount, p.Settings.RemovalMaxPercent).
		WithAction("Review the membership removals in the preview; override the removal threshold for this run if they are expected.")
}

// ReadShrinkError is the error an apply gets when the read holds far fewer objects than the last
// synced one.
func (p *Plan) ReadShrinkError() *apperr.Error {
	parts := make([]string, len(p.ReadShrink))
	for i, s := range p.ReadShrink {
		parts[i] = fmt.Sprintf("%d %s where the last sync read %d", s.Now, s.Object, s.Last)
	}
	return apperr.New(apperr.ReadShrank, "Entra returned far fewer objects than at the last sync: %s", strings.Join(parts, ", ")).
		WithAction("Check the app registration's permissions and the tenant in Entra; if the objects were really deleted, review the preview and override this check for this run.")
}

// Overrides are the rails the admin lets one run past.
type Overrides struct {
	Threshold        bool // the deactivation threshold
	RemovalThreshold bool // the membership-removal threshold
	ReadShrink       bool // the read-shrink rail
}

// Rails lists the safety rails the plan trips, in the order the preview shows them.
func (p *Plan) Rails() []*apperr.Error {
	var out []*apperr.Error
	if p.ThresholdTripped {
		out = append(out, p.ThresholdError())
	}
	if p.RemovalThresholdTripped {
		out = append(out, p.RemovalThresholdError())
	}
	if len(p.ReadShrink) > 0 {
		out = append(out, p.ReadShrinkError())
	}
	return out
}

// CheckRails refuses a plan that trips a rail the overrides do not cover.
func (p *Plan) CheckRails(o Overrides) error {
	switch {
	case p.ThresholdTripped && !o.Threshold:
		return p.ThresholdError()
	case p.RemovalThresholdTripped && !o.RemovalThreshold:
		return p.RemovalThresholdError()
	case len(p.ReadShrink) > 0 && !o.ReadShrink:
		return p.ReadShrinkError()
	}
	return nil
}

func (e *Engine) readCountsPath() string {
	return filepath.Join(e.SnapshotDir, e.DirectoryID+".read.json")
}

// lastRead is the size of the read the last clean run synced, or nil when unknown (no run yet,
// no snapshot folder, or an unreadable file: the rail then waits for the next clean run).
func (e *Engine) lastRead() *ReadCounts {
	if e.SnapshotDir == "" {
		return nil
	}
	data, err := os.ReadFile(e.readCountsPath())
	if err != nil {
		return nil
	}
	var c ReadCounts
	if json.Unmarshal(data, &c) != nil {
		return nil
	}
	return &c
}

func (e *Engine) saveRead(c *ReadCounts) error {
	if e.SnapshotDir == "" || c == nil {
		return nil
	}
	js, _ := json.Marshal(c)
	if err := os.MkdirAll(e.SnapshotDir, 0o700); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot create %s", e.SnapshotDir)
	}
	if err := atomicfile.WriteFile(e.readCountsPath(), js, 0o600); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot record the read's size")
	}
	return nil
}
