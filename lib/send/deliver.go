package send

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// longWait is the pacing delay from which a wait is reported on stderr.
const longWait = 2 * time.Second

// deliverer sends units exactly once, per the design's delivery contract:
// the ledger says sending before the call and sent after it; a key already
// sent is not sent again; an unknown outcome is settled from
// messages.history before any resend.
type deliverer struct {
	o     *Options
	store *state.Store
	peer  *peer
	pacer *Pacer
	log   *tool.Log
	clock clock.Clock      // ledger and daily cap times
	mono  func() time.Time // pacing buckets
	chats map[string][]int64
}

// outcome is how a unit ended.
type outcome struct {
	rc        record.Receipt
	delivered bool // went out now or before (duplicate)
}

func (dl *deliverer) fail(rc record.Receipt, msg string) outcome {
	rc.OK, rc.Error = false, msg
	return outcome{rc: rc}
}

// deliver sends one unit to t (raw is the reply's "to"). It returns an
// error only when it must stop without settling the unit: ctx ended
// (SIGINT/SIGTERM), the peer is unusable, or the state store failed. The
// ledger then says what the next run has to do.
func (dl *deliverer) deliver(ctx context.Context, t handle.Target, raw string, u unit, inReplyTo string) (outcome, error) {
	rc := newReceipt(dl.o.Account, u.key, raw)
	if u.err != nil {
		return dl.fail(rc, u.err.Error()), nil
	}
	target := t.String()
	d, err := dl.store.Delivery(u.key)
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		return outcome{}, err
	case d.Target != target || d.TextHash != state.HashText(u.ledgerText()):
		out, done, err := dl.reused(ctx, t, rc, u, d)
		if done || err != nil {
			return out, err
		}
	case d.Settled():
		return duplicate(rc, d), nil
	case d.Status == state.DeliverySending:
		// An earlier run was cut off mid-send: look before sending again.
		row, found, err := dl.settle(ctx, t, u.key, dl.matcherFor(u), u.file != "", d.FirstAttempt)
		if err != nil {
			return outcome{}, err
		}
		if found {
			dl.log.Infof("%s: found in messages.history after an interrupted send; not sent again", u.key)
			return dl.sent(rc, t, u, d.Attempts, row)
		}
	}
	return dl.attempt(ctx, t, rc, u, inReplyTo)
}

// duplicate is the receipt of a key already settled.
func duplicate(rc record.Receipt, d state.Delivery) outcome {
	rc.Duplicate, rc.Attempts = true, d.Attempts
	if d.Status == state.DeliverySent {
		rc.OK, rc.GUID, rc.RowID = true, d.GUID, d.RowID
		return outcome{rc: rc, delivered: true}
	}
	rc.Error = "not sent: an earlier attempt failed permanently: " + d.Error
	return outcome{rc: rc}
}

// reused handles a key the ledger holds for another text or target. The
// usual cause is an agent run again after a crash, answering the same
// message in other words: if the first answer went out, the message is
// answered and nothing more is sent; if it never did, the new one takes
// its place. done is false when the caller should go on and send.
func (dl *deliverer) reused(ctx context.Context, t handle.Target, rc record.Receipt, u unit, d state.Delivery) (outcome, bool, error) {
	const note = "this key was already sent with another text or target; not sent again"
	if d.Status == state.DeliverySending {
		if u.file != "" {
			// The old file's name is not in the ledger, only its hash.
			return dl.fail(rc, "idempotency key reused for another attachment while the first one's outcome is unknown; not sent"), true, nil
		}
		// The old text went (or not) to the old target's chat.
		old, err := handle.ParseTarget(d.Target, dl.o.Region)
		if err != nil {
			return dl.fail(rc, "idempotency key reused; the earlier target "+d.Target+" does not parse: "+err.Error()), true, nil
		}
		row, found, err := dl.settle(ctx, old, u.key, matchText(d.TextHash), false, d.FirstAttempt)
		if err != nil {
			return outcome{}, true, err
		}
		if found {
			if err := dl.store.MarkSent(u.key, row.guid, row.rowid); err != nil {
				return outcome{}, true, err
			}
			d.Status, d.GUID, d.RowID = state.DeliverySent, row.guid, row.rowid
		}
	}
	if d.Status == state.DeliverySent {
		out := duplicate(rc, d)
		out.rc.Note = note
		dl.log.Warnf("%s: %s", u.key, note)
		return out, true, nil
	}
	if err := dl.store.ReplaceUnsent(u.key, t.String(), u.ledgerText()); err != nil {
		return outcome{}, true, err
	}
	dl.log.Infof("%s: the earlier text under this key never went out; sending the new one", u.key)
	return outcome{}, false, nil
}

// attempt runs the send loop: pace, record sending, call, and act on the
// verdict, up to Options.MaxAttempts calls.
func (dl *deliverer) attempt(ctx context.Context, t handle.Target, rc record.Receipt, u unit, inReplyTo string) (outcome, error) {
	target := t.String()
	p := params(t, rc.To, dl.o.Service, dl.o.Region, u)
	for n := 1; ; n++ {
		if err := dl.pace(ctx, target, u.key); err != nil {
			if errors.Is(err, ErrDailyCap) {
				return dl.fail(rc, err.Error()), nil
			}
			return outcome{}, err
		}
		d, _, err := dl.store.Begin(u.key, target, u.ledgerText(), inReplyTo)
		switch {
		case errors.Is(err, state.ErrKeyReused):
			return dl.fail(rc, err.Error()), nil
		case err != nil:
			return outcome{}, err
		case d.Settled(): // another process settled it meanwhile
			return duplicate(rc, d), nil
		}
		rc.Attempts = d.Attempts
		var v verdict
		var restart bool
		c, err := dl.peer.client(ctx)
		var ua *unavailableError
		switch {
		case errors.As(err, &ua):
			v = fatal
		case err != nil && ctx.Err() != nil:
			// Stopped while waiting to restart the child: nothing was sent.
			if err := dl.store.MarkFailed(u.key, "stopped before sending", false); err != nil {
				return outcome{}, err
			}
			return outcome{}, ctx.Err()
		case err != nil:
			v = transient // no child, so nothing was sent
		default:
			res, serr := c.Send(context.Background(), p) // never cut short: finish the in-flight send
			if serr == nil {
				dl.peer.healthy()
				row := sentRow{guid: res.GUID, rowid: res.ID}
				if row.guid == "" {
					// {ok:true} alone: sent, guid unknown. Find it if cheap,
					// so the echo cache can match by guid.
					if r, found, _ := dl.lookup(ctx, t, u.key, dl.matcherFor(u), u.file != "", d.LastAttempt); found {
						row = r
					}
				}
				return dl.sent(rc, t, u, d.Attempts, row)
			}
			err = serr
			v, restart = classify(err)
		}
		msg := err.Error()
		switch v {
		case fatal:
			if err := dl.store.MarkFailed(u.key, msg, false); err != nil {
				return outcome{}, err
			}
			if ua == nil {
				err = &unavailableError{err}
			}
			return outcome{}, err
		case permanent, ghost:
			if v == ghost {
				msg = fmt.Sprintf("delivery to %s not confirmed: Messages wrote an empty, unjoined outgoing row instead "+
					"of a message in the chat, so the text probably went to a new chat or nowhere (a macOS 26 bug); "+
					"not retried — check Messages on the Mac (%s)", target, msg)
			}
			if err := dl.store.MarkFailed(u.key, msg, true); err != nil {
				return outcome{}, err
			}
			return dl.fail(rc, msg), nil
		case transient:
			if err := dl.store.MarkFailed(u.key, msg, false); err != nil {
				return outcome{}, err
			}
			if n >= dl.o.MaxAttempts {
				return dl.fail(rc, fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, msg)), nil
			}
			delay := backoff(dl.o.RetryDelay, dl.o.RetryMax, n)
			dl.log.Warnf("%s: send failed (%s); retrying in %s", u.key, msg, delay)
			if err := sleep(ctx, delay); err != nil {
				return outcome{}, err
			}
		case unknown:
			if restart {
				dl.peer.restart(msg)
			}
			dl.log.Warnf("%s: send outcome unknown (%s); looking for it in messages.history", u.key, msg)
			row, found, err := dl.settle(ctx, t, u.key, dl.matcherFor(u), u.file != "", d.FirstAttempt)
			if err != nil {
				return outcome{}, err
			}
			if found {
				return dl.sent(rc, t, u, d.Attempts, row)
			}
			if n >= dl.o.MaxAttempts {
				// It may still land: never send it again (permanent).
				msg = fmt.Sprintf("outcome unknown after %d attempts and not found in messages.history: %s", d.Attempts, msg)
				if err := dl.store.MarkFailed(u.key, msg, true); err != nil {
					return outcome{}, err
				}
				return dl.fail(rc, msg), nil
			}
			dl.log.Warnf("%s: not found in messages.history; sending again", u.key)
		}
	}
}

// sent records a delivered unit: ledger, echo cache, receipt.
func (dl *deliverer) sent(rc record.Receipt, t handle.Target, u unit, attempts int, row sentRow) (outcome, error) {
	if err := dl.store.MarkSent(u.key, row.guid, row.rowid); err != nil {
		return outcome{}, err
	}
	// The echo cache scope is the canonical target, as imsg-gate computes
	// it for the chat the echo comes back in.
	if err := dl.store.RememberSent(t.String(), row.guid, u.text); err != nil {
		dl.log.Warnf("%s: %v", u.key, err)
	}
	rc.OK, rc.GUID, rc.RowID, rc.Attempts = true, row.guid, row.rowid, attempts
	return outcome{rc: rc, delivered: true}, nil
}

// pace waits until the pacer lets a send to target go, saying so on stderr
// when the wait is long. It fails with a *CapError at the daily cap.
func (dl *deliverer) pace(ctx context.Context, target, key string) error {
	dec, err := dl.pacer.Reserve(target, dl.mono(), dl.clock.Now())
	if err != nil {
		return err
	}
	if dec.Wait >= longWait {
		dl.log.Infof("%s: pacing: waiting %s before sending to %s (%s)", key, dec.Wait.Round(100*time.Millisecond), target, dec.Limit)
	}
	return sleep(ctx, dec.Wait)
}

// backoff is the delay before retry n (from 1): first, doubling, capped.
func backoff(first, max time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
