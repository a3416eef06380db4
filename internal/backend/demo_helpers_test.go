package backend

import (
	"context"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/report"
)

// demoOptions and demoInput point this package's tests at a demo environment as
// internal/demomode does for the product (the tests cannot import demomode: it imports backend).
func demoOptions(env *demo.Env, home string, em Emitter) Options {
	return Options{Home: home, Demo: true, Emitter: em, Secrets: env.Secrets, Transport: env.Transport(), OpenURL: env.Browser.Open, AllowCustomHost: true,
		SCIMLimiter: atlassian.LimiterConfig{Initial: 500, Max: 5000, Increase: 100}, Endpoints: Endpoints{Authority: env.AuthorityURL(), GraphURL: env.GraphURL(), OrgURL: env.OrgURL()}}
}

func demoInput(env *demo.Env) DirectoryInput {
	return DirectoryInput{Name: demo.DirectoryName, Cloud: "global", ClientID: env.ClientID(), SCIMBaseURL: env.Atlassian.SCIMURL(), SCIMAPIKey: env.Atlassian.APIKey(),
		SCIMKeyCreated: time.Now().UTC().Format(time.DateOnly), OrgID: env.Atlassian.OrgID(), OrgAPIKey: env.Atlassian.OrgAPIKey(), AllowCustomHost: true}
}

// openDemo starts a demo tenant of users and groups and a backend on it (events to em, folder
// home) with the demo directory set up and signed in; everything closes with the test.
func openDemo(ctx context.Context, t *testing.T, users, groups int, home string, em Emitter) (*demo.Env, *Backend, Directory) {
	t.Helper()
	env, err := demo.Start(ctx, demo.Options{Users: users, Groups: groups, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	b, err := Open(ctx, demoOptions(env, home, em))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	d, err := b.SetupDemo(ctx, demoInput(env))
	if err != nil {
		t.Fatal(err)
	}
	return env, b, d
}

// previewPage previews directory dirID and reads the page q of its operations from the
// preview's report, through the model the report screen pages (OpenReport), as the GUI does.
func previewPage(ctx context.Context, t *testing.T, b *Backend, dirID string, q report.Query) (PlanSummary, report.OperationPage) {
	t.Helper()
	p, err := b.Preview(ctx, dirID, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.OpenReport(ctx, p.RunID)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	return p, v.Operations(q)
}
