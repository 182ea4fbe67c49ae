package agent

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const routedLine = `{"kind":"message","account":"default","message":{"id":42,"chat_id":7,"guid":"G42","sender":"+15550001111","text":"what's up? $HOME \"quoted\"","chat_name":"Crew","is_group":true},"route":{"agent_id":"main","session_key":"agent:main:imessage:group:7","to":"chat_id:7","chat_type":"group","sender":"+15550001111","sender_id":"+15550001111","history_limit":20,"body":"[iMessage Crew id:7] +15550001111: what's up?"}}`

func routedJob(t *testing.T) *Job {
	t.Helper()
	j, err := ParseJob([]byte(routedLine), 1)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestExecAnswersWithStdout(t *testing.T) {
	var stderr bytes.Buffer
	e := &Exec{Command: `printf '\n\n'; echo "$IMSG_TEXT|$IMSG_SESSION_KEY|$IMSG_CHAT_ID|$IMSG_IS_GROUP|$IMSG_SENDER|$IMSG_TO|$IMSG_GUID|$IMSG_HISTORY_LIMIT"; echo to-stderr >&2; echo; echo`,
		Timeout: guard, Stderr: &stderr}
	got, err := e.Answer(context.Background(), routedJob(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `what's up? $HOME "quoted"|agent:main:imessage:group:7|7|true|+15550001111|chat_id:7|G42|20`
	if got != want {
		t.Errorf("answer = %q; want %q", got, want)
	}
	if stderr.String() != "to-stderr\n" {
		t.Errorf("stderr = %q; want the command's stderr", stderr.String())
	}
}

func TestExecGetsTheRecordOnStdin(t *testing.T) {
	e := &Exec{Command: `cat`, Timeout: guard}
	got, err := e.Answer(context.Background(), routedJob(t))
	if err != nil || got != routedLine {
		t.Errorf("cat answered %q, %v; want the record", got, err)
	}
	// A command that ignores a record bigger than a pipe buffer still works.
	j := routedJob(t)
	j.Line = []byte(`{"kind":"message","pad":"` + strings.Repeat("x", 1<<20) + `"}`)
	if got, err := (&Exec{Command: `echo ok`, Timeout: guard}).Answer(context.Background(), j); err != nil || got != "ok" {
		t.Errorf("big record, command not reading it: %q, %v; want ok", got, err)
	}
}

func TestExecFailures(t *testing.T) {
	tests := []struct {
		name    string
		e       *Exec
		want    error
		message string
	}{
		{"non-zero exit", &Exec{Command: "echo partial; exit 3", Timeout: guard}, ErrExitCode, "exit status 3"},
		{"killed", &Exec{Command: "kill -9 $$", Timeout: guard}, ErrExitCode, "terminated by signal 9 (killed)"},
		{"timeout", &Exec{Command: "echo early; sleep 60", Timeout: 200 * time.Millisecond}, ErrTimeout, "timed out after 200ms"},
		{"oversize", &Exec{Command: "yes hello", Timeout: guard, MaxOutput: 1000}, ErrOversize, "more than 1000 bytes"},
		{"oversize exactly one byte over", &Exec{Command: "printf 12345", Timeout: guard, MaxOutput: 4}, ErrOversize, "more than 4 bytes"},
	}
	for _, tt := range tests {
		got, err := tt.e.Answer(context.Background(), routedJob(t))
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) || got != "" {
			t.Errorf("%s: Answer = %q, %v; want no text and %v (%q)", tt.name, got, err, tt.want, tt.message)
		}
	}
	if got, err := (&Exec{Command: "printf 1234", MaxOutput: 4}).Answer(context.Background(), routedJob(t)); err != nil || got != "1234" {
		t.Errorf("answer at the limit: %q, %v; want it accepted", got, err)
	}
}

func TestExecTimeoutKillsTheWholeGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	e := &Exec{Command: "sleep 60 & echo $! > " + pidFile + "; wait", Timeout: 300 * time.Millisecond}
	if _, err := e.Answer(context.Background(), routedJob(t)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Answer = %v; want a timeout", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(guard)
	for syscall.Kill(pid, 0) == nil {
		// A zombie still answers kill 0 until reaped; its state says Z.
		if st, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); strings.Contains(string(st), ") Z") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command's child %d survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEnvHasNoNUL(t *testing.T) {
	j := routedJob(t)
	j.Text = "a\x00b"
	for _, kv := range Env(j) {
		if strings.HasPrefix(kv, "IMSG_TEXT=") && kv != "IMSG_TEXT=ab" {
			t.Errorf("Env IMSG_TEXT = %q; want NUL removed", kv)
		}
	}
}
