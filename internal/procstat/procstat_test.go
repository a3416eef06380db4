package procstat

import (
	"runtime"
	"testing"
)

// Burning CPU must move CPUTime forward, and on Linux touching memory must raise PeakRSS: a
// reading stuck at 0 would make every benchmark figure a silent zero.
func TestCPUTimeAndPeakRSSMove(t *testing.T) {
	before := CPUTime()
	x := 0
	for i := 0; i < 200_000_000; i++ {
		x += i ^ (x >> 3)
	}
	if x == 42 {
		t.Log(x)
	}
	if after := CPUTime(); after <= before {
		t.Fatalf("CPUTime did not move: %v then %v", before, after)
	}
	if runtime.GOOS != "linux" {
		return
	}
	ResetPeakRSS()
	base := PeakRSS()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if peak := PeakRSS(); peak < base+32<<20 {
		t.Fatalf("PeakRSS after touching 64 MiB: %d bytes, was %d", peak, base)
	}
	runtime.KeepAlive(buf)
}
