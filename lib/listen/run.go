package listen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Options configure Run.
type Options struct {
	Account string
	RPC     rpc.Options
	Store   *state.Store
	Out     *ndjson.Writer
	Drops   *ndjson.Writer // nil: drops go to stderr only
	Log     *tool.Log
	Clock   clock.Clock

	MaxAge      time.Duration // the age fence; 0 disables it
	MaxEmits    int           // give a message up after this many emits…; 0: never
	GiveUpAfter time.Duration // …once it has also been pending this long
	Since       *int64        // overrides the resume point of the first subscription
	Attachments bool
	Reactions   bool

	CheckEvery time.Duration // how often to probe imsg for a replaced chat.db and a hung peer; 0: never
	IdleExit   time.Duration // return after this long without a message; 0: run until stopped
	BackoffMin time.Duration // first restart delay; doubles up to BackoffMax
	BackoffMax time.Duration
}

// errIdle ends a run that was asked to stop when the stream goes quiet.
var errIdle = errors.New("idle")

// stableRun is how long a child must live before the backoff starts over.
const stableRun = 30 * time.Second

// Run keeps imsg rpc subscribed and writes records until ctx is cancelled
// (nil), IdleExit passes (nil), or the peer is unusable (exit code 4). A
// child that dies for any other reason is restarted with backoff.
func Run(ctx context.Context, o Options) error {
	if o.BackoffMin <= 0 {
		o.BackoffMin = 500 * time.Millisecond
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = 30 * time.Second
	}
	e := &emitter{
		account: o.Account, store: o.Store, out: o.Out, drops: o.Drops, log: o.Log,
		clock: o.Clock, maxAge: o.MaxAge, maxEmits: o.MaxEmits, giveUp: o.GiveUpAfter, emitted: map[string]struct{}{},
	}
	s := &session{o: o, e: e, since: o.Since}
	backoff := o.BackoffMin
	for {
		started := time.Now()
		err := s.run(ctx)
		s.since = nil // an override applies to the first subscription only
		switch {
		case ctx.Err() != nil, errors.Is(err, errIdle):
			s.summary()
			return nil
		case unusable(err):
			return tool.WithCode(tool.ExitUnavailable, err)
		case errors.As(err, new(*outputError)):
			return err
		}
		if time.Since(started) > stableRun {
			backoff = o.BackoffMin
		}
		o.Log.Warnf("imsg rpc stopped: %v; restarting in %s", err, backoff)
		select {
		case <-ctx.Done():
			s.summary()
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, o.BackoffMax)
	}
}

// unusable reports errors that restarting the child will not cure.
func unusable(err error) bool {
	var execErr *exec.Error
	return errors.Is(err, rpc.ErrPermissionDenied) || errors.Is(err, rpc.ErrNoRPC) ||
		errors.As(err, &execErr) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// session is the state kept across child restarts.
type session struct {
	o     Options
	e     *emitter
	since *int64
}

func (s *session) summary() {
	e := s.e
	s.o.Log.Infof("stopped: %d emitted, %d redelivered, %d already finished, %d stale, %d malformed",
		e.nEmitted, e.nRedelivered, e.nSkipped, e.nStale, e.nMalformed)
}

// run is one child's lifetime.
func (s *session) run(ctx context.Context) error {
	client, err := rpc.Start(s.o.RPC)
	if err != nil {
		return fmt.Errorf("start %s: %w", s.o.RPC.CLIPath, err)
	}
	defer client.Close()

	since, err := s.resumeFrom(ctx, client)
	if err != nil {
		return err
	}
	sub, err := s.subscribe(ctx, client, since)
	if err != nil {
		return err
	}
	if err := s.checkSource(ctx, client, &sub); err != nil {
		return err
	}

	var check <-chan time.Time
	if s.o.CheckEvery > 0 {
		t := time.NewTicker(s.o.CheckEvery)
		defer t.Stop()
		check = t.C
	}
	idle := newIdleTimer(s.o.IdleExit)
	defer idle.Stop()
	batch := make([]rpc.Event, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = sub.Unsubscribe(stopCtx) // best effort: closing stdin ends it anyway
			cancel()
			return ctx.Err()
		case <-idle.C():
			return errIdle
		case <-check:
			if err := s.checkSource(ctx, client, &sub); err != nil {
				return err
			}
		case ev, ok := <-sub.Events():
			if !ok {
				return client.Err()
			}
			idle.Reset()
			batch, ev = collect(batch[:0], ev, sub.Events())
			if err := s.e.handle(batch); err != nil {
				return err
			}
			if ev.Kind == 0 {
				continue
			}
			if sub, err = s.afterTerminal(ctx, client, ev); err != nil {
				return err
			}
		}
	}
}

// collect gathers first and the message events already waiting behind it,
// up to maxBatch, so a catch-up burst shares one journal transaction. It
// returns the batch and the terminal event that ended it, if any.
func collect(batch []rpc.Event, first rpc.Event, ch <-chan rpc.Event) ([]rpc.Event, rpc.Event) {
	if first.Terminal() {
		return batch, first
	}
	batch = append(batch, first)
	for len(batch) < maxBatch {
		select {
		case ev, ok := <-ch:
			if !ok {
				return batch, rpc.Event{}
			}
			if ev.Terminal() {
				return batch, ev
			}
			batch = append(batch, ev)
		default:
			return batch, rpc.Event{}
		}
	}
	return batch, rpc.Event{}
}

// afterTerminal handles the end of a subscription: an error or overflow
// means resubscribe on the same child; a closed client ends the session.
func (s *session) afterTerminal(ctx context.Context, client *rpc.Client, ev rpc.Event) (*rpc.Subscription, error) {
	switch ev.Kind {
	case rpc.EventError:
		// Every row up to the last one seen on this child was handled in
		// this run, so the new watch starts right after it.
		from := s.e.lastRowID
		if from <= 0 {
			var err error
			if from, err = s.o.Store.ResumePoint(); err != nil {
				return nil, err
			}
		}
		s.o.Log.Warnf("%v; resubscribing after row %d", ev.Err, from)
		return s.subscribe(ctx, client, from)
	case rpc.EventOverflow:
		s.o.Log.Warnf("%v", ev.Err)
		return s.subscribe(ctx, client, ev.ResumeAfterRowID)
	}
	if ev.Err != nil {
		return nil, ev.Err
	}
	return nil, client.Err()
}

// resumeFrom picks the row to resume after: the --since-rowid override, the
// journal's resume point, or, on the very first run, the newest row (so a
// new install does not answer old history). The first run records which
// database it follows even under an override, so the next run resumes from
// the journal instead of taking itself for a first run.
func (s *session) resumeFrom(ctx context.Context, client *rpc.Client) (int64, error) {
	id, err := s.o.Store.SourceIdentity()
	if err != nil {
		return 0, err
	}
	if id == "" {
		newest, found, err := newestMessage(ctx, client)
		if err != nil {
			return 0, err
		}
		if err := s.o.Store.SetSourceIdentity(identityOf(newest, found)); err != nil {
			return 0, err
		}
		if s.since == nil {
			var cursor int64
			if found {
				cursor = newest.ID
			}
			if err := s.o.Store.SetCursor(cursor); err != nil {
				return 0, err
			}
			s.o.Log.Infof("first run: starting after row %d; older messages are not answered", cursor)
			return cursor, nil
		}
	}
	if s.since != nil {
		return *s.since, nil
	}
	return s.o.Store.ResumePoint()
}

// subscribe starts a watch after row `after`. imsg reads since_rowid 0 as
// "from the tail", so resuming from the start of an empty or new database
// sends -1 (replay everything), which is what "after row 0" means.
func (s *session) subscribe(ctx context.Context, client *rpc.Client, after int64) (*rpc.Subscription, error) {
	since := after
	if since == 0 && (s.since == nil || *s.since != 0) {
		since = -1
	}
	sub, err := client.Subscribe(ctx, rpc.WatchParams{
		SinceRowID:       &since,
		Attachments:      s.o.Attachments,
		IncludeReactions: s.o.Reactions,
	})
	if err != nil {
		return nil, fmt.Errorf("watch.subscribe: %w", err)
	}
	return sub, nil
}

// newestMessage asks imsg for the newest message by date: the first message
// of the most recently active chat.
func newestMessage(ctx context.Context, client *rpc.Client) (imsg.Message, bool, error) {
	chats, err := client.ChatsList(ctx, 1)
	if err != nil || len(chats) == 0 {
		return imsg.Message{}, false, err
	}
	msgs, err := client.History(ctx, rpc.HistoryParams{ChatID: chats[0].ID, Limit: 1})
	if err != nil || len(msgs) == 0 {
		return imsg.Message{}, false, err
	}
	return msgs[0], true, nil
}

func identityOf(m imsg.Message, found bool) string {
	if !found {
		return "empty"
	}
	return state.JournalKey(m.GUID, m.ID)
}

// idleTimer fires after d without a Reset; the zero value never fires.
type idleTimer struct {
	t *time.Timer
	d time.Duration
}

func newIdleTimer(d time.Duration) idleTimer {
	if d <= 0 {
		return idleTimer{}
	}
	return idleTimer{time.NewTimer(d), d}
}

func (i idleTimer) C() <-chan time.Time {
	if i.t == nil {
		return nil
	}
	return i.t.C
}

func (i idleTimer) Reset() {
	if i.t != nil {
		i.t.Reset(i.d)
	}
}

func (i idleTimer) Stop() {
	if i.t != nil {
		i.t.Stop()
	}
}
