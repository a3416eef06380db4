//go:build unix

package procstat

import (
	"syscall"
	"time"
)

// CPUTime is the process's user plus system CPU time so far (getrusage RUSAGE_SELF); 0 if the
// call fails.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
