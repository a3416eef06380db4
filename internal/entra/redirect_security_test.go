package entra

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// Issue 14 point 8: a Graph answer that redirects to another host ends the read with a coded
// error; nothing is fetched from there and no snapshot is made of it. A redirect that stays on
// the configured host is still followed (kiota's handler, as Graph's SDK documents it).
func TestIssue14_08_GraphRedirectToAnotherHostRefused(t *testing.T) {
	var evilHits atomic.Int64
	evil, a := emutest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":[{"id":"00000000-0000-4000-8000-0000000000ee","userPrincipalName":"planted@evil.example","accountEnabled":true}]}`))
	}))

	tn := tenant.Generate(tenant.Spec{Seed: 48, Users: 40, Groups: 5})
	g := graph.New(graph.Options{Tenant: tn, NoThrottle: true, Verify: graph.StaticTokens(map[string]graph.Principal{token: {AppID: "idpsync", TenantID: tn.ID}})})
	var status atomic.Int64
	var sameHostFollowed atomic.Int64
	srv, _ := emutest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/moved"); ok {
			// The end of a same-host redirect: served by the emulator at the original path.
			sameHostFollowed.Add(1)
			r.URL.Path, r.URL.RawPath = rest, ""
			g.ServeHTTP(w, r)
			return
		}
		if st := int(status.Load()); st != 0 && strings.TrimSuffix(r.URL.Path, "()") == "/v1.0/users" {
			target := evil.URL + r.URL.RequestURI()
			if st < 0 {
				st, target = -st, "/moved"+r.URL.RequestURI()
			}
			w.Header().Set("Location", target)
			w.WriteHeader(st)
			return
		}
		g.ServeHTTP(w, r)
	}))
	r, err := New(Config{BaseURL: srv.URL + "/v1.0", Tokens: StaticToken(token, "127.0.0.1"), Transport: a.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, st := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		status.Store(int64(st))
		snap, _, err := r.ReadFull(ctx, nil)
		if apperr.CodeOf(err) != apperr.InsecureURL || snap != nil || !strings.Contains(err.Error(), "GET /users") || apperr.As(err).Action == "" {
			t.Fatalf("HTTP %d to another host: snapshot %v, err %v; want insecure_url naming the request and no snapshot", st, snap != nil, err)
		}
		if n := evilHits.Load(); n != 0 {
			t.Fatalf("HTTP %d: the redirect was followed (%d requests to the other host)", st, n)
		}
	}
	// Same host: followed, and the read is whole and exact.
	status.Store(-http.StatusTemporaryRedirect)
	snap, _, err := r.ReadFull(ctx, nil)
	if err != nil || sameHostFollowed.Load() == 0 {
		t.Fatalf("same-host redirect: %v (followed %d times)", err, sameHostFollowed.Load())
	}
	assertSnapshot(t, snap, tn.Snapshot())
}
