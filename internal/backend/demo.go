package backend

import (
	"context"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// DemoOptions wires a backend to a running demo environment: its emulators' URLs, their
// certificate as the only trusted one, the in-memory keychain and the emulated browser.
func DemoOptions(env *demo.Env, home string, em Emitter) Options {
	return Options{Home: home, Emitter: em, Secrets: env.Secrets, Transport: env.Transport(), OpenURL: env.Browser.Open,
		AllowCustomHost: true, SCIMLimiter: atlassian.LimiterConfig{Initial: 500, Max: 5000, Increase: 100}, Endpoints: Endpoints{Authority: env.AuthorityURL(), GraphURL: env.GraphURL(), OrgURL: env.OrgURL()}}
}

// SetupDemo creates the demo directory afresh (the emulators are new on every start, so no
// earlier state applies) and signs in through the real MSAL code with the emulator's browser.
func (b *Backend) SetupDemo(ctx context.Context, env *demo.Env) (Directory, error) {
	if d, err := b.st.DirectoryByName(ctx, demo.DirectoryName); err == nil {
		if err := b.Disconnect(ctx, d.ID); err != nil {
			return Directory{}, err
		}
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return Directory{}, err
	}
	d, err := b.CreateDirectory(ctx, DirectoryInput{Name: demo.DirectoryName, Cloud: "global", ClientID: env.ClientID(),
		SCIMBaseURL: env.Atlassian.SCIMURL(), SCIMAPIKey: env.Atlassian.APIKey(), SCIMKeyCreated: time.Now().UTC().Format(time.DateOnly),
		OrgID: env.Atlassian.OrgID(), OrgAPIKey: env.Atlassian.OrgAPIKey(), AllowCustomHost: true})
	if err != nil {
		return Directory{}, err
	}
	sd, err := b.st.GetDirectory(ctx, d.ID)
	if err != nil {
		return Directory{}, err
	}
	sd.Demo = true
	if err := b.st.UpdateDirectory(ctx, sd); err != nil {
		return Directory{}, err
	}
	if _, err := b.SignIn(ctx, d.ID); err != nil {
		return Directory{}, err
	}
	return b.GetDirectory(ctx, d.ID)
}
