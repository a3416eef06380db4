package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atomicfile"
	"github.com/idpsync/idpsync/internal/report"
)

// This file is the one lifecycle of a sync run, which the app, the headless commands, both
// schedulers, the bench and the reliability suite all go through:
//
//	Preview: prove the keys → prepare → check the pinned tenant → write the report → record the run
//	Run:     [check the previewed plan's confirmation] → lock → [Preview → check the confirmation]
//	         → check the rails → record the run → resume interrupted runs → apply → commit
//	         → write the report → record the result → unlock
//
// A step refused before the run is recorded still leaves a report and a run row ("blocked"),
// except a confirmation that does not match a plan the admin previewed: that is an answer to the
// dialog, not a run.

// Locker takes a directory's sync lock without waiting; a second holder gets apperr SyncLocked
// naming the first (internal/store.Store satisfies it). release is safe to call twice.
type Locker interface {
	TryLock(ctx context.Context, dirID, purpose string) (release func(), err error)
}

// Reports stores a run's report document and says where (ReportFiles writes files). It returns
// the document without its operations even when writing fails, for the run's row.
type Reports interface {
	Write(info RunInfo, p *Plan, out *Outcome) (rep *report.Report, path string, err error)
}

// KeyProver is a client that proves its key with one cheap documented request
// (internal/atlassian.SCIM and Org satisfy it).
type KeyProver interface {
	Verify(ctx context.Context) error
}

// Stage is where a run is, for a caller that shows it (the app's directory status) or measures
// it (the bench's segments).
type Stage int

const (
	StagePrepare Stage = iota + 1 // reading both sides and planning
	StageApply                    // the run is about to be recorded, resume, journal and write
	StageCommit                   // the apply ended: the snapshot and delta links are saved
	StageReport                   // the report (of the preview, or of the apply) is written
)

// TenantPin is the tenant a directory is pinned to by its first applied sync; zero: none yet.
type TenantPin struct {
	TenantID, TenantName string
}

// PreviewSpec describes one preview.
type PreviewSpec struct {
	DirectoryName string
	Settings      Settings // normalized
	Full          bool     // a full reconcile on demand
	Automatic     bool     // recorded as the scheduler's run
	Pin           TenantPin
	AppVersion    string
	Reports       Reports // required: every preview and run leaves a report
	// Prepared, when set, sees the plan before its report is written (the app adds its
	// notices and forgets older previews of the directory).
	Prepared func(ctx context.Context, p *Plan)
	Stage    func(Stage) // nil: not shown
}

// Previewed is a recorded preview.
type Previewed struct {
	RunID      string
	Plan       *Plan // nil when the preview failed
	ReportPath string
}

// RunSpec describes one sync run.
type RunSpec struct {
	PreviewSpec // how the run prepares its plan when Plan is nil
	// Plan is a plan prepared earlier (the preview the admin confirmed in the app); nil: the
	// run prepares its own under the lock, so the plan applied is the plan checked.
	Plan *Plan
	// Confirm is what must match: tenant and domain set always, and for Plan the digest of the
	// plan shown.
	Confirm   Confirmation
	Overrides Overrides
	Account   string // who confirmed, for the report
	Purpose   string // the lock's purpose, named to a second sync that is refused
	Lock      Locker // required
	// Applied, when set, runs after an apply that ran (whatever its operations' results),
	// still under the lock, with the confirmation the report records: the app pins the tenant
	// and keeps the confirmation for automatic runs.
	Applied func(ctx context.Context, p *Plan, c report.Confirmation)
	// Hook is ApplyOptions.Hook: tests crash or cancel at a precise point.
	Hook func(unitSeq int)
}

// RunResult is what a run leaves. Fields are zero for the steps it did not reach.
type RunResult struct {
	Preview    *Previewed // the preview the run prepared (nil when given a plan)
	Plan       *Plan
	RunID      string // the apply run, or the blocked run recorded instead
	Blocked    bool   // refused before it wrote: RunID is the blocked run
	Outcome    *Outcome
	Report     *report.Report
	ReportPath string
}

// NewID returns a random 64-bit hex id (runs, plans).
func NewID() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// proveKeys checks the directory API key, and the organization key when one is configured,
// before a run reports anything: a wrong or expired key otherwise let an incremental run with
// nothing touched report "Succeeded, 0 changes" and a headless run never notice a wrong
// organization key (issue 18 point 5).
func (e *Engine) proveKeys(ctx context.Context) error {
	if kp, ok := e.Target.(KeyProver); ok {
		if err := kp.Verify(ctx); err != nil {
			return err
		}
	}
	if kp, ok := e.Org.(KeyProver); ok && e.Org != nil {
		if err := kp.Verify(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Preview proves the keys, prepares a plan, refuses one of another tenant than the pinned one,
// and records the preview run with its report (also when it failed).
func (e *Engine) Preview(ctx context.Context, s PreviewSpec) (*Previewed, error) {
	keep := context.WithoutCancel(ctx) // a canceled preview is still recorded
	pv := &Previewed{RunID: NewID()}
	started := e.now()
	e.runID = pv.RunID
	var plan *Plan
	err := e.proveKeys(ctx)
	if err == nil {
		plan, err = e.Prepare(ctx, PrepareOptions{Settings: s.Settings, Full: s.Full})
	}
	if err == nil && s.Pin.TenantID != "" && !strings.EqualFold(plan.Tenant.ID, s.Pin.TenantID) {
		err = apperr.New(apperr.TenantMismatch, "this directory syncs tenant %s (%s), but the account read tenant %s (%s)",
			s.Pin.TenantID, s.Pin.TenantName, plan.Tenant.ID, plan.Tenant.DisplayName).WithAction("Sign in with an account of the directory's tenant.")
	}
	info := RunInfo{RunID: pv.RunID, AppVersion: s.AppVersion, DirectoryID: e.DirectoryID, DirectoryName: s.DirectoryName,
		Kind: report.KindPreview, Started: started, Err: err}
	run := Run{ID: pv.RunID, DirectoryID: e.DirectoryID, Kind: string(report.KindPreview), Full: s.Full, Automatic: s.Automatic, Started: started}
	if err != nil {
		rep, path, _ := s.Reports.Write(info, nil, nil)
		pv.ReportPath = path
		e.saveRun(keep, run, rep, path, err)
		return pv, err
	}
	if s.Prepared != nil {
		s.Prepared(ctx, plan)
	}
	s.stage(StageReport)
	rep, path, werr := s.Reports.Write(info, plan, nil)
	if werr != nil {
		return pv, werr
	}
	run.Status, run.Full = string(report.StatusPlanned), plan.Full
	e.saveRun(keep, run, rep, path, nil)
	pv.Plan, pv.ReportPath = plan, path
	return pv, nil
}

// Run is one sync run, from the lock to the recorded result (the steps are listed at the top of
// this file). Canceling ctx stops the prepare, or lets the apply's in-flight requests finish and
// records the rest as not done (status Canceled); the run's records are written regardless.
func (e *Engine) Run(ctx context.Context, s RunSpec) (*RunResult, error) {
	keep := context.WithoutCancel(ctx)
	res := &RunResult{Plan: s.Plan}
	if s.Plan != nil {
		if err := CheckConfirmation(s.Plan, s.Confirm); err != nil {
			return res, err
		}
		if s.Confirm.PlanDigest == "" {
			return res, apperr.New(apperr.ConfirmationRequired, "the confirmation does not name the plan it confirms").WithAction("Preview again and confirm.")
		}
	}
	// Held from the read to the last write, so the plan applied is the plan checked.
	release, err := s.Lock.TryLock(ctx, e.DirectoryID, s.Purpose)
	if err != nil {
		return res, err
	}
	defer release()
	if s.Plan == nil {
		s.stage(StagePrepare)
		pv, err := e.Preview(ctx, s.PreviewSpec)
		res.Preview = pv
		if err != nil {
			return res, err
		}
		res.Plan = pv.Plan
		if err := CheckConfirmation(pv.Plan, s.Confirm); err != nil {
			e.recordBlocked(keep, s, res, err)
			return res, err
		}
	}
	p := res.Plan
	if len(p.Blocked) > 0 {
		e.recordBlocked(keep, s, res, p.Blocked[0])
		return res, p.Blocked[0]
	}
	if err := p.CheckRails(s.Overrides); err != nil {
		e.recordBlocked(keep, s, res, err)
		return res, err
	}
	s.stage(StageApply)
	res.RunID = NewID()
	started := e.now()
	e.runID = res.RunID
	host, _ := os.Hostname()
	run := Run{ID: res.RunID, DirectoryID: e.DirectoryID, Kind: string(report.KindApply), Status: string(report.StatusRunning),
		Full: p.Full, Automatic: s.Automatic, Started: started, PID: os.Getpid(), Host: host}
	if err := e.State.PutRun(keep, run); err != nil {
		return res, err
	}
	var out *Outcome
	_, err = e.ResumeInterrupted(keep, res.RunID)
	if err == nil {
		out, err = e.Apply(ctx, p, ApplyOptions{RunID: res.RunID, OverrideThreshold: s.Overrides.Threshold,
			OverrideRemovalThreshold: s.Overrides.RemovalThreshold, OverrideReadShrink: s.Overrides.ReadShrink, Hook: s.Hook})
	}
	if err == nil {
		s.stage(StageCommit)
		if cerr := e.Commit(keep, p, out); cerr != nil {
			out.Errors = append(out.Errors, report.RunError{Code: string(apperr.CodeOf(cerr)), Message: cerr.Error()})
		}
	}
	info := RunInfo{RunID: res.RunID, AppVersion: s.AppVersion, DirectoryID: e.DirectoryID, DirectoryName: s.DirectoryName,
		Kind: report.KindApply, Confirmed: s.confirmed(p, started), Started: started, Err: err}
	s.stage(StageReport)
	rep, path, werr := s.Reports.Write(info, p, out)
	run.Status = string(rep.Status)
	e.saveRun(keep, run, rep, path, err)
	res.Outcome, res.Report, res.ReportPath = out, rep, path
	if err == nil && s.Applied != nil {
		s.Applied(keep, p, info.Confirmed)
	}
	if err != nil {
		return res, err
	}
	return res, werr
}

func (s *PreviewSpec) stage(st Stage) {
	if s.Stage != nil {
		s.Stage(st)
	}
}

// confirmed is the confirmation the report shows: what was checked, by whom, when.
func (s *RunSpec) confirmed(p *Plan, at time.Time) report.Confirmation {
	return report.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, PlanDigest: p.Digest, Account: s.Account, At: at, Automatic: s.Automatic}
}

// recordBlocked records an apply that a confirmation or a rail stopped before it wrote: a
// blocked run with its report, which the directory's status and the alerts read.
func (e *Engine) recordBlocked(ctx context.Context, s RunSpec, res *RunResult, err error) {
	res.RunID, res.Blocked = NewID(), true
	started := e.now()
	info := RunInfo{RunID: res.RunID, AppVersion: s.AppVersion, DirectoryID: e.DirectoryID, DirectoryName: s.DirectoryName,
		Kind: report.KindApply, Confirmed: s.confirmed(res.Plan, started), Started: started, Err: err}
	rep, path, _ := s.Reports.Write(info, res.Plan, nil)
	res.Report, res.ReportPath = rep, path
	e.saveRun(ctx, Run{ID: res.RunID, DirectoryID: e.DirectoryID, Kind: string(report.KindApply), Full: res.Plan.Full,
		Automatic: s.Automatic, Started: started}, rep, path, err)
}

// saveRun records a run's result: its counts and settings from the report, its error's code.
// A failure to record is not the run's failure (the report holds everything).
func (e *Engine) saveRun(ctx context.Context, r Run, rep *report.Report, path string, err error) {
	counts, _ := json.Marshal(rep.Counts)
	sets, _ := json.Marshal(rep.Settings)
	r.Counts, r.Settings, r.ReportPath = string(counts), string(sets), path
	if r.Status == "" {
		r.Status = string(rep.Status)
	}
	if r.Ended.IsZero() {
		r.Ended = e.now()
	}
	if err != nil {
		ae := apperr.As(err)
		r.ErrorCode, r.ErrorMessage = string(ae.Code), ae.Message
	}
	_ = e.State.PutRun(ctx, r)
}

// ReportFiles writes each run's report as a JSON file in Dir, named by its start, kind and run.
type ReportFiles struct{ Dir string }

// Write streams the report into place through internal/atomicfile (the operations are never all
// held as report rows; a failed write leaves no file behind, a crash never half of one).
func (f ReportFiles) Write(info RunInfo, p *Plan, out *Outcome) (*report.Report, string, error) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		rep, _ := WriteReport(io.Discard, info, p, out, report.WriteOptions{})
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot create the reports folder")
	}
	name := info.Started.UTC().Format("20060102-150405") + "-" + string(info.Kind) + "-" + info.RunID + ".json"
	path := filepath.Join(f.Dir, name)
	var rep *report.Report
	err := atomicfile.Write(path, 0o600, func(w io.Writer) (err error) {
		rep, err = WriteReport(w, info, p, out, report.WriteOptions{})
		return err
	})
	if err != nil {
		if rep == nil {
			rep, _ = WriteReport(io.Discard, info, p, out, report.WriteOptions{})
		}
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot write the report")
	}
	return rep, path, nil
}
