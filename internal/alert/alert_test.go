package alert

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// A webhook that fails or redirects is reported without its URL (the token is the secret), is
// not followed elsewhere, and does not stop the desktop notification.
func TestWebhookFailuresNeverLeakTheURLNorFollowRedirects(t *testing.T) {
	var hits []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		switch r.URL.Path {
		case "/redirect/tok3n":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/fail/tok3n":
			http.Error(w, "no", http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	shown := 0
	s := Sender{Notify: func(title, msg string) error { shown++; return errors.New("no desktop") }, Transport: srv.Client().Transport}
	a := Alert{Directory: "D", Status: Failed, Message: "m"}
	for _, path := range []string{"/redirect/tok3n", "/fail/tok3n"} {
		got := s.Send(context.Background(), a, srv.URL+path)
		if len(got.Delivered) != 0 || len(got.Errors) != 2 || strings.Contains(strings.Join(got.Errors, " "), "tok3n") {
			t.Fatalf("%s: %+v", path, got)
		}
	}
	if got := s.Send(context.Background(), a, srv.URL+"/ok/tok3n"); strings.Join(got.Delivered, ",") != "webhook" {
		t.Fatalf("ok: %+v", got)
	}
	if shown != 3 || strings.Join(hits, " ") != "/redirect/tok3n /fail/tok3n /ok/tok3n" {
		t.Fatalf("shown %d, hits %v", shown, hits)
	}
	for raw, code := range map[string]apperr.Code{"http://hooks.slack.com/x": apperr.InsecureURL, "https://u:p@h/x": apperr.InvalidInput, "not a url": apperr.InvalidInput} {
		if _, err := CheckWebhookURL(raw); apperr.CodeOf(err) != code {
			t.Errorf("%s: %v, want %s", raw, err, code)
		}
	}
	// The report's statuses, spelled as the report spells them (a partly failed run is "partial").
	for _, st := range []string{"failed", "partial", "blocked"} {
		if !Raises(st) {
			t.Errorf("%s raises nothing", st)
		}
	}
	if Raises("succeeded") || Raises("planned") {
		t.Error("a good run raises an alert")
	}
}
