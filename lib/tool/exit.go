// Package tool holds the command-line conventions every imsg binary shares:
// exit codes, the urfave/cli wiring, stderr messages, common flags, man pages
// and shell completions. It is the only package besides each stage's app.go
// that imports urfave/cli, so the CLI library can be swapped in one place.
package tool

import (
	"errors"
	"fmt"
)

// Exit codes, the same in every binary and every man page.
const (
	ExitOK          = 0 // success, or a clean shutdown on SIGINT/SIGTERM
	ExitFailure     = 1 // runtime failure
	ExitUsage       = 2 // bad flag or argument
	ExitConfig      = 3 // config or expression error
	ExitUnavailable = 4 // the imsg peer is unusable; worth restarting later
)

// ExitError carries the exit code a failure should end the process with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Errorf returns an error that makes Run exit with code.
func Errorf(code int, format string, args ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err so that Run exits with code; nil stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: code, Err: err}
}

// CodeOf reports the exit code an error maps to.
func CodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// ExitStatusSection is the EXIT STATUS text shared by every man page.
const ExitStatusSection = `**0**
: Success, or a clean shutdown after SIGINT or SIGTERM.

**1**
: Runtime failure (I/O error, rejected input lines in batch use).

**2**
: Usage error: an unknown flag or a bad argument.

**3**
: Configuration or expression error (the message gives file:line:col).

**4**
: The imsg peer is unavailable (no Full Disk Access, no rpc support, cannot start); worth restarting later.
`
