package entra

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// hostile serves the Graph emulator through mangle, which may rewrite any answer (status and
// body) by path, so each test can put one hostile page among correct ones. It is served
// in-process (emutest.InProcess) at https://127.0.0.1, so the tests whose reads wait on the
// reader's backoff run them in a synctest bubble, in fake time.
func hostile(t *testing.T, spec tenant.Spec, mangle func(n int, path string, status int, body []byte) (int, []byte)) env {
	t.Helper()
	tn := tenant.Generate(spec)
	g := graph.New(graph.Options{Tenant: tn, NoThrottle: true, Verify: graph.StaticTokens(map[string]graph.Principal{token: {AppID: "idpsync", TenantID: tn.ID}})})
	var mu sync.Mutex
	n := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		r.Header.Del("Accept-Encoding")
		g.ServeHTTP(rec, r)
		// Users and groups are read in parallel: mangle runs under the lock so the tests'
		// bookkeeping maps need none of their own.
		mu.Lock()
		n++
		status, body := mangle(n, r.URL.Path, rec.Code, rec.Body.Bytes())
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	r, err := New(Config{BaseURL: "https://127.0.0.1/v1.0", Tokens: StaticToken(token, "127.0.0.1"), Transport: emutest.InProcess{Handler: h}, NetworkRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	return env{tenant: tn, reader: r}
}

// A transient fault on the first answer of each page is retried and the read completes with the
// whole tenant: a page cut half-way (valid framing, the JSON stops) is like a reset, a GET is safe
// to send again, and a read that gives up on the first one fails whole syncs; a 500 on a GET is
// retried like 503/504 (kiota's retry handler only knows those two).
func TestTransientPageFaultsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  tenant.Spec
		fault func(status int, body []byte) (int, []byte, bool) // the faulty answer, if this one gets it
	}{
		{"a truncated page", tenant.Spec{Seed: 41, Users: 120, Groups: 12}, func(status int, body []byte) (int, []byte, bool) {
			return status, body[:len(body)/2], status == 200 && len(body) > 10
		}},
		{"a 500", tenant.Spec{Seed: 42, Users: 60, Groups: 6}, func(int, []byte) (int, []byte, bool) {
			return 500, []byte(`{"error":{"code":"generalException","message":"transient"}}`), true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the retries' backoff in fake time
				faulted := map[string]bool{}
				e := hostile(t, tc.spec, func(_ int, path string, status int, body []byte) (int, []byte) {
					if !faulted[path] {
						if st, b, ok := tc.fault(status, body); ok {
							faulted[path] = true
							return st, b
						}
					}
					return status, body
				})
				snap, _, err := e.reader.ReadFull(context.Background(), nil)
				if err != nil {
					t.Fatalf("%s was not retried: %v", tc.name, err)
				}
				assertSnapshot(t, snap, e.tenant.Snapshot())
			})
		})
	}
}

// Pages that stay broken end the read with GraphBadResponse naming the request: never a panic,
// never a partial snapshot taken for the whole tenant.
func TestHostilePagesAreCodedErrors(t *testing.T) {
	cases := []struct {
		name string
		path string
		edit func([]byte) []byte
		code apperr.Code
	}{
		{"not JSON", "/v1.0/users", func([]byte) []byte { return []byte("<html>captive portal</html>") }, apperr.GraphBadResponse},
		{"always truncated", "/v1.0/users", func(b []byte) []byte { return b[:len(b)/2] }, apperr.GraphBadResponse},
		{"no value array", "/v1.0/users", func([]byte) []byte { return []byte(`{"@odata.context":"x"}`) }, apperr.GraphBadResponse},
		{"null value", "/v1.0/users", func([]byte) []byte { return []byte(`{"value":null}`) }, apperr.GraphBadResponse},
		{"user without accountEnabled", "/v1.0/users", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"accountEnabled":true`), []byte(`"accountEnabled":null`), 1)
		}, apperr.GraphBadResponse},
		{"user without id", "/v1.0/users", func([]byte) []byte {
			return []byte(`{"value":[{"userPrincipalName":"a@b.c","accountEnabled":true}]}`)
		}, apperr.GraphBadResponse},
		{"nextLink to another host", "/v1.0/users", func(b []byte) []byte {
			return []byte(`{"value":[],"@odata.nextLink":"https://evil.example/v1.0/users?$skiptoken=x"}`)
		}, apperr.GraphBadResponse},
		{"nextLink over http", "/v1.0/users", func(b []byte) []byte {
			return []byte(`{"value":[],"@odata.nextLink":"http://127.0.0.1/v1.0/users?$skiptoken=x"}`)
		}, apperr.GraphBadResponse},
		{"member without type", "/v1.0/groups/*/members", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"#microsoft.graph.user"`), []byte(`""`), 1)
		}, apperr.GraphBadResponse},
		{"trailing garbage", "/v1.0/domains", func(b []byte) []byte { return append(b, []byte(`{"value":[]}`)...) }, apperr.GraphBadResponse},
	}
	for _, tc := range cases {
		// The reader's retry backoff (0.2, 0.8, 1.8 s) on pages that stay bad passes in fake time.
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := hostile(t, tenant.Spec{Seed: 43, Users: 30, Groups: 4}, func(_ int, path string, status int, body []byte) (int, []byte) {
					if status == 200 && pathMatch(tc.path, strings.TrimSuffix(path, "()")) {
						return status, tc.edit(body)
					}
					return status, body
				})
				snap, _, err := e.reader.ReadFull(context.Background(), nil)
				if apperr.CodeOf(err) != tc.code || snap != nil {
					t.Fatalf("got %v (snapshot %v), want %s", err, snap != nil, tc.code)
				}
				if !strings.Contains(err.Error(), "GET /") {
					t.Errorf("the error does not name the request: %v", err)
				}
			})
		})
	}
}

// pathMatch matches a path against a pattern whose "*" stands for one segment.
func pathMatch(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// Odd but valid data passes through unchanged: 10,000-character names, invalid UTF-8 (which
// encoding/json turns into U+FFFD), emails that differ by case, unexpected member types.
func TestOddValuesPassThrough(t *testing.T) {
	long := strings.Repeat("Ж", 10000)
	e := hostile(t, tenant.Spec{Seed: 44, Users: 40, Groups: 4, CaseTwins: 2, OtherMembers: 5}, func(_ int, path string, status int, body []byte) (int, []byte) {
		if status == 200 && path == "/v1.0/users" {
			b := bytes.Replace(body, []byte(`"givenName":"`), []byte(`"givenName":"`+long), 1)
			return status, bytes.Replace(b, []byte(`"surname":"`), []byte("\"surname\":\"\xff\xfe"), 1)
		}
		return status, body
	})
	snap, _, err := e.reader.ReadFull(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var sawLong, sawFFFD bool
	for _, u := range snap.Users {
		sawLong = sawLong || strings.HasPrefix(u.GivenName, long)
		sawFFFD = sawFFFD || strings.HasPrefix(u.Surname, "\uFFFD\uFFFD")
	}
	if !sawLong || !sawFFFD {
		t.Fatalf("long name kept %v, invalid UTF-8 replaced %v", sawLong, sawFFFD)
	}
	others := 0
	for _, ms := range snap.Members {
		for _, m := range ms {
			if m.Kind == directory.MemberOther && m.ODataType != "" {
				others++
			}
		}
	}
	if others == 0 {
		t.Fatal("members of other types were dropped by the reader; the engine must see them to report them")
	}
}

// A group whose displayName comes null is kept with an empty name (the engine reports it as
// no_group_name) instead of vanishing from the snapshot with its members.
func TestNamelessGroupIsKept(t *testing.T) {
	var id string
	e := hostile(t, tenant.Spec{Seed: 45, Users: 40, Groups: 5}, func(_ int, path string, status int, body []byte) (int, []byte) {
		if status == 200 && path == "/v1.0/groups" && id == "" {
			i := bytes.Index(body, []byte(`"displayName":`))
			j := bytes.Index(body, []byte(`"id":"`))
			if i < 0 || j < 0 {
				return status, body
			}
			id = string(body[j+6 : j+6+bytes.IndexByte(body[j+6:], '"')])
			end := i + len(`"displayName":`) + 1 + bytes.IndexByte(body[i+len(`"displayName":`)+1:], '"') + 1
			return status, append(append(append([]byte{}, body[:i]...), []byte(`"displayName":null`)...), body[end:]...)
		}
		return status, body
	})
	snap, _, err := e.reader.ReadFull(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range snap.Groups {
		if g.ID == id {
			if g.DisplayName != "" {
				t.Fatalf("nameless group %s got name %q", id, g.DisplayName)
			}
			return
		}
	}
	t.Fatalf("group %s with a null displayName vanished from the snapshot (%d groups)", id, len(snap.Groups))
}

// Delta links saved from another Graph endpoint (the cloud or the override changed) are not
// followed, so no token goes to that host, and they mean "read everything", not a failure that
// repeats on every incremental run.
func TestDeltaLinksOfAnotherHostMeanFullRead(t *testing.T) {
	e := hostile(t, tenant.Spec{Seed: 47, Users: 20, Groups: 3}, func(_ int, _ string, status int, body []byte) (int, []byte) { return status, body })
	for _, links := range []directory.DeltaLinks{
		{Users: "https://graph.old.example/v1.0/users/delta()?$deltatoken=a", Groups: "https://graph.old.example/v1.0/groups/delta()?$deltatoken=b"},
		{Users: "http://127.0.0.1/v1.0/users/delta()?$deltatoken=a", Groups: "http://127.0.0.1/v1.0/groups/delta()?$deltatoken=b"},
	} {
		_, err := e.reader.ReadDelta(context.Background(), links, nil)
		if apperr.CodeOf(err) != apperr.GraphDeltaExpired {
			t.Errorf("links %v: got %v, want graph_delta_expired", links, err)
		}
	}
}

// A group deleted between the listing and its members' listing (404) is left out with its
// members instead of failing the read: the groups delta link, taken before, reports the deletion.
func TestGroupDeletedDuringTheReadIsDropped(t *testing.T) {
	var gone string
	e := hostile(t, tenant.Spec{Seed: 48, Users: 30, Groups: 5}, func(_ int, path string, status int, body []byte) (int, []byte) {
		if status == 200 && pathMatch("/v1.0/groups/*/members", path) && gone == "" {
			gone = strings.Split(path, "/")[3]
			return http.StatusNotFound, []byte(`{"error":{"code":"Request_ResourceNotFound","message":"Resource '` + gone + `' does not exist."}}`)
		}
		return status, body
	})
	snap, links, err := e.reader.ReadFull(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if gone == "" || links.Groups == "" {
		t.Fatalf("no member listing answered 404 (%q) or no groups delta link", gone)
	}
	for _, g := range snap.Groups {
		if g.ID == gone {
			t.Fatalf("group %s, deleted during the read, is in the snapshot", gone)
		}
	}
	if _, ok := snap.Members[gone]; ok || len(snap.Groups) != 4 {
		t.Fatalf("%d groups, members of the deleted one kept: %v", len(snap.Groups), ok)
	}
}
