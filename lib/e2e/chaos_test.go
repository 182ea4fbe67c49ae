package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/sim"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// TestGatewayChaos runs scripts/imsg-gateway --agent echo against imsg-sim,
// injects 1,000 messages from allowed senders across DMs and groups, and
// kills a random stage, or one of the imsg rpc children, with SIGKILL every
// few hundred milliseconds. Like launchd, the test restarts the gateway
// whenever it exits. At the end every message must have exactly one reply
// in the simulator's chat.db: none missing, none doubled.
func TestGatewayChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole gateway for a minute or more")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	killRNG := rand.New(rand.NewPCG(seed, 0))
	injectRNG := rand.New(rand.NewPCG(seed, 1))

	dir := t.TempDir()
	db := filepath.Join(dir, "chat.db")
	gatewayScript, _ := filepath.Abs(filepath.Join(root, "scripts", "imsg-gateway"))
	config := filepath.Join(dir, "config.json5")
	senders := []string{"+15550000001", "+15550000002", "friend@example.com", "+447700900123"}
	quoted, _ := json.Marshal(senders)
	os.WriteFile(config, []byte(fmt.Sprintf(`{ channels: { imessage: {
  cliPath: "imsg-sim", dbPath: %q,
  dmPolicy: "allowlist", allowFrom: %s,
  groupPolicy: "open", groups: { "*": { requireMention: false } },
} } }`, db, quoted)), 0o600)
	env := append(os.Environ(),
		"HOME="+filepath.Join(dir, "home"),
		"IMSG_NOW=",
		"IMSG_SIM_POLL=5ms",
		// The test sends 1,000 replies in about a minute: lift the pacing
		// that protects a real account.
		"IMSG_SEND_CHAT_RATE=0", "IMSG_SEND_GLOBAL_RATE=0", "IMSG_SEND_DAILY_CAP=0",
	)
	if err := sim.Init(db, "", "", false); err != nil {
		t.Fatal(err)
	}
	guidOf := map[string]string{} // text → guid
	inject := func(specs []byte) []string {
		var rows bytes.Buffer
		if err := sim.Inject(context.Background(), db, nil, bytes.NewReader(specs), clock.Real{}, &rows, tool.NewLog(io.Discard, "inject")); err != nil {
			t.Errorf("inject: %v", err)
		}
		var guids []string
		for _, line := range bytes.Split(bytes.TrimSpace(rows.Bytes()), []byte("\n")) {
			var row struct{ GUID string }
			json.Unmarshal(line, &row)
			guids = append(guids, row.GUID)
		}
		return guids
	}
	// One message before the gateway's first run, which starts after it.
	inject([]byte(`{"from":"+15550000001","text":"before the gateway"}` + "\n"))

	// The gateway, restarted whenever it exits, as launchd would.
	var (
		mu       sync.Mutex
		gw       *exec.Cmd
		runs     int
		stopping bool
		stderr   bytes.Buffer
	)
	startGateway := func() {
		cmd := exec.Command("sh", gatewayScript, "--config", config, "--state-dir", filepath.Join(dir, "state"),
			"--agent", "echo", "--receipts", filepath.Join(dir, "receipts.ndjson"), "--grace", "2")
		cmd.Env = env
		cmd.Stderr = &lockedWriter{mu: &mu, w: &stderr}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Errorf("start the gateway: %v", err) // not Fatal: also runs on the supervisor goroutine
			return
		}
		gw = cmd
		runs++
	}
	mu.Lock()
	startGateway()
	mu.Unlock()
	supervised := make(chan struct{})
	go func() {
		defer close(supervised)
		for {
			mu.Lock()
			cmd := gw
			mu.Unlock()
			cmd.Wait()
			mu.Lock()
			if stopping {
				mu.Unlock()
				return
			}
			time.Sleep(100 * time.Millisecond)
			startGateway()
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		stopping = true
		syscall.Kill(-gw.Process.Pid, syscall.SIGKILL)
		mu.Unlock()
		<-supervised
		if t.Failed() {
			mu.Lock()
			t.Logf("gateway stderr (last 4 KB):\n%s", tail(stderr.Bytes(), 4096))
			mu.Unlock()
		}
	}()
	waitFor(t, 60*time.Second, "the gateway's first run", func() bool {
		_, err := os.Stat(filepath.Join(dir, "state", "default.db"))
		return err == nil && countReplies(t, db) != nil
	})
	time.Sleep(time.Second) // imsg-listen records where it starts

	// 1,000 messages, DMs and groups, spread over about 20 seconds.
	const total = 1000
	texts := map[string]bool{}
	injected := make(chan struct{})
	go func() {
		defer close(injected)
		for n := 0; n < total; {
			k := min(1+injectRNG.IntN(20), total-n)
			var specs bytes.Buffer
			for i := 0; i < k; i++ {
				text := fmt.Sprintf("chaos %04d", n+i)
				m := map[string]any{"from": senders[injectRNG.IntN(len(senders))], "text": text}
				if injectRNG.IntN(3) == 0 {
					m["group"] = "Crew " + strconv.Itoa(injectRNG.IntN(3))
					m["participants"] = senders
				}
				b, _ := json.Marshal(m)
				specs.Write(append(b, '\n'))
				mu.Lock()
				texts[text] = true
				mu.Unlock()
			}
			guids := inject(specs.Bytes())
			mu.Lock()
			for i, g := range guids {
				guidOf[fmt.Sprintf("chaos %04d", n+i)] = g
			}
			mu.Unlock()
			n += k
			time.Sleep(time.Duration(100+injectRNG.IntN(500)) * time.Millisecond)
		}
	}()

	// Kill something every few hundred milliseconds until all is injected.
	victims := map[string]int{}
	for done := false; !done; {
		select {
		case <-injected:
			done = true
			continue
		case <-time.After(time.Duration(200+killRNG.IntN(400)) * time.Millisecond):
		}
		mu.Lock()
		procs := descendants(gw.Process.Pid)
		mu.Unlock()
		if len(procs) == 0 {
			continue
		}
		p := procs[killRNG.IntN(len(procs))]
		if syscall.Kill(p.pid, syscall.SIGKILL) == nil {
			victims[p.name]++
		}
	}
	if t.Failed() {
		return
	}

	// Let the last gateway answer everything.
	var replies map[string]int
	defer func() {
		if !t.Failed() {
			return
		}
		explainMissing(t, filepath.Join(dir, "state"), texts, guidOf, replies)
	}()
	waitFor(t, 3*time.Minute, "every message answered", func() bool {
		replies = countReplies(t, db)
		for text := range texts {
			if replies[text] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // a late duplicate would show up now
	replies = countReplies(t, db)
	missing, doubled := 0, 0
	for text := range texts {
		switch n := replies[text]; {
		case n == 0:
			missing++
		case n > 1:
			doubled++
			t.Errorf("%q answered %d times", text, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d messages never answered", missing)
	}
	mu.Lock()
	t.Logf("%d messages injected, %d answered exactly once, %d missing, %d doubled; gateway started %d times; killed %v",
		len(texts), len(texts)-missing-doubled, missing, doubled, runs, victims)
	mu.Unlock()
}

// explainMissing logs what the state store knows of up to ten unanswered
// messages, so a failure says where they stopped.
func explainMissing(t *testing.T, stateDir string, texts map[string]bool, guidOf map[string]string, replies map[string]int) {
	st, err := state.Open(stateDir, "default")
	if err != nil {
		t.Logf("open state: %v", err)
		return
	}
	defer st.Close()
	shown := 0
	for text := range texts {
		if replies[text] > 0 || shown == 10 {
			continue
		}
		shown++
		g := guidOf[text]
		e, err := st.Entry(g)
		d, derr := st.Delivery("agent:" + g + "#1")
		t.Logf("unanswered %q (%s): journal %+v (%v); ledger %+v (%v)", text, g, e, err, d, derr)
	}
	counts, _ := st.JournalCounts()
	t.Logf("journal: %v", counts)
}

// countReplies counts the replies in chat.db by text (nil while the
// database cannot be read).
func countReplies(t *testing.T, db string) map[string]int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT text, COUNT(*) FROM message WHERE is_from_me = 1 AND text LIKE 'chaos %' GROUP BY text`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var text string
		var n int
		if rows.Scan(&text, &n) == nil {
			out[text] = n
		}
	}
	return out
}

type proc struct {
	pid  int
	name string
}

// descendants lists the processes below pid that the chaos may kill: the
// stages and the imsg rpc children (imsg-sim), not the shell.
func descendants(root int) []proc {
	parent := map[int]int{}
	name := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces, so split at the last ")".
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			continue
		}
		fields := strings.Fields(s[i+2:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		parent[pid] = ppid
		name[pid] = s[strings.IndexByte(s, '(')+1 : i]
	}
	var out []proc
	for pid, n := range name {
		if !strings.HasPrefix(n, "imsg-") {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == root {
				out = append(out, proc{pid, n})
				break
			}
		}
	}
	return out
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
