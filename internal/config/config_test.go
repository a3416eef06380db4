package config

import (
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{"IDPSYNC_HOME": " /data/idpsync/ ", "IDPSYNC_DEMO": "1", "IDPSYNC_DEMO_SETUP": "0",
		"IDPSYNC_DEMO_LATENCY": "30ms", "IDPSYNC_DEMO_SIZE": " l ", "IDPSYNC_GRAPH_TOKEN": "eyJ0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	want := Config{Home: "/data/idpsync", Demo: true, DemoSetup: false, DemoLatency: 30 * time.Millisecond, DemoSize: "L", GraphToken: "eyJ0"}
	if got := FromEnv(lookup); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// Unset: the defaults; a bad or negative latency is none; IDPSYNC_DEMO is on only for "1".
	env = map[string]string{"IDPSYNC_DEMO": "true", "IDPSYNC_DEMO_LATENCY": "-5ms"}
	if got := FromEnv(lookup); got != (Config{DemoSetup: true}) {
		t.Fatalf("defaults: %+v", got)
	}
}
