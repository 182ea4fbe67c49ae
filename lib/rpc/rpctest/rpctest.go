// Package rpctest is a scripted fake `imsg rpc` for tests: it produces the
// byte-level quirks a real imsg (or the simulator) would never produce on
// demand — frames split mid-character, banners, out-of-order answers, a
// child that hangs, exits, or kills itself.
//
// The fake is the test binary itself: call Intercept first thing in
// TestMain, and start the Peer that New returns (Path plus Env) as the imsg
// binary. The script is a line-based language, one command per line:
//
//	# comment                 (blank lines are skipped too)
//	args WORD...              fail unless the arguments are exactly these
//	read [METHOD]             read one request from stdin (it becomes request
//	                          1, 2, …); fail if its method differs
//	reply N JSON              answer request N with result JSON
//	error N JSON              answer request N with error object JSON
//	notify METHOD JSON        write a notification with params JSON
//	line TEXT                 write TEXT and "\n" in one write
//	write WORD...             write the words, concatenated, in one write
//	chunks WORD...            write each word apart, pausing between writes
//	repeat N WORD             write WORD N times (in large writes)
//	stderr TEXT               write TEXT and "\n" to stderr
//	ewrite WORD...            write the words to stderr in one write
//	sleep DURATION            pause (Go syntax: 50ms)
//	eof                       read stdin until it closes
//	close-stdin, close-stdout close that descriptor and carry on
//	ignore SIGNAL             ignore TERM, INT, HUP …
//	hang                      block forever
//	exit CODE                 exit with CODE
//	kill SIGNAL               send SIGNAL (KILL, TERM, SEGV …) to itself
//
// A WORD is a bare word or a Go-quoted string ("a\n", "\xf0\x9f"). In
// TEXT, JSON and WORDs, $ID is the id of the last request read and $IDn
// that of request n, as raw JSON. When the script ends, the fake reads
// stdin to its end and exits 0, like imsg. A failed check prints
// "rpctest: line N: …" on stderr and exits 99.
package rpctest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Environment of a fake peer.
const (
	EnvScript = "IMSG_RPCTEST_SCRIPT" // path of the script to play
	EnvLog    = "IMSG_RPCTEST_LOG"    // optional: each request line read is appended here
)

// ChunkPause is the pause between the writes of `chunks`; it makes separate
// reads on the other side likely, not certain.
const ChunkPause = 20 * time.Millisecond

// Intercept plays the script and exits when this process was started as a
// fake peer; otherwise it returns at once. Call it first in TestMain.
func Intercept() {
	if os.Getenv(EnvScript) != "" {
		os.Exit(Main())
	}
}

// Main plays the script named by $IMSG_RPCTEST_SCRIPT on the process's
// stdin, stdout and stderr and returns the exit code. It can be registered
// as a testscript command.
func Main() int {
	src, err := os.ReadFile(os.Getenv(EnvScript))
	if err != nil {
		fmt.Fprintf(os.Stderr, "rpctest: %v\n", err)
		return 99
	}
	p := &player{in: bufio.NewReader(os.Stdin), out: os.Stdout, errw: os.Stderr}
	if path := os.Getenv(EnvLog); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rpctest: %v\n", err)
			return 99
		}
		defer f.Close()
		p.log = f
	}
	return p.play(string(src))
}

// Peer is a prepared fake: run Path with Env added to the environment.
type Peer struct {
	Path    string   // the test binary
	Env     []string // EnvScript and EnvLog settings
	LogPath string   // where the requests are recorded
}

// New writes script to a temporary directory and returns the Peer that
// plays it.
func New(t testing.TB, script string) *Peer {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sp := filepath.Join(dir, "script")
	if err := os.WriteFile(sp, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(dir, "requests.log")
	// A race-enabled test binary sleeps a second at exit by default; the
	// fake must exit as promptly as imsg does.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	env := []string{EnvScript + "=" + sp, EnvLog + "=" + lp, "GORACE=" + gorace}
	return &Peer{Path: exe, Env: env, LogPath: lp}
}

// Requests returns the request lines the peer read, as received.
func (p *Peer) Requests(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(p.LogPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

type player struct {
	in     *bufio.Reader
	out    *os.File
	errw   *os.File
	log    *os.File
	ids    []string
	lineNo int
}

type failure struct{ msg string }

func (p *player) fail(format string, args ...any) {
	panic(failure{fmt.Sprintf(format, args...)})
}

func (p *player) play(src string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			fmt.Fprintf(p.errw, "rpctest: line %d: %s\n", p.lineNo, f.msg)
			code = 99
		}
	}()
	for i, raw := range strings.Split(src, "\n") {
		p.lineNo = i + 1
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, rest, _ := strings.Cut(line, " ")
		if code, exit := p.step(cmd, strings.TrimSpace(rest)); exit {
			return code
		}
	}
	p.drain()
	return 0
}

func (p *player) step(cmd, rest string) (code int, exit bool) {
	switch cmd {
	case "args":
		if got, want := os.Args[1:], p.words(rest); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			p.fail("args %q; want %q", got, want)
		}
	case "read":
		p.read(rest)
	case "reply", "error":
		n, payload, _ := strings.Cut(rest, " ")
		key := map[string]string{"reply": "result", "error": "error"}[cmd]
		p.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,%q:%s}`+"\n", p.id(n), key, p.subst(payload)))
	case "notify":
		method, params, _ := strings.Cut(rest, " ")
		p.write(fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":%s}`+"\n", method, p.subst(params)))
	case "line":
		p.write(p.subst(rest) + "\n")
	case "write":
		p.write(strings.Join(p.words(rest), ""))
	case "chunks":
		for i, w := range p.words(rest) {
			if i > 0 {
				time.Sleep(ChunkPause)
			}
			p.write(w)
		}
	case "repeat":
		ns, word, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(ns)
		if err != nil {
			p.fail("repeat: %v", err)
		}
		p.repeat(n, strings.Join(p.words(word), ""))
	case "stderr":
		fmt.Fprintln(p.errw, p.subst(rest))
	case "ewrite":
		if _, err := io.WriteString(p.errw, strings.Join(p.words(rest), "")); err != nil {
			p.fail("ewrite: %v", err)
		}
	case "sleep":
		d, err := time.ParseDuration(rest)
		if err != nil {
			p.fail("sleep: %v", err)
		}
		time.Sleep(d)
	case "eof":
		p.drain()
	case "close-stdin":
		os.Stdin.Close()
	case "close-stdout":
		p.out.Close()
	case "ignore":
		signal.Ignore(p.signal(rest))
	case "hang":
		sleepForever()
	case "exit":
		n, err := strconv.Atoi(rest)
		if err != nil {
			p.fail("exit: %v", err)
		}
		return n, true
	case "kill":
		_ = syscall.Kill(os.Getpid(), p.signal(rest))
		sleepForever()
	default:
		p.fail("unknown command %q", cmd)
	}
	return 0, false
}

// read takes the next request line; blank lines are skipped as imsg does.
func (p *player) read(method string) {
	for {
		line, err := p.in.ReadString('\n')
		if t := strings.TrimSpace(line); t != "" {
			p.record(t)
			var req struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if err := json.Unmarshal([]byte(t), &req); err != nil {
				p.fail("request is not JSON: %v: %q", err, t)
			}
			if method != "" && req.Method != method {
				p.fail("read method %q; want %q", req.Method, method)
			}
			p.ids = append(p.ids, string(req.ID))
			return
		}
		if err != nil {
			p.fail("stdin ended while waiting for a request (%v)", err)
		}
	}
}

// drain reads stdin to its end, recording any requests.
func (p *player) drain() {
	for {
		line, err := p.in.ReadString('\n')
		if t := strings.TrimSpace(line); t != "" {
			p.record(t)
		}
		if err != nil {
			return
		}
	}
}

func (p *player) record(line string) {
	if p.log != nil {
		fmt.Fprintln(p.log, line)
	}
}

func (p *player) write(s string) {
	if _, err := io.WriteString(p.out, s); err != nil {
		p.fail("write: %v", err)
	}
}

func (p *player) repeat(n int, word string) {
	if word == "" || n <= 0 {
		return
	}
	per := max(1, (64<<10)/len(word))
	block := strings.Repeat(word, per)
	for ; n >= per; n -= per {
		p.write(block)
	}
	p.write(strings.Repeat(word, n))
}

var idRe = regexp.MustCompile(`\$ID([0-9]*)`)

func (p *player) subst(s string) string {
	return idRe.ReplaceAllStringFunc(s, func(m string) string { return p.id(m[3:]) })
}

// id is the raw id of request n (1-based), or of the last one for "".
func (p *player) id(n string) string {
	i := len(p.ids)
	if n != "" {
		var err error
		if i, err = strconv.Atoi(n); err != nil {
			p.fail("bad request number %q", n)
		}
	}
	if i < 1 || i > len(p.ids) {
		p.fail("no request %d has been read", i)
	}
	return p.ids[i-1]
}

// words splits bare and Go-quoted words.
func (p *player) words(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				p.fail("bad quoted word: %v", err)
			}
			w, _ := strconv.Unquote(q)
			out = append(out, p.subst(w))
			s = s[len(q):]
			continue
		}
		w, rest, _ := strings.Cut(s, " ")
		out = append(out, p.subst(w))
		s = rest
	}
	return out
}

func (p *player) signal(name string) syscall.Signal {
	sig := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(name), "SIG"))
	if sig == 0 {
		p.fail("unknown signal %q", name)
	}
	return sig
}

// sleepForever blocks without tripping the runtime's deadlock detector,
// which an empty select would.
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}
