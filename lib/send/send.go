// Package send is imsg-send, the last stage of the pipeline: it delivers
// each reply part through one long-lived `imsg rpc` child and writes one
// receipt per send, exactly once per idempotency key across crashes and
// restarts (the design's delivery contract), paced so a runaway agent
// cannot get the account flagged as spam. Every other record passes
// through byte for byte.
//
// A part's text and each of its files are separate sends (units), each
// with its own ledger entry: the text under the part's key, file N under
// "<key>/fileN". Run is the stream; deliver.go the per-unit contract;
// settle.go the messages.history look-up for unknown outcomes; pace.go
// the token buckets and daily cap; answers.go the journal bookkeeping;
// app.go the command line.
package send

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Stage is the name drop records carry in "dropped_by".
const Stage = "imsg-send"

// Drop reasons.
const (
	ReasonNoKey     = "reply without key"
	ReasonMalformed = "reply is not well-formed"
)

// Options configure Run.
type Options struct {
	Account string
	RPC     rpc.Options // SendTimeout is the hard timeout around each send
	Store   *state.Store
	In      io.Reader
	Out     io.Writer
	Drops   io.Writer // nil: drops go to stderr only
	Log     *tool.Log
	Clock   clock.Clock      // ledger times and the daily cap; nil: wall clock
	Mono    func() time.Time // pacing buckets; nil: time.Now

	Service  string // the account's service, for targets without a service prefix
	Region   string
	MaxBytes int64 // largest attachment; ≤ 0: no limit
	Limits   Limits

	MaxAttempts int           // send calls per unit before giving up; default 4
	RetryDelay  time.Duration // first delay after a transient failure, doubling; default 1 s
	RetryMax    time.Duration // longest such delay; default 30 s
	SettleWait  time.Duration // how long a send of unknown outcome is looked for before sending again
	BackoffMin  time.Duration // first delay before restarting a dead child; default 250 ms
	BackoffMax  time.Duration // default 10 s
}

func newReceipt(account, key, to string) record.Receipt {
	return record.Receipt{Kind: record.KindReceipt, Account: account, Key: key, To: to}
}

// counts are the summary printed at the end.
type counts struct {
	sent, duplicate, failed, empty, passed, dropped, malformed int
}

// Run copies records from In to Out, delivering every reply of the
// account and writing receipts in its place, until In ends or ctx is
// cancelled (SIGINT/SIGTERM: the send in flight is finished, its receipt
// written, and Run returns nil). Malformed lines are reported and skipped,
// and make Run end with an exit-1 error. It returns an exit-4 error when
// imsg cannot be used at all; a unit left unsettled then is settled by the
// next run.
func Run(ctx context.Context, o Options) error {
	o.defaults()
	times, err := o.Store.SendTimesSince(o.Clock.Now().Add(-capWindow))
	if err != nil {
		return err
	}
	dl := &deliverer{
		o: &o, store: o.Store, log: o.Log, clock: o.Clock, mono: o.Mono,
		peer:  newPeer(o.RPC, o.Log, o.BackoffMin, o.BackoffMax),
		pacer: NewPacer(o.Limits, times), chats: map[string][]int64{},
	}
	defer dl.peer.close()
	s := &stream{o: &o, dl: dl, w: ndjson.NewWriter(o.Out), ans: newAnswers(o.Store, o.Log)}
	if o.Drops != nil {
		s.drops = ndjson.NewUnbufferedWriter(o.Drops)
	}
	err = s.run(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // stopped between sends: the ledger has what the next run needs
	}
	if ferr := s.w.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	c := s.n
	o.Log.Infof("stopped: %d sent, %d duplicate, %d failed, %d empty, %d passed through, %d dropped, %d malformed",
		c.sent, c.duplicate, c.failed, c.empty, c.passed, c.dropped, c.malformed)
	var ua *unavailableError
	switch {
	case errors.As(err, &ua):
		return tool.WithCode(tool.ExitUnavailable, ua.err)
	case err != nil:
		return tool.WithCode(tool.ExitFailure, err)
	case c.malformed > 0:
		return tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", c.malformed)
	}
	return nil
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Mono == nil {
		o.Mono = time.Now
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 4
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.RetryMax < o.RetryDelay {
		o.RetryMax = max(30*time.Second, o.RetryDelay)
	}
	if o.Region == "" {
		o.Region = "US"
	}
}

type stream struct {
	o     *Options
	dl    *deliverer
	w     *ndjson.Writer
	drops *ndjson.Writer
	ans   *answers
	n     counts
}

type line struct {
	b   []byte
	n   int
	err error
}

// maxBatch bounds how many lines the reader hands over at once.
const maxBatch = 256

// run reads on its own goroutine so that a signal stops intake at once;
// the record being handled is always finished first. Lines travel in
// batches: whatever input is already buffered goes over in one handoff, so
// a burst does not pay a goroutine switch per record, while a lone live
// record is handed over as soon as it is read.
func (s *stream) run(ctx context.Context) error {
	batches := make(chan []line)
	go func() {
		r := ndjson.NewReader(s.o.In)
		var batch []line
		hand := func() bool {
			if len(batch) == 0 {
				return true
			}
			select {
			case batches <- batch:
				batch = nil
				return true
			case <-ctx.Done():
				return false
			}
		}
		r.OnIdle(func() { hand() }) // the next read would wait: hand over what is here
		for {
			b, err := r.Next()
			batch = append(batch, line{b: bytes.Clone(b), n: r.Line(), err: err})
			last := err != nil && !isLineError(err)
			if (last || len(batch) >= maxBatch) && !hand() || last {
				return
			}
		}
	}()
	for {
		var batch []line
		select {
		case batch = <-batches:
		default:
			// Nothing waiting: pass-through records leave now.
			if err := s.w.Flush(); err != nil {
				return err
			}
			select {
			case batch = <-batches:
			case <-ctx.Done():
				return nil
			}
		}
		for _, l := range batch {
			if ctx.Err() != nil {
				return nil
			}
			switch {
			case errors.Is(l.err, io.EOF):
				return nil
			case isLineError(l.err):
				s.o.Log.Errorf("%v", l.err)
				s.n.malformed++
				continue
			case l.err != nil:
				return l.err
			}
			if err := s.handle(ctx, l.b, l.n); err != nil {
				return err
			}
		}
	}
}

func isLineError(err error) bool {
	var le *ndjson.LineError
	return errors.As(err, &le)
}

func (s *stream) handle(ctx context.Context, b []byte, n int) error {
	if err := record.Validate(b); err != nil {
		s.o.Log.Errorf("line %d: %v", n, err)
		s.n.malformed++
		return nil
	}
	kind, _ := record.String(b, record.KeyKind)
	account, _ := record.String(b, record.KeyAccount)
	if kind != record.KindReply || (account != "" && account != s.o.Account) {
		// Other kinds, and replies for another account (a second imsg-send
		// further down the pipe may serve it), pass through untouched.
		s.n.passed++
		return s.w.WriteRaw(b)
	}
	var r record.Reply
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			err = fmt.Errorf("%s is a %s, not a %s", te.Field, te.Value, te.Type)
		}
		inReplyTo, _ := record.String(b, "in_reply_to")
		return s.drop(b, n, ReasonMalformed+": "+err.Error(), inReplyTo)
	}
	if r.Key == "" {
		return s.drop(b, n, ReasonNoKey, r.InReplyTo)
	}
	return s.reply(ctx, r)
}

// drop reports a reply that cannot be delivered at all. The message it
// answers is finished as dropped, so it is not redelivered forever.
func (s *stream) drop(b []byte, n int, reason, inReplyTo string) error {
	s.n.dropped++
	s.o.Log.Warnf("line %d: dropped: %s", n, reason)
	s.ans.part(inReplyTo, 1, 1, false, false, reason)
	if s.drops != nil {
		return s.drops.WriteRaw(record.Drop(b, Stage, reason))
	}
	return nil
}

// reply delivers one reply part: its text, then its files.
func (s *stream) reply(ctx context.Context, r record.Reply) error {
	part, parts := r.Part, r.Parts
	if parts <= 0 || part <= 0 {
		part, parts = 1, 1 // not chunked: one part
	}
	account := s.o.Account
	t, err := handle.ParseTarget(r.To, s.o.Region)
	if err != nil {
		rc := newReceipt(account, r.Key, r.To)
		rc.Error = err.Error()
		s.n.failed++
		s.ans.part(r.InReplyTo, part, parts, false, false, rc.Error)
		return s.receipt(rc)
	}
	us := units(r.Key, r.Text, r.Files, s.o.MaxBytes)
	if len(us) == 0 {
		rc := newReceipt(account, r.Key, r.To)
		rc.OK, rc.Note = true, "empty reply: nothing to send"
		s.n.empty++
		s.ans.part(r.InReplyTo, part, parts, false, true, "")
		return s.receipt(rc)
	}
	delivered, failure := false, ""
	for _, u := range us {
		out, err := s.dl.deliver(ctx, t, r.To, u, r.InReplyTo)
		if err != nil {
			return err
		}
		switch {
		case out.rc.Duplicate && out.delivered:
			s.n.duplicate++
		case out.delivered:
			s.n.sent++
		default:
			s.n.failed++
			s.o.Log.Errorf("%s: not delivered to %s: %s", u.key, r.To, out.rc.Error)
			if failure == "" {
				failure = out.rc.Error
			}
		}
		delivered = delivered || out.delivered
		if err := s.receipt(out.rc); err != nil {
			return err
		}
	}
	s.ans.part(r.InReplyTo, part, parts, delivered, false, failure)
	return nil
}

// receipt writes a receipt and flushes it at once.
func (s *stream) receipt(rc record.Receipt) error {
	if err := s.w.Encode(rc); err != nil {
		return err
	}
	return s.w.Flush()
}
