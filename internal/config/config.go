// Package config is the process's configuration, read once from the environment by main and
// passed down (to app/, the commands and the backend), so that no package below main reads an
// environment variable of its own and tests set a field instead of the process's environment.
// Secrets typed by an admin (IDPSYNC_SCIM_API_KEY, IDPSYNC_ORG_API_KEY) are read by the command
// that needs them, not here, so that they live no longer than that command.
package config

import (
	"path/filepath"
	"strings"
	"time"
)

// Config is what the environment decides; the command line may override fields (sync --home).
type Config struct {
	// Home is the data folder (IDPSYNC_HOME); "" is the default, os.UserConfigDir()/idpsync.
	Home string
	// Demo starts on the built-in demo tenant (IDPSYNC_DEMO=1; `make demo` sets it).
	Demo bool
	// DemoSetup creates and signs in the demo's directory at start (IDPSYNC_DEMO_SETUP=0 turns
	// it off, so the add flow can be shown from the start).
	DemoSetup bool
	// DemoLatency slows the demo's Atlassian down (IDPSYNC_DEMO_LATENCY, e.g. "30ms"), so that
	// progress and cancel can be watched.
	DemoLatency time.Duration
	// DemoSize is the demo tenant's size (IDPSYNC_DEMO_SIZE): "" the small default, "L" the
	// bench's scenario L, which the e2e's L filter timing runs on.
	DemoSize string
	// GraphToken is a Graph access token an admin already holds (IDPSYNC_GRAPH_TOKEN): the
	// headless commands read with it instead of the signed-in account's token cache.
	GraphToken string
}

// FromEnv reads the configuration from an environment lookup (os.LookupEnv in main).
func FromEnv(lookup func(string) (string, bool)) Config {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	c := Config{Home: get("IDPSYNC_HOME"), Demo: get("IDPSYNC_DEMO") == "1", DemoSetup: get("IDPSYNC_DEMO_SETUP") != "0",
		DemoSize: strings.ToUpper(get("IDPSYNC_DEMO_SIZE")), GraphToken: get("IDPSYNC_GRAPH_TOKEN")}
	if c.Home != "" {
		c.Home = filepath.Clean(c.Home)
	}
	if d, err := time.ParseDuration(get("IDPSYNC_DEMO_LATENCY")); err == nil && d > 0 {
		c.DemoLatency = d
	}
	return c
}
