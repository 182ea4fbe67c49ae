// Package clock makes time injectable, so goldens never depend on the wall
// clock: $IMSG_NOW (RFC 3339) pins the start time, and the clock then runs
// forward from there at real speed.
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

// Fixed is a clock that starts at T and advances with real elapsed time.
type Fixed struct {
	T     time.Time
	start time.Time
}

// Now returns T plus the real time elapsed since the clock was made.
func (f *Fixed) Now() time.Time { return f.T.Add(time.Since(f.start)) }

// FromEnv returns a clock pinned by $IMSG_NOW, or the wall clock.
func FromEnv() (Clock, error) {
	v := os.Getenv("IMSG_NOW")
	if v == "" {
		return Real{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Errorf("IMSG_NOW=%q: want an RFC 3339 time such as 2026-05-16T09:00:00Z", v)
	}
	return &Fixed{T: t, start: time.Now()}, nil
}
