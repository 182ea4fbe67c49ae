// Package clock makes time injectable, so goldens never depend on the wall
// clock: $IMSG_NOW (RFC 3339) freezes time at that instant for every stage
// of a test pipeline. Timers and timeouts still use real time; only the
// times written into records and the state store come from a Clock.
package clock

import (
	"fmt"
	"os"
	"time"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Frozen always returns T.
type Frozen struct{ T time.Time }

// Now returns T.
func (f Frozen) Now() time.Time { return f.T }

// FromEnv returns a clock frozen at $IMSG_NOW, or the wall clock.
func FromEnv() (Clock, error) {
	v := os.Getenv("IMSG_NOW")
	if v == "" {
		return Real{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Errorf("IMSG_NOW=%q: want an RFC 3339 time such as 2026-05-16T09:00:00Z", v)
	}
	return Frozen{T: t}, nil
}
