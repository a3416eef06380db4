package backend

import (
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
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
