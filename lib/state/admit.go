package state

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Arrival is one row imsg-listen received and is about to handle.
type Arrival struct {
	Key    string // JournalKey(guid, rowid)
	RowID  int64
	ChatID int64
	// Stale marks a row the age fence stops: a new one is journalled as
	// stale with StaleReason instead of being emitted.
	Stale       bool
	StaleReason string
}

// Verdict is what imsg-listen must do with an Arrival.
type Verdict int

// Verdicts of Admit.
const (
	// Emit: a new message; write it out.
	Emit Verdict = iota + 1
	// Redeliver: known and not finished (a restart, or a resubscription
	// that replays it); write it out again, flagged as a redelivery.
	Redeliver
	// Skip: already finished or stale; a replay, not a new message.
	Skip
	// Fence: new and too old to answer as live; journalled as stale.
	Fence
	// GiveUp: emitted maxEmits times, pending for at least giveUpAfter,
	// and never finished (a message that crashes the pipeline every
	// time); journalled as finished/dropped with reason "redelivery
	// limit" so it stops holding the resume point back.
	GiveUp
)

// Admission is Admit's answer for one Arrival.
type Admission struct {
	Verdict   Verdict
	Prev      Status    // the status before this arrival ("" for a new key)
	Emits     int       // emits before this arrival
	FirstSeen time.Time // when the key was first journalled
}

// ReasonRedeliveryLimit is the drop reason of a GiveUp verdict.
const ReasonRedeliveryLimit = "redelivery limit"

// Admit journals a batch of arrivals in one write transaction and advances
// the cursor to the highest rowid among them. Each arrival is marked
// emitted before the caller writes it (a crash after the commit and before
// the write costs one redelivery, never a loss). A message is given up
// only when it was emitted maxEmits times and first seen at least
// giveUpAfter ago: a count alone would abandon healthy messages when the
// pipeline restarts many times in a row. maxEmits ≤ 0 means never.
// A key repeated within the batch gets Skip after its first arrival.
func (s *Store) Admit(batch []Arrival, maxEmits int, giveUpAfter time.Duration) ([]Admission, error) {
	out := make([]Admission, len(batch))
	err := s.write(func(tx *sql.Tx) error {
		now := s.now()
		seen := make(map[string]bool, len(batch))
		high := int64(-1)
		for i, a := range batch {
			if a.Key == "" {
				return errEmptyKey
			}
			if a.RowID > high {
				high = a.RowID
			}
			if seen[a.Key] {
				out[i] = Admission{Verdict: Skip, Prev: StatusEmitted}
				continue
			}
			seen[a.Key] = true
			adm, err := admitOne(tx, a, maxEmits, giveUpAfter, now)
			if err != nil {
				return err
			}
			out[i] = adm
		}
		if high >= 0 {
			_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ('cursor', ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value
				WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)`, fmt.Sprint(high))
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: admit: %w", err)
	}
	return out, nil
}

func admitOne(tx *sql.Tx, a Arrival, maxEmits int, giveUpAfter time.Duration, now int64) (Admission, error) {
	var prev Status
	var emits int
	var first int64
	err := tx.QueryRow(`SELECT status, emits, first_seen FROM journal WHERE key = ?`, a.Key).Scan(&prev, &emits, &first)
	known := Admission{Prev: prev, Emits: emits, FirstSeen: fromMillis(first)}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		fresh := Admission{FirstSeen: fromMillis(now)}
		if a.Stale {
			_, err = tx.Exec(`INSERT INTO journal (key, rowid, chat_id, status, reason, first_seen, updated)
				VALUES (?, ?, ?, 'stale', ?, ?, ?)`, a.Key, a.RowID, a.ChatID, a.StaleReason, now, now)
			fresh.Verdict = Fence
			return fresh, err
		}
		_, err = tx.Exec(`INSERT INTO journal (key, rowid, chat_id, status, first_seen, updated, emits)
			VALUES (?, ?, ?, 'emitted', ?, ?, 1)`, a.Key, a.RowID, a.ChatID, now, now)
		fresh.Verdict = Emit
		return fresh, err
	case err != nil:
		return Admission{}, err
	case prev.Terminal():
		known.Verdict = Skip
		return known, nil
	case maxEmits > 0 && emits >= maxEmits && now-first >= giveUpAfter.Milliseconds():
		_, err = tx.Exec(`UPDATE journal SET status = 'finished', outcome = 'dropped', reason = ?, updated = ?
			WHERE key = ?`, ReasonRedeliveryLimit, now, a.Key)
		known.Verdict = GiveUp
		return known, err
	default:
		// The row may have moved (a replaced chat.db numbers rows anew): keep
		// the journal's rowid current so the resume point follows it.
		_, err = tx.Exec(`UPDATE journal SET status = 'emitted', emits = emits + 1, rowid = ?, updated = ?
			WHERE key = ?`, a.RowID, now, a.Key)
		known.Verdict = Redeliver
		return known, err
	}
}

// ForgetPositions is for a replaced chat.db, whose rowids mean nothing in
// the old numbering: unfinished entries keep their status (so a message seen
// again is still recognised) but no longer hold the resume point back, and
// the cursor is set to cursor.
func (s *Store) ForgetPositions(cursor int64) error {
	err := s.write(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE journal SET rowid = ? WHERE status IN ('received', 'emitted') AND rowid > ?`,
			cursor+1, cursor); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ('cursor', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, fmt.Sprint(cursor))
		return err
	})
	if err != nil {
		return fmt.Errorf("state: forget positions: %w", err)
	}
	return nil
}
