//go:build !unix

package entra

import "time"

func cpuTime() time.Duration { return 0 }
