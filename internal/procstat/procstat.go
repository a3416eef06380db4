// Package procstat reads the current process's CPU time and resident-memory high-water mark for
// the benchmarks. On a shared 2-core machine wall time stretches with the neighbours' load while
// CPU time barely moves, so the benchmarks report both; peak RSS is what decides whether a
// directory fits on an admin's laptop.
//
// CPU time comes from getrusage on Unix and GetProcessTimes on Windows. Peak RSS comes from
// Linux's /proc/self/status (VmHWM) and is 0 where that file does not exist: a benchmark prints
// "—" then rather than a made-up figure.
package procstat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// PeakRSS is VmHWM from /proc/self/status in bytes: the resident-set high-water mark since the
// process started or since ResetPeakRSS; 0 where the kernel does not report it.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// ResetPeakRSS sets VmHWM back to the current RSS (Linux ≥ 4.0: "5" to clear_refs), so each
// segment of a run reports its own peak. It reports whether the kernel accepted it.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
