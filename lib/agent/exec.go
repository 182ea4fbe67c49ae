package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Exec answers each message with a shell command: sh -c Command runs with
// the whole record on its standard input and the essentials in its
// environment (see Env); what it prints is the reply.
type Exec struct {
	Command string
	// Timeout bounds one run; the command and everything it started are
	// killed when it passes. 0 means no limit.
	Timeout time.Duration
	// MaxOutput is the most a command may print, in bytes; more is an
	// error (the command is killed). 0 means DefaultMaxOutput.
	MaxOutput int
	// Stderr receives the command's standard error (nil: discarded).
	Stderr io.Writer
	// Environ is the environment every run starts from (nil: os.Environ()).
	Environ []string
}

// DefaultMaxOutput is the default cap on an answer, in bytes. iMessage
// bubbles are short; a command printing megabytes has gone wrong.
const DefaultMaxOutput = 64 << 10

// Errors of a run, wrapped with details.
var (
	ErrTimeout  = errors.New("timed out")
	ErrOversize = errors.New("answer too long")
	ErrExitCode = errors.New("agent command failed")
)

// Answer runs the command for j.
func (e *Exec) Answer(ctx context.Context, j *Job) (string, error) {
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	limit := e.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", e.Command)
	cmd.Stdin = bytes.NewReader(append(j.Line[:len(j.Line):len(j.Line)], '\n'))
	env := e.Environ
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], Env(j)...)
	cmd.Stderr = e.Stderr
	// Its own process group, so a timeout kills what the command started
	// too (a pipeline, a sleep), not just sh.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	kill := func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.Cancel = kill
	// A grandchild that keeps the output pipe open must not keep us
	// waiting once sh is gone.
	cmd.WaitDelay = time.Second
	out := &capped{max: limit, over: func() { kill() }}
	cmd.Stdout = out

	err := cmd.Run()
	switch {
	case out.overflowed():
		return "", fmt.Errorf("%w: the command printed more than %d bytes", ErrOversize, limit)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", fmt.Errorf("%w after %v", ErrTimeout, e.Timeout)
	case ctx.Err() != nil:
		return "", ctx.Err()
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%w: %v", ErrExitCode, exitStatus(ee))
		}
		return "", err
	}
	return cleanAnswer(out.String()), nil
}

func exitStatus(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("terminated by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return "exit status " + strconv.Itoa(ee.ExitCode())
}

// cleanAnswer trims the blank lines and trailing space a command prints
// around its answer (echo's newline) and keeps the text valid UTF-8.
func cleanAnswer(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	s = strings.TrimLeft(s, "\r\n")
	return strings.ToValidUTF8(s, "\uFFFD")
}

// capped collects output up to max bytes; past that it calls over once and
// discards the rest.
type capped struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	max  int
	over func()
	full bool
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return len(p), nil
	}
	if c.buf.Len()+len(p) > c.max {
		c.full = true
		c.over()
		return len(p), nil
	}
	return c.buf.Write(p)
}

func (c *capped) overflowed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// Env is the environment a command gets for j, on top of imsg-agent's own.
// mediaPaths lists the attachments' local files, one per line.
func mediaPaths(j *Job) string {
	paths := make([]string, len(j.Media))
	for i, m := range j.Media {
		paths[i] = m.Path
	}
	return strings.Join(paths, "\n")
}

func Env(j *Job) []string {
	group := "false"
	if j.IsGroup() {
		group = "true"
	}
	vars := []struct{ k, v string }{
		{"IMSG_ACCOUNT", j.Account},
		{"IMSG_AGENT_ID", j.AgentID},
		{"IMSG_SESSION_KEY", j.SessionKey},
		{"IMSG_TO", j.To},
		{"IMSG_TEXT", j.Text},
		{"IMSG_BODY", j.Prompt()},
		{"IMSG_SENDER", j.Sender},
		{"IMSG_SENDER_ID", j.SenderID},
		{"IMSG_CHAT_ID", strconv.FormatInt(j.ChatID, 10)},
		{"IMSG_CHAT_NAME", j.ChatName},
		{"IMSG_CHAT_TYPE", j.ChatType},
		{"IMSG_IS_GROUP", group},
		{"IMSG_GUID", j.GUID},
		{"IMSG_HISTORY_LIMIT", strconv.Itoa(j.HistoryLimit)},
		{"IMSG_MEDIA", mediaPaths(j)},
	}
	out := make([]string, len(vars))
	for i, kv := range vars {
		// An environment string cannot hold NUL.
		out[i] = kv.k + "=" + strings.ReplaceAll(kv.v, "\x00", "")
	}
	return out
}
