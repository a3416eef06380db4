//go:build unix

package reliability

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/atlassian"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/store"
)

// engineCrashChild runs one sync in a child process against the parent's emulators and store, and
// SIGKILLs itself a few milliseconds after unit IDPSYNC_CRASH_AT starts: requests are in flight,
// journal marks unflushed, SQLite mid-transaction.
func engineCrashChild() {
	ctx := context.Background()
	// Trust the parent's emulator certificate (each process generates its own).
	pemBytes, err := os.ReadFile(os.Getenv("IDPSYNC_CRASH_HOME") + "/emulator.pem")
	if err != nil {
		os.Exit(3)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	gu, _ := url.Parse(os.Getenv("IDPSYNC_CRASH_GRAPH"))
	r, err := entra.New(entra.Config{BaseURL: gu.String() + "/v1.0", Tokens: entra.StaticToken("test-token", gu.Hostname(), gu.Host), Transport: tr})
	if err != nil {
		os.Exit(3)
	}
	tgt, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: os.Getenv("IDPSYNC_CRASH_SCIM"), APIKey: os.Getenv("IDPSYNC_CRASH_KEY"), Transport: tr,
		AllowCustomHost: true, LimiterConfig: atlassian.LimiterConfig{Initial: 2000, Max: 20000, Increase: 500}})
	if err != nil {
		os.Exit(3)
	}
	home := os.Getenv("IDPSYNC_CRASH_HOME")
	st, err := store.Open(ctx, home)
	if err != nil {
		os.Exit(3)
	}
	at, _ := strconv.Atoi(os.Getenv("IDPSYNC_CRASH_AT"))
	delay, _ := strconv.Atoi(os.Getenv("IDPSYNC_CRASH_DELAY_US"))
	s := engine.DefaultSettings()
	s.DeactivationMaxCount, s.DeactivationMaxPercent = 0, 0
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0
	s, _ = s.Normalize()
	e := &engine.Engine{DirectoryID: dirID, Source: adapter.Graph{Reader: r}, Target: adapter.SCIM{SCIM: tgt}, State: adapter.Store{Store: st}, SnapshotDir: home + "/snapshots"}
	conf := engine.Confirmation{TenantID: os.Getenv("IDPSYNC_CRASH_TENANT"), Domains: strings.Split(os.Getenv("IDPSYNC_CRASH_DOMAINS"), ",")}
	_, err = e.Run(ctx, lifecycleSpec(st, s, home, false, conf, engine.Overrides{Threshold: true}, func(seq int) {
		if seq == at {
			go func() {
				time.Sleep(time.Duration(delay) * time.Microsecond)
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}()
		}
	}))
	if err != nil {
		os.Exit(4)
	}
	os.Exit(0) // finished before the crash point: also a valid outcome
}

func TestCrashMidApplyThenResume(t *testing.T) {
	if os.Getenv("IDPSYNC_CRASH_CHILD") == "1" {
		engineCrashChild()
		return
	}
	ctx := ctxT(t, 100*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 16, Users: 250, Groups: 25, Depth: 3}, atlemu.Options{}, graph.Faults{})
	auth, _ := loopbacktls.Shared()
	if err := os.WriteFile(h.home+"/emulator.pem", auth.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(16, 0))
	killed := 0
	for round := 0; round < 8; round++ {
		if round > 0 {
			h.ten.Mutate(0.1, uint64(100+round))
		}
		maxAt := 30
		if round == 0 {
			maxAt = 250
		}
		conf := confirmation(h.ten, h.settings)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidApplyThenResume$")
		cmd.Env = append(os.Environ(), "IDPSYNC_CRASH_CHILD=1", "IDPSYNC_CRASH_GRAPH="+h.g.URL(), "IDPSYNC_CRASH_SCIM="+h.a.SCIMURL(),
			"IDPSYNC_CRASH_KEY="+h.a.APIKey(), "IDPSYNC_CRASH_HOME="+h.home,
			"IDPSYNC_CRASH_AT="+strconv.Itoa(1+rng.IntN(maxAt)), "IDPSYNC_CRASH_DELAY_US="+strconv.Itoa(rng.IntN(3000)),
			"IDPSYNC_CRASH_TENANT="+conf.TenantID, "IDPSYNC_CRASH_DOMAINS="+strings.Join(conf.Domains, ","))
		err := cmd.Run()
		wasKilled := false
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				killed++
				wasKilled = true
			} else {
				t.Fatalf("child failed: %v", err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if err := h.st.IntegrityCheck(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// Resume in-process: the next run reconciles the interrupted one against the live state.
		p := h.mustRun(ctx, false)
		if wasKilled && !p.Full {
			t.Fatalf("round %d: the run after a crash was incremental: only a full read sees what the dead run did", round)
		}
		h.checkExact()
		runs, _ := h.st.Runs(ctx, dirID, "running", 10)
		if len(runs) != 0 {
			t.Fatalf("round %d: %d runs left running", round, len(runs))
		}
	}
	if killed < 4 {
		t.Fatalf("only %d of 8 children were killed mid-apply", killed)
	}
	t.Logf("%d children killed mid-apply; every resume ended exactly at the desired state", killed)
}
