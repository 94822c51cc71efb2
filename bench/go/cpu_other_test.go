//go:build !unix

package bench

import "time"

// processCPU is not measured here (no getrusage): the cpu metrics are left out.
func processCPU() time.Duration { return 0 }
