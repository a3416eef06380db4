//go:build unix

package entra

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time, so a benchmark can report CPU per operation,
// which stays meaningful when a shared machine stretches wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
