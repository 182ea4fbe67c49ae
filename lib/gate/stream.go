package gate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// stageName is what drop records carry in dropped_by.
const stageName = "imsg-gate"

// State writes share transactions: up to batchMax of them, held back at
// most commitDelay after the input pauses.
const (
	batchMax    = 1024
	commitDelay = 10 * time.Millisecond
)

// OutputWriter returns the writer a Stream's Out must write to: when the
// records about to reach w include a dispatched message of a chat whose
// pending history is still queued, it commits the history first, so
// imsg-route never looks for history before it exists.
func (s *Stream) OutputWriter(w io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if s.dependent {
			if err := s.commit(); err != nil {
				return 0, err
			}
		}
		return w.Write(p)
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Stream applies a Gate to NDJSON records.
type Stream struct {
	Gate  *Gate
	Store *state.Store
	Out   *ndjson.Writer
	Drops *ndjson.Writer // nil without --drops
	Log   *tool.Log
	// Stderr is flushed with the writers; Log should write into it.
	Stderr *LineBuffer
	Where  *Where // nil without --where
	// Rebuild compiles the rules of a configuration changed by /config.
	Rebuild func(*config.File) (*Gate, []Warning, error)

	look     *storeLookups
	batch    state.Batch
	rejected int
	stopped  bool
	kind     string          // of the record being handled
	warned   map[string]bool // strangers told about the pending cap

	timer      *time.Timer // a pending delayed commit
	lastCommit time.Time
	// dependent: a record written to Out since the last commit needs
	// history that is still in the batch.
	dependent bool
}

// Run reads records from in until EOF or until ctx is cancelled (then it
// flushes and returns nil). Lines that are not records are reported with
// their numbers and skipped; if there were any, Run returns an error at
// EOF (exit 1).
func (s *Stream) Run(ctx context.Context, in io.Reader) error {
	look, err := newStoreLookups(s.Store, s.Gate.opts.Clock, s.Gate.opts.EchoTTL)
	if err != nil {
		return err
	}
	s.look = look
	s.stopped = false
	defer look.close()

	r := ndjson.NewReader(in)
	var mu sync.Mutex
	var idleErr error
	fail := func(err error) {
		if err != nil && idleErr == nil {
			idleErr = err
		}
	}
	// When the input pauses, the records written so far leave at once; the
	// state writes follow within commitDelay, so a burst that pauses often
	// (every 64 KiB of a file, say) still shares transactions.
	r.OnIdle(func() {
		mu.Lock()
		defer mu.Unlock()
		s.look.invalidate()
		fail(s.flushOutput())
		if s.batch.Len() == 0 || s.timer != nil {
			return
		}
		wait := commitDelay - time.Since(s.lastCommit)
		if wait <= 0 {
			fail(s.commit())
			return
		}
		s.timer = time.AfterFunc(wait, func() {
			mu.Lock()
			defer mu.Unlock()
			s.timer = nil
			if !s.stopped {
				fail(s.commit())
			}
		})
	})
	// The loop runs apart so that a signal can end the stage while it
	// waits for input; the mutex keeps the two from flushing at once.
	done := make(chan error, 1)
	go func() {
		for {
			line, err := r.Next()
			mu.Lock()
			err, end := s.step(line, err, r.Line(), idleErr)
			mu.Unlock()
			if end {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		s.stopped = true
		return s.flush()
	}
}

// step handles what one Reader.Next returned; end is true when the stage
// is done, with the error to exit with.
func (s *Stream) step(line []byte, err error, n int, idleErr error) (_ error, end bool) {
	switch {
	case s.stopped:
		return nil, true
	case idleErr != nil:
		return idleErr, true
	case errors.Is(err, io.EOF):
		return s.finish(), true
	case err != nil:
		var le *ndjson.LineError
		if errors.As(err, &le) {
			s.reject(le.Line, le.Err)
			return nil, false
		}
		return err, true
	}
	if err := s.handle(line, n); err != nil {
		return err, true
	}
	if s.batch.Len() >= batchMax {
		if err := s.commit(); err != nil {
			return err, true
		}
	}
	return nil, false
}

// finish flushes at the end of the input and reports rejected lines.
func (s *Stream) finish() error {
	s.stopped = true
	if err := s.flush(); err != nil {
		return err
	}
	if s.rejected > 0 {
		return tool.Errorf(tool.ExitFailure, "%d input %s rejected", s.rejected, plural(s.rejected, "line", "lines"))
	}
	return nil
}

// flush commits the state batch, then writes out everything buffered.
func (s *Stream) flush() error {
	err := s.commit()
	if e := s.flushOutput(); err == nil {
		err = e
	}
	return err
}

// flushOutput writes the buffered records, drops and stderr lines.
func (s *Stream) flushOutput() error {
	if s.Drops != nil {
		if e := s.Drops.Flush(); e != nil {
			s.Log.Errorf("--drops: %v", e)
			s.Drops = nil
		}
	}
	err := s.Out.Flush()
	if s.Stderr != nil {
		s.Stderr.Flush()
	}
	return err
}

// commit writes the state batch. Records may leave the stage before their
// journal outcomes are committed (a crash in between only means listen
// delivers those messages again), but never before pending history the
// next stage may look for: see OutputWriter.
func (s *Stream) commit() error {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.batch.Len() == 0 {
		s.dependent = false
		return nil
	}
	s.lastCommit = time.Now()
	if err := s.Store.Commit(&s.batch); err != nil {
		return err
	}
	s.dependent = false
	return nil
}

// reject reports a line that is not a usable record.
func (s *Stream) reject(n int, err error) {
	s.rejected++
	s.Log.Errorf("line %d: %v", n, err)
}

// handle processes one line.
func (s *Stream) handle(line []byte, n int) error {
	if err := record.Validate(line); err != nil {
		s.reject(n, err)
		return nil
	}
	t := scanTop(line)
	kind, _ := stringOf(t.kind)
	if kind != record.KindMessage && kind != record.KindReaction {
		return s.Out.WriteRaw(line)
	}
	s.kind = kind
	g := s.Gate
	var m *imsg.Message
	err := errors.New(`record has no "message"`)
	if t.message != nil {
		m, err = decodePayload(t.message, g.includeAttachments)
	}
	if err != nil {
		s.reject(n, err)
		s.dropRecord(line, ReasonMalformed)
		return nil
	}
	key := state.JournalKey(m.GUID, m.ID)
	if t.hasAccount {
		if a, ok := stringOf(t.account); !ok || a != g.account {
			s.drop(line, m, "", ReasonOtherAccount, "the gate serves account "+quote(g.account)+", not "+string(t.account))
			return nil
		}
	}
	if !g.acct.Enabled {
		s.drop(line, m, key, ReasonAccountDisabled, "")
		return nil
	}
	if dup, err := s.isDuplicate(t.listen, key); err != nil {
		return err
	} else if dup {
		s.drop(line, m, "", ReasonDuplicate, "already finished")
		return nil
	}
	if err := s.look.refresh(); err != nil {
		return err
	}
	d, err := g.Decide(kind, m, s.look)
	if err != nil {
		return err
	}
	switch d.Action {
	case Drop:
		if d.History != nil {
			s.batch.AppendHistory(d.HistoryKey, *d.History, g.historyLimit)
		}
		s.drop(line, m, key, d.Reason, d.Detail)
		return nil
	case Pair:
		return s.pair(line, m, key, d)
	case Configure:
		return s.configure(line, m, key, d)
	}
	out, err := withGate(line, t.hasGate, d.Gate)
	if err != nil {
		return err
	}
	if s.Where != nil {
		ok, err := s.Where.Match(out)
		if err != nil {
			s.Log.Errorf("row %d: %v", m.ID, err)
		}
		if !ok {
			s.drop(line, m, key, ReasonWhere, "")
			return nil
		}
	}
	if d.Gate.IsGroup && s.batch.HasHistory(d.Gate.ChatKey) {
		s.dependent = true
	}
	return s.Out.WriteRaw(out)
}

// withGate adds the gate object to a record: appended before the closing
// brace (the usual case), or replacing a "gate" the record already had —
// the gate owns that namespace, and a forged one must not survive.
func withGate(line []byte, hasGate bool, a Annotation) ([]byte, error) {
	if hasGate {
		return record.SetJSON(line, record.KeyGate, a)
	}
	end := bytes.LastIndexByte(line, '}')
	body := bytes.TrimRight(line[:end], " \t\r\n")
	out := make([]byte, 0, len(line)+256)
	out = append(out, body...)
	if body[len(body)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, `"gate":`...)
	out = a.appendJSON(out)
	return append(out, '}'), nil
}

// isDuplicate reports a message the journal already has as finished: a
// redelivery of something a stage handled. Only records flagged as
// redeliveries (or not from imsg-listen at all) are looked up; listen
// itself never emits a finished message anew.
func (s *Stream) isDuplicate(listen []byte, key string) (bool, error) {
	if len(listen) > 0 && listen[0] == '{' {
		if r, ok := record.Field(listen, "redelivery"); !ok || string(r) != "true" {
			return false, nil
		}
	}
	st, err := s.Store.Status(key)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return st.Terminal(), nil
}

// drop reports a dropped message (one stderr line), appends it to the
// drops file, and queues its journal outcome (key "" leaves the journal
// alone).
func (s *Stream) drop(line []byte, m *imsg.Message, key, reason, detail string) {
	what := "row"
	if s.kind == record.KindReaction || m.IsReaction {
		what = "reaction row"
	}
	if detail != "" {
		detail = " (" + detail + ")"
	}
	s.Log.Infof("dropped %s %d from %s%s: %s", what, m.ID, logSender(m.Sender, s.Gate.region), detail, reason)
	s.dropRecord(line, reason)
	if key != "" {
		s.batch.Finish(key, state.OutcomeDropped, reason)
	}
}

func (s *Stream) dropRecord(line []byte, reason string) {
	if s.Drops == nil {
		return
	}
	if err := s.Drops.WriteRaw(record.Drop(line, stageName, reason)); err != nil {
		s.Log.Errorf("--drops: %v", err)
		s.Drops = nil
	}
}

// logSender renders a sender for a log line: normalised when possible,
// else quoted and cut, so a hostile handle cannot forge log lines or
// terminal escapes.
func logSender(sender, region string) string {
	s := strings.TrimSpace(sender)
	if s == "" {
		return "an unknown sender"
	}
	if n := normalizeSender(s, region); n != "" {
		return n
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.QuoteToGraphic(s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
