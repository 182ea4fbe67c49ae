// Package listen is the imsg-listen stage: it keeps one `imsg rpc` child
// subscribed to new messages, journals every row in the account's state
// store before writing it out, and resumes after any crash from the oldest
// message no later stage has finished. The loop that supervises the child
// is in run.go, the urfave wiring in app.go; this file turns watch events
// into records.
package listen

import (
	"fmt"
	"strconv"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Drop reasons imsg-listen reports.
const (
	ReasonStale     = "stale"
	ReasonMalformed = "malformed payload"
)

// maxBatch bounds how many already-arrived events share one journal
// transaction: large enough to make catch-up cheap, small enough that the
// first record of a burst is not held back noticeably.
const maxBatch = 256

// emitter turns watch events into records. It is not safe for concurrent use.
type emitter struct {
	account  string
	store    *state.Store
	out      *ndjson.Writer
	drops    *ndjson.Writer // nil without --drops
	log      *tool.Log
	clock    clock.Clock
	maxAge   time.Duration // 0: no age fence
	maxEmits int
	giveUp   time.Duration

	// emitted holds the keys written in this run, so a resubscription that
	// replays a row, or a row joined to two chats, is not written twice.
	emitted map[string]struct{}

	// counters for the progress lines
	nEmitted, nRedelivered, nSkipped, nStale, nMalformed int
	// lastRowID is the highest row handled, for resubscribing.
	lastRowID int64
	// newest is the newest message handled (by date), for the replaced-db check.
	newest time.Time
}

// emittedCap bounds the in-run duplicate filter; past it the filter starts
// over, which at worst lets a replayed row through as a flagged redelivery.
const emittedCap = 100_000

// pending is one message event waiting for its batch's journal verdict.
type pending struct {
	ev      rpc.Event
	arrival state.Arrival
}

// handle processes a batch of message events (no terminal events).
func (e *emitter) handle(events []rpc.Event) error {
	now := e.clock.Now()
	batch := make([]pending, 0, len(events))
	for _, ev := range events {
		m := &ev.Message
		if ev.Err != nil {
			e.lastRowID = max(e.lastRowID, m.ID) // reported: handled
			e.nMalformed++
			e.drop(ev.Raw, ReasonMalformed, fmt.Sprintf("row %d: %v", m.ID, ev.Err))
			continue
		}
		key := state.JournalKey(m.GUID, m.ID)
		if _, dup := e.emitted[key]; dup {
			e.nSkipped++
			continue
		}
		a := state.Arrival{Key: key, RowID: m.ID, ChatID: m.ChatID}
		if created, err := imsg.ParseTime(m.CreatedAt); err == nil {
			if created.After(e.newest) {
				e.newest = created
			}
			if age := now.Sub(created); e.maxAge > 0 && age > e.maxAge {
				a.Stale = true
				a.StaleReason = fmt.Sprintf("created %s ago, before the --max-age %s fence", roundAge(age), e.maxAge)
			}
		}
		batch = append(batch, pending{ev, a})
	}
	if len(batch) == 0 {
		return nil
	}
	arrivals := make([]state.Arrival, len(batch))
	for i, p := range batch {
		arrivals[i] = p.arrival
	}
	verdicts, err := e.store.Admit(arrivals, e.maxEmits, e.giveUp)
	if err != nil {
		return err
	}
	for i, p := range batch {
		v := verdicts[i]
		m := &p.ev.Message
		if m.ID > e.lastRowID {
			e.lastRowID = m.ID
		}
		switch v.Verdict {
		case state.Emit, state.Redeliver:
			redelivery := v.Verdict == state.Redeliver && v.Prev == state.StatusEmitted
			if err := e.emit(p.ev, v.FirstSeen, redelivery); err != nil {
				return &outputError{err}
			}
			if len(e.emitted) >= emittedCap {
				e.emitted = make(map[string]struct{})
			}
			e.emitted[p.arrival.Key] = struct{}{}
			if redelivery {
				e.nRedelivered++
			} else {
				e.nEmitted++
			}
		case state.Skip:
			e.nSkipped++
		case state.Fence:
			e.nStale++
			e.drop(p.ev.Raw, ReasonStale, fmt.Sprintf("row %d from %s: %s", m.ID, senderOf(m), p.arrival.StaleReason))
		case state.GiveUp:
			e.drop(p.ev.Raw, state.ReasonRedeliveryLimit,
				fmt.Sprintf("row %d from %s: emitted %d times and never finished", m.ID, senderOf(m), v.Emits))
		}
	}
	if err := e.out.Flush(); err != nil {
		return &outputError{err}
	}
	if e.drops != nil {
		return e.drops.Flush()
	}
	return nil
}

// outputError is a failed write to standard output: the next stage is
// gone, so restarting imsg rpc would not help. The rows stay journalled as
// emitted and come back as redeliveries when the pipeline restarts.
type outputError struct{ err error }

func (e *outputError) Error() string { return "write records: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// emit writes one record: the payload's bytes exactly as imsg sent them.
func (e *emitter) emit(ev rpc.Event, firstSeen time.Time, redelivery bool) error {
	kind := record.KindMessage
	if ev.Message.IsReaction {
		kind = record.KindReaction
	}
	buf := make([]byte, 0, len(ev.Raw)+128)
	buf = append(buf, `{"kind":`...)
	buf = strconv.AppendQuote(buf, kind)
	buf = append(buf, `,"account":`...)
	buf = record.AppendString(buf, e.account)
	buf = append(buf, `,"message":`...)
	buf = append(buf, ev.Raw...)
	buf = append(buf, `,"listen":{"received_at":`...)
	buf = strconv.AppendQuote(buf, firstSeen.UTC().Format(time.RFC3339Nano))
	if redelivery {
		buf = append(buf, `,"redelivery":true`...)
	}
	buf = append(buf, "}}"...)
	return e.out.WriteRaw(buf)
}

// drop reports a row that is not emitted: one stderr line, and the record
// in the --drops file when there is one.
func (e *emitter) drop(raw []byte, reason, detail string) {
	e.log.Warnf("dropped %s (%s)", detail, reason)
	if e.drops == nil {
		return
	}
	payload := raw
	if record.Validate(payload) != nil {
		payload, _ = record.Marshal(string(raw))
	}
	rec := []byte(`{"kind":"message","account":`)
	rec = record.AppendString(rec, e.account)
	rec = append(rec, `,"message":`...)
	rec = append(rec, payload...)
	rec = append(rec, '}')
	if err := e.drops.WriteRaw(record.Drop(rec, "imsg-listen", reason)); err != nil {
		e.log.Errorf("--drops: %v", err)
	}
}

func senderOf(m *imsg.Message) string {
	if m.IsFromMe {
		return "me"
	}
	if m.Sender == "" {
		return "an unknown sender"
	}
	return m.Sender
}

// roundAge renders an age at a precision a person reads at a glance.
func roundAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d > time.Hour:
		return d.Round(time.Minute).String()
	case d > time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}
