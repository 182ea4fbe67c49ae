package rpc_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/rpc/rpctest"
)

func TestMain(m *testing.M) {
	rpctest.Intercept()
	os.Exit(m.Run())
}

// guard bounds every wait in these tests. It is a deadlock guard, never a
// performance check: on a healthy run nothing comes near it.
const guard = 2 * time.Minute

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return c
}

// recorder collects Log entries and other ordered happenings.
type recorder struct {
	mu      sync.Mutex
	entries []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.entries = append(r.entries, s)
	r.mu.Unlock()
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.entries...)
}

func (r *recorder) count(substr string) int {
	n := 0
	for _, e := range r.all() {
		if strings.Contains(e, substr) {
			n++
		}
	}
	return n
}

// pipePeer is an in-process peer over io.Pipe. Each write to the client is
// consumed by exactly one read, so chunk boundaries are read boundaries.
type pipePeer struct {
	t   *testing.T
	out *io.PipeWriter // to the client
	in  *bufio.Reader  // from the client
}

type request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	line   string
}

// connect returns a client over a pipePeer; opts.Log is set to rec.
func connect(t *testing.T, opts rpc.Options) (*rpc.Client, *pipePeer, *recorder) {
	t.Helper()
	rec := &recorder{}
	if opts.Log == nil {
		opts.Log = rec.add
	}
	cr, pw := io.Pipe() // peer → client
	pr, cw := io.Pipe() // client → peer
	c := rpc.Connect(cr, cw, opts)
	p := &pipePeer{t: t, out: pw, in: bufio.NewReader(pr)}
	t.Cleanup(func() {
		pw.Close()
		pr.Close()
		waitDone(t, c)
	})
	return c, p, rec
}

func (p *pipePeer) request() request {
	p.t.Helper()
	line, err := p.in.ReadString('\n')
	if err != nil {
		p.t.Fatalf("peer: read request: %v", err)
	}
	var r request
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		p.t.Fatalf("peer: request %q: %v", line, err)
	}
	r.line = line
	return r
}

// send writes each chunk with its own Write.
func (p *pipePeer) send(chunks ...string) {
	p.t.Helper()
	for _, c := range chunks {
		if _, err := io.WriteString(p.out, c); err != nil {
			p.t.Fatalf("peer: write: %v", err)
		}
	}
}

// call runs Call on its own goroutine.
func call(c *rpc.Client, cx context.Context, method string, params any) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		var res json.RawMessage
		err := c.Call(cx, method, params, &res)
		ch <- callResult{res, err}
	}()
	return ch
}

type callResult struct {
	result json.RawMessage
	err    error
}

func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatal("deadlock guard: nothing arrived")
		panic("unreachable")
	}
}

func waitDone(t *testing.T, c *rpc.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(guard):
		t.Fatal("deadlock guard: client never ended")
	}
}

// start runs the client against a fake peer playing script.
func start(t *testing.T, script string, opts rpc.Options) (*rpc.Client, *rpctest.Peer, *recorder) {
	t.Helper()
	peer := rpctest.New(t, script)
	rec := &recorder{}
	if opts.Log == nil {
		opts.Log = rec.add
	}
	if opts.CLIPath == "" {
		opts.CLIPath = peer.Path
	}
	opts.Env = append(opts.Env, peer.Env...)
	c, err := rpc.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { c.Close(); close(done) }()
		wait(t, done)
	})
	return c, peer, rec
}

// next reads one event.
func next(t *testing.T, s *rpc.Subscription) rpc.Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatal("event channel closed")
		}
		return ev
	case <-time.After(guard):
		t.Fatal("deadlock guard: no event")
		panic("unreachable")
	}
}
