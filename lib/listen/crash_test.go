package listen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/listen"
	"github.com/imsg-toolkit/imsg/lib/sim"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// The test binary doubles as imsg-sim and imsg-listen, so these tests run
// the real programs as real processes without a build step.
func TestMain(m *testing.M) {
	switch os.Getenv("IMSG_TEST_MAIN") {
	case "imsg-sim":
		os.Exit(sim.Main())
	case "imsg-listen":
		os.Exit(listen.Main())
	}
	os.Exit(m.Run())
}

// harness is a simulated Mac and the files of one listen setup.
type harness struct {
	t       *testing.T
	dir     string
	db      string
	wrapper string // cliPath: a script that runs this binary as imsg-sim
	env     []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, db: filepath.Join(dir, "chat.db"), wrapper: filepath.Join(dir, "imsg")}
	script := fmt.Sprintf("#!/bin/sh\nIMSG_TEST_MAIN=imsg-sim exec %q \"$@\"\n", self)
	if err := os.WriteFile(h.wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.env = append(os.Environ(),
		"HOME="+filepath.Join(dir, "home"),
		"IMSG_STATE_DIR="+filepath.Join(dir, "state"),
		"IMSG_CONFIG="+filepath.Join(dir, "config.json5"),
		"IMSG_SIM_POLL=5ms",
		"IMSG_NOW=", // real time: the age fence must see fresh rows
	)
	if err := os.WriteFile(filepath.Join(dir, "config.json5"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.sim("init", "--db", h.db)
	return h
}

// sim runs imsg-sim with args and stdin, and returns its stdout.
func (h *harness) sim(args ...string) []byte {
	h.t.Helper()
	cmd := exec.Command(h.wrapper, args...)
	cmd.Env = h.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("imsg-sim %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// startListen starts imsg-listen appending its records to out.
func (h *harness) startListen(out *os.File, extra ...string) *exec.Cmd {
	h.t.Helper()
	self, _ := os.Executable()
	args := append([]string{"--cli-path", h.wrapper, "--db", h.db, "--check-interval", "0",
		"--restart-delay", "50ms", "--restart-max-delay", "200ms"}, extra...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(h.env, "IMSG_TEST_MAIN=imsg-listen")
	cmd.Stdout = out
	cmd.Stderr = &logWriter{t: h.t}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd
}

// logWriter keeps imsg-listen's stderr in the test log.
type logWriter struct{ t *testing.T }

func (w *logWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// childOf returns the pid of a direct child of pid, or 0.
func childOf(pid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(field); err == nil {
				return n
			}
		}
	}
	return 0
}

type emitted struct {
	GUID       string
	Redelivery bool
	Offset     int64
}

// readRecords parses the output file: every record's guid, flag and offset.
func readRecords(t *testing.T, path string) []emitted {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []emitted
	var off int64
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var rec struct {
				Message struct{ GUID string } `json:"message"`
				Listen  struct{ Redelivery bool }
			}
			if jerr := json.Unmarshal(line, &rec); jerr != nil {
				t.Fatalf("output offset %d: %v: %q", off, jerr, line)
			}
			out = append(out, emitted{rec.Message.GUID, rec.Listen.Redelivery, off})
		}
		off += int64(len(line))
		if err != nil {
			return out
		}
	}
}

// TestSurvivesSIGKILL injects 1,000 messages across DMs and groups while
// imsg-listen and, separately, its imsg rpc child are killed with SIGKILL at
// random points. While listen is down, a "later stage" finishes some of the
// messages it emitted. At the end every message has been emitted at least
// once; every repeat is flagged as a redelivery; and no message is emitted
// again after it was finished.
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes for several seconds")
	}
	h := newHarness(t)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	outPath := filepath.Join(h.dir, "out.ndjson")
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	// Seed the chats, so listen's first run starts after these rows.
	h.sim("inject", "--db", h.db, "--from", "+15550000001", "--text", "before")
	listenCmd := h.startListen(out)
	defer func() { listenCmd.Process.Kill(); listenCmd.Wait() }()
	store, err := state.Open(filepath.Join(h.dir, "state"), "default")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The first run starts after the newest row; inject only once it has
	// recorded where it starts, or the first messages would count as history.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if id, _ := store.SourceIdentity(); id != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("imsg-listen did not start")
		}
	}

	const total = 1000
	want := map[string]bool{}
	injected := make(chan struct{})
	injectRNG := rand.New(rand.NewPCG(seed, 1)) // the kill loop below has its own
	go func() {
		defer close(injected)
		rng := injectRNG
		senders := []string{"+15550000001", "+15550000002", "friend@example.com", "+447700900123"}
		for n := 0; n < total; {
			k := min(1+rng.IntN(25), total-n)
			var spec bytes.Buffer
			for i := 0; i < k; i++ {
				from := senders[rng.IntN(len(senders))]
				m := map[string]any{"from": from, "text": fmt.Sprintf("message %d", n+i)}
				if rng.IntN(3) == 0 {
					m["group"] = "Crew " + strconv.Itoa(rng.IntN(3))
					m["participants"] = senders
				}
				b, _ := json.Marshal(m)
				spec.Write(append(b, '\n'))
			}
			// In-process: exec'ing a race-instrumented binary per batch would
			// dominate the test's time.
			var rows bytes.Buffer
			if err := sim.Inject(context.Background(), h.db, nil, &spec, clock.Real{}, &rows, tool.NewLog(io.Discard, "inject")); err != nil {
				t.Errorf("inject: %v", err)
				return
			}
			for _, line := range bytes.Split(bytes.TrimSpace(rows.Bytes()), []byte("\n")) {
				var row struct{ GUID string }
				if err := json.Unmarshal(line, &row); err != nil {
					t.Errorf("inject output %q: %v", line, err)
					return
				}
				want[row.GUID] = true
			}
			n += k
			// Spread the load over several seconds, so kills land while
			// messages are flowing, not only before or after.
			time.Sleep(time.Duration(40+rng.IntN(120)) * time.Millisecond)
		}
	}()

	finishedAt := map[string]int64{} // guid → output size when it was finished
	kills := map[string]int{}
	done := false
	size := func() int64 { fi, _ := out.Stat(); return fi.Size() }
	for !done {
		// Strike mid-stream: wait until the current processes have written
		// something new (a slow start under -race would otherwise take every
		// kill), then a random moment more.
		start := size()
		for size() == start && !done {
			select {
			case <-injected:
				done = true
			case <-time.After(10 * time.Millisecond):
			}
		}
		if done {
			break
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if rng.IntN(2) == 0 {
			if child := childOf(listenCmd.Process.Pid); child > 0 {
				syscall.Kill(child, syscall.SIGKILL)
				kills["imsg rpc"]++
			}
			continue
		}
		listenCmd.Process.Kill()
		listenCmd.Wait()
		if child := childOf(listenCmd.Process.Pid); child > 0 {
			syscall.Kill(child, syscall.SIGKILL)
		}
		kills["imsg-listen"]++
		// The later stage finishes about half of what was emitted so far.
		size, _ := out.Seek(0, 2)
		for _, r := range readRecords(t, outPath) {
			if _, ok := finishedAt[r.GUID]; !ok && rng.IntN(2) == 0 {
				if _, err := store.Finish(r.GUID, state.OutcomeAnswered, ""); err != nil {
					t.Fatal(err)
				}
				finishedAt[r.GUID] = size
			}
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		listenCmd = h.startListen(out)
	}
	if t.Failed() {
		return
	}

	// Let the last listen catch up with everything injected.
	deadline := time.Now().Add(60 * time.Second)
	var recs []emitted
	for {
		recs = readRecords(t, outPath)
		seen := map[string]bool{}
		for _, r := range recs {
			seen[r.GUID] = true
		}
		missing := 0
		for g := range want {
			if !seen[g] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages never emitted", missing, len(want))
		}
		time.Sleep(100 * time.Millisecond)
	}

	count := map[string]int{}
	repeats := 0
	for _, r := range recs {
		if !want[r.GUID] {
			t.Errorf("emitted a message nobody injected: %s", r.GUID)
		}
		count[r.GUID]++
		if count[r.GUID] > 1 {
			repeats++
			if !r.Redelivery {
				t.Errorf("message %s emitted again at offset %d without the redelivery flag", r.GUID, r.Offset)
			}
		}
		if at, ok := finishedAt[r.GUID]; ok && r.Offset >= at {
			t.Errorf("message %s emitted at offset %d after it was finished (output was %d bytes)", r.GUID, r.Offset, at)
		}
	}
	t.Logf("%d messages injected; %d records, %d repeats (all flagged redeliveries); killed imsg-listen %d times and imsg rpc %d times; %d finished while listen was down",
		len(want), len(recs), repeats, kills["imsg-listen"], kills["imsg rpc"], len(finishedAt))
	if kills["imsg-listen"] == 0 || kills["imsg rpc"] == 0 {
		t.Logf("warning: a kind of kill did not happen this run (seed %d)", seed)
	}
}
