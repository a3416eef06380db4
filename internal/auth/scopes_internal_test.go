package auth

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
)

// The scope field is rewritten to the requested full URIs of the directory's own cloud, in every
// documented spelling; OIDC scopes stay; a permission on another resource never counts as Graph's.
func TestNormalizeScopePerCloud(t *testing.T) {
	for _, cloud := range []directory.Cloud{directory.CloudGlobal, directory.CloudUSGov, directory.CloudChina} {
		req, err := Scopes(cloud)
		if err != nil {
			t.Fatal(err)
		}
		res := strings.TrimSuffix(req[0], "/User.Read.All")
		for _, field := range []string{
			strings.Join(req, " "),
			"User.Read.All GroupMember.Read.All domain.read.all profile openid email",
			strings.ReplaceAll(strings.ReplaceAll(strings.Join(req, " "), ":", "%3A"), "/", "%2F"),
			"00000003-0000-0000-c000-000000000000/User.Read.All " + res + "/GroupMember.Read.All Domain.Read.All",
		} {
			body, _ := json.Marshal(map[string]string{"access_token": "opaque", "scope": field})
			var out map[string]string
			_ = json.Unmarshal(normalizeScope(body, req), &out)
			got := strings.Fields(out["scope"])
			if len(got) < 3 || strings.Join(got[:3], " ") != strings.Join(req, " ") {
				t.Errorf("%s: %q → %q, want the requested %v first", cloud, field, out["scope"], req)
			}
			if strings.Contains(field, "openid") && !strings.Contains(out["scope"], "openid") {
				t.Errorf("%s: OIDC scopes dropped: %q", cloud, out["scope"])
			}
		}
		// Another resource's Domain.Read.All is not Graph's: it stays declined.
		body, _ := json.Marshal(map[string]string{"access_token": "opaque", "scope": req[0] + " " + req[1] + " https://other.example/Domain.Read.All"})
		var out map[string]string
		_ = json.Unmarshal(normalizeScope(body, req), &out)
		if strings.Contains(out["scope"], req[2]) {
			t.Errorf("%s: another resource's permission counted as Graph's: %q", cloud, out["scope"])
		}
	}
}
