package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// OpResult is the outcome of one operation of an applied plan.
type OpResult struct {
	Result  report.Result `json:"result"`
	Code    string        `json:"code,omitempty"`
	Message string        `json:"message,omitempty"`
	SCIMID  string        `json:"scimId,omitempty"` // the object created or adopted
}

// Outcome is an applied plan's result.
type Outcome struct {
	RunID  string
	Status report.Status
	// The result of each operation, by plan index (Result): an index into the distinct
	// results, which the memberships of one chunk share (64 bytes per membership were the
	// largest thing an apply of 2.87 M memberships held; 4 are).
	results []uint32
	table   []OpResult
	index   map[OpResult]uint32
	Errors  []report.RunError
	Started time.Time
	Ended   time.Time
	Phases  []report.Phase
}

// newOutcome is the outcome of an apply of n operations, all still planned.
func newOutcome(runID string, n int) *Outcome {
	o := &Outcome{RunID: runID, results: make([]uint32, n), index: map[OpResult]uint32{}}
	o.set(0, OpResult{Result: report.ResultPlanned}) // table[0], which every zero index names
	return o
}

// Len is the number of operations the outcome has a result for.
func (o *Outcome) Len() int { return len(o.results) }

// Result is the result of the operation at plan index i.
func (o *Outcome) Result(i int) OpResult { return o.table[o.results[i]] }

// All yields every operation's result in plan order.
func (o *Outcome) All() iter.Seq2[int, OpResult] {
	return func(yield func(int, OpResult) bool) {
		for i, r := range o.results {
			if !yield(i, o.table[r]) {
				return
			}
		}
	}
}

// set records the result of the operation at plan index i (not safe for concurrent use).
func (o *Outcome) set(i int, r OpResult) {
	k, ok := o.index[r]
	if !ok {
		k = uint32(len(o.table))
		o.table = append(o.table, r)
		o.index[r] = k
	}
	if i < len(o.results) {
		o.results[i] = k
	}
}

// ApplyOptions tune one apply.
type ApplyOptions struct {
	RunID             string
	OverrideThreshold bool // the deactivation threshold, for this run
	// OverrideRemovalThreshold and OverrideReadShrink let this run past the membership-removal
	// threshold and the read-shrink rail.
	OverrideRemovalThreshold bool
	OverrideReadShrink       bool
	// Hook, when set, is called before each unit runs; tests use it to crash or cancel at a
	// precise point.
	Hook func(unitSeq int)
}

// unit is one journaled apply step: one user or group operation, or one chunk of membership
// changes of one group. Its JSON is the journal entry, self-describing so that an interrupted
// run can be reconciled without the plan that made it.
type unit struct {
	Seq     int           `json:"seq"`
	Action  report.Action `json:"action"`
	Ops     []int         `json:"ops"` // plan indices (Plan.Op)
	Group   *GroupRef     `json:"group,omitempty"`
	EntraID string        `json:"entraId,omitempty"`
	SCIMID  string        `json:"scimId,omitempty"`
	Users   [][2]string   `json:"users,omitempty"` // memberships: [entra id, scim id]
	phase   int
	// A chunk of memberships is the plan indices [from, to) (a set's members are contiguous):
	// Ops and Users stay nil and are filled only to encode its journal entry, so that the
	// apply does not hold 40 bytes more per membership (2.87 M in bench scenario L).
	from, to int
}

// count is the number of the unit's operations.
func (u *unit) count() int {
	if u.to > u.from {
		return u.to - u.from
	}
	return len(u.Ops)
}

// first is the plan index of the unit's first operation.
func (u *unit) first() int {
	if u.to > u.from {
		return u.from
	}
	return u.Ops[0]
}

// indices yields the plan indices of the unit's operations.
func (u *unit) indices() iter.Seq[int] {
	return func(yield func(int) bool) {
		if u.to > u.from {
			for i := u.from; i < u.to; i++ {
				if !yield(i) {
					return
				}
			}
			return
		}
		for _, i := range u.Ops {
			if !yield(i) {
				return
			}
		}
	}
}

// journalJSON is the unit's journal entry: self-describing, every membership with its ids.
func (u *unit) journalJSON(p *Plan) []byte {
	if u.to > u.from {
		c := *u
		c.Ops, c.Users = make([]int, 0, u.count()), make([][2]string, 0, u.count())
		for i := range u.indices() {
			w := p.person(i)
			c.Ops = append(c.Ops, i)
			c.Users = append(c.Users, [2]string{w.EntraID, w.SCIMID})
		}
		u = &c
	}
	js, _ := json.Marshal(u)
	return js
}

// errDependency marks an operation not run because one it needs failed.
const codeDependency = "dependency_failed"

// Apply runs the plan against the target. It refuses a blocked plan and, unless overridden,
// a tripped threshold; then it journals every unit as pending, runs the phases in phaseNames'
// order (groups exist before members are added; removals come last) and records each outcome.
// Canceling ctx lets in-flight requests finish and records the rest as not done.
func (e *Engine) Apply(ctx context.Context, p *Plan, o ApplyOptions) (*Outcome, error) {
	if len(p.Blocked) > 0 {
		return nil, p.Blocked[0]
	}
	if err := p.CheckRails(Overrides{Threshold: o.OverrideThreshold, RemovalThreshold: o.OverrideRemovalThreshold, ReadShrink: o.OverrideReadShrink}); err != nil {
		return nil, err
	}
	out := newOutcome(o.RunID, p.Len())
	out.Started = e.now()
	// Until this apply commits, the next run must read everything: a crash or a failure leaves
	// the live state somewhere between the old and the new desired state, and only a full
	// reconcile sees where.
	if err := e.State.SetDeltaState(ctx, e.DirectoryID, nil); err != nil {
		return nil, err
	}
	if err := e.State.PutMappings(ctx, e.DirectoryID, p.Mappings); err != nil {
		return nil, err
	}
	// Who owns each Atlassian account: the planner's index of the stored mappings (reading them
	// again costs about a second at 150,000 users), else the store; this run's claims on top.
	owner := p.userOwners
	if owner == nil {
		maps, err := e.State.Mappings(ctx, e.DirectoryID)
		if err != nil {
			return nil, err
		}
		owner = make(map[string]Mapping, len(maps))
		for _, m := range maps {
			if m.Kind == "user" {
				owner[m.SCIMID] = m
			}
		}
	}
	claimed := map[string]string{}
	for _, m := range p.Mappings {
		if m.Kind == "user" && m.SCIMID != "" {
			claimed[m.SCIMID] = m.EntraID
		}
	}
	units := buildUnits(p, e.chunk(p))
	// Each entry's JSON is made as the store writes it and dropped after: the journal of an
	// initial sync at scenario L is 150–250 MB of JSON, which one slice of entries held whole
	// at the apply's start.
	entries := func(yield func(JournalEntry) bool) {
		for i := range units {
			if !yield(JournalEntry{Seq: units[i].Seq, Op: units[i].journalJSON(p), State: JournalPending}) {
				return
			}
		}
	}
	if err := e.State.JournalAdd(ctx, o.RunID, entries); err != nil {
		return nil, err
	}
	a := &applier{e: e, p: p, out: out, o: o, resolved: map[string]string{}, owner: owner, claimed: claimed, failedUser: map[string]bool{}, failedGroup: map[string]bool{},
		groupID: map[string]string{}, replaced: map[string]bool{}, flushReq: make(chan struct{}, 1), done: make(chan struct{})}
	for i := range p.ops {
		op := &p.ops[i]
		if op.Action == report.CreateGroup || op.Action == report.AdoptGroup {
			a.replaced[op.EntraID] = true
		}
		if op.Object() == "user" && op.SCIMID != "" {
			a.resolved[op.EntraID] = op.SCIMID
		}
		if op.Group != nil && op.Group.SCIMID != "" {
			a.groupID[op.Group.EntraID] = op.Group.SCIMID
		}
	}
	for s := range p.sets {
		if g := p.sets[s].group; g.SCIMID != "" {
			a.groupID[g.EntraID] = g.SCIMID
		}
	}
	a.wg.Add(1)
	go a.writer()
	for phase := 0; phase <= 5; phase++ {
		var batch []*unit
		for i := range units {
			if units[i].phase != phase {
				continue
			}
			// A held conflict is not an operation of its phase: it is recorded, never run or
			// counted, so "Create groups 2 of 2" cannot appear for a plan with no group to create.
			if units[i].Action == report.ConflictGroup {
				a.record(&units[i], heldConflict)
				continue
			}
			batch = append(batch, &units[i])
		}
		if len(batch) == 0 {
			continue
		}
		start := e.now()
		a.runPhase(ctx, phase, batch)
		out.Phases = append(out.Phases, report.Phase{Name: phaseNames[phase], Started: start, Duration: e.now().Sub(start)})
	}
	close(a.done)
	a.wg.Wait()
	if a.writeErr != nil {
		out.Errors = append(out.Errors, report.RunError{Code: string(apperr.CodeOf(a.writeErr)), Message: a.writeErr.Error()})
	}
	out.Ended = e.now()
	failed, canceled := 0, 0
	for _, r := range out.All() {
		switch {
		case r.Result == report.ResultFailed:
			failed++
		case r.Code == string(apperr.Canceled):
			canceled++
		}
	}
	switch {
	case canceled > 0:
		out.Status = report.StatusCanceled
	case failed > 0 || a.writeErr != nil:
		out.Status = report.StatusPartial
	default:
		out.Status = report.StatusSucceeded
	}
	return out, nil
}

var phaseNames = []string{PhaseCreateGroups, PhaseUsers, PhaseAddMembers, PhaseRemoveMembers, PhaseDeactivate, PhaseRetireGroups}

func (e *Engine) chunk(p *Plan) int {
	if p.Settings.MemberChunkSize > 0 {
		return p.Settings.MemberChunkSize
	}
	return DefaultSettings().MemberChunkSize
}

// buildUnits makes the journaled units: one per user or group op, and chunks of each group's
// membership set (one set per group and action, see compact.go), in plan order within a phase.
func buildUnits(p *Plan, chunk int) []unit {
	units := make([]unit, 0, len(p.ops)+len(p.sets))
	for i := range p.Len() {
		if _, ok := p.isMember(i); ok {
			continue
		}
		op := p.basic(i)
		units = append(units, unit{Action: op.Action, Ops: []int{i}, EntraID: op.EntraID, SCIMID: op.SCIMID, Group: op.Group, phase: phaseOf[op.Action]})
	}
	for s := range p.sets {
		set := &p.sets[s]
		first := p.mid + p.setStart[s]
		for lo := 0; lo < len(set.who); lo += chunk {
			hi := min(lo+chunk, len(set.who))
			units = append(units, unit{Action: set.action, Group: set.group, phase: phaseOf[set.action], from: first + lo, to: first + hi})
		}
	}
	slices.SortStableFunc(units, func(a, b unit) int { return a.phase - b.phase })
	for i := range units {
		units[i].Seq = i + 1
	}
	return units
}

type applier struct {
	e   *Engine
	p   *Plan
	o   ApplyOptions
	out *Outcome

	mu          sync.Mutex
	resolved    map[string]string  // entra user id → scim id
	owner       map[string]Mapping // scim user id → its stored mapping (read only)
	claimed     map[string]string  // scim user id → entra user id, linked by this plan or run
	groupID     map[string]string  // entra group id → scim id
	failedUser  map[string]bool
	failedGroup map[string]bool
	replaced    map[string]bool // Entra groups whose new Atlassian group replaces a retired one (renames)
	marks       []JournalEntry
	mappings    []Mapping

	flushReq chan struct{}
	done     chan struct{}
	wg       sync.WaitGroup
	writeErr error
}

// writer batches journal marks and mappings into few transactions: a unit marked done late is
// still pending after a crash, which the next run reconciles against the live state.
func (a *applier) writer() {
	defer a.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.flushReq:
		case <-a.done:
			a.flush()
			return
		}
		a.flush()
	}
}

func (a *applier) flush() {
	a.mu.Lock()
	marks, maps := a.marks, a.mappings
	a.marks, a.mappings = nil, nil
	a.mu.Unlock()
	ctx := context.Background()
	if err := a.e.State.PutMappings(ctx, a.e.DirectoryID, maps); err != nil && a.writeErr == nil {
		a.writeErr = err
	}
	if err := a.e.State.JournalMark(ctx, a.o.RunID, marks); err != nil && a.writeErr == nil {
		a.writeErr = err
	}
}

func (a *applier) record(u *unit, res OpResult, maps ...Mapping) {
	a.mu.Lock()
	for i := range u.indices() {
		if prev := a.out.Result(i); prev.Result == report.ResultFailed && prev.Code == codeDependency {
			continue
		}
		r := res
		// A membership's result names no SCIM id: the report takes its user's from the op.
		if _, member := a.p.isMember(i); !member && r.Result == report.ResultSucceeded && r.SCIMID == "" {
			r.SCIMID = a.p.basic(i).SCIMID
		}
		a.out.set(i, r)
	}
	state := JournalDone
	if res.Result != report.ResultSucceeded {
		state = JournalFailed
	}
	js, _ := json.Marshal(res)
	a.marks = append(a.marks, JournalEntry{Seq: u.Seq, State: state, Result: string(js)})
	a.mappings = append(a.mappings, maps...)
	n := len(a.marks)
	a.mu.Unlock()
	if n >= 500 {
		select {
		case a.flushReq <- struct{}{}:
		default:
		}
	}
}

func (a *applier) runPhase(ctx context.Context, phase int, batch []*unit) {
	total := 0
	for _, u := range batch {
		total += u.count()
	}
	prog := newMeter(a.e, phaseNames[phase], total)
	// A fixed number of operations in flight: the SCIM client's limiter alone paces Atlassian,
	// and its retries are the only ones (an adaptive gate here and retries of whole calls
	// reacted to the same 429 two more times; a failing operation could cost ~68 attempts).
	// Every unit is recorded, so no job returns an error.
	var g errgroup.Group
	g.SetLimit(max(1, a.p.Settings.Concurrency))
	for _, u := range batch {
		g.Go(func() error {
			if ctx.Err() != nil {
				// Still planned: the report and the history count it as not done.
				a.record(u, OpResult{Result: report.ResultPlanned, Code: string(apperr.Canceled), Message: "not done: the sync was cancelled"})
				return nil
			}
			if a.o.Hook != nil {
				a.o.Hook(u.Seq)
			}
			// In-flight work finishes even when the admin cancels.
			res, maps := a.run(context.WithoutCancel(ctx), u)
			a.record(u, res, maps...)
			prog.add(u.count())
			return nil
		})
	}
	_ = g.Wait()
	prog.finish()
}

func fail(err error) OpResult {
	ae := apperr.As(err)
	return OpResult{Result: report.ResultFailed, Code: string(ae.Code), Message: ae.Error()}
}

var ok = OpResult{Result: report.ResultSucceeded}

var heldConflict = OpResult{Result: report.ResultSkipped, Code: string(apperr.ConflictUnresolved), Message: "held for the admin's decision"}

func (a *applier) run(ctx context.Context, u *unit) (OpResult, []Mapping) {
	first := a.p.Op(u.first())
	op := &first
	t := a.e.Target
	switch u.Action {
	case report.ConflictGroup:
		return heldConflict, nil
	case report.AdoptGroup:
		return OpResult{Result: report.ResultSucceeded, SCIMID: op.SCIMID}, []Mapping{{Kind: "group", EntraID: op.EntraID, SCIMID: op.SCIMID, Managed: true}}
	case report.RetireGroup:
		return ok, a.unmap(op)
	case report.DeleteGroup:
		err := t.DeleteGroup(ctx, op.SCIMID)
		if err != nil && apperr.CodeOf(err) != apperr.AtlassianNotFound {
			return fail(err), nil
		}
		return ok, a.unmap(op)
	case report.CreateGroup:
		return a.createGroup(ctx, op)
	case report.CreateUser:
		return a.createUser(ctx, op)
	case report.AdoptUser, report.UpdateUser:
		err := t.PatchUser(ctx, op.SCIMID, op.Changes)
		if apperr.CodeOf(err) == apperr.AtlassianNotFound && op.User != nil {
			// Deleted by hand since the read: make it again.
			return a.createUser(ctx, op)
		}
		if err != nil {
			a.failUser(op.EntraID)
			return fail(err), nil
		}
		return OpResult{Result: report.ResultSucceeded, SCIMID: op.SCIMID}, []Mapping{{Kind: "user", EntraID: op.EntraID, SCIMID: op.SCIMID, Managed: true}}
	case report.ReactivateUser, report.DeactivateUser:
		active := u.Action == report.ReactivateUser
		sid := a.userID(op.EntraID, op.SCIMID)
		err := t.SetActive(ctx, sid, active)
		if err != nil && !(apperr.CodeOf(err) == apperr.AtlassianNotFound && !active) {
			return fail(err), nil
		}
		return ok, nil
	case report.AddMember, report.RemoveMember:
		return a.members(ctx, u)
	case report.SuspendUser, report.RestoreUser:
		return a.suspendOrRestore(ctx, op), nil
	}
	return fail(apperr.New(apperr.Internal, "unknown operation %s", u.Action)), nil
}

// unmap forgets a retired group, unless it was the old group of a rename whose new group now
// holds the mapping.
func (a *applier) unmap(op *Op) []Mapping {
	if a.replaced[op.EntraID] {
		return nil
	}
	return []Mapping{{Kind: "group", EntraID: op.EntraID}}
}

func (a *applier) userID(entraID, scimID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.resolved[entraID]; s != "" {
		return s
	}
	return scimID
}

func (a *applier) failUser(entraID string) {
	a.mu.Lock()
	a.failedUser[entraID] = true
	a.mu.Unlock()
}

func (a *applier) createUser(ctx context.Context, op *Op) (OpResult, []Mapping) {
	t := a.e.Target
	want := *op.User
	want.ID = ""
	created, err := t.CreateUser(ctx, want)
	if apperr.CodeOf(err) == apperr.AtlassianConflict {
		// It exists: made by an earlier, interrupted attempt, or by hand. Adopt it when it is ours
		// or unlinked, then bring it to the desired state.
		created, err = a.adoptUser(ctx, want)
	}
	if err != nil {
		a.failUser(op.EntraID)
		return fail(err), nil
	}
	a.mu.Lock()
	prev := a.claimed[created.ID]
	if prev == "" {
		prev = a.owner[created.ID].EntraID
	}
	if prev != "" && prev != op.EntraID {
		// Atlassian answered the create (or the adoption's lookup) with an account that is
		// already another Entra user's: linking it would make two people one account until a
		// full reconcile, with the second one's attributes and groups written over the first's.
		a.mu.Unlock()
		a.failUser(op.EntraID)
		return fail(apperr.New(apperr.AtlassianConflict,
			"Atlassian returned the account %s for %s, but that account already belongs to the Entra user %s; it was not linked", created.ID, want.UserName, prev).
			WithAction("In Atlassian administration check the accounts of both users, then run a full reconcile.")), nil
	}
	a.claimed[created.ID] = op.EntraID
	a.resolved[op.EntraID] = created.ID
	a.mu.Unlock()
	return OpResult{Result: report.ResultSucceeded, SCIMID: created.ID}, []Mapping{{Kind: "user", EntraID: op.EntraID, SCIMID: created.ID, Managed: true}}
}

func (a *applier) adoptUser(ctx context.Context, want User) (User, error) {
	t := a.e.Target
	cur, found, err := t.FindUserByExternalID(ctx, want.ExternalID)
	if err == nil && !found {
		cur, found, err = t.FindUserByUserName(ctx, want.UserName)
	}
	if err != nil {
		return cur, err
	}
	if !found {
		return cur, apperr.New(apperr.AtlassianConflict, "Atlassian refused to create %s as a duplicate but no such user can be found", want.UserName)
	}
	if cur.ExternalID != "" && cur.ExternalID != want.ExternalID {
		return cur, apperr.New(apperr.AtlassianConflict, "the account %s is linked to another Entra user (%s)", want.UserName, cur.ExternalID)
	}
	if ch := DiffUser(cur, want); len(ch) > 0 {
		if err := t.PatchUser(ctx, cur.ID, ch); err != nil {
			return cur, err
		}
	}
	return cur, nil
}

// heldStore is the part of the store that records a group held after a 409 (internal/adapter.Store has it;
// the engine's in-memory test states may not).
type heldStore interface {
	SetDecision(ctx context.Context, dirID, groupEntraID, decision string) error
}

func (a *applier) createGroup(ctx context.Context, op *Op) (OpResult, []Mapping) {
	t := a.e.Target
	ext := op.ExternalID
	if ext == "" {
		ext = op.EntraID
	}
	g, err := t.CreateGroup(ctx, op.Name, ext)
	if apperr.CodeOf(err) == apperr.AtlassianConflict && ext == op.EntraID && strings.Contains(apperr.As(err).Message, "externalId") {
		// The Entra id is taken by the group an earlier rename retired (it keeps the id), which
		// an incremental read cannot see (groups are never looked up by externalId): the new
		// group takes the derived externalId a rename gets.
		g, err = t.CreateGroup(ctx, op.Name, GroupExternalID(op.EntraID, op.Name))
	}
	if apperr.CodeOf(err) == apperr.AtlassianConflict {
		// Atlassian's 409 detail names the attribute ("Resource [GROUP]: with displayName[…]
		// already exists."); only a name clash can be a group outside the SCIM directory.
		byExternalID := strings.Contains(apperr.As(err).Message, "externalId")
		var found bool
		g, found, err = t.FindGroupByDisplayName(ctx, op.Name)
		// Ours when its externalId names the Entra group: an earlier attempt that a crash kept
		// from being recorded.
		switch {
		case err == nil && !found && !byExternalID:
			// 409 with no such group in the SCIM directory: it exists elsewhere in the
			// organization (made by hand, or by another directory). Record it, so that the next
			// preview holds it as a conflict to decide instead of planning the create forever.
			if hs, ok := a.e.State.(heldStore); ok {
				if herr := hs.SetDecision(context.WithoutCancel(ctx), a.e.DirectoryID, op.EntraID, DecisionHeld); herr != nil {
					err = herr
					break
				}
			}
			err = apperr.New(apperr.ConflictUnresolved, "Atlassian refused to create the group %q (409): a group with this name exists in the organization outside the SCIM directory", op.Name).
				WithAction("Preview again: the group is held as a conflict for you to decide (skip it, or resolve it in admin.atlassian.com and retry).")
		case err == nil && (!found || ExternalOwner(g.ExternalID) != op.EntraID):
			err = apperr.New(apperr.ConflictUnresolved, "a group named %q appeared in Atlassian after the preview and is not managed by IdP Sync", op.Name).
				WithAction("Preview again and decide whether to take it over.")
		}
	}
	if err != nil {
		a.mu.Lock()
		a.failedGroup[op.EntraID] = true
		a.mu.Unlock()
		return fail(err), nil
	}
	a.mu.Lock()
	a.groupID[op.EntraID] = g.ID
	a.mu.Unlock()
	return OpResult{Result: report.ResultSucceeded, SCIMID: g.ID}, []Mapping{{Kind: "group", EntraID: op.EntraID, SCIMID: g.ID, Managed: true}}
}

func (a *applier) members(ctx context.Context, u *unit) (OpResult, []Mapping) {
	a.mu.Lock()
	gid := a.groupID[u.Group.EntraID]
	if gid == "" {
		gid = u.Group.SCIMID
	}
	gfailed := a.failedGroup[u.Group.EntraID]
	var ids []string
	var missing []string
	for i := range u.indices() {
		w := a.p.person(i)
		sid := a.resolved[w.EntraID]
		if sid == "" {
			sid = w.SCIMID
		}
		if sid == "" || (u.Action == report.AddMember && a.failedUser[w.EntraID]) {
			missing = append(missing, w.EntraID)
			continue
		}
		ids = append(ids, sid)
	}
	a.mu.Unlock()
	if gfailed || gid == "" {
		return OpResult{Result: report.ResultFailed, Code: codeDependency, Message: "the group could not be created"}, nil
	}
	var err error
	if len(ids) > 0 {
		if u.Action == report.AddMember {
			err = a.e.Target.AddMembers(ctx, gid, ids)
		} else {
			err = a.e.Target.RemoveMembers(ctx, gid, ids)
		}
	}
	if err != nil {
		return fail(err), nil
	}
	if len(missing) > 0 {
		// Report those memberships failed one by one, the rest succeeded.
		a.mu.Lock()
		miss := map[string]bool{}
		for _, m := range missing {
			miss[m] = true
		}
		for i := range u.indices() {
			if miss[a.p.entraID(i)] {
				a.out.set(i, OpResult{Result: report.ResultFailed, Code: codeDependency, Message: "the user could not be created"})
			}
		}
		a.mu.Unlock()
		return OpResult{Result: report.ResultSucceeded}, nil
	}
	return ok, nil
}

// meter emits progress at most every 200 ms with a rate and an estimate.
type meter struct {
	e     *Engine
	phase string
	total int
	mu    sync.Mutex
	done  int
	start time.Time
	last  time.Time
}

// The time left is shown once a phase has done etaMinDone operations or run etaMinSeconds.
const (
	etaMinDone    = 10
	etaMinSeconds = 3.0
)

func newMeter(e *Engine, phase string, total int) *meter {
	m := &meter{e: e, phase: phase, total: total, start: time.Now()}
	m.emit()
	return m
}

func (m *meter) add(n int) {
	m.mu.Lock()
	m.done += n
	emit := time.Since(m.last) >= 200*time.Millisecond
	m.mu.Unlock()
	if emit {
		m.emit()
	}
}

func (m *meter) finish() { m.emit() }

func (m *meter) emit() {
	if m.e.Emit == nil {
		return
	}
	m.mu.Lock()
	m.last = time.Now()
	p := Progress{Phase: m.phase, Done: m.done, Total: m.total, ETASeconds: -1}
	if el := time.Since(m.start).Seconds(); el > 0 && m.done > 0 {
		p.Rate = float64(m.done) / el
		// The time left is the measured rate of this phase applied to what is left of it, and
		// only once the sample says something: one operation done (the first carries the
		// connection set-up) gave "about 2 min left" for a phase that took seconds.
		if m.done >= etaMinDone || el >= etaMinSeconds {
			p.ETASeconds = float64(m.total-m.done) / p.Rate
		}
	}
	m.mu.Unlock()
	m.e.EmitProgress(p)
}

// ResumeInterrupted closes the runs of this directory that a crash left running: their pending
// journal entries are marked as reconciled by runID, whose full read of the live state decides
// what is still to do (a create that happened is found by externalId, never repeated). It
// returns how many runs were interrupted.
func (e *Engine) ResumeInterrupted(ctx context.Context, runID string) (int, error) {
	runs, err := e.State.Runs(ctx, e.DirectoryID, string(report.StatusRunning), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range runs {
		if r.ID == runID {
			continue
		}
		pend, err := e.State.Journal(ctx, r.ID, JournalPending)
		if err != nil {
			return n, err
		}
		marks := make([]JournalEntry, len(pend))
		for i, p := range pend {
			marks[i] = JournalEntry{Seq: p.Seq, State: JournalFailed, Result: fmt.Sprintf(`{"result":"skipped","code":"interrupted","message":"reconciled by run %s"}`, runID)}
		}
		if err := e.State.JournalMark(ctx, r.ID, marks); err != nil {
			return n, err
		}
		r.Status = string(report.StatusFailed)
		r.Ended = e.now()
		r.ErrorCode = "interrupted"
		r.ErrorMessage = fmt.Sprintf("the process stopped during the run (pid %d on %s); %d operations were reconciled by run %s", r.PID, r.Host, len(pend), runID)
		if err := e.State.PutRun(ctx, r); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
