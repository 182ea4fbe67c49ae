// Package rpc is the client for `imsg rpc`: JSON-RPC 2.0 over the stdin and
// stdout of a child process, one JSON object per line
// (spec/imsg-protocol.md §1 and §8).
//
// It is built on sourcegraph/jsonrpc2, which sends requests and matches
// answers by id in any order, with a line framing of its own: only '\n'
// ends a frame, stray stdout lines (banners, noise) are reported in one
// grouped log entry and never end the connection, and watch notifications
// are routed, in order and with their exact bytes, to Subscriptions. The
// client recognises the failures a user must act on — no Full Disk Access
// (ErrPermissionDenied), an imsg without rpc (ErrNoRPC) — and says how the
// child ended, signal name included.
package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// Options configure a Client. The zero value works: it runs `imsg rpc`
// from $PATH and logs to stderr.
type Options struct {
	CLIPath string   // the imsg binary or any stdio wrapper (an ssh script); "~/" is expanded; default "imsg"
	DBPath  string   // passed as --db when set; "~/" is expanded
	Env     []string // added to the inherited environment, "KEY=value"

	// Log receives the child's stderr, one entry per line
	// ("imsg rpc: <line>"), the grouped unexpected stdout lines, and other
	// protocol problems. Entries may span lines. It is called from several
	// goroutines. nil writes to os.Stderr.
	Log func(msg string)
	// OnBroken is called once, when the client marks itself broken (imsg
	// cannot read chat.db); the child is then shut down and must not be
	// respawned until the user acts. It may run on the read loop: it must
	// not call Close or wait for Done.
	OnBroken func(err error)
	// OnNotify receives, in order and on the read loop, notifications that
	// are not routed to a Subscription (other methods, or no subscription
	// id). The same rule as for OnBroken applies.
	OnNotify func(method string, params json.RawMessage)

	CallTimeout  time.Duration // per call; default 10 s; negative: none
	SendTimeout  time.Duration // for send and send.*; default 150 s; negative: none
	CloseGrace   time.Duration // wait after closing stdin before SIGTERM; default 3 s
	KillGrace    time.Duration // wait after SIGTERM before SIGKILL; default 2 s
	MaxLineBytes int           // longest stdout line decoded; longer ones are skipped; default 64 MiB
	QueueLimit   int           // undelivered events before stdout reading pauses; default 1024
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.CallTimeout, 10*time.Second)
	def(&o.SendTimeout, 150*time.Second)
	def(&o.CloseGrace, 3*time.Second)
	def(&o.KillGrace, 2*time.Second)
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 20
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = 1024
	}
	if o.Log == nil {
		o.Log = func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	}
	return o
}

// Client is one running `imsg rpc`. Its methods are safe for concurrent use.
type Client struct {
	opts   Options
	conn   *jsonrpc2.Conn
	stream *stream
	nextID atomic.Uint64
	proc   *process // nil for Connect
	closeW func() error
	closeR func() error // Connect: cuts off a reader that ignores our EOF

	life       context.Context
	endLife    context.CancelFunc
	stopOnce   sync.Once
	ready      chan struct{} // closed once conn is set
	readerDone chan struct{}
	done       chan struct{}

	mu          sync.Mutex
	cond        *sync.Cond
	broken      error
	stopping    bool
	finished    bool
	err         error
	inflight    int
	queued      int
	subscribing int
	subs        map[int64]*Subscription
	ended       map[int64]bool
	warned      map[int64]bool
	early       []unclaimed
}

func newClient(opts Options, r io.Reader, w io.Writer) *Client {
	c := &Client{
		opts:       opts,
		ready:      make(chan struct{}),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
		subs:       map[int64]*Subscription{},
		ended:      map[int64]bool{},
		warned:     map[int64]bool{},
	}
	c.cond = sync.NewCond(&c.mu)
	c.life, c.endLife = context.WithCancel(context.Background())
	c.stream = &stream{c: c, r: bufio.NewReaderSize(r, 64<<10), w: w, max: opts.MaxLineBytes}
	return c
}

// run starts reading; every field the read goroutine uses is set by now.
func (c *Client) run() {
	c.conn = jsonrpc2.NewConn(context.Background(), c.stream, nopHandler{},
		jsonrpc2.SetLogger(logAdapter{c}))
	close(c.ready)
}

// Connect runs the client over an existing stream pair (an in-process
// server, a socket). Close closes w; the peer must then end r. The client
// is done when r ends.
func Connect(r io.Reader, w io.WriteCloser, opts Options) *Client {
	c := newClient(opts.withDefaults(), r, w)
	c.closeW = w.Close
	if rc, ok := r.(io.Closer); ok {
		c.closeR = rc.Close
	}
	c.run()
	go func() {
		<-c.readerDone
		c.stop()
		c.finish(c.brokenOr(ErrClosed))
	}()
	return c
}

// Call sends a request and decodes its result into result (which may be
// nil). params must marshal to a JSON object; nil sends {}. It fails with
// *Error when imsg answers with an error, *TimeoutError when no answer
// came in time, *PermissionError when the answer says chat.db cannot be
// read, and with the client's end (Err) when the child is gone.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	return c.call(ctx, method, params, result, nil)
}

// call is Call; late, when set, receives the result of a call that timed
// out but was answered later.
func (c *Client) call(ctx context.Context, method string, params, result any, late func(json.RawMessage)) error {
	if err := c.unusable(); err != nil {
		return err
	}
	if params == nil {
		params = struct{}{}
	}
	if d := c.timeoutFor(method); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &TimeoutError{Method: method, After: d})
		defer cancel()
	}
	c.mu.Lock()
	c.inflight++ // the read loop must not pause while an answer is awaited
	c.cond.Broadcast()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight--
		c.mu.Unlock()
	}()

	// jsonrpc2 writes without looking at ctx; a child that stops reading
	// its stdin would block the write, so it runs on its own goroutine.
	type dispatched struct {
		w   jsonrpc2.Waiter
		err error
	}
	ch := make(chan dispatched, 1)
	id := jsonrpc2.ID{Num: c.nextID.Add(1)} // from 1; jsonrpc2 would start at 0
	go func() {
		w, err := c.conn.DispatchCall(ctx, method, params, jsonrpc2.PickID(id))
		ch <- dispatched{w, err}
	}()
	var waiter jsonrpc2.Waiter
	select {
	case d := <-ch:
		if d.err != nil {
			return c.writeFailed(method, d.err)
		}
		waiter = d.w
	case <-ctx.Done():
		if late != nil {
			go func() {
				if d := <-ch; d.err == nil {
					c.awaitLate(d.w, late)
				}
			}()
		}
		return c.ctxErr(ctx, method)
	}

	// The result is decoded straight from jsonrpc2's copy; only a call with
	// a late handler (subscribe) keeps the raw bytes.
	var raw json.RawMessage
	dst := result
	if late != nil {
		dst = &raw
	}
	err := waiter.Wait(ctx, dst)
	var rpcErr *jsonrpc2.Error
	switch {
	case err == nil:
	case errors.As(err, &rpcErr):
		return c.peerError(method, rpcErr)
	case errors.Is(err, jsonrpc2.ErrClosed):
		return c.endErr()
	case ctx.Err() != nil:
		if late != nil {
			go c.awaitLate(waiter, late)
		}
		return c.ctxErr(ctx, method)
	default:
		return fmt.Errorf("imsg rpc %s: decode result: %w", method, err)
	}
	if late == nil || result == nil {
		return nil
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("imsg rpc %s: decode result: %w", method, err)
	}
	return nil
}

func (c *Client) awaitLate(w jsonrpc2.Waiter, late func(json.RawMessage)) {
	var raw json.RawMessage
	if w.Wait(c.life, &raw) == nil {
		late(raw)
	}
}

func (c *Client) timeoutFor(method string) time.Duration {
	if method == "send" || strings.HasPrefix(method, "send.") {
		return c.opts.SendTimeout
	}
	return c.opts.CallTimeout
}

// unusable is the error for a call made after the client broke or began
// to stop.
func (c *Client) unusable() error {
	c.mu.Lock()
	broken, stopping := c.broken, c.stopping
	c.mu.Unlock()
	if broken != nil {
		return broken
	}
	if stopping {
		<-c.done
		return c.err
	}
	return nil
}

// endErr waits for the end, unless the client is already known broken.
func (c *Client) endErr() error {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if broken != nil {
		return broken
	}
	<-c.done
	return c.err
}

// breakWith marks the client broken, once: pending and later calls fail
// with err at once, and the child is shut down.
func (c *Client) breakWith(err error) {
	c.mu.Lock()
	first := c.broken == nil
	if first {
		c.broken = err
	}
	c.mu.Unlock()
	if !first {
		return
	}
	if c.opts.OnBroken != nil {
		c.opts.OnBroken(err)
	}
	go c.conn.Close() // fails pending calls and closes stdin
}

func (c *Client) brokenOr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	return err
}

// Done is closed when the client has ended: the child exited and its
// output was read to the end.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the client ended, or is nil while it runs. It is a
// *PermissionError as soon as the client is broken; after the end it is
// ErrClosed for a clean exit, ErrNoRPC, or an *ExitError:
// "imsg rpc exited (code 1)", "imsg rpc killed (signal KILL)".
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return c.err
	}
	return c.broken
}

// Close ends imsg rpc: it closes its stdin (imsg exits at EOF), waits up to
// CloseGrace, then sends SIGTERM, waits up to KillGrace, then SIGKILL. It
// returns once the child is gone: nil after a clean exit, else Err().
func (c *Client) Close() error {
	c.stop()
	<-c.done
	if errors.Is(c.err, ErrClosed) {
		return nil
	}
	return c.err
}

// finish records the end and tells everyone waiting.
func (c *Client) finish(err error) {
	c.mu.Lock()
	c.err, c.finished = err, true
	var subs []*Subscription
	for _, s := range c.subs {
		subs = append(subs, s)
	}
	for _, s := range subs {
		c.enqueueLocked(s, Event{Kind: EventClosed, Err: err})
	}
	c.queued -= len(c.early)
	c.early = nil
	c.cond.Broadcast()
	c.mu.Unlock()
	c.conn.Close() // fails calls still pending, if any
	c.endLife()
	close(c.done)
}

func (c *Client) logf(format string, args ...any) {
	c.opts.Log(fmt.Sprintf(format, args...))
}

// logAdapter routes jsonrpc2's own messages (an answer for no request)
// through Log.
type logAdapter struct{ c *Client }

func (l logAdapter) Printf(format string, args ...any) {
	l.c.logf("imsg rpc: %s", strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

// nopHandler: requests never reach jsonrpc2 (the stream routes
// notifications itself), but NewConn wants a handler.
type nopHandler struct{}

func (nopHandler) Handle(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) {}
