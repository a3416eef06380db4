package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/procstat"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// childConfig is what the parent hands one sync process on stdin. Each sync runs in its own
// process, as a scheduled headless sync would, so its peak RSS and CPU time are the sync's own
// and not the emulators' (which live in the parent).
type childConfig struct {
	Label       string
	Home        string // the app's data folder: store, snapshots, reports
	DirectoryID string
	GraphURL    string // Graph v1.0 root
	Token       string // a Graph access token issued by the identity emulator through MSAL
	SCIMURL     string
	SCIMKey     string
	CAPEM       []byte // the emulators' certificate, the only one trusted
	Settings    engine.Settings
	// ConfirmTenant and ConfirmDomains are the headless confirmation: the generated tenant and
	// the domain set the settings select.
	ConfirmTenant  string
	ConfirmDomains []string
	Naive          bool
	Full           bool
}

// segment is one measured stretch of a run.
type segment struct {
	Name       string  `json:"name"`
	Wall       float64 `json:"wallSeconds"`
	CPU        float64 `json:"cpuSeconds"`
	PeakRSS    int64   `json:"peakRssBytes"`
	Graph      reqs    `json:"graph"`
	SCIM       reqs    `json:"scim"`
	SCIMWrites int64   `json:"scimWrites"` // answered writes (POST/PATCH/PUT/DELETE, not 429)
}

// reqs counts HTTP attempts on the wire, by class.
type reqs struct {
	Total     int64            `json:"total"`
	Throttled int64            `json:"throttled"`
	ByClass   map[string]int64 `json:"byClass,omitempty"`
}

type childResult struct {
	Label     string         `json:"label"`
	Segments  []segment      `json:"segments"`
	Full      bool           `json:"full"`
	Ops       int            `json:"ops"`
	ByAction  map[string]int `json:"byAction"`
	Failed    int            `json:"failed"`
	Status    string         `json:"status"`
	Limiter   atlassian.LimiterStats
	ResetHWM  bool   `json:"resetHwm"`
	Error     string `json:"error,omitempty"`
	FirstFail string `json:"firstFail,omitempty"`
}

// counter is a RoundTripper that counts attempts by class and 429s.
type counter struct {
	next     http.RoundTripper
	classify func(*http.Request) string
	mu       gosync.Mutex
	by       map[string]int64
	total    atomic.Int64
	thr      atomic.Int64
	writes   atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.total.Add(1)
	cl := c.classify(r)
	c.mu.Lock()
	c.by[cl]++
	c.mu.Unlock()
	resp, err := c.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.thr.Add(1)
	} else if err == nil && r.Method != http.MethodGet {
		c.writes.Add(1)
	}
	return resp, err
}

func (c *counter) snap() (reqs, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	by := make(map[string]int64, len(c.by))
	for k, v := range c.by {
		by[k] = v
	}
	return reqs{Total: c.total.Load(), Throttled: c.thr.Load(), ByClass: by}, c.writes.Load()
}

func diff(a, b reqs) reqs {
	out := reqs{Total: b.Total - a.Total, Throttled: b.Throttled - a.Throttled, ByClass: map[string]int64{}}
	for k, v := range b.ByClass {
		if d := v - a.ByClass[k]; d != 0 {
			out.ByClass[k] = d
		}
	}
	return out
}

func graphClass(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/v1.0/")
	switch {
	case strings.HasSuffix(p, "/transitiveMembers"):
		return "transitiveMembers"
	case strings.HasSuffix(p, "/members"):
		return "members"
	case strings.HasPrefix(p, "users/delta"):
		return "users/delta"
	case strings.HasPrefix(p, "groups/delta"):
		return "groups/delta"
	}
	return p
}

func scimClass(r *http.Request) string {
	p := r.URL.Path
	kind := "other"
	switch {
	case strings.Contains(p, "/Users"):
		kind = "Users"
	case strings.Contains(p, "/Groups"):
		kind = "Groups"
	}
	return r.Method + " " + kind
}

// recorder cuts a run into segments at phase changes, resetting the RSS high-water mark at each.
type recorder struct {
	mu       gosync.Mutex
	cur      string
	start    time.Time
	cpu0     time.Duration
	g0, s0   reqs
	w0       int64
	graph    *counter
	scim     *counter
	segs     []segment
	resetHWM bool
}

func (r *recorder) mark(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == r.cur {
		return
	}
	now := time.Now()
	g, _ := r.graph.snap()
	s, w := r.scim.snap()
	if r.cur != "" {
		r.segs = append(r.segs, segment{Name: r.cur, Wall: now.Sub(r.start).Seconds(), CPU: (procstat.CPUTime() - r.cpu0).Seconds(),
			PeakRSS: procstat.PeakRSS(), Graph: diff(r.g0, g), SCIM: diff(r.s0, s), SCIMWrites: w - r.w0})
	}
	r.resetHWM = procstat.ResetPeakRSS()
	r.cur, r.start, r.cpu0, r.g0, r.s0, r.w0 = name, time.Now(), procstat.CPUTime(), g, s, w
}

// markedSource marks the Graph read and what follows it (scoping and flattening).
type markedSource struct {
	next engine.Source
	rec  *recorder
}

func (m markedSource) ReadFull(ctx context.Context) (*directory.Snapshot, directory.DeltaLinks, error) {
	m.rec.mark(segGraph)
	defer m.rec.mark(segScope)
	return m.next.ReadFull(ctx)
}

func (m markedSource) ReadDelta(ctx context.Context, l directory.DeltaLinks) (*directory.Delta, error) {
	m.rec.mark(segGraph)
	defer m.rec.mark(segScope)
	return m.next.ReadDelta(ctx, l)
}

// Segment names, in the order a run goes through them.
const (
	segSetup    = "setup"      // open the store, build the clients
	segGraph    = "graph_read" // Graph: tenant, users, groups with members (or delta)
	segScope    = "scope"      // scope and flatten the snapshot (part of the plan)
	segAtlRead  = "atl_read"   // Atlassian: the live state (all, or the touched objects)
	segPlan     = "plan"       // the plan proper
	segJournal  = "journal"    // journal the plan's units before writing
	segApplyPfx = "apply:"     // one per apply phase
	segCommit   = "commit"     // snapshot and delta links for the next run
	segReport   = "report"     // the run's report document
)

func childMain() int {
	var cfg childConfig
	if err := json.NewDecoder(os.Stdin).Decode(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench child: bad config:", err)
		return 2
	}
	defer watchHeap(cfg.Label)()
	defer profileCPU(cfg.Label)()
	res := runChild(cfg)
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	if res.Error != "" {
		return 1
	}
	return 0
}

func runChild(cfg childConfig) (res childResult) {
	ctx := context.Background()
	res.Label = cfg.Label
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cfg.CAPEM) {
		res.Error = "the emulators' certificate does not parse"
		return res
	}
	// One transport per service, trusting only the emulators, with enough idle connections for
	// the engine's concurrency (the emulators speak HTTP/1.1; real Graph and Atlassian speak h2).
	transport := func() *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		t.MaxIdleConnsPerHost = 256
		return t
	}
	rec := &recorder{}
	rec.graph = &counter{next: transport(), classify: graphClass, by: map[string]int64{}}
	rec.scim = &counter{next: transport(), classify: scimClass, by: map[string]int64{}}
	rec.mark(segSetup)
	defer func() {
		rec.mark("")
		res.Segments, res.ResetHWM = rec.segs, rec.resetHWM
	}()

	st, err := store.Open(ctx, cfg.Home)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer st.Close()
	if _, err := st.GetDirectory(ctx, cfg.DirectoryID); apperr.CodeOf(err) == apperr.NotFound {
		err = st.CreateDirectory(ctx, store.Directory{ID: cfg.DirectoryID, Name: cfg.DirectoryID, Cloud: "global", ClientID: "bench",
			SCIMBaseURL: cfg.SCIMURL, AllowCustomHost: true, Created: time.Now()})
		if err != nil {
			res.Error = err.Error()
			return res
		}
	} else if err != nil {
		res.Error = err.Error()
		return res
	}
	var src engine.Source
	if cfg.Naive {
		src = &naiveSource{base: cfg.GraphURL, token: cfg.Token, hc: &http.Client{Transport: rec.graph, Timeout: 5 * time.Minute}}
	} else {
		tokens, err := entra.StaticTokenFor(cfg.Token, cfg.GraphURL)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		r, err := entra.New(entra.Config{BaseURL: cfg.GraphURL, Tokens: tokens, Transport: rec.graph})
		if err != nil {
			res.Error = err.Error()
			return res
		}
		src = adapter.Graph{Reader: r}
	}
	s, err := cfg.Settings.Normalize()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	scim, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: cfg.SCIMURL, APIKey: cfg.SCIMKey, KeyCreated: time.Now(), Transport: rec.scim,
		AllowCustomHost: true, MemberChunkSize: s.MemberChunkSize, LimiterConfig: adapter.LearnedPacing(ctx, st, cfg.DirectoryID, atlassian.LimiterConfig{})})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	e := &engine.Engine{DirectoryID: cfg.DirectoryID, Source: markedSource{src, rec}, Target: adapter.SCIM{SCIM: scim}, State: adapter.Store{Store: st},
		SnapshotDir: filepath.Join(cfg.Home, "snapshots"),
		Emit: func(p engine.Progress) {
			switch p.Phase {
			case engine.PhaseReadTenant:
				rec.mark(segGraph)
			case engine.PhaseReadAtlassian:
				rec.mark(segAtlRead)
			case engine.PhasePlan:
				rec.mark(segPlan)
			default:
				rec.mark(segApplyPfx + p.Phase)
			}
		}}
	// The run the product ships: engine.Run, as the headless command and the schedulers run it
	// (key proof, preview run and report, lock, confirmation, rails, journal, commit, report), by
	// an admin who confirmed the tenant and overrode the rails (a guard, not a performance matter).
	spec := engine.RunSpec{PreviewSpec: engine.PreviewSpec{DirectoryName: cfg.DirectoryID, Settings: s, Full: cfg.Full, AppVersion: "bench",
		Reports: engine.ReportFiles{Dir: filepath.Join(cfg.Home, "reports")},
		Stage: func(st engine.Stage) {
			switch st {
			case engine.StageApply:
				rec.mark(segJournal)
			case engine.StageCommit:
				rec.mark(segCommit)
			case engine.StageReport:
				rec.mark(segReport)
			}
		}},
		Confirm:   engine.Confirmation{TenantID: cfg.ConfirmTenant, Domains: cfg.ConfirmDomains},
		Overrides: engine.Overrides{Threshold: true, RemovalThreshold: true, ReadShrink: true},
		Purpose:   "bench", Lock: st}
	run, err := e.Run(ctx, spec)
	res.Limiter = scim.Limiter().Stats()
	if run.Plan != nil {
		res.Full, res.Ops, res.ByAction = run.Plan.Full, run.Plan.Len(), map[string]int{}
		for i := range run.Plan.Len() {
			res.ByAction[string(run.Plan.Action(i))]++
		}
	}
	if err != nil {
		res.Error = "run: " + err.Error()
		return res
	}
	out := run.Outcome
	res.Status = string(out.Status)
	for i, r := range out.All() {
		if r.Result == report.ResultFailed {
			if res.Failed == 0 {
				op := run.Plan.Op(i)
				res.FirstFail = fmt.Sprintf("%s %s: %s %s", op.Action, op.Name, r.Code, r.Message)
			}
			res.Failed++
		}
	}
	if len(out.Errors) > 0 {
		res.Error = "run: " + out.Errors[0].Code + " " + out.Errors[0].Message // the journal or the commit failed
	}
	return res
}

// naiveSource is the comparison strategy of the M scenario: everything one request at a time,
// and one transitiveMembers listing per group instead of groups delta with members flattened
// locally. It hands the engine a snapshot whose groups already hold their transitive users.
type naiveSource struct {
	base, token string
	hc          *http.Client
}

func (n *naiveSource) get(ctx context.Context, url string, v any) error {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+n.token)
		resp, err := n.hc.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 10 {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d, _ := time.ParseDuration(resp.Header.Get("Retry-After") + "s")
			time.Sleep(max(d, 100*time.Millisecond))
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
		}
		return json.NewDecoder(resp.Body).Decode(v)
	}
}

// pages follows nextLinks, handing each page's value array to each.
func pages[T any](ctx context.Context, n *naiveSource, url string, each func([]T)) error {
	for url != "" {
		var p struct {
			Value []T    `json:"value"`
			Next  string `json:"@odata.nextLink"`
		}
		if err := n.get(ctx, url, &p); err != nil {
			return err
		}
		each(p.Value)
		url = p.Next
	}
	return nil
}

func (n *naiveSource) ReadFull(ctx context.Context) (*directory.Snapshot, directory.DeltaLinks, error) {
	var links directory.DeltaLinks
	snap := &directory.Snapshot{Members: map[string][]directory.Member{}}
	var org struct {
		Value []struct {
			ID, DisplayName string
			VerifiedDomains []struct {
				Name      string
				IsDefault bool
				IsInitial bool
			}
		}
	}
	if err := n.get(ctx, n.base+"/organization?$select=id,displayName,verifiedDomains", &org); err != nil || len(org.Value) != 1 {
		return nil, links, errors.Join(err, errors.New("no organization"))
	}
	o := org.Value[0]
	snap.Tenant = directory.Tenant{ID: o.ID, DisplayName: o.DisplayName}
	for _, d := range o.VerifiedDomains {
		name := strings.ToLower(d.Name)
		snap.Tenant.VerifiedDomains = append(snap.Tenant.VerifiedDomains, name)
		if d.IsInitial {
			snap.Tenant.InitialDomain = name
		}
		if d.IsDefault {
			snap.Tenant.DefaultDomain = name
		}
	}
	type dom struct {
		ID                               string
		IsVerified, IsDefault, IsInitial bool
	}
	if err := pages(ctx, n, n.base+"/domains", func(ds []dom) {
		for _, d := range ds {
			snap.Domains = append(snap.Domains, directory.Domain{Name: strings.ToLower(d.ID), IsVerified: d.IsVerified, IsDefault: d.IsDefault, IsInitial: d.IsInitial})
		}
	}); err != nil {
		return nil, links, err
	}
	type user struct {
		ID, UserPrincipalName, Mail, GivenName, Surname, DisplayName, JobTitle, PreferredLanguage, MobilePhone, Department, UserType string
		BusinessPhones                                                                                                               []string
		AccountEnabled                                                                                                               bool
	}
	if err := pages(ctx, n, n.base+"/users?$top=999&$select="+strings.Join(entra.UserSelect, ","), func(us []user) {
		for _, u := range us {
			du := directory.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail, GivenName: u.GivenName, Surname: u.Surname,
				DisplayName: u.DisplayName, JobTitle: u.JobTitle, PreferredLanguage: u.PreferredLanguage, MobilePhone: u.MobilePhone,
				Department: u.Department, UserType: u.UserType, AccountEnabled: u.AccountEnabled}
			if len(u.BusinessPhones) > 0 {
				du.BusinessPhone = u.BusinessPhones[0]
			}
			snap.Users = append(snap.Users, du)
		}
	}); err != nil {
		return nil, links, err
	}
	type group struct {
		ID, DisplayName              string
		GroupTypes                   []string
		SecurityEnabled, MailEnabled bool
	}
	if err := pages(ctx, n, n.base+"/groups?$top=999&$select=id,displayName,groupTypes,securityEnabled,mailEnabled", func(gs []group) {
		for _, g := range gs {
			if len(g.GroupTypes) == 0 {
				g.GroupTypes = nil
			}
			snap.Groups = append(snap.Groups, directory.Group{ID: g.ID, DisplayName: g.DisplayName, GroupTypes: g.GroupTypes,
				SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled})
		}
	}); err != nil {
		return nil, links, err
	}
	type member struct {
		Type string `json:"@odata.type"`
		ID   string `json:"id"`
	}
	for _, g := range snap.Groups {
		if err := pages(ctx, n, n.base+"/groups/"+g.ID+"/transitiveMembers?$top=999&$select=id", func(ms []member) {
			for _, m := range ms {
				if strings.EqualFold(m.Type, "#microsoft.graph.user") {
					snap.Members[g.ID] = append(snap.Members[g.ID], directory.Member{ID: m.ID, Kind: directory.MemberUser})
				}
			}
		}); err != nil {
			return nil, links, err
		}
	}
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].ID < snap.Users[j].ID })
	return snap, links, nil
}

func (n *naiveSource) ReadDelta(context.Context, directory.DeltaLinks) (*directory.Delta, error) {
	return nil, apperr.New(apperr.GraphDeltaExpired, "the naive strategy always reads everything")
}
