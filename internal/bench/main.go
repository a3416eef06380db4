// Command bench measures IdP Sync's sync engine against the physical limits of the services it
// talks to. In one run it generates tenants with the seeded generator, starts the identity, Graph
// and Atlassian emulators on loopback HTTPS with the latency, throttling and rate-limit settings
// given as flags, signs in through the real MSAL code, and runs real syncs (the entra reader on
// the Graph SDK, the SCIM client, the SQLite store, the engine) each in its own child process so
// that peak RSS and CPU time are the sync's own. It prints one table and writes it as JSON.
//
//	go run ./internal/bench                   # scenarios M and L, the defaults of the issue
//	go run ./internal/bench -scenarios M      # only M (with the naive comparison)
//	go run ./internal/bench -l-users 20000    # a smaller L while developing
//
// IDPSYNC_BENCH_HEAPPROFILE=dir and IDPSYNC_BENCH_CPUPROFILE=dir make each sync child write its
// heap profile at its peak in-use heap (dir/<scenario>_<run>.heap, for
// `go tool pprof -sample_index=inuse_space`) and its CPU profile (dir/<scenario>_<run>.cpu).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/engine"
)

type options struct {
	Scenarios string
	JSON      string
	Runs      int
	Seed      uint64

	LUsers, LGroups, MUsers, MGroups int
	XLUsers, XLGroups, XLMembers     int
	Members, Depth                   int
	Changes                          string
	XLChanges                        string
	Naive                            bool

	GraphLatency   time.Duration
	GraphRU        int
	GraphWindow    time.Duration
	GraphDeltaPage int

	AtlLatency    time.Duration
	AtlRate       float64
	AtlBurst      int
	AtlRetryAfter time.Duration
	AtlHeaders    bool

	// Pacing lists the emulated Atlassian limits (requests/s) of the pacing runs: one initial
	// sync each of a tenant sized to PacingSeconds of requests at that limit, for the share of
	// requests answered 429 without a full scenario L.
	Pacing        string
	PacingSeconds float64

	Verbose bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		os.Exit(childMain())
	}
	var o options
	flag.StringVar(&o.Scenarios, "scenarios", "M,L", "scenarios to run, comma-separated: M (10,000 users, with the naive comparison), L (100,000 users), XL (1,000,000 users; make bench-xl)")
	flag.StringVar(&o.JSON, "json", "bench-results.json", "where to write the results as JSON (\"\" for nowhere)")
	flag.IntVar(&o.Runs, "runs", 1, "repeat each scenario this many times and report medians")
	flag.Uint64Var(&o.Seed, "seed", 1, "tenant generator seed")
	flag.IntVar(&o.LUsers, "l-users", 100_000, "users in scenario L")
	flag.IntVar(&o.LGroups, "l-groups", 10_000, "groups in scenario L")
	flag.IntVar(&o.XLUsers, "xl-users", 1_000_000, "users in scenario XL (Atlassian's published maximum)")
	flag.IntVar(&o.XLGroups, "xl-groups", 100_000, "groups in scenario XL")
	flag.IntVar(&o.XLMembers, "xl-members", 22, "average direct user members per group in XL (100,000 × 22 at depth 6 ≈ 7.7 M flattened, under Atlassian's 8,000,000)")
	flag.StringVar(&o.XLChanges, "xl-changes", "0.001,0.01", "fractions of users changed before each incremental run of XL")
	flag.IntVar(&o.MUsers, "m-users", 10_000, "users in scenario M")
	flag.IntVar(&o.MGroups, "m-groups", 1_000, "groups in scenario M")
	flag.IntVar(&o.Members, "members", 100, "average direct user members per group (L: 10,000 × 100 ≈ 1,000,000)")
	flag.IntVar(&o.Depth, "depth", 6, "group nesting depth")
	flag.StringVar(&o.Changes, "changes", "0.001,0.01,0.1", "fractions of users changed before each incremental run")
	flag.BoolVar(&o.Naive, "naive", true, "run the naive strategy in scenario M")
	flag.DurationVar(&o.GraphLatency, "graph-latency", 20*time.Millisecond, "Graph emulator latency per request")
	flag.IntVar(&o.GraphRU, "graph-ru", 8000, "Graph resource units per window (Graph's figure for tenants over 500 users)")
	flag.DurationVar(&o.GraphWindow, "graph-window", 10*time.Second, "Graph throttling window")
	flag.IntVar(&o.GraphDeltaPage, "graph-delta-page", 200, "entries (objects plus members@delta) per Graph delta page, the emulator's choice as Graph's")
	flag.DurationVar(&o.AtlLatency, "atl-latency", 20*time.Millisecond, "Atlassian emulator latency per request")
	flag.Float64Var(&o.AtlRate, "atl-rate", 1000, "Atlassian emulator rate limit, requests per second (429 with Retry-After past it)")
	flag.IntVar(&o.AtlBurst, "atl-burst", 0, "Atlassian emulator token bucket size (0: one second of the rate)")
	flag.DurationVar(&o.AtlRetryAfter, "atl-retry-after", 0, "Retry-After the Atlassian emulator sends (0: until a token is back, in whole seconds)")
	flag.BoolVar(&o.AtlHeaders, "atl-headers", false, "the Atlassian emulator limits in fixed periods and sends X-RateLimit-Limit, -Remaining and -Reset")
	flag.StringVar(&o.Pacing, "pacing", "20,100,1000", "emulated Atlassian limits (requests/s) of the pacing runs, comma-separated (\"\" for none)")
	flag.Float64Var(&o.PacingSeconds, "pacing-seconds", 30, "size each pacing run's tenant to about this many seconds of requests at its limit")
	// The engine's settings, the Graph reader's and the SCIM limiter are not flags: the bench
	// measures what ships, and its flags change only the emulated services.
	flag.BoolVar(&o.Verbose, "v", false, "log each run's details to stderr")
	reprint := flag.String("reprint", "", "print the table again from an earlier run's JSON instead of running")
	flag.Parse()
	if *reprint != "" {
		if err := reprintTable(*reprint); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}

	ctx := context.Background()
	var all []row
	var raws []rawRun
	start := time.Now()
	for _, f := range strings.Split(o.Pacing, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		limit, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || limit <= 0 {
			fmt.Fprintf(os.Stderr, "bench: bad -pacing entry %q\n", f)
			os.Exit(2)
		}
		sc, po := pacingScenario(limit, o)
		rows, rr, err := runScenario(ctx, sc, po)
		raws = append(raws, rr...)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: scenario %s: %v\n", sc.Name, err)
			os.Exit(1)
		}
		all = append(all, rows...)
	}
	for _, name := range strings.Split(o.Scenarios, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		sc, ok := scenarioByName(name, o)
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: unknown scenario %q (M, L or XL)\n", name)
			os.Exit(2)
		}
		var reps [][]row
		for i := 0; i < max(1, o.Runs); i++ {
			rows, rr, err := runScenario(ctx, sc, o)
			raws = append(raws, rr...)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: scenario %s: %v\n", sc.Name, err)
				os.Exit(1)
			}
			reps = append(reps, rows)
		}
		all = append(all, medians(reps)...)
	}
	printTable(os.Stdout, all, raws, o, time.Since(start))
	if o.JSON != "" {
		doc := map[string]any{"settings": o, "rows": all, "runs": raws, "elapsedSeconds": time.Since(start).Seconds(),
			"repetitions": max(1, o.Runs), "pacing": pacingSummary(raws, o)}
		if r, ok := find(all, "L", "initial", phApply); ok {
			doc["lInitialApplyRatio"] = r.Ratio
		}
		js, _ := json.MarshalIndent(doc, "", "  ")
		if err := os.WriteFile(o.JSON, js, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stdout, "\nJSON written to %s\n", o.JSON)
	}
}

type scenario struct {
	Name          string
	Users, Groups int
	Members       int    // average direct user members per group (0: -members)
	Changes       string // the incremental runs' fractions (empty: -changes)
	// Raised: the directory's Atlassian limits raised to the published maxima (1,000,000 users,
	// 290,000 per group), in the emulator and in the directory's settings, as support does it
	// for an organization that asks; the engine's other settings stay the shipped ones.
	Raised      bool
	Naive       bool
	InitialOnly bool    // pacing runs: only the initial sync
	Limit       float64 // pacing runs: the emulated Atlassian limit
}

// pacingScenario is the initial sync of a tenant whose requests take about PacingSeconds at
// limit: the generator's tenants need about 1.3 SCIM requests per user for an initial sync
// (scenario M: 12,311 for 10,000 users), with one group per ten users.
func pacingScenario(limit float64, o options) (scenario, options) {
	users := max(100, int(limit*o.PacingSeconds/1.3))
	o.AtlRate = limit
	return scenario{Name: "P" + strconv.FormatFloat(limit, 'f', -1, 64), Users: users, Groups: max(10, users/10), InitialOnly: true, Limit: limit}, o
}

func scenarioByName(n string, o options) (scenario, bool) {
	switch n {
	case "L":
		return scenario{Name: "L", Users: o.LUsers, Groups: o.LGroups}, true
	case "M":
		return scenario{Name: "M", Users: o.MUsers, Groups: o.MGroups, Naive: o.Naive}, true
	case "XL":
		return scenario{Name: "XL", Users: o.XLUsers, Groups: o.XLGroups, Members: o.XLMembers, Changes: o.XLChanges, Raised: true}, true
	}
	return scenario{}, false
}

// settings are the shipped defaults, with the limits raised as Atlassian raises them on request
// for a scenario past its defaults, and one operation at a time for the naive comparison; the
// rails stay as they ship (the child overrides them as an admin would: a guard, not a
// performance matter).
func (o options) settings(naive, raised bool) engine.Settings {
	s := engine.DefaultSettings()
	if raised {
		s.Limits.Users, s.Limits.UsersPerGroup = engine.CeilingUsersPerDirectory, engine.CeilingUsersPerGroup
	}
	if naive {
		s.Concurrency = 1
	}
	return s
}

// spawn runs one sync in a child process of this same binary.
func spawn(ctx context.Context, cfg childConfig) (childResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	in, _ := json.Marshal(cfg)
	cmd := exec.CommandContext(ctx, exe, "-child")
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	runErr := cmd.Run()
	var res childResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("%s: child failed (%v) without a result", cfg.Label, runErr)
	}
	if res.Error != "" {
		return res, fmt.Errorf("%s: %s", cfg.Label, res.Error)
	}
	return res, nil
}

func pct(f float64) string {
	return strconv.FormatFloat(f*100, 'f', -1, 64) + "%"
}

func medians(reps [][]row) []row {
	if len(reps) == 1 {
		return reps[0]
	}
	out := make([]row, len(reps[0]))
	for i := range out {
		out[i] = reps[0][i]
		pick := func(f func(r row) float64) float64 {
			var v []float64
			for _, rs := range reps {
				if i < len(rs) {
					v = append(v, f(rs[i]))
				}
			}
			sort.Float64s(v)
			return v[len(v)/2]
		}
		out[i].Wall = pick(func(r row) float64 { return r.Wall })
		out[i].Bound = pick(func(r row) float64 { return r.Bound })
		out[i].Ratio = pick(func(r row) float64 { return r.Ratio })
		out[i].CPU = pick(func(r row) float64 { return r.CPU })
		out[i].PeakRSS = int64(pick(func(r row) float64 { return float64(r.PeakRSS) }))
		out[i].Requests = int64(pick(func(r row) float64 { return float64(r.Requests) }))
		out[i].Runs = len(reps)
	}
	return out
}

// reprintTable rebuilds the table from the raw runs of a results file (one repetition).
func reprintTable(path string) error {
	js, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Settings options  `json:"settings"`
		Runs     []rawRun `json:"runs"`
		Elapsed  float64  `json:"elapsedSeconds"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var rows []row
	for _, r := range doc.Runs {
		o := doc.Settings
		if r.Limit > 0 {
			o.AtlRate = r.Limit
		}
		rows = append(rows, rowsOf(r.Scenario, r.Run, r.Child, r, o)...)
	}
	printTable(os.Stdout, rows, doc.Runs, doc.Settings, time.Duration(doc.Elapsed*float64(time.Second)))
	return nil
}
