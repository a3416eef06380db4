package backend

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
)

func accountDTO(a auth.Account) Account {
	return Account{Username: a.Username, Name: a.Name, TenantID: a.TenantID, ObjectID: a.ObjectID}
}

func (b *Backend) afterSignIn(ctx context.Context, d store.Directory, a auth.Account) (Account, error) {
	if d.TenantID != "" && !strings.EqualFold(d.TenantID, a.TenantID) {
		return accountDTO(a), apperr.New(apperr.TenantMismatch, "this directory syncs tenant %s (%s), but %s belongs to tenant %s",
			d.TenantID, d.TenantName, a.Username, a.TenantID).WithAction("Sign in with an account of the directory's tenant.")
	}
	d.Account = a.Username
	if err := b.st.UpdateDirectory(ctx, d); err != nil {
		return Account{}, err
	}
	return accountDTO(a), nil
}

// dirAuth returns a directory and its sign-in client.
func (b *Backend) dirAuth(ctx context.Context, id string) (store.Directory, *auth.Client, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return d, nil, err
	}
	c, err := b.authClient(ctx, d)
	return d, c, err
}

// SignIn runs the interactive sign-in (system browser through Options.OpenURL).
func (b *Backend) SignIn(ctx context.Context, id string) (Account, error) {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a, err := c.SignInInteractive(ctx, "")
	if err != nil {
		return Account{}, err
	}
	return b.afterSignIn(ctx, d, a)
}

// SignInDeviceCode signs in with a device code, emitting EventDeviceCode with the code to enter.
func (b *Backend) SignInDeviceCode(ctx context.Context, id string) (Account, error) {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a, err := c.SignInDeviceCode(ctx, func(dc auth.DeviceCode) {
		b.opts.Emitter.Emit(EventDeviceCode, DeviceCode{DirectoryID: id, UserCode: dc.UserCode, URL: dc.VerificationURL, Message: dc.Message})
	})
	if err != nil {
		return Account{}, err
	}
	return b.afterSignIn(ctx, d, a)
}

func (b *Backend) SignOut(ctx context.Context, id string) error {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return err
	}
	if err := c.SignOut(ctx); err != nil {
		return err
	}
	d.Account = ""
	return b.st.UpdateDirectory(ctx, d)
}

// CurrentAccount returns the cached account, or nil when nobody is signed in.
func (b *Backend) CurrentAccount(ctx context.Context, id string) (*Account, error) {
	_, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := c.Account(ctx)
	if apperr.CodeOf(err) == apperr.AuthRequired {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dto := accountDTO(a)
	return &dto, nil
}

func (b *Backend) Tenant(ctx context.Context, id string) (TenantCard, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return TenantCard{}, err
	}
	r, err := b.reader(ctx, d)
	if err != nil {
		return TenantCard{}, err
	}
	t, _, err := r.ReadTenant(ctx)
	if err != nil {
		return TenantCard{}, err
	}
	return TenantCard{ID: t.ID, DisplayName: t.DisplayName, InitialDomain: t.InitialDomain, DefaultDomain: t.DefaultDomain,
		PinnedTenantID: d.TenantID, Mismatch: d.TenantID != "" && !strings.EqualFold(d.TenantID, t.ID)}, nil
}

func (b *Backend) Domains(ctx context.Context, id string) ([]DomainRow, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	_, doms, err := r.ReadTenant(ctx)
	if err != nil {
		return nil, err
	}
	claims := map[string]string{}
	known := false
	if o, err := b.org(ctx, d); err != nil {
		return nil, err
	} else if o != nil {
		ods, err := o.ListDomains(ctx)
		if err != nil {
			return nil, err
		}
		known = true
		for _, od := range ods {
			claims[strings.ToLower(od.Name)] = od.Status
		}
	}
	s, err := b.settings(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]DomainRow, 0, len(doms))
	for _, dm := range doms {
		name := strings.ToLower(dm.Name)
		row := DomainRow{Name: name, VerifiedInEntra: dm.IsVerified, IsDefault: dm.IsDefault, IsInitial: dm.IsInitial, Selectable: dm.IsVerified, AtlassianStatus: "unknown"}
		if known {
			row.AtlassianStatus = "not_claimed"
			if st, ok := claims[name]; ok {
				row.AtlassianStatus = st
			}
		}
		row.Selected = dm.IsVerified && (s.DomainMode != engine.DomainsSpecific || slices.Contains(s.Domains, name))
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b DomainRow) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

type groupCache struct {
	at   time.Time
	snap *directory.Snapshot
	flat *directory.Flat
}

// groupTree returns the directory's groups, read once and kept for a few minutes: the picker
// pages and searches through them without going back to Graph.
func (b *Backend) groupTree(ctx context.Context, d store.Directory) (*groupCache, error) {
	b.mu.Lock()
	if b.groups == nil {
		b.groups = map[string]*groupCache{}
	}
	gc := b.groups[d.ID]
	b.mu.Unlock()
	if gc != nil && time.Since(gc.at) < 5*time.Minute {
		return gc, nil
	}
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	snap, _, err := r.ReadFull(ctx, nil)
	if err != nil {
		return nil, err
	}
	return b.cacheGroups(d.ID, snap), nil
}

// cacheGroups keeps a snapshot for the picker; a preview leaves its snapshot here so that the
// picker opened after it costs no read.
func (b *Backend) cacheGroups(dirID string, snap *directory.Snapshot) *groupCache {
	gc := &groupCache{at: time.Now(), snap: snap, flat: directory.Flatten(snap)}
	b.mu.Lock()
	if b.groups == nil {
		b.groups = map[string]*groupCache{}
	}
	b.groups[dirID] = gc
	b.mu.Unlock()
	return gc
}

func (b *Backend) Groups(ctx context.Context, id string, q GroupQuery) (GroupPage, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return GroupPage{}, err
	}
	gc, err := b.groupTree(ctx, d)
	if err != nil {
		return GroupPage{}, err
	}
	s, err := b.settings(ctx, id)
	if err != nil {
		return GroupPage{}, err
	}
	selected := map[string]bool{}
	implied := map[string]bool{}
	for _, g := range s.Groups {
		selected[g] = true
		for _, sub := range gc.flat.Subgroups(g) {
			implied[sub] = true
		}
	}
	names := make(map[string]string, len(gc.snap.Groups))
	for _, g := range gc.snap.Groups {
		names[g.ID] = g.DisplayName
	}
	var ids []string
	switch {
	case q.Search != "":
		needle := strings.ToLower(q.Search)
		for _, g := range gc.snap.Groups {
			if strings.Contains(strings.ToLower(g.DisplayName), needle) {
				ids = append(ids, g.ID)
			}
		}
	case q.ParentID != "":
		ids = gc.flat.Children(q.ParentID)
	default:
		for _, g := range gc.snap.Groups {
			if len(gc.flat.Parents(g.ID)) == 0 {
				ids = append(ids, g.ID)
			}
		}
	}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { _, ok := names[id]; return !ok })
	slices.SortFunc(ids, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b])); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	perGroup := engine.MaxUsersPerGroup
	if ns, err := s.Normalize(); err == nil {
		perGroup = ns.Limits.UsersPerGroup // the directory's limit, raised by Atlassian or not
	}
	page := GroupPage{Groups: []GroupNode{}, Total: len(ids)}
	if q.Offset < len(ids) {
		for _, gid := range ids[q.Offset:min(len(ids), q.Offset+q.Limit)] {
			kids := len(gc.flat.Children(gid))
			users := gc.flat.MemberCount(gid)
			page.Groups = append(page.Groups, GroupNode{ID: gid, DisplayName: names[gid], Subgroups: kids, Users: users,
				Selected: selected[gid], Implied: implied[gid] && !selected[gid], OverLimit: users > perGroup, HasChildren: kids > 0})
		}
	}
	return page, nil
}

// StartScheduler runs automatic syncs of directories with AutoSync on until ctx ends or the
// backend closes. An automatic sync proceeds only while the tenant and the domain set are those
// last confirmed, and never over the deactivation threshold; otherwise it stops before writing
// and emits EventSchedule with the reason.
func (b *Backend) StartScheduler(ctx context.Context) {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			b.releaseExpired()
			b.scheduleTick(ctx)
			select {
			case <-ctx.Done():
				return
			case <-b.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (b *Backend) scheduleTick(ctx context.Context) {
	ds, err := b.st.ListDirectories(ctx)
	if err != nil {
		return
	}
	for _, d := range ds {
		s, err := b.settings(ctx, d.ID)
		if err != nil || !s.AutoSync {
			continue
		}
		// The status the screens show decides: a directory being synced or previewed, without
		// an account or a valid key, or whose last sync the admin cancelled, waits for the admin.
		if st, _, err := b.DirectoryStatus(ctx, d.ID); err != nil || !schedulable(DirStatus(st)) {
			continue
		}
		runs, _ := b.st.Runs(ctx, d.ID, "", 20)
		var last time.Time
		for _, r := range runs {
			if r.Automatic || r.Kind == "apply" {
				last = r.Started
				break
			}
		}
		if !last.IsZero() && b.opts.Now().Sub(last) < time.Duration(s.AutoIntervalMinutes)*time.Minute {
			continue
		}
		if _, err := b.AutoSync(ctx, d.ID); err != nil {
			b.opts.Emitter.Emit(EventSchedule, ScheduleNotice{DirectoryID: d.ID, Error: errDTO(err), At: rfc(b.opts.Now())})
		}
	}
}

// schedulable says whether an automatic sync may start in a directory of this status. A
// blocked directory is tried again: what blocked it (a changed domain set) may have been undone.
func schedulable(status DirStatus) bool {
	return status == StatusEnabled || status == StatusBlocked
}

func errDTO(err error) ErrorDTO {
	e := apperr.As(err)
	return ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action}
}

// AutoSync is one automatic sync under the standing confirmation rule.
func (b *Backend) AutoSync(ctx context.Context, id string) (rs RunSummary, err error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return RunSummary{}, err
	}
	defer func() { b.afterAutomatic(ctx, d, rs, err) }()
	conf, err := b.st.StandingConfirmation(ctx, id)
	if err != nil {
		return RunSummary{}, err
	}
	if conf == nil {
		return RunSummary{}, apperr.New(apperr.ConfirmationRequired, "automatic syncing waits for a first sync confirmed by the admin").WithAction("Run a sync and confirm the tenant and domains.")
	}
	// An automatic run never overrides a rail: the deactivation and membership-removal
	// thresholds and the read-shrink rail all stop it before writing.
	rs, _, err = b.run(ctx, d, runRequest{automatic: true, purpose: "automatic sync",
		confirm: engine.Confirmation{TenantID: conf.TenantID, Domains: conf.Domains}})
	return rs, err
}
