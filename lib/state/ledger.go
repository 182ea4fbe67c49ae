package state

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// DeliveryStatus is where an outbound message is.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliverySending is recorded before the send RPC. A delivery found in
	// it later was cut off mid-send: the message may or may not have gone
	// out, so look for it in messages.history before sending again.
	DeliverySending DeliveryStatus = "sending"
	DeliverySent    DeliveryStatus = "sent"   // imsg accepted it; never send again
	DeliveryFailed  DeliveryStatus = "failed" // the last attempt failed
)

// ErrKeyReused is returned by Begin when an idempotency key already names a
// different message (another target or text): replaying it would send the
// wrong thing, so this is a bug upstream, not a duplicate.
var ErrKeyReused = errors.New("idempotency key reused for a different message")

// Delivery is one outbound ledger row.
type Delivery struct {
	Key       string // idempotency key
	Target    string
	TextHash  string // HashText of the text
	InReplyTo string // inbound guid answered, if any
	Status    DeliveryStatus
	Attempts  int
	GUID      string // returned by imsg send, when it said
	RowID     int64
	Error     string // last failure
	Permanent bool   // the last failure will not go away by retrying
	Created   time.Time
	// FirstAttempt is when the first send began: a crashed send is looked
	// up in messages.history from this time on.
	FirstAttempt time.Time
	LastAttempt  time.Time
	SentAt       time.Time
	Updated      time.Time
}

// Settled reports whether the delivery must not be attempted again: sent,
// or failed permanently.
func (d Delivery) Settled() bool {
	return d.Status == DeliverySent || (d.Status == DeliveryFailed && d.Permanent)
}

// HashText is the text hash kept in the ledger: SHA-256 (hex) of the text
// after NormalizeEchoText, so the row found in messages.history after a
// crash matches even if imsg reports the text with attributedBody residue
// or different spacing.
func HashText(text string) string {
	sum := sha256.Sum256([]byte(NormalizeEchoText(text)))
	return hex.EncodeToString(sum[:])
}

// Begin records an attempt to send text to target under an idempotency key.
// It returns the delivery as it is after the call, and its status before
// ("" for a new key):
//
//   - new, failed (not permanently) or sending: the status becomes sending
//     and the attempt count goes up; go ahead and send. If prev is
//     DeliverySending, an earlier attempt was cut off: check
//     messages.history since d.FirstAttempt for d.TextHash first.
//   - sent, or failed permanently: nothing changes; do not send. For sent,
//     write a duplicate receipt with d.GUID.
//
// A key already used for another target or text gives ErrKeyReused.
func (s *Store) Begin(key, target, text, inReplyTo string) (d Delivery, prev DeliveryStatus, err error) {
	if key == "" {
		return Delivery{}, "", errors.New("state: empty idempotency key")
	}
	hash := HashText(text)
	err = s.write(func(tx *sql.Tx) error {
		old, err := scanDelivery(tx.QueryRow(`SELECT `+deliveryColumns+` FROM outbound WHERE key = ?`, key))
		now := s.now()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(`INSERT INTO outbound (key, target, text_hash, in_reply_to, status, attempts,
				created, first_attempt, last_attempt, updated) VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?)`,
				key, target, hash, inReplyTo, now, now, now, now)
			return err
		case err != nil:
			return err
		}
		prev = old.Status
		if old.Target != target || old.TextHash != hash {
			return ErrKeyReused
		}
		if old.Settled() {
			d = old
			return nil
		}
		_, err = tx.Exec(`UPDATE outbound SET status = 'sending', attempts = attempts + 1,
			last_attempt = ?, updated = ? WHERE key = ?`, now, now, key)
		return err
	})
	if err != nil {
		return Delivery{}, prev, fmt.Errorf("state: begin delivery %q: %w", key, err)
	}
	if d.Key == "" {
		d, err = s.Delivery(key)
	}
	return d, prev, err
}

// MarkSent records that imsg accepted the message, with the guid and rowid
// it reported (either may be empty or 0). A delivery already sent keeps its
// first guid: sent is final.
func (s *Store) MarkSent(key, guid string, rowid int64) error {
	now := s.now()
	return s.updateDelivery(key, `UPDATE outbound SET status = 'sent', guid = ?, rowid = ?, error = '',
		permanent = 0, sent_at = ?, updated = ? WHERE key = ? AND status <> 'sent'`, guid, rowid, now, now, key)
}

// MarkFailed records a failed attempt. A permanent failure settles the
// delivery (Begin will not retry it); a transient one lets the next Begin
// try again. A delivery already sent stays sent.
func (s *Store) MarkFailed(key, errText string, permanent bool) error {
	return s.updateDelivery(key, `UPDATE outbound SET status = 'failed', error = ?, permanent = ?,
		updated = ? WHERE key = ? AND status <> 'sent'`, errText, permanent, s.now(), key)
}

func (s *Store) updateDelivery(key, query string, args ...any) error {
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var one int
		err = tx.QueryRow(`SELECT 1 FROM outbound WHERE key = ?`, key).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("state: delivery %q: %w", key, err)
	}
	return nil
}

const deliveryColumns = `key, target, text_hash, in_reply_to, status, attempts, guid, rowid, error,
	permanent, created, first_attempt, last_attempt, sent_at, updated`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var created, first, last, sent, updated int64
	err := row.Scan(&d.Key, &d.Target, &d.TextHash, &d.InReplyTo, &d.Status, &d.Attempts, &d.GUID, &d.RowID,
		&d.Error, &d.Permanent, &created, &first, &last, &sent, &updated)
	d.Created, d.FirstAttempt, d.LastAttempt = fromMillis(created), fromMillis(first), fromMillis(last)
	d.SentAt, d.Updated = fromMillis(sent), fromMillis(updated)
	return d, err
}

// Delivery returns the ledger entry of key, or ErrNotFound.
func (s *Store) Delivery(key string) (Delivery, error) {
	d, err := scanDelivery(s.db.QueryRow(`SELECT `+deliveryColumns+` FROM outbound WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("state: delivery %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("state: delivery %q: %w", key, err)
	}
	return d, nil
}

// InFlight lists the deliveries left in sending, oldest first: sends cut
// off by a crash, to be resolved against messages.history.
func (s *Store) InFlight() ([]Delivery, error) {
	rows, err := s.db.Query(`SELECT ` + deliveryColumns + ` FROM outbound
		WHERE status = 'sending' ORDER BY first_attempt, key`)
	if err != nil {
		return nil, fmt.Errorf("state: in-flight deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("state: in-flight deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryCounts counts the ledger entries by status.
func (s *Store) DeliveryCounts() (map[DeliveryStatus]int, error) {
	out := map[DeliveryStatus]int{}
	err := countBy(s.db, `SELECT status, COUNT(*) FROM outbound GROUP BY status`, func(k string, n int) {
		out[DeliveryStatus(k)] = n
	})
	return out, err
}

// PruneLedger deletes settled deliveries (sent, or failed permanently) last
// updated before t. A pruned key is no longer recognised, so keep t well
// beyond the longest time a reply can be replayed.
func (s *Store) PruneLedger(before time.Time) (int64, error) {
	var n int64
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM outbound WHERE (status = 'sent' OR (status = 'failed' AND permanent = 1))
			AND updated < ?`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: prune ledger: %w", err)
	}
	return n, nil
}
