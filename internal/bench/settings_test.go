package main

import (
	"reflect"
	"testing"

	"github.com/idpsync/idpsync/internal/engine"
)

// The bench measures the settings that ship: a run's settings are exactly DefaultSettings, the
// rails included (the child overrides them as an admin would; it does not switch them off).
func TestBenchRunsTheShippedSettings(t *testing.T) {
	var o options
	if got, want := o.settings(false, false), engine.DefaultSettings(); !reflect.DeepEqual(got, want) {
		t.Fatalf("bench settings differ from the shipped ones:\n got %+v\nwant %+v", got, want)
	}
}
