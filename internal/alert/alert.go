// Package alert tells someone when a scheduled or automatic sync failed, partly failed or was
// blocked: a desktop notification through the OS (github.com/gen2brain/beeep: D-Bus
// notifications on Linux, the notification center on macOS, toast notifications on Windows) and,
// when configured, a JSON message POSTed to a webhook URL kept in the keychain. It decides
// nothing about syncs; the backend calls it with the run's outcome.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gen2brain/beeep"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/report"
)

// Statuses that raise an alert: the report's own status values.
const (
	Failed       = string(report.StatusFailed)
	PartlyFailed = string(report.StatusPartial)
	Blocked      = string(report.StatusBlocked)
)

// Raises reports whether a run that ended with status raises an alert.
func Raises(status string) bool {
	return status == Failed || status == PartlyFailed || status == Blocked
}

// Alert is one alert, as the webhook's JSON carries it under "idpsync" and the overview shows it.
type Alert struct {
	Directory   string `json:"directory"`
	DirectoryID string `json:"directoryId"`
	Status      string `json:"status"` // failed | partial | blocked (the report's status)
	Code        string `json:"code,omitempty"`
	Message     string `json:"message"`
	Action      string `json:"action,omitempty"`
	RunID       string `json:"runId,omitempty"`
	ReportPath  string `json:"reportPath,omitempty"`
	At          string `json:"at"` // RFC 3339, UTC
	Host        string `json:"host,omitempty"`
	// Delivered lists where the alert went ("desktop", "webhook"); Errors why a channel failed.
	Delivered []string `json:"delivered"`
	Errors    []string `json:"errors,omitempty"`
}

// Title is the notification's title.
func (a Alert) Title() string {
	what := map[string]string{Failed: "failed", PartlyFailed: "partly failed", Blocked: "was stopped before writing"}[a.Status]
	return fmt.Sprintf("IdP Sync: the sync of %s %s", a.Directory, what)
}

// Text is the one-paragraph message: what happened and what to do.
func (a Alert) Text() string {
	t := a.Message
	if a.Code != "" {
		t += " [" + a.Code + "]"
	}
	if a.Action != "" {
		t += " " + a.Action
	}
	return strings.TrimSpace(t)
}

// webhookItem is the keychain item of a directory's webhook URL: the URL is a secret (anyone
// holding a Teams or Slack incoming-webhook URL can post to the channel).
func webhookItem(dirID string) string { return "webhook-" + strings.ToLower(dirID) }

// CheckWebhookURL accepts an absolute https URL without a user part (Teams and Slack give
// https://…; a token in the path or query is fine, it is the secret).
func CheckWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", apperr.New(apperr.InvalidInput, "the webhook address is not a URL").WithAction("Paste the incoming webhook URL exactly as Teams or Slack shows it.")
	}
	if u.Scheme != "https" {
		return "", apperr.New(apperr.InsecureURL, "the webhook address does not use https: the alert and the URL's token would travel in clear text").WithAction("Use the https:// address.")
	}
	if u.User != nil {
		return "", apperr.New(apperr.InvalidInput, "the webhook address must not carry a user name or password")
	}
	return raw, nil
}

// SetWebhook stores the directory's webhook URL in the keychain.
func SetWebhook(ctx context.Context, s keychain.Store, dirID, raw string) error {
	u, err := CheckWebhookURL(raw)
	if err != nil {
		return err
	}
	return s.Set(ctx, webhookItem(dirID), u)
}

// Webhook returns the directory's webhook URL, "" when none is set.
func Webhook(ctx context.Context, s keychain.Store, dirID string) (string, error) {
	u, err := s.Get(ctx, webhookItem(dirID))
	if apperr.CodeOf(err) == apperr.SecretMissing {
		return "", nil
	}
	return u, err
}

// DeleteWebhook removes the URL; none stored is fine.
func DeleteWebhook(ctx context.Context, s keychain.Store, dirID string) error {
	err := s.Delete(ctx, webhookItem(dirID))
	if apperr.CodeOf(err) == apperr.SecretMissing {
		return nil
	}
	return err
}

// Message is the webhook body. Microsoft Teams incoming webhooks (Office 365 connectors and
// Workflows' "post to a channel when a webhook request is received") and Slack incoming webhooks
// all show the top-level "text"; the same content, structured, is under "idpsync" for scripts.
// Neither service documents how it treats other top-level fields; both are observed to ignore
// them, and the text alone carries everything a person needs.
type Message struct {
	Text    string `json:"text"`
	Version int    `json:"version"`
	IdPSync Alert  `json:"idpsync"`
}

// Sender delivers alerts. The zero value notifies the desktop with beeep and posts with
// http.DefaultTransport (proxy environment variables honoured).
type Sender struct {
	Notify    func(title, message string) error // nil → beeep.Notify
	Transport http.RoundTripper                 // nil → http.DefaultTransport
	Timeout   time.Duration                     // per webhook request; 0 → 15 s
}

// Send delivers a on the desktop and, when webhookURL is set, to the webhook; it returns a with
// Delivered and Errors filled. A failing channel never fails the other one.
func (s Sender) Send(ctx context.Context, a Alert, webhookURL string) Alert {
	a.Delivered, a.Errors = []string{}, nil
	notify := s.Notify
	if notify == nil {
		beeep.AppName = "IdP Sync"
		notify = func(t, m string) error { return beeep.Notify(t, m, "") }
	}
	if err := notify(a.Title(), a.Text()); err != nil {
		a.Errors = append(a.Errors, "desktop: "+err.Error())
	} else {
		a.Delivered = append(a.Delivered, "desktop")
	}
	if webhookURL != "" {
		if err := s.post(ctx, a, webhookURL); err != nil {
			a.Errors = append(a.Errors, "webhook: "+apperr.As(err).Message)
		} else {
			a.Delivered = append(a.Delivered, "webhook")
		}
	}
	return a
}

func (s Sender) post(ctx context.Context, a Alert, webhookURL string) error {
	if _, err := CheckWebhookURL(webhookURL); err != nil {
		return err
	}
	body, _ := json.Marshal(Message{Text: a.Title() + ". " + a.Text(), Version: 1, IdPSync: a})
	t := s.Timeout
	if t <= 0 {
		t = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return apperr.Wrap(err, apperr.InvalidInput, "the webhook address cannot be used")
	}
	req.Header.Set("Content-Type", "application/json")
	tr := s.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	// No redirects: the URL's token must not be replayed to another host.
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		host := req.URL.Host
		return apperr.Wrap(err, apperr.Internal, "the webhook at %s did not answer", host)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return apperr.New(apperr.InvalidInput, "the webhook at %s answered %d", req.URL.Host, resp.StatusCode)
	}
	return nil
}
