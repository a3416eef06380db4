package engine

import "testing"

// The time left comes from the phase's measured rate, and only once the sample says something:
// after one operation of 82 the screen says "estimating…", not "about 2 min left".
func TestMeterEstimatesOnlyFromAMeasuredSample(t *testing.T) {
	var last Progress
	e := &Engine{Emit: func(p Progress) { last = p }}
	m := newMeter(e, PhaseUsers, 82)
	if last.ETASeconds != -1 || last.Total != 82 {
		t.Fatalf("at the start: %+v", last)
	}
	m.add(1)
	m.finish()
	if last.Done != 1 || last.ETASeconds != -1 {
		t.Fatalf("after one operation the estimate is %v s, want none (-1)", last.ETASeconds)
	}
	m.add(etaMinDone)
	m.finish()
	if last.ETASeconds < 0 || last.Rate <= 0 {
		t.Fatalf("after %d operations: %+v", last.Done, last)
	}
	if want := float64(82-last.Done) / last.Rate; last.ETASeconds != want {
		t.Fatalf("estimate %v s, want (total-done)/rate = %v s", last.ETASeconds, want)
	}
}
