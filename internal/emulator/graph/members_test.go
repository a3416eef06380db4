package graph

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/jsonstr"
)

func TestMembersCarryODataTypeAndTransitiveTerminates(t *testing.T) {
	tn := tenant.Generate(tenant.Spec{Seed: 21, Users: 100, Groups: 9, Depth: 3, OtherMembers: 9})
	s, c := start(t, Options{Tenant: tn})
	snap := tn.Snapshot()
	f := directory.Flatten(snap)
	for _, g := range snap.Groups {
		types := map[string]int{}
		url := s.URL() + "/v1.0/groups/" + g.ID + "/transitiveMembers?$top=5"
		ids := map[string]bool{}
		for url != "" {
			st, _, body := get(t, c, url, "t")
			if st != 200 {
				t.Fatalf("%s: %d %v", url, st, body)
			}
			for _, v := range body["value"].([]any) {
				m := v.(map[string]any)
				typ, _ := m["@odata.type"].(string)
				types[typ]++
				id := m["id"].(string)
				if ids[id] || id == g.ID {
					t.Fatalf("group %s: %s listed twice or itself", g.ID, id)
				}
				ids[id] = true
			}
			url, _ = body["@odata.nextLink"].(string)
		}
		if types["#microsoft.graph.user"] != f.MemberCount(g.ID) {
			t.Fatalf("group %s: %d transitive users, flattening says %d", g.ID, types["#microsoft.graph.user"], f.MemberCount(g.ID))
		}
		if types[""] != 0 {
			t.Fatalf("a member without @odata.type: %v", types)
		}
	}
	// Direct members include the unexpected kinds with their own type.
	seen := map[string]bool{}
	for _, g := range snap.Groups {
		_, _, body := get(t, c, s.URL()+"/v1.0/groups/"+g.ID+"/members?$top=999", "t")
		for _, v := range body["value"].([]any) {
			seen[v.(map[string]any)["@odata.type"].(string)] = true
		}
	}
	for _, typ := range []string{"#microsoft.graph.servicePrincipal", "#microsoft.graph.device", "#microsoft.graph.orgContact", "#microsoft.graph.group"} {
		if !seen[typ] {
			t.Errorf("no member of type %s", typ)
		}
	}
}

func TestUsersDeltaBothSpellingsAndLatest(t *testing.T) {
	tn := tenant.Generate(tenant.Spec{Seed: 22, Users: 30, Groups: 3})
	s, c := start(t, Options{Tenant: tn})
	for _, path := range []string{"/v1.0/users/delta", "/v1.0/users/delta()"} {
		_, _, body := get(t, c, s.URL()+path+"?$select=id,accountEnabled", "t")
		if n := len(body["value"].([]any)); n != 30 {
			t.Fatalf("%s: %d users in the initial round", path, n)
		}
	}
	_, _, body := get(t, c, s.URL()+"/v1.0/users/delta()?$deltatoken=latest", "t")
	link := body["@odata.deltaLink"].(string)
	if len(body["value"].([]any)) != 0 || !strings.Contains(link, "$deltatoken=") {
		t.Fatalf("latest: %v", body)
	}
	ch := tn.Mutate(0.2, 1)
	_, _, body = get(t, c, link, "t")
	removed := 0
	for _, v := range body["value"].([]any) {
		if r, ok := v.(map[string]any)["@removed"].(map[string]any); ok {
			if r["reason"] != ch.RemovedUsers[v.(map[string]any)["id"].(string)] {
				t.Fatalf("removal reason %v, want %s", r, ch.RemovedUsers[v.(map[string]any)["id"].(string)])
			}
			removed++
		}
	}
	if want := len(ch.AddedUsers) + len(ch.UpdatedUsers) + len(ch.RemovedUsers); len(body["value"].([]any)) != want || removed != len(ch.RemovedUsers) {
		t.Fatalf("delta after latest: %d entries (%d removed), want %d (%d)", len(body["value"].([]any)), removed, want, len(ch.RemovedUsers))
	}
}

func TestAppendStringIsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', '"', '\\', '\n', '\t', 0x01, 0x1f, 'é', 'ע', 'م', '李', 0x2028, 0x1F600, '<', '&'}
	for i := 0; i < 2000; i++ {
		var sb strings.Builder
		for k := r.IntN(12); k > 0; k-- {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		in := sb.String()
		var out string
		if err := json.Unmarshal(jsonstr.Append(nil, in), &out); err != nil || out != in {
			t.Fatalf("%q → %s → %q (%v)", in, jsonstr.Append(nil, in), out, err)
		}
	}
	var out string
	if err := json.Unmarshal(jsonstr.Append(nil, "a\xffb"), &out); err != nil || !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 not replaced: %q %v", out, err)
	}
}
