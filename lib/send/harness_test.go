package send_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/sim"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// The test binary doubles as imsg-sim and imsg-send, so the tests run the
// real simulator (and, for the kill tests, imsg-send) as real processes.
func TestMain(m *testing.M) {
	switch os.Getenv("IMSG_TEST_MAIN") {
	case "imsg-sim":
		os.Exit(sim.Main())
	case "imsg-send":
		os.Exit(send.Main())
	}
	code := m.Run()
	if fixture.db != "" {
		os.RemoveAll(filepath.Dir(fixture.db))
	}
	os.Exit(code)
}

// harness is a simulated Mac with a DM (chat 1, +15551234567) and a group
// (chat 2, "Crew"), and the state store of account "default".
type harness struct {
	t         testing.TB
	dir       string
	db        string
	wrapper   string // cliPath: runs this binary as imsg-sim, noting its pid
	pids      string
	stateDir  string
	home      string
	env       []string
	store     *state.Store
	groupGUID string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, db: filepath.Join(dir, "chat.db"), wrapper: filepath.Join(dir, "imsg"),
		pids: filepath.Join(dir, "pids"), stateDir: filepath.Join(dir, "state"), home: filepath.Join(dir, "home")}
	script := fmt.Sprintf("#!/bin/sh\necho $$ >> %q\nIMSG_TEST_MAIN=imsg-sim exec %q \"$@\"\n", h.pids, self)
	if err := os.WriteFile(h.wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.env = append(os.Environ(), "HOME="+h.home, "IMSG_NOW=", "IMSG_SIM_POLL=5ms", "IMSG_SIM_FAULTS=",
		"IMSG_STATE_DIR="+h.stateDir, "IMSG_CONFIG="+filepath.Join(dir, "config.json5"))
	if err := os.WriteFile(filepath.Join(dir, "config.json5"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.groupGUID = buildFixture(t, h)
	if err := copyFile(fixture.db, h.db); err != nil {
		t.Fatal(err)
	}
	h.store, err = state.Open(h.stateDir, "default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	return h
}

// fixture is the chat.db every test starts from, built once.
var fixture struct {
	once sync.Once
	db   string
	guid string
	err  error
}

// buildFixture makes the fixture database once (TestMain removes it) and
// returns the group's guid.
func buildFixture(t testing.TB, h *harness) string {
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "imsg-send-fixture")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.db = filepath.Join(dir, "chat.db")
		h.sim("init", "--db", fixture.db, "--seed", "send-tests")
		h.simIn(`{"from":"+15551234567","text":"hello"}
{"from":"friend@example.com","group":"Crew","participants":["+15550001111","friend@example.com"],"text":"hi all"}
`, "inject", "--db", fixture.db, "-")
		st, err := chatdb.Open(fixture.db)
		if err != nil {
			fixture.err = err
			return
		}
		defer st.Close()
		msgs, err := st.History(context.Background(), chatdb.HistoryQuery{ChatID: 2, Limit: 1}, false)
		if err != nil || len(msgs) != 1 {
			fixture.err = fmt.Errorf("fixture group: %v %v", msgs, err)
			return
		}
		fixture.guid = msgs[0].ChatGUID
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.guid
}

// copyFile copies a database with its WAL, if one was left.
func copyFile(from, to string) error {
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(from + suffix)
		if suffix != "" && os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(to+suffix, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// sim runs imsg-sim and returns its stdout.
func (h *harness) sim(args ...string) []byte { return h.simIn("", args...) }

func (h *harness) simIn(stdin string, args ...string) []byte {
	h.t.Helper()
	self, _ := os.Executable()
	cmd := exec.Command(self, args...)
	cmd.Env = append(h.env, "IMSG_TEST_MAIN=imsg-sim")
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("imsg-sim %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// history returns the rows of a chat, oldest first, read in process.
func (h *harness) history(chatID int64) []imsg.Message {
	h.t.Helper()
	st, err := chatdb.Open(h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.History(context.Background(), chatdb.HistoryQuery{ChatID: chatID, Limit: 1000}, true)
	if err != nil {
		h.t.Fatal(err)
	}
	slices.Reverse(msgs)
	return msgs
}

// sent returns the texts of the rows from us in a chat, oldest first
// (attachments as "file:<name>").
func (h *harness) sent(chatID int64) []string {
	var out []string
	for _, m := range h.history(chatID) {
		if !m.IsFromMe {
			continue
		}
		if len(m.Attachments) > 0 {
			out = append(out, "file:"+m.Attachments[0].TransferName)
			continue
		}
		out = append(out, m.Text)
	}
	return out
}

// options are the Options of an in-process run: fast retries, no pacing,
// no settle wait unless a test sets them.
func (h *harness) options(in string, faults string) send.Options {
	return send.Options{
		Account: "default",
		RPC: rpc.Options{CLIPath: h.wrapper, DBPath: h.db, CloseGrace: 5 * time.Second,
			Env: []string{"HOME=" + h.home, "IMSG_NOW=", "IMSG_SIM_POLL=5ms", "IMSG_SIM_FAULTS=" + faults}},
		Store: h.store, In: strings.NewReader(in),
		Region: "US", Service: "auto", MaxBytes: 16 << 20,
		RetryDelay: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
	}
}

// result is what a run wrote.
type result struct {
	receipts []record.Receipt
	stdout   string
	log      string
	err      error
}

func (r result) byKey(key string) record.Receipt {
	for _, rc := range r.receipts {
		if rc.Key == key {
			return rc
		}
	}
	return record.Receipt{}
}

// run runs imsg-send in process over in.
func (h *harness) run(in string, faults string, mod ...func(*send.Options)) result {
	h.t.Helper()
	o := h.options(in, faults)
	var out syncBuffer
	var log syncBuffer
	o.Out = &out
	o.Log = tool.NewLog(&log, "imsg-send")
	for _, f := range mod {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // deadlock guard only
	defer cancel()
	err := send.Run(ctx, o)
	r := result{stdout: out.String(), log: log.String(), err: err}
	r.receipts = parseReceipts(h.t, r.stdout)
	h.t.Logf("imsg-send log:\n%s", r.log)
	return r
}

func parseReceipts(t testing.TB, out string) []record.Receipt {
	t.Helper()
	var rcs []record.Receipt
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var probe struct{ Kind string }
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		if probe.Kind != "receipt" {
			continue
		}
		var rc record.Receipt
		json.Unmarshal(sc.Bytes(), &rc)
		rcs = append(rcs, rc)
	}
	return rcs
}

// reply renders a reply record.
func reply(to, text, key string, extra ...any) string {
	m := map[string]any{"kind": "reply", "account": "default", "to": to, "text": text, "key": key}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b) + "\n"
}

// syncBuffer is a bytes.Buffer safe for the writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// simPids lists the imsg-sim processes the wrapper started, in order.
func (h *harness) simPids() []int {
	b, _ := os.ReadFile(h.pids)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// newPipe returns the two ends of a pipe, closed at the end of the test.
func newPipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// testLog sends imsg-send's stderr to the test log.
func testLog(t testing.TB) *tool.Log { return tool.NewLog(logWriter{t}, "imsg-send") }

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// runAsync runs imsg-send in process and delivers its result when done.
func runAsync(o send.Options) <-chan error {
	done := make(chan error, 1)
	go func() { done <- send.Run(context.Background(), o) }()
	return done
}

// waitFor polls cond; the timeout is only a deadlock guard.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
