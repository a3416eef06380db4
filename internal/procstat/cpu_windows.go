//go:build windows

package procstat

import (
	"syscall"
	"time"
)

// CPUTime is the process's user plus kernel CPU time so far (GetProcessTimes); 0 if the call
// fails. FILETIME durations count 100-nanosecond intervals.
func CPUTime() time.Duration {
	self, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var creation, exit, kernel, user syscall.Filetime
	if syscall.GetProcessTimes(self, &creation, &exit, &kernel, &user) != nil {
		return 0
	}
	ticks := func(ft syscall.Filetime) int64 { return int64(ft.HighDateTime)<<32 | int64(ft.LowDateTime) }
	return time.Duration((ticks(kernel) + ticks(user)) * 100)
}
