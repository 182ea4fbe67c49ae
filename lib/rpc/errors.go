package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	"golang.org/x/sys/unix"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrClosed means imsg rpc ended cleanly: it exited with status 0,
	// normally because Close closed its stdin.
	ErrClosed = errors.New("imsg rpc closed")

	// ErrTimeout matches every *TimeoutError. For a mutation such as send,
	// a timeout means "outcome unknown": the message may still be delivered,
	// so never replay it blindly.
	ErrTimeout = errors.New("imsg rpc timeout")

	// ErrPermissionDenied matches every *PermissionError: imsg cannot open
	// chat.db, nearly always for want of Full Disk Access. Respawning imsg
	// does not help until the user fixes the grant.
	ErrPermissionDenied = errors.New("imsg cannot read the Messages database (chat.db): " +
		"grant Full Disk Access to the process that runs imsg (the terminal, the launchd agent, " +
		"or sshd on a remote Mac) in System Settings → Privacy & Security, then restart it")

	// ErrNoRPC means the imsg binary has no rpc command (it said "Unknown
	// command" and exited before writing any JSON).
	ErrNoRPC = errors.New("this imsg has no rpc command; upgrade imsg")

	// ErrUnsubscribed ends a Subscription after Unsubscribe.
	ErrUnsubscribed = errors.New("imsg rpc watch unsubscribed")
)

// Error is an error response from imsg. Data is kept raw because imsg 0.9
// sends a string there and newer versions send objects for some codes.
type Error struct {
	Method  string // the method that was called
	Code    int64
	Message string
	Data    json.RawMessage // absent when nil
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "imsg rpc error"
	}
	s := fmt.Sprintf("imsg rpc %s: %s (code %d)", e.Method, msg, e.Code)
	if d := e.DataString(); d != "" {
		s += ": " + d
	}
	return s
}

// DataString renders Data for people: a JSON string as its text, any other
// value as compact JSON, and "" when there is none.
func (e *Error) DataString() string {
	return rawText(e.Data)
}

func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// TimeoutError is a call that got no answer in time. Its text matches the
// reference client's, "imsg rpc timeout (<method>)", which retry rules key on.
type TimeoutError struct {
	Method string
	After  time.Duration // 0 when the caller's own deadline expired
}

func (e *TimeoutError) Error() string        { return "imsg rpc timeout (" + e.Method + ")" }
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// PermissionError reports that imsg cannot read chat.db. It comes from a
// banner on stdout (older imsg), from the error imsg 0.9 returns to every
// request when it started without access (-32603 with the banner as data),
// or from newer imsg's -32002 "Database unavailable".
type PermissionError struct {
	Detail    string // the line or error data that showed the denial
	Retryable bool   // -32002: newer imsg reopens the database on its own
	Err       error  // the *Error, when the denial came as a response
}

func (e *PermissionError) Error() string        { return ErrPermissionDenied.Error() }
func (e *PermissionError) Is(target error) bool { return target == ErrPermissionDenied }
func (e *PermissionError) Unwrap() error        { return e.Err }

// ExitError is how imsg rpc ended when it did not end cleanly. The signal
// keeps its name: "killed (signal KILL)" says far more than "closed".
type ExitError struct {
	Code   int    // exit status; -1 when killed by a signal
	Signal string // "KILL", "TERM", …; "" when it exited
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return "imsg rpc killed (signal " + e.Signal + ")"
	}
	return "imsg rpc exited (code " + strconv.Itoa(e.Code) + ")"
}

// exitError describes a wait status; nil means a clean exit.
func exitError(ws syscall.WaitStatus) *ExitError {
	switch {
	case ws.Signaled():
		return &ExitError{Code: -1, Signal: signalName(ws.Signal())}
	case ws.ExitStatus() != 0:
		return &ExitError{Code: ws.ExitStatus()}
	}
	return nil
}

func signalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return strings.TrimPrefix(n, "SIG")
	}
	return strconv.Itoa(int(sig))
}

// ctxErr maps an expired or cancelled call context: any deadline is a
// *TimeoutError (the outcome is unknown either way).
func (c *Client) ctxErr(ctx context.Context, method string) error {
	var te *TimeoutError
	if cause := context.Cause(ctx); errors.As(cause, &te) {
		return te
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Method: method}
	}
	return fmt.Errorf("imsg rpc %s: %w", method, ctx.Err())
}

// The 0.9 answer to every request after starting without access to chat.db.
var permissionDataRe = regexp.MustCompile(`(?i)permission\s+error|full\s+disk\s+access`)

// peerError turns an error answer into *Error, or into *PermissionError
// when it says chat.db cannot be read; the 0.9 form also breaks the client,
// because that imsg answers every later request the same way.
func (c *Client) peerError(method string, e *jsonrpc2.Error) error {
	pe := &Error{Method: method, Code: e.Code, Message: e.Message}
	if e.Data != nil {
		pe.Data = *e.Data
	}
	switch {
	case pe.Code == imsg.CodeInternalError && permissionDataRe.MatchString(pe.DataString()):
		err := &PermissionError{Detail: cut(cleanText(pe.DataString()), 500), Err: pe}
		c.breakWith(err)
		return err
	case pe.Code == imsg.CodeDatabaseUnavailable:
		// Newer imsg retries opening the database itself: not broken.
		return &PermissionError{Detail: cut(cleanText(pe.DataString()), 500), Retryable: true, Err: pe}
	}
	return pe
}

// writeFailed explains a request that could not be written, typically
// EPIPE from a child that is gone or closed its stdin.
func (c *Client) writeFailed(method string, err error) error {
	if errors.Is(err, jsonrpc2.ErrClosed) {
		return c.endErr()
	}
	if end := c.Err(); end != nil {
		return fmt.Errorf("imsg rpc %s: %w (write: %v)", method, end, err)
	}
	return fmt.Errorf("imsg rpc %s: write request: %w", method, err)
}
