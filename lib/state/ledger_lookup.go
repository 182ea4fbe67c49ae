package state

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The lookups below serve imsg-send's slower paths: settling a send whose
// outcome is unknown, finishing an inbound message after a restart, and
// seeding the daily send cap. None of them runs per sent message in the
// steady state, so they scan the ledger rather than add indexes.

// ErrAlreadySent is returned by ReplaceUnsent for a delivery that went out.
var ErrAlreadySent = errors.New("delivery already sent")

// SendTimesSince returns, oldest first, when each delivery that went out
// since t did so: sent_at for sent deliveries, and the last attempt for
// deliveries still in sending (cut off mid-send, so they may have gone out
// too). imsg-send seeds its daily cap with it, so the cap holds across
// restarts.
func (s *Store) SendTimesSince(t time.Time) ([]time.Time, error) {
	ms := t.UnixMilli()
	rows, err := s.db.Query(`SELECT at FROM (
		SELECT sent_at AS at FROM outbound WHERE status = 'sent' AND sent_at >= ?
		UNION ALL
		SELECT last_attempt AS at FROM outbound WHERE status = 'sending' AND last_attempt >= ?
	) ORDER BY at`, ms, ms)
	if err != nil {
		return nil, fmt.Errorf("state: send times: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("state: send times: %w", err)
		}
		out = append(out, fromMillis(at))
	}
	return out, rows.Err()
}

// DeliveriesFor lists the deliveries that answer the inbound message guid
// inReplyTo, by key. imsg-send reads it to decide how a message ended when
// some of its reply's parts were delivered before a restart.
func (s *Store) DeliveriesFor(inReplyTo string) ([]Delivery, error) {
	if inReplyTo == "" {
		return nil, nil
	}
	rows, err := s.db.Query(`SELECT `+deliveryColumns+` FROM outbound WHERE in_reply_to = ? ORDER BY key`, inReplyTo)
	if err != nil {
		return nil, fmt.Errorf("state: deliveries for %q: %w", inReplyTo, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("state: deliveries for %q: %w", inReplyTo, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryByGUID returns the delivery that recorded guid as its sent
// message, or ErrNotFound. When a send is settled from messages.history, a
// row that already belongs to another delivery (the same text sent twice on
// purpose) must not be claimed again.
func (s *Store) DeliveryByGUID(guid string) (Delivery, error) {
	if guid == "" {
		return Delivery{}, fmt.Errorf("state: delivery with guid %q: %w", guid, ErrNotFound)
	}
	d, err := scanDelivery(s.db.QueryRow(`SELECT `+deliveryColumns+` FROM outbound WHERE guid = ?
		ORDER BY key LIMIT 1`, guid))
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("state: delivery with guid %q: %w", guid, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("state: delivery with guid %q: %w", guid, err)
	}
	return d, nil
}

// ReplaceUnsent gives a delivery that never went out a new target and text,
// so that Begin accepts them under the same key: an agent run again after a
// crash answers the same message with other words, and the new answer must
// go out in place of the old one that never did. The delivery becomes
// failed (not permanently), with its attempt count and first attempt kept.
// Only call it once the old text is known not to have been sent (settled
// from messages.history when it was left in sending). A sent delivery
// gives ErrAlreadySent, an unknown key ErrNotFound.
func (s *Store) ReplaceUnsent(key, target, text string) error {
	now := s.now()
	err := s.write(func(tx *sql.Tx) error {
		var status DeliveryStatus
		err := tx.QueryRow(`SELECT status FROM outbound WHERE key = ?`, key).Scan(&status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case status == DeliverySent:
			return ErrAlreadySent
		}
		_, err = tx.Exec(`UPDATE outbound SET target = ?, text_hash = ?, status = 'failed', permanent = 0,
			error = 'replaced by a new text for the same key', updated = ? WHERE key = ?`,
			target, HashText(text), now, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: replace delivery %q: %w", key, err)
	}
	return nil
}
