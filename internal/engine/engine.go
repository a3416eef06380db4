package engine

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atomicfile"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// Engine syncs one directory. It is built per run by the backend with the directory's clients.
type Engine struct {
	DirectoryID string
	Source      Source
	Target      Target
	// Org reads the organization's groups outside the SCIM directory; nil when no organization
	// key is configured (the plan then says that such conflicts cannot be detected).
	Org OrgGroups
	// Access suspends and restores users' access (Organizations API v2) for the "suspend
	// access" choice; nil without an organization key.
	Access      OrgAccess
	State       State
	SnapshotDir string         // where the last synced snapshot is kept for incremental runs
	Emit        func(Progress) // nil: no progress
	Now         func() time.Time

	runID string // the run in progress (Preview, Run), stamped on its progress events
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) emit(phase string, done, total int) {
	e.EmitProgress(Progress{Phase: phase, Done: done, Total: total, ETASeconds: -1})
}

// EmitProgress sends p to Emit stamped with the run in progress; an adapter's own progress (the
// Graph reader's object count) goes through here too.
func (e *Engine) EmitProgress(p Progress) {
	if e.Emit != nil {
		p.RunID = e.runID
		e.Emit(p)
	}
}

// PrepareOptions ask for a plan.
type PrepareOptions struct {
	Settings Settings // normalized
	Full     bool     // a full reconcile on demand
}

// Prepare reads Entra (a delta when possible) and Atlassian (all of it on a full reconcile, only
// the touched objects otherwise) and computes the plan.
func (e *Engine) Prepare(ctx context.Context, o PrepareOptions) (*Plan, error) {
	st := o.Settings
	shash := SettingsHash(st)
	full := o.Full
	ds, err := e.State.DeltaState(ctx, e.DirectoryID)
	if err != nil {
		return nil, err
	}
	var prev *savedSnapshot
	if ds == nil || (st.FullReconcileEvery > 0 && ds.RunsSinceFull+1 >= st.FullReconcileEvery) || st.FullReconcileEvery == 0 {
		full = true
	}
	if !full {
		prev, err = e.loadSnapshot()
		if err != nil || prev == nil || prev.Digest != ds.SnapshotDigest || prev.SettingsHash != shash {
			full = true
		}
	}
	var phases []report.Phase
	timed := func(name string, f func() error) error {
		start := e.now()
		e.emit(name, 0, 0)
		err := f()
		phases = append(phases, report.Phase{Name: name, Started: start, Duration: e.now().Sub(start)})
		return err
	}

	var snap *directory.Snapshot
	var links directory.DeltaLinks
	if !full {
		err := timed(PhaseReadTenant, func() error {
			delta, err := e.Source.ReadDelta(ctx, directory.DeltaLinks{Users: ds.UsersLink, Groups: ds.GroupsLink})
			if err != nil {
				return err
			}
			snap, links = prev.Snapshot, delta.Links
			if !deltaEmpty(delta) {
				snap = ApplyDelta(prev.Snapshot, delta)
			}
			// Graph's delta carries no tenant or domains: read them again (two cheap requests),
			// or a domain verified or removed in Entra would go unseen — and the confirmation
			// bound to the domain set with it — until the next full reconcile.
			if tr, ok := e.Source.(TenantSource); ok {
				t, doms, err := tr.ReadTenant(ctx)
				if err != nil {
					return err
				}
				if !sameTenant(snap, t, doms) {
					if snap == prev.Snapshot {
						cp := *snap
						snap = &cp
					}
					snap.Tenant, snap.Domains = t, doms
				}
			}
			return nil
		})
		if apperr.CodeOf(err) == apperr.GraphDeltaExpired {
			full, phases = true, nil
		} else if err != nil {
			return nil, err
		}
	}
	if full {
		if err := timed(PhaseReadTenant, func() error {
			var err error
			snap, links, err = e.Source.ReadFull(ctx)
			return err
		}); err != nil {
			return nil, err
		}
	}
	var desired *Desired
	var touched *Touched
	var keptDigest string
	var prints *Prints
	switch {
	case full:
		desired = Scope(snap, st, nil)
	case snap == prev.Snapshot:
		// An empty delta: the desired state is the previous one, nothing is touched, and the
		// saved snapshot stays valid as it is (scoping it twice and rewriting it cost ~14 s of
		// CPU on a 100,000-user tenant for a run with nothing to do).
		desired = Scope(snap, st, nil)
		touched = &Touched{Users: map[string]bool{}, Groups: map[string]bool{}}
		keptDigest = prev.Digest
	default:
		// The stored snapshot's last use is here, before the current one is scoped, so that
		// what the delta replaced (its users' array: 19 MB at 100,000 users) is free by then.
		old := prev.Prints
		if old == nil {
			// A snapshot saved before prints were: scope it once more.
			old = PrintsOf(Scope(prev.Snapshot, st, nil))
		}
		desired = Scope(snap, st, nil)
		prints = PrintsOf(desired)
		touched = touchPrints(old, prints, desired)
	}
	if prints == nil && keptDigest == "" {
		prints = PrintsOf(desired) // for the next run, when this one's snapshot is saved
	}
	maps, err := e.State.Mappings(ctx, e.DirectoryID)
	if err != nil {
		return nil, err
	}
	decisions, err := e.State.Decisions(ctx, e.DirectoryID)
	if err != nil {
		return nil, err
	}
	live := &Live{}
	var suspended map[string]bool
	if err := timed(PhaseReadAtlassian, func() error {
		var err error
		if full {
			err = e.readLive(ctx, live)
		} else {
			err = e.readTouched(ctx, live, desired, touched, maps, st.Concurrency)
		}
		if err == nil {
			suspended, err = e.readSuspended(ctx, st, live)
		}
		return err
	}); err != nil {
		return nil, err
	}
	var plan *Plan
	in := PlanInput{Desired: desired, Live: live, Mappings: maps, Decisions: decisions, Settings: st, Touched: touched,
		Read: CountRead(snap), LastRead: e.lastRead(), Suspended: suspended}
	_ = timed(PhasePlan, func() error {
		plan = Compute(in)
		return nil
	})
	if e.Org == nil {
		_ = e.checkOrg(ctx, &in, &plan) // only notes what cannot be detected
	} else if err := timed(PhaseReadOrg, func() error {
		if err := e.checkOrg(ctx, &in, &plan); err != nil {
			return err
		}
		return e.predictRefusals(ctx, desired, plan)
	}); err != nil {
		return nil, err
	}
	plan.DirectoryID = e.DirectoryID
	plan.Created = e.now()
	plan.Phases = phases
	plan.Snapshot, plan.Links, plan.SettingsHash = snap, links, shash
	plan.keptDigest, plan.prints = keptDigest, prints
	if ds != nil {
		plan.runsSinceFull = ds.RunsSinceFull
	}
	return plan, nil
}

// NoOrgKeyNotice is the plan's notice when no organization key is configured.
const NoOrgKeyNotice = "Conflicts with groups outside the SCIM directory cannot be detected: no organization API key is set. " +
	"A group that exists elsewhere in the organization makes its create fail (409), and the next preview holds it for your decision. " +
	"Add the organization id and key (Connection) to see such conflicts before anything is written."

// checkOrg looks the names of the groups the plan creates (and of the groups held after a 409)
// up in the whole organization and plans again when one exists there: a conflict the admin
// decides before anything is written. Compute is pure, so the second plan differs only there.
func (e *Engine) checkOrg(ctx context.Context, in *PlanInput, plan **Plan) error {
	p := *plan
	var names []string
	for i := range p.ops { // the user and group ops
		op := &p.ops[i]
		if op.Action == report.CreateGroup || (op.Action == report.ConflictGroup && in.Decisions[op.EntraID] == DecisionHeld) {
			names = append(names, op.Name)
		}
	}
	for _, c := range p.Conflicts {
		if c.Scope == ConflictInOrganization && c.Decision == DecisionSkip {
			names = append(names, c.DisplayName) // so that the view still shows it as such
		}
	}
	if e.Org == nil {
		if len(names) > 0 {
			p.Notices = append(p.Notices, NoOrgKeyNotice)
		}
		return nil
	}
	p.OrgChecked = true
	if len(names) == 0 {
		return nil
	}
	found, err := e.Org.FindGroupsByName(ctx, names)
	if err != nil {
		return err
	}
	view := &OrgView{Groups: map[string]OrgGroup{}}
	for _, g := range found {
		view.Groups[strings.ToLower(g.Name)] = g
	}
	in.Org = view
	np := Compute(*in)
	np.OrgChecked = true
	*plan = np
	return nil
}

// MayRefusePrefix starts the warning of a user Atlassian may refuse to create.
const MayRefusePrefix = "Atlassian may refuse"

// OrgDomains is the organization's domains with their claim status (internal/adapter.Org wraps internal/atlassian.Org).
type OrgDomains interface {
	ListDomains(ctx context.Context) ([]OrgDomain, error)
}

// predictRefusals flags each user the plan creates on an email domain the organization has not
// verified: older Atlassian docs say an account "can only be created if it has an email address
// on a verified domain", newer ones that SCIM manages accounts outside the organization too. The
// plan cannot know which answer it will get, so it says so (one domains read per plan, cursor
// paged). Guests are flagged too: Atlassian syncs external users "outside your verified domain"
// for directories set up since November 2020, and refuses them under the older rule.
func (e *Engine) predictRefusals(ctx context.Context, d *Desired, p *Plan) error {
	od, ok := e.Org.(OrgDomains)
	if !ok {
		return nil
	}
	var creates []int
	for i := range p.ops { // the user and group ops
		if p.ops[i].Action == report.CreateUser {
			creates = append(creates, i)
		}
	}
	if len(creates) == 0 {
		return nil
	}
	doms, err := od.ListDomains(ctx)
	if err != nil {
		return err
	}
	status := map[string]string{}
	for _, dm := range doms {
		status[strings.ToLower(dm.Name)] = dm.Status
	}
	n := 0
	for _, i := range creates {
		op := &p.ops[i]
		du := d.Users[op.EntraID]
		if du == nil {
			continue
		}
		dom := du.Entra.EmailDomain()
		st := status[dom]
		if st == ClaimVerified {
			continue
		}
		if st == "" {
			st = "not claimed"
		}
		op.Warning = MayRefusePrefix + ": the organization has not verified " + dom + " (" + st + ")"
		n++
	}
	if n > 0 {
		p.Notices = append(p.Notices, unverifiedNotice(n))
	}
	return nil
}

// unverifiedNotice is the preview's notice for n users to create on unverified domains, in words
// with the count grouped and the plural right (it read "20031 user(s) to create are on domains").
func unverifiedNotice(n int) string {
	who := grouped(n) + " users to create are on domains"
	if n == 1 {
		who = "1 user to create is on a domain"
	}
	return who + " the Atlassian organization has not verified: " + MayRefusePrefix +
		" to create them. Verify the domains in admin.atlassian.com > Settings > Domains, or expect those creates to fail."
}

// grouped writes n with thousands separators, as the screens' formatCount does (en-US): 20,031.
func grouped(n int) string {
	s := itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func (e *Engine) readLive(ctx context.Context, live *Live) error {
	// Both lists at once; each appends to its own slice. The lists take ctx, not the group's,
	// so a failing one does not cut the other short (its error is the one returned).
	var g errgroup.Group
	g.Go(func() error {
		return e.Target.ListUsers(ctx, func(u User) error { live.Users = append(live.Users, u); return nil })
	})
	g.Go(func() error {
		return e.Target.ListGroups(ctx, func(g Group) error { live.Groups = append(live.Groups, g); return nil })
	})
	return g.Wait()
}

// appendOnce returns an add that appends an object to *list the first time its id is seen, under
// mu: a user or group found both by its mapped id and by a lookup must be in the live state once.
func appendOnce[T any](mu *sync.Mutex, list *[]T, id func(T) string) func(T) {
	seen := map[string]bool{}
	return func(x T) {
		mu.Lock()
		defer mu.Unlock()
		if k := id(x); !seen[k] {
			seen[k] = true
			*list = append(*list, x)
		}
	}
}

// readMapped reads the object a mapping names by its SCIM id (none when sid is "") and adds it;
// one deleted by hand (404) is no error: the caller's lookups by externalId or name go on.
func readMapped[T any](ctx context.Context, get func(context.Context, string) (T, error), sid string, add func(T)) (T, bool, error) {
	var zero T
	if sid == "" {
		return zero, false, nil
	}
	x, err := get(ctx, sid)
	if err != nil {
		if apperr.CodeOf(err) == apperr.AtlassianNotFound {
			err = nil
		}
		return zero, false, err
	}
	add(x)
	return x, true, nil
}

// keepFound makes add take a lookup's answer as it comes (object, found, error): the object is
// added when found, and found and the error are handed back.
func keepFound[T any](add func(T)) func(T, bool, error) (bool, error) {
	return func(x T, found bool, err error) (bool, error) {
		if err == nil && found {
			add(x)
		}
		return found && err == nil, err
	}
}

// readTouched reads only the Atlassian objects an incremental plan touches, by id when the
// mapping knows it; users else by externalId, then by userName, groups else by display name
// (adoption, conflicts).
func (e *Engine) readTouched(ctx context.Context, live *Live, d *Desired, t *Touched, maps []Mapping, width int) error {
	umap, gmap := map[string]string{}, map[string]string{}
	for _, m := range maps {
		if m.Kind == "group" {
			gmap[m.EntraID] = m.SCIMID
		} else {
			umap[m.EntraID] = m.SCIMID
		}
	}
	var mu sync.Mutex // one for both lists: the jobs below add users and groups concurrently
	addU := appendOnce(&mu, &live.Users, func(u User) string { return u.ID })
	addG := appendOnce(&mu, &live.Groups, func(g Group) string { return g.ID })
	keepU, keepG := keepFound(addU), keepFound(addG)
	var jobs []func() error
	for id := range t.Users {
		jobs = append(jobs, func() error {
			if u, ok, err := readMapped(ctx, e.Target.GetUser, umap[id], addU); err != nil || (ok && u.ExternalID == id) {
				// externalId is unique: the lookups below could only find this user again.
				return err
			}
			if found, err := keepU(e.Target.FindUserByExternalID(ctx, id)); found || err != nil {
				return err
			}
			if du, ok := d.Users[id]; ok {
				_, err := keepU(e.Target.FindUserByUserName(ctx, du.SCIM.UserName))
				return err
			}
			return nil
		})
	}
	for id := range t.Groups {
		jobs = append(jobs, func() error {
			// Atlassian documents one group filter, displayName eq (Get groups, user-provisioning
			// REST API); an externalId filter is refused with 400 invalidFilter. So a group is
			// read by the SCIM id its mapping holds (a rename's old group, a deleted group's
			// group), else by its current name; whose it is, the plan decides from the
			// externalId it carries.
			g, ok, err := readMapped(ctx, e.Target.GetGroup, gmap[id], addG)
			dg, desired := d.Groups[id]
			if err != nil || !desired || (ok && strings.EqualFold(dg.Name, g.DisplayName)) {
				// Display names are unique (case-insensitive): a name lookup could only find
				// this group again.
				return err
			}
			_, err = keepG(e.Target.FindGroupByDisplayName(ctx, dg.Name))
			return err
		})
	}
	// Lookups are reads paced by the client's limiter like the writes: as wide as the apply.
	return parallel(ctx, max(8, width), jobs)
}

// parallel runs jobs n at a time. After the first error (returned) or a cancel no further job
// starts; those running finish, because a lookup already sent is cheaper to finish than to lose.
func parallel(ctx context.Context, n int, jobs []func() error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for _, j := range jobs {
		if gctx.Err() != nil {
			break
		}
		g.Go(j)
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		return apperr.Wrap(ctx.Err(), apperr.Canceled, "canceled")
	}
	return err
}

// sameTenant reports whether s already holds this tenant and exactly these domains.
func sameTenant(s *directory.Snapshot, t directory.Tenant, doms []directory.Domain) bool {
	if !reflect.DeepEqual(s.Tenant, t) || len(s.Domains) != len(doms) {
		return false
	}
	byName := make(map[string]directory.Domain, len(doms))
	for _, d := range doms {
		byName[d.Name] = d
	}
	for _, d := range s.Domains {
		if byName[d.Name] != d {
			return false
		}
	}
	return true
}

func deltaEmpty(d *directory.Delta) bool {
	return len(d.Users) == 0 && len(d.RemovedUsers) == 0 && len(d.Groups) == 0 && len(d.RemovedGroups) == 0 &&
		len(d.MembersAdded) == 0 && len(d.MembersRemoved) == 0
}

// ApplyDelta returns prev with the delta's changes; prev is not modified.
func ApplyDelta(prev *directory.Snapshot, d *directory.Delta) *directory.Snapshot {
	groups := make(map[string]directory.Group, len(prev.Groups))
	for _, g := range prev.Groups {
		groups[g.ID] = g
	}
	for _, g := range d.Groups {
		groups[g.ID] = g
	}
	members := make(map[string][]directory.Member, len(prev.Members))
	for k, v := range prev.Members {
		members[k] = v
	}
	for _, id := range d.RemovedGroups {
		delete(groups, id)
		delete(members, id)
	}
	removed := map[string]map[string]bool{}
	for _, e := range d.MembersRemoved {
		if removed[e.GroupID] == nil {
			removed[e.GroupID] = map[string]bool{}
		}
		removed[e.GroupID][e.Member.ID] = true
	}
	for gid, rm := range removed {
		var keep []directory.Member
		for _, m := range members[gid] {
			if !rm[m.ID] {
				keep = append(keep, m)
			}
		}
		members[gid] = keep
	}
	for _, e := range d.MembersAdded {
		if _, ok := groups[e.GroupID]; !ok {
			continue
		}
		if !slices.ContainsFunc(members[e.GroupID], func(m directory.Member) bool { return m.ID == e.Member.ID }) {
			members[e.GroupID] = append(slices.Clip(members[e.GroupID]), e.Member)
		}
	}
	out := &directory.Snapshot{Tenant: prev.Tenant, Domains: prev.Domains, Members: members, Users: applyUsers(prev.Users, d)}
	for _, id := range sortedKeys(groups) {
		out.Groups = append(out.Groups, groups[id])
	}
	return out
}

// applyUsers is prev's users with the delta's changed users and without its removed ones, in id
// order. A prev in strict id order (what ApplyDelta and the stored snapshot hold) is merged with
// the sorted changes; a map of every user (34 MB at 100,000 users) is built only for another.
func applyUsers(prev []directory.User, d *directory.Delta) []directory.User {
	removed := make(map[string]bool, len(d.RemovedUsers))
	for _, id := range d.RemovedUsers {
		removed[id] = true
	}
	strict := true
	for i := 1; i < len(prev) && strict; i++ {
		strict = prev[i-1].ID < prev[i].ID
	}
	if !strict {
		users := make(map[string]directory.User, len(prev))
		for _, u := range prev {
			users[u.ID] = u
		}
		for _, u := range d.Users {
			users[u.ID] = u
		}
		var out []directory.User
		for _, id := range sortedKeys(users) {
			if !removed[id] {
				out = append(out, users[id])
			}
		}
		return out
	}
	last := make(map[string]int, len(d.Users)) // a user changed twice: its last state
	for i, u := range d.Users {
		last[u.ID] = i
	}
	changed := make([]directory.User, 0, len(last))
	for _, id := range sortedKeys(last) {
		changed = append(changed, d.Users[last[id]])
	}
	out := make([]directory.User, 0, len(prev)+len(changed))
	keep := func(u directory.User) {
		if !removed[u.ID] {
			out = append(out, u)
		}
	}
	i, j := 0, 0
	for i < len(prev) || j < len(changed) {
		switch {
		case j == len(changed) || i < len(prev) && prev[i].ID < changed[j].ID:
			keep(prev[i])
			i++
		case i == len(prev) || changed[j].ID < prev[i].ID:
			keep(changed[j])
			j++
		default: // the same user: its new state
			keep(changed[j])
			i, j = i+1, j+1
		}
	}
	return out
}

// SettingsHash identifies the settings that shape the desired state: a change forces a full run.
func SettingsHash(s Settings) string {
	s.AutoSync, s.AutoIntervalMinutes, s.DeactivationMaxCount, s.DeactivationMaxPercent = false, 0, 0, 0
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0
	s.FullReconcileEvery, s.MemberChunkSize, s.Concurrency = 0, 0, 0
	js, _ := json.Marshal(s)
	h := sha256.Sum256(js)
	return hex.EncodeToString(h[:])
}

// savedSnapshot is the head of the file an incremental run starts from. Version 2 adds Prints
// (nil in a version 1 file, whose desired state the next run scopes again); version 4 writes
// the snapshot after it in chunks (snapfile.go) and the counts here say how many of each.
type savedSnapshot struct {
	Version      int
	SettingsHash string
	Snapshot     *directory.Snapshot // versions 1 and 2; version 4: read after the header
	Prints       *Prints             // of Scope(Snapshot) under the settings of SettingsHash
	Digest       string              `gob:"-"`

	Tenant                                  directory.Tenant
	Domains                                 []directory.Domain
	Users, Groups, Extra, Keys, Memberships int
}

func (e *Engine) snapshotPath() string {
	return filepath.Join(e.SnapshotDir, e.DirectoryID+".snapshot.gz")
}

func (e *Engine) loadSnapshot() (*savedSnapshot, error) {
	if e.SnapshotDir == "" {
		return nil, nil
	}
	f, err := os.Open(e.snapshotPath())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Decoded from the file as it is read and hashed on the way (the digest is the file's), so
	// the compressed bytes are not held beside the decoded snapshot.
	sha := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, sha), 1<<16)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	var s savedSnapshot
	dec := gob.NewDecoder(zr)
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	switch s.Version {
	case 1, 2:
	case 4:
		if s.Snapshot, err = readSnapshot(dec, &s); err != nil {
			return nil, err
		}
	default:
		return nil, nil // a form this version cannot read: the next run is a full one
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // the gzip trailer and anything after it
		return nil, err
	}
	s.Digest = hex.EncodeToString(sha.Sum(nil))
	return &s, nil
}

// Commit records what an applied plan leaves for the next run: after a clean apply the snapshot
// and delta links (so the next run can be incremental); otherwise nothing, so the next run reads
// everything and retries what failed.
func (e *Engine) Commit(ctx context.Context, p *Plan, out *Outcome) error {
	ctx = context.WithoutCancel(ctx) // a canceled run still records where it stopped
	clean := out != nil && out.Status == report.StatusSucceeded
	if p.Count(report.ConflictGroup) > 0 {
		clean = false // a held conflict must come back in the next preview
	}
	if clean {
		// The read this run synced is the next run's yardstick for the read-shrink rail.
		if err := e.saveRead(CountRead(p.Snapshot)); err != nil {
			return err
		}
	}
	if !clean || e.SnapshotDir == "" || p.Links.Users == "" && p.Links.Groups == "" {
		return e.State.SetDeltaState(ctx, e.DirectoryID, nil)
	}
	runs := 0
	if !p.Full {
		runs = p.runsSinceFull + 1
	}
	if p.keptDigest != "" {
		// The snapshot did not change since it was saved: only the delta links moved on.
		return e.State.SetDeltaState(ctx, e.DirectoryID, &DeltaState{UsersLink: p.Links.Users, GroupsLink: p.Links.Groups,
			SnapshotDigest: p.keptDigest, RunsSinceFull: runs})
	}
	if err := os.MkdirAll(e.SnapshotDir, 0o700); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot create %s", e.SnapshotDir)
	}
	// Encoded straight into the file, hashed on the way: the compressed snapshot (tens of MB
	// at scenario L) is never held in memory as a whole.
	sha := sha256.New()
	err := atomicfile.Write(e.snapshotPath(), 0o600, func(w io.Writer) error {
		// BestSpeed: the default level spent seconds of CPU per run on a 100,000-user snapshot
		// for a file only a little smaller.
		// flate writes its output a few hundred bytes at a time: buffered, not a syscall each.
		bw := bufio.NewWriterSize(io.MultiWriter(w, sha), 1<<16)
		zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
		if err := writeSnapshot(gob.NewEncoder(zw), savedSnapshot{Version: 4, SettingsHash: p.SettingsHash, Prints: p.prints}, p.Snapshot); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot write the snapshot")
	}
	sum := sha.Sum(nil)
	return e.State.SetDeltaState(ctx, e.DirectoryID, &DeltaState{UsersLink: p.Links.Users, GroupsLink: p.Links.Groups,
		SnapshotDigest: hex.EncodeToString(sum[:]), RunsSinceFull: runs})
}
