package backend

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
	"github.com/idpsync/idpsync/internal/version"
)

// PlanTTL is how long a preview may be applied: after it, the admin previews again.
const PlanTTL = 30 * time.Minute

type planEntry struct {
	id      string
	dirID   string
	runID   string
	plan    *engine.Plan
	summary PlanSummary
	report  string
	created time.Time
}

func defaultSettings() engine.Settings { return engine.DefaultSettings() }

func (b *Backend) settings(ctx context.Context, dirID string) (engine.Settings, error) {
	js, err := b.st.Settings(ctx, dirID)
	if err != nil {
		return engine.Settings{}, err
	}
	s := engine.DefaultSettings()
	if js != nil {
		if err := json.Unmarshal(js, &s); err != nil {
			return s, apperr.Wrap(err, apperr.StoreCorrupt, "the saved settings cannot be read")
		}
	}
	return s, nil
}

func (b *Backend) Settings(ctx context.Context, id string) (Settings, error) {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return Settings{}, err
	}
	return b.settings(ctx, id)
}

func (b *Backend) SaveSettings(ctx context.Context, id string, s Settings) (Settings, error) {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return Settings{}, err
	}
	n, err := s.Normalize()
	if err != nil {
		return Settings{}, err
	}
	if err := b.st.SaveSettings(ctx, id, n); err != nil {
		return Settings{}, err
	}
	return n, nil
}

func (b *Backend) engine(ctx context.Context, d store.Directory, s engine.Settings, runID string) (*engine.Engine, error) {
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	t, err := b.scim(ctx, d, s.MemberChunkSize)
	if err != nil {
		return nil, err
	}
	emit := func(p engine.Progress) {
		b.opts.Emitter.Emit(EventProgress, Progress{DirectoryID: d.ID, RunID: runID, Phase: p.Phase, Done: p.Done, Total: p.Total, Rate: p.Rate, ETASeconds: p.ETASeconds})
	}
	src := source{r: r, emit: func(phase string, done int) { emit(engine.Progress{Phase: phase, Done: done, ETASeconds: -1}) }}
	e := &engine.Engine{DirectoryID: d.ID, Source: src, Target: adapter.SCIM{SCIM: t}, State: adapter.Store{Store: b.st}, SnapshotDir: b.snapshotDir(), Emit: emit, Now: b.opts.Now}
	o, err := b.org(ctx, d)
	if err != nil {
		return nil, err
	}
	if o != nil {
		e.Org = adapter.Org{Org: o} // never a typed nil: the engine tells "no organization key" by e.Org == nil
	}
	return e, nil
}

// keyProver is a client that proves its key with one cheap documented request.
type keyProver interface {
	Verify(ctx context.Context) error
}

// proveKeys checks the directory API key, and the organization key when one is configured,
// before a run reports anything: a wrong or expired key otherwise let an incremental run with
// nothing touched report "Succeeded, 0 changes" and a headless run never notice a wrong
// organization key (issue 18 point 5).
func proveKeys(ctx context.Context, e *engine.Engine) error {
	if kp, ok := e.Target.(keyProver); ok {
		if err := kp.Verify(ctx); err != nil {
			return err
		}
	}
	if kp, ok := e.Org.(keyProver); ok && e.Org != nil {
		if err := kp.Verify(ctx); err != nil {
			return err
		}
	}
	return nil
}

// prepare computes a plan for d and records the preview run and its report.
func (b *Backend) prepare(ctx context.Context, d store.Directory, full bool, automatic bool) (*planEntry, error) {
	s, err := b.settings(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	s, err = s.Normalize()
	if err != nil {
		return nil, err
	}
	runID := newID()
	started := b.opts.Now()
	b.mu.Lock()
	b.previews[d.ID]++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.previews[d.ID]--; b.previews[d.ID] <= 0 {
			delete(b.previews, d.ID)
		}
		b.mu.Unlock()
	}()
	e, err := b.engine(ctx, d, s, runID)
	if err != nil {
		return nil, err
	}
	var plan *engine.Plan
	err = proveKeys(ctx, e)
	if err == nil {
		plan, err = e.Prepare(ctx, engine.PrepareOptions{Settings: s, Full: full})
	}
	if err == nil && d.TenantID != "" && !strings.EqualFold(plan.Tenant.ID, d.TenantID) {
		err = apperr.New(apperr.TenantMismatch, "this directory syncs tenant %s (%s), but the account read tenant %s (%s)",
			d.TenantID, d.TenantName, plan.Tenant.ID, plan.Tenant.DisplayName).WithAction("Sign in with an account of the directory's tenant.")
	}
	info := engine.RunInfo{RunID: runID, AppVersion: version.Version, DirectoryID: d.ID, DirectoryName: d.Name, Kind: report.KindPreview, Started: started, Err: err}
	if err != nil {
		rep, path, _ := b.writeReport(info, nil, nil)
		b.saveRun(ctx, store.Run{ID: runID, DirectoryID: d.ID, Kind: "preview", Status: string(rep.Status), Full: full, Automatic: automatic, Started: started}, rep, path, err)
		return nil, err
	}
	plan.ID = newID()
	plan.Notices = append(plan.Notices, b.sameTenant(ctx, d.ID, plan.Tenant.ID)...)
	rep, path, werr := b.writeReport(info, plan, nil)
	if werr != nil {
		return nil, werr
	}
	b.saveRun(ctx, store.Run{ID: runID, DirectoryID: d.ID, Kind: "preview", Status: string(report.StatusPlanned), Full: plan.Full, Automatic: automatic, Started: started}, rep, path, nil)
	go b.cacheGroups(d.ID, plan.Snapshot)
	pe := &planEntry{id: plan.ID, dirID: d.ID, runID: runID, plan: plan, report: path, created: b.opts.Now()}
	pe.summary = summarize(pe)
	b.mu.Lock()
	for id, p := range b.plans {
		if p.dirID == d.ID {
			delete(b.plans, id) // one plan per directory: an older preview can no longer be applied
		}
	}
	b.plans[pe.id] = pe
	b.mu.Unlock()
	return pe, nil
}

func summarize(pe *planEntry) PlanSummary {
	p := pe.plan
	s := PlanSummary{PlanID: pe.id, DirectoryID: pe.dirID, RunID: pe.runID, TenantID: p.Tenant.ID, TenantName: p.Tenant.DisplayName,
		InitialDomain: p.Tenant.InitialDomain, Domains: slices.Clone(p.Domains), Digest: p.Digest, Full: p.Full, Operations: len(p.Ops),
		Skips: len(p.Skips), Deactivations: p.Deactivations, ManagedUsers: p.ManagedUsers, ThresholdTripped: p.ThresholdTripped,
		MembershipRemovals: p.MembershipRemovals, ManagedMemberships: p.ManagedMemberships, DeletedGroups: p.DeletedGroups,
		RemovalThresholdTripped: p.RemovalThresholdTripped, ReadShrinkTripped: len(p.ReadShrink) > 0,
		ReportPath: pe.report, Created: rfc(pe.created), ExpiresInSeconds: int(PlanTTL.Seconds()), Conflicts: []Conflict{}, Blocked: []ErrorDTO{},
		Notices: append([]string{}, p.Notices...), OrgChecked: p.OrgChecked, Renames: append([]engine.Rename{}, p.Renames...)}
	if s.Domains == nil {
		s.Domains = []string{}
	}
	for _, c := range engine.Counts(p.Ops, func(i int) report.Result {
		if p.Ops[i].Action == report.ConflictGroup {
			return report.ResultSkipped
		}
		return report.ResultPlanned
	}) {
		s.Counts = append(s.Counts, CountRow{Object: c.Object, Action: string(c.Action), Result: string(c.Result), N: c.N})
	}
	for _, c := range p.Conflicts {
		dto := Conflict{GroupEntraID: c.GroupEntraID, DisplayName: c.DisplayName, AtlassianID: c.AtlassianID, Decision: c.Decision,
			Scope: c.Scope, DefaultAccess: c.DefaultAccess, CanTakeOver: c.CanTakeOver, Hint: c.Hint,
			AddCount: len(c.Add), RemoveCount: len(c.Remove), WouldAdd: head(c.Add, 200), WouldRemove: head(c.Remove, 200)}
		s.Conflicts = append(s.Conflicts, dto)
	}
	for _, e := range p.Blocked {
		s.Blocked = append(s.Blocked, ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action})
	}
	for _, e := range p.Rails() {
		s.Blocked = append(s.Blocked, ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action})
	}
	return s
}

func head(s []string, n int) []string {
	if s == nil {
		return []string{}
	}
	return s[:min(n, len(s))]
}

// writeReport writes a run's report (streamed: the operations are never all held as report
// rows) and returns the document without its operations, with its path. The document is
// returned even when writing fails, for the run's row.
func (b *Backend) writeReport(info engine.RunInfo, p *engine.Plan, out *engine.Outcome) (*report.Report, string, error) {
	if err := os.MkdirAll(b.reportDir(), 0o700); err != nil {
		rep, _ := engine.WriteReport(io.Discard, info, p, out, report.WriteOptions{})
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot create the reports folder")
	}
	name := info.Started.UTC().Format("20060102-150405") + "-" + string(info.Kind) + "-" + info.RunID + ".json"
	path := filepath.Join(b.reportDir(), name)
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		rep, _ := engine.WriteReport(io.Discard, info, p, out, report.WriteOptions{})
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot write the report")
	}
	rep, err := engine.WriteReport(f, info, p, out, report.WriteOptions{})
	if err != nil {
		f.Close()
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot write the report")
	}
	if err := f.Close(); err != nil {
		return rep, "", apperr.Wrap(err, apperr.Internal, "cannot write the report")
	}
	return rep, path, os.Rename(path+".tmp", path)
}

func (b *Backend) saveRun(ctx context.Context, r store.Run, rep *report.Report, path string, err error) {
	counts, _ := json.Marshal(rep.Counts)
	sets, _ := json.Marshal(rep.Settings)
	r.Counts, r.Settings, r.ReportPath = string(counts), string(sets), path
	if r.Status == "" {
		r.Status = string(rep.Status)
	}
	if r.Ended.IsZero() {
		r.Ended = b.opts.Now()
	}
	if err != nil {
		ae := apperr.As(err)
		r.ErrorCode, r.ErrorMessage = string(ae.Code), ae.Message
	}
	_ = b.st.PutRun(ctx, r)
}

func (b *Backend) plan(planID string) (*planEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	pe := b.plans[planID]
	if pe == nil {
		return nil, apperr.New(apperr.NotFound, "this preview is no longer available").WithAction("Preview again.")
	}
	if b.opts.Now().Sub(pe.created) > PlanTTL {
		delete(b.plans, planID)
		return nil, apperr.New(apperr.ConfirmationRequired, "this preview is older than %d minutes", int(PlanTTL.Minutes())).WithAction("Preview again.")
	}
	return pe, nil
}

// Preview reads both sides and computes a plan, kept in memory for Apply (one per directory).
func (b *Backend) Preview(ctx context.Context, id string, o PreviewOptions) (PlanSummary, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return PlanSummary{}, err
	}
	pe, err := b.prepare(ctx, d, o.Full, false)
	if err != nil {
		return PlanSummary{}, err
	}
	return pe.summary, nil
}

func matchOp(op *report.Operation, q OpQuery) bool {
	if q.Action != "" && string(op.Action) != q.Action {
		return false
	}
	if q.Result != "" && string(op.Result) != q.Result {
		return false
	}
	if q.Object != "" {
		obj := op.Object.Type
		if op.Action == report.AddMember || op.Action == report.RemoveMember {
			obj = "membership"
		}
		if obj != q.Object {
			return false
		}
	}
	if q.Search != "" {
		s := strings.ToLower(q.Search)
		hay := strings.ToLower(op.Object.Name + "\x00" + op.Object.Email)
		if op.Group != nil {
			hay += "\x00" + strings.ToLower(op.Group.Name)
		}
		if !strings.Contains(hay, s) {
			return false
		}
	}
	return true
}

func opDTO(op report.Operation) Operation {
	o := Operation{Seq: op.Seq, Action: string(op.Action), Object: ObjectRef(op.Object), Chain: op.Chain, Reason: op.Reason,
		Result: string(op.Result), Code: op.Code, Message: op.Message, Warning: op.Warning}
	if op.Group != nil {
		g := ObjectRef(*op.Group)
		o.Group = &g
	}
	for _, c := range op.Changes {
		o.Changes = append(o.Changes, ChangeDTO(c))
	}
	return o
}

func pageOps(ops func(yield func(report.Operation) bool), q OpQuery) OpPage {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	page := OpPage{Operations: []Operation{}}
	ops(func(op report.Operation) bool {
		if !matchOp(&op, q) {
			return true
		}
		if page.Total >= q.Offset && len(page.Operations) < q.Limit {
			page.Operations = append(page.Operations, opDTO(op))
		}
		page.Total++
		return true
	})
	return page
}

func (b *Backend) Operations(ctx context.Context, planID string, q OpQuery) (OpPage, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return OpPage{}, err
	}
	p := pe.plan
	return pageOps(func(yield func(report.Operation) bool) {
		for i := range p.Ops {
			res := report.ResultPlanned
			if p.Ops[i].Action == report.ConflictGroup {
				res = report.ResultSkipped
			}
			if !yield(engine.ReportOp(&p.Ops[i], nil, i, res)) {
				return
			}
		}
	}, q), nil
}

func (b *Backend) Skips(ctx context.Context, planID string, q SkipQuery) (SkipPage, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return SkipPage{}, err
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	page := SkipPage{Skips: []SkipRow{}}
	s := strings.ToLower(q.Search)
	for _, sk := range pe.plan.Skips {
		if q.Reason != "" && sk.Reason != q.Reason {
			continue
		}
		if s != "" && !strings.Contains(strings.ToLower(sk.Object.Name+"\x00"+sk.Object.Email), s) {
			continue
		}
		if page.Total >= q.Offset && len(page.Skips) < q.Limit {
			page.Skips = append(page.Skips, SkipRow{Object: ObjectRef(sk.Object), Reason: sk.Reason, Detail: sk.Detail})
		}
		page.Total++
	}
	return page, nil
}

// DecideConflict records "take_over" or "skip" for an unmanaged same-named group and replans.
func (b *Backend) DecideConflict(ctx context.Context, planID, groupEntraID, decision string) (PlanSummary, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return PlanSummary{}, err
	}
	if decision != engine.DecisionTakeOver && decision != engine.DecisionSkip && decision != engine.DecisionRetry && decision != "" {
		return PlanSummary{}, apperr.New(apperr.InvalidInput, "unknown decision %q (take_over, skip or retry)", decision)
	}
	if err := checkDecision(pe.plan, groupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	if err := b.st.SetDecision(ctx, pe.dirID, groupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	return b.Preview(ctx, pe.dirID, PreviewOptions{Full: true})
}

// checkDecision refuses a decision the conflict cannot take: a group outside the SCIM directory
// cannot be taken over (the SCIM API cannot see or write it), and retry is for those only.
func checkDecision(p *engine.Plan, groupEntraID, decision string) error {
	for _, c := range p.Conflicts {
		if c.GroupEntraID != groupEntraID {
			continue
		}
		switch {
		case decision == engine.DecisionTakeOver && !c.CanTakeOver:
			return apperr.New(apperr.InvalidInput, "the group %q is outside the SCIM directory: IdP Sync cannot take it over", c.DisplayName).
				WithAction(c.Hint)
		case decision == engine.DecisionRetry && c.Scope != engine.ConflictInOrganization:
			return apperr.New(apperr.InvalidInput, "retry is for groups outside the SCIM directory; take %q over or skip it", c.DisplayName)
		}
		return nil
	}
	return nil
}

// Apply applies a previewed plan after checking the confirmation; it blocks until the run ends.
func (b *Backend) Apply(ctx context.Context, planID string, c Confirmation) (RunSummary, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return RunSummary{}, err
	}
	if err := engine.CheckConfirmation(pe.plan, engine.Confirmation{TenantID: c.TenantID, Domains: c.Domains, PlanDigest: c.PlanDigest}); err != nil {
		return RunSummary{}, err
	}
	if c.PlanDigest == "" {
		return RunSummary{}, apperr.New(apperr.ConfirmationRequired, "the confirmation does not name the plan it confirms").WithAction("Preview again and confirm.")
	}
	d, err := b.st.GetDirectory(ctx, pe.dirID)
	if err != nil {
		return RunSummary{}, err
	}
	lock, err := b.st.LockDirectory(ctx, d.ID, "apply")
	if err != nil {
		return RunSummary{}, err
	}
	defer lock.Unlock()
	b.mu.Lock()
	delete(b.plans, planID) // a plan is applied once
	b.mu.Unlock()
	return b.apply(ctx, d, pe.plan, engine.Overrides{Threshold: c.OverrideThreshold, RemovalThreshold: c.OverrideRemovalThreshold, ReadShrink: c.OverrideReadShrink}, false)
}

func (b *Backend) account(d store.Directory) string {
	return d.Account
}

// apply runs an already confirmed plan under the directory's lock.
func (b *Backend) apply(ctx context.Context, d store.Directory, p *engine.Plan, override engine.Overrides, automatic bool) (RunSummary, error) {
	s := p.Settings
	runID := newID()
	started := b.opts.Now()
	// The run is cancellable (and the directory "syncing") from its first step: a Cancel that
	// arrives while the engine is still being set up must not be lost.
	rctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.runs[d.ID] = cancel
	b.mu.Unlock()
	defer func() {
		cancel()
		b.mu.Lock()
		delete(b.runs, d.ID)
		b.mu.Unlock()
	}()
	e, err := b.engine(ctx, d, s, runID)
	if err != nil {
		return RunSummary{}, err
	}
	host, _ := os.Hostname()
	run := store.Run{ID: runID, DirectoryID: d.ID, Kind: "apply", Status: string(report.StatusRunning), Full: p.Full, Automatic: automatic,
		Started: started, PID: os.Getpid(), Host: host}
	if err := b.st.PutRun(ctx, run); err != nil {
		return RunSummary{}, err
	}
	if _, err := e.ResumeInterrupted(ctx, runID); err != nil {
		return RunSummary{}, err
	}
	conf := report.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, PlanDigest: p.Digest, Account: b.account(d), At: started, Automatic: automatic}
	out, err := e.Apply(rctx, p, engine.ApplyOptions{RunID: runID, OverrideThreshold: override.Threshold,
		OverrideRemovalThreshold: override.RemovalThreshold, OverrideReadShrink: override.ReadShrink})
	if err == nil {
		if cerr := e.Commit(context.WithoutCancel(ctx), p, out); cerr != nil {
			out.Errors = append(out.Errors, report.RunError{Code: string(apperr.CodeOf(cerr)), Message: cerr.Error()})
		}
	}
	info := engine.RunInfo{RunID: runID, AppVersion: version.Version, DirectoryID: d.ID, DirectoryName: d.Name, Kind: report.KindApply,
		Confirmed: conf, Started: started, Err: err}
	rep, path, werr := b.writeReport(info, p, out)
	run.Status = string(rep.Status)
	b.saveRun(context.WithoutCancel(ctx), run, rep, path, err)
	if err == nil {
		// The first applied sync pins the tenant; every applied sync updates the standing confirmation.
		if d.TenantID == "" {
			d.TenantID, d.TenantName = p.Tenant.ID, p.Tenant.DisplayName
			_ = b.st.UpdateDirectory(context.WithoutCancel(ctx), d)
		}
		if !automatic {
			_ = b.st.SetStandingConfirmation(context.WithoutCancel(ctx), d.ID, store.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, Account: b.account(d), At: started})
		}
	}
	saved, _ := b.st.GetRun(context.WithoutCancel(ctx), runID)
	rs := runDTO(saved)
	b.opts.Emitter.Emit(EventRunDone, rs)
	if err != nil {
		return rs, err
	}
	if werr != nil {
		return rs, werr
	}
	return rs, nil
}

// Cancel stops the directory's running sync: in-flight operations finish, the rest is recorded.
func (b *Backend) Cancel(ctx context.Context, id string) error {
	b.mu.Lock()
	c := b.runs[id]
	b.mu.Unlock()
	if c == nil {
		return apperr.New(apperr.NotFound, "no sync of this directory is running in this app")
	}
	c()
	return nil
}

// Headless is `idpsync plan` / `idpsync sync`: preview, check the headless confirmation, apply.
func (b *Backend) Headless(ctx context.Context, id string, o HeadlessOptions) (rs RunSummary, ps PlanSummary, err error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return RunSummary{}, PlanSummary{}, err
	}
	if o.Automatic && o.Apply {
		defer func() { b.afterAutomatic(ctx, d, rs, err) }()
	}
	var lock *store.Lock
	if o.Apply {
		// Hold the lock from the read to the last write, so the plan applied is the plan checked.
		if lock, err = b.st.LockDirectory(ctx, id, "headless sync"); err != nil {
			return RunSummary{}, PlanSummary{}, err
		}
		defer lock.Unlock()
	}
	pe, err := b.prepare(ctx, d, o.Full, o.Automatic)
	if err != nil {
		return RunSummary{}, PlanSummary{}, err
	}
	b.mu.Lock()
	delete(b.plans, pe.id)
	b.mu.Unlock()
	if !o.Apply {
		r, _ := b.st.GetRun(ctx, pe.runID)
		return runDTO(r), pe.summary, nil
	}
	if err := engine.CheckConfirmation(pe.plan, engine.Confirmation{TenantID: o.ConfirmTenant, Domains: o.ConfirmDomains, PlanDigest: o.ConfirmPlanDigest}); err != nil {
		b.recordBlocked(ctx, d, pe, err, o.Automatic)
		return RunSummary{}, pe.summary, err
	}
	rs, err = b.apply(ctx, d, pe.plan, engine.Overrides{Threshold: o.OverrideThreshold, RemovalThreshold: o.OverrideRemovalThreshold, ReadShrink: o.OverrideReadShrink}, o.Automatic)
	return rs, pe.summary, err
}

// ---- history and reports

func runDTO(r store.Run) RunSummary {
	rs := RunSummary{RunID: r.ID, DirectoryID: r.DirectoryID, Kind: r.Kind, Status: r.Status, Started: rfc(r.Started), Ended: rfc(r.Ended),
		Full: r.Full, Automatic: r.Automatic, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, ReportPath: r.ReportPath, Counts: []CountRow{}}
	if !r.Ended.IsZero() {
		rs.DurationMillis = r.Ended.Sub(r.Started).Milliseconds()
	}
	var cs []report.Count
	_ = json.Unmarshal([]byte(r.Counts), &cs)
	for _, c := range cs {
		rs.Counts = append(rs.Counts, CountRow{Object: c.Object, Action: string(c.Action), Result: string(c.Result), N: c.N})
		if r.Kind != "apply" {
			continue
		}
		switch c.Result {
		case report.ResultSucceeded:
			rs.Done += c.N
		case report.ResultFailed:
			rs.Done += c.N
			rs.Failed += c.N
		case report.ResultPlanned:
			rs.NotDone += c.N // an apply's planned operation is one it never ran (cancelled, stopped)
		}
	}
	return rs
}

func (b *Backend) Runs(ctx context.Context, id string, limit int) ([]RunSummary, error) {
	rs, err := b.st.Runs(ctx, id, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(rs))
	for _, r := range rs {
		out = append(out, runDTO(r))
	}
	return out, nil
}

func (b *Backend) Run(ctx context.Context, runID string) (RunSummary, error) {
	r, err := b.st.GetRun(ctx, runID)
	if err != nil {
		return RunSummary{}, err
	}
	return runDTO(r), nil
}

// ReportPath returns the JSON report file of a run.
func (b *Backend) ReportPath(ctx context.Context, runID string) (string, error) {
	r, err := b.st.GetRun(ctx, runID)
	if err != nil {
		return "", err
	}
	if r.ReportPath == "" {
		return "", apperr.New(apperr.NotFound, "run %s has no report", runID)
	}
	return r.ReportPath, nil
}

func (b *Backend) RunOperations(ctx context.Context, runID string, q OpQuery) (OpPage, error) {
	path, err := b.ReportPath(ctx, runID)
	if err != nil {
		return OpPage{}, err
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	page := OpPage{Operations: []Operation{}}
	_, _, err = report.DecodeFile(path, report.DefaultLimits, report.Visitor{Operation: func(op *report.Operation) error {
		if matchOp(op, q) {
			if page.Total >= q.Offset && len(page.Operations) < q.Limit {
				page.Operations = append(page.Operations, opDTO(*op))
			}
			page.Total++
		}
		return nil
	}})
	return page, err
}

func reportConfirmation(p *engine.Plan, automatic bool) report.Confirmation {
	return report.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, PlanDigest: p.Digest, Automatic: automatic}
}
