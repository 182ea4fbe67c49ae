package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
)

// The tests run imsg-sim as a real child process (this test binary,
// re-executed) and talk to it through real pipes.
func TestMain(m *testing.M) {
	if os.Getenv("IMSG_SIM_TEST_MAIN") == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// guard bounds every wait so a deadlock fails the test instead of hanging
// it; it is not a performance limit.
const guard = 20 * time.Second

var fixed = time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)

type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr strings.Builder
	done   chan struct{}
	code   int
}

// run starts `imsg-sim args…` with HOME in a temporary directory.
func run(t *testing.T, home string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "IMSG_SIM_TEST_MAIN=1", "HOME="+home, "IMSG_NOW=2026-05-16T09:00:00Z")
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(guard):
			cmd.Process.Kill()
		}
	})
	return p
}

// rpcProc starts `imsg-sim rpc --db db --poll 5ms` plus extra args.
func rpcProc(t *testing.T, db string, extra ...string) *proc {
	return run(t, filepath.Dir(db), nil, append([]string{"rpc", "--db", db, "--poll", "5ms"}, extra...)...)
}

func (p *proc) send(lines ...string) {
	p.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
			p.t.Fatal(err)
		}
	}
}

// next returns the next stdout line, decoded.
func (p *proc) next() map[string]any {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("stdout ended; stderr: %s", p.stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			p.t.Fatalf("stdout line %q: %v", l, err)
		}
		return m
	case <-time.After(guard):
		p.t.Fatalf("no output within %v (deadlock guard)", guard)
	}
	return nil
}

// finish closes stdin and returns the remaining stdout lines and the exit code.
func (p *proc) finish() ([]string, int) {
	p.t.Helper()
	p.stdin.Close()
	var rest []string
	timeout := time.After(guard)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				select {
				case <-p.done:
				case <-timeout:
					p.t.Fatalf("process did not exit (deadlock guard)")
				}
				return rest, p.code
			}
			rest = append(rest, l)
		case <-timeout:
			p.t.Fatalf("stdout did not end (deadlock guard)")
		}
	}
}

// newDB creates a chat.db in a fresh directory, which is also HOME.
func newDB(t *testing.T, build func(tx *chatdb.Tx)) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "chat.db")
	if err := chatdb.Create(db, "test"); err != nil {
		t.Fatal(err)
	}
	if build != nil {
		write(t, db, build)
	}
	return db
}

// write runs build in one write transaction on db.
func write(t *testing.T, db string, build func(tx *chatdb.Tx)) {
	t.Helper()
	w, err := chatdb.OpenWriter(db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Home = filepath.Dir(db)
	tx, err := w.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	build(tx)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fixtureC is §5.3 C (and D with the reaction row).
func fixtureC(t *testing.T, withReaction bool) string {
	return newDB(t, func(tx *chatdb.Tx) {
		h1, _ := tx.EnsureHandle("+123", "iMessage")
		h2, _ := tx.EnsureHandle("me@icloud.com", "iMessage")
		tx.InsertChat(chatdb.NewChat{ID: 1, Identifier: "iMessage;+;chat123", GUID: "iMessage;+;chat123",
			DisplayName: "Group Chat", ServiceName: "iMessage", AccountLogin: "me@icloud.com", LastAddressedHandle: "me@icloud.com"})
		tx.AddParticipant(1, h1)
		tx.AddParticipant(1, h2)
		if _, err := tx.InsertMessage(chatdb.NewMessage{ID: 5, GUID: "msg-guid-5", ChatID: 1, HandleID: h1, Text: "hello", Date: fixed}); err != nil {
			t.Fatal(err)
		}
		if withReaction {
			tx.InsertMessage(chatdb.NewMessage{ID: 6, GUID: "reaction-guid-6", ChatID: 1, HandleID: h2,
				AssociatedGUID: "p:0/msg-guid-5", AssociatedType: 2001, Date: fixed.Add(time.Second)})
		}
	})
}

// get walks a decoded JSON object: get(m, "error", "code").
func get(m any, path ...string) any {
	for _, k := range path {
		obj, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = obj[k]
	}
	return m
}
