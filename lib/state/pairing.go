package state

import (
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Pairing rules (spec/channel-behaviour.md §9.2).
const (
	// PairingTTL is how long a code lives, counted from its creation;
	// contacting again does not extend it.
	PairingTTL = time.Hour
	// MaxPendingPairings is how many live requests an account holds.
	MaxPendingPairings = 3
	// CodeAlphabet has no 0, O, 1 or I, so a code read aloud is unambiguous.
	CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// CodeLength is the length of a pairing code.
	CodeLength = 8
)

// Pairing errors.
var (
	ErrTooManyPending = errors.New("too many pending pairing requests")
	ErrCodeExpired    = errors.New("pairing code expired")
)

// codeRand is the randomness of pairing codes; tests replace it.
var codeRand io.Reader = rand.Reader

// PairingRequest is a pending request from an unknown sender.
type PairingRequest struct {
	Code     string
	Sender   string // normalised handle
	ChatID   int64
	Created  time.Time
	Expires  time.Time
	LastSeen time.Time
	Meta     map[string]string
}

// ApprovedSender is a handle allowed in by pairing.
type ApprovedSender struct {
	Handle   string
	Approved time.Time
	Code     string // the code it was approved with
}

// RequestPairing returns the pairing code of sender (a normalised handle),
// creating a request when it has none. created is false when a live code
// already existed: it is returned unchanged and its expiry is not
// extended. With MaxPendingPairings live requests from other senders the
// result is ErrTooManyPending. Expired requests are pruned first.
func (s *Store) RequestPairing(sender string, chatID int64, meta map[string]string) (code string, created bool, err error) {
	if strings.TrimSpace(sender) == "" {
		return "", false, errors.New("state: pairing request without a sender")
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return "", false, fmt.Errorf("state: pairing meta: %w", err)
	}
	if meta == nil {
		metaJSON = []byte("{}")
	}
	now := s.now()
	err = s.write(func(tx *sql.Tx) error {
		if err := prunePairing(tx, now); err != nil {
			return err
		}
		err := tx.QueryRow(`SELECT code FROM pairing_pending WHERE sender = ?`, sender).Scan(&code)
		if err == nil {
			_, err = tx.Exec(`UPDATE pairing_pending SET last_seen = ? WHERE sender = ?`, now, sender)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM pairing_pending`).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPendingPairings {
			return ErrTooManyPending
		}
		if code, err = uniqueCode(tx); err != nil {
			return err
		}
		created = true
		_, err = tx.Exec(`INSERT INTO pairing_pending (code, sender, chat_id, created, expires, last_seen, meta)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, code, sender, chatID, now, now+PairingTTL.Milliseconds(), now, string(metaJSON))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrTooManyPending) {
			return "", false, err
		}
		return "", false, fmt.Errorf("state: pairing request: %w", err)
	}
	return code, created, nil
}

// prunePairing deletes the requests that have expired by now.
func prunePairing(tx *sql.Tx, now int64) error {
	_, err := tx.Exec(`DELETE FROM pairing_pending WHERE expires <= ?`, now)
	return err
}

// uniqueCode draws codes until one is not pending.
func uniqueCode(tx *sql.Tx) (string, error) {
	for range 500 {
		code, err := newCode()
		if err != nil {
			return "", err
		}
		var one int
		err = tx.QueryRow(`SELECT 1 FROM pairing_pending WHERE code = ?`, code).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("failed to generate unique pairing code")
}

// newCode draws CodeLength characters from CodeAlphabet, uniformly: the
// alphabet has 32 letters, so the low 5 bits of a random byte pick one
// without bias.
func newCode() (string, error) {
	buf := make([]byte, CodeLength)
	if _, err := io.ReadFull(codeRand, buf); err != nil {
		return "", fmt.Errorf("random pairing code: %w", err)
	}
	for i, b := range buf {
		buf[i] = CodeAlphabet[int(b)%len(CodeAlphabet)]
	}
	return string(buf), nil
}

// canonicalCode makes code comparison case-insensitive and blank-tolerant.
func canonicalCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

const pendingColumns = `code, sender, chat_id, created, expires, last_seen, meta`

func scanPending(row interface{ Scan(...any) error }) (PairingRequest, error) {
	var p PairingRequest
	var created, expires, seen int64
	var meta string
	if err := row.Scan(&p.Code, &p.Sender, &p.ChatID, &created, &expires, &seen, &meta); err != nil {
		return p, err
	}
	p.Created, p.Expires, p.LastSeen = fromMillis(created), fromMillis(expires), fromMillis(seen)
	if err := json.Unmarshal([]byte(meta), &p.Meta); err != nil {
		return p, fmt.Errorf("pairing meta of %s: %w", p.Code, err)
	}
	return p, nil
}

// takePending removes the request with code and returns it, whether or not
// it has expired.
func takePending(tx *sql.Tx, code string) (PairingRequest, error) {
	p, err := scanPending(tx.QueryRow(`SELECT `+pendingColumns+` FROM pairing_pending WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("pairing code %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return p, err
	}
	_, err = tx.Exec(`DELETE FROM pairing_pending WHERE code = ?`, code)
	return p, err
}

// Approve approves the pending request with code (any case, surrounding
// space ignored): the request goes and its sender becomes approved. An
// unknown code gives ErrNotFound, an expired one ErrCodeExpired (and the
// request is removed).
func (s *Store) Approve(code string) (PairingRequest, error) {
	code = canonicalCode(code)
	now := s.now()
	var p PairingRequest
	var expired bool
	err := s.write(func(tx *sql.Tx) error {
		var err error
		if p, err = takePending(tx, code); err != nil {
			return err
		}
		if p.Expires.UnixMilli() <= now {
			expired = true
			return nil // commit the removal
		}
		_, err = tx.Exec(`INSERT INTO pairing_approved (handle, approved, code) VALUES (?, ?, ?)
			ON CONFLICT (handle) DO UPDATE SET approved = excluded.approved, code = excluded.code`,
			p.Sender, now, code)
		return err
	})
	switch {
	case err != nil:
		return PairingRequest{}, fmt.Errorf("state: approve: %w", err)
	case expired:
		return p, fmt.Errorf("state: approve: pairing code %q: %w", code, ErrCodeExpired)
	}
	return p, nil
}

// Reject removes the pending request with code, live or expired, and
// returns it; an unknown code gives ErrNotFound.
func (s *Store) Reject(code string) (PairingRequest, error) {
	code = canonicalCode(code)
	var p PairingRequest
	err := s.write(func(tx *sql.Tx) error {
		var err error
		p, err = takePending(tx, code)
		return err
	})
	if err != nil {
		return PairingRequest{}, fmt.Errorf("state: reject: %w", err)
	}
	return p, nil
}

// Revoke removes an approved handle; an unknown one gives ErrNotFound.
func (s *Store) Revoke(handle string) error {
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM pairing_approved WHERE handle = ?`, handle)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("approved sender %q: %w", handle, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: revoke: %w", err)
	}
	return nil
}

// ListPending prunes expired requests and lists the live ones, oldest first.
func (s *Store) ListPending() ([]PairingRequest, error) {
	var out []PairingRequest
	err := s.write(func(tx *sql.Tx) error {
		if err := prunePairing(tx, s.now()); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT ` + pendingColumns + ` FROM pairing_pending ORDER BY created, code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPending(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("state: list pairing requests: %w", err)
	}
	return out, nil
}

// ListApproved lists the approved senders in approval order.
func (s *Store) ListApproved() ([]ApprovedSender, error) {
	rows, err := s.db.Query(`SELECT handle, approved, code FROM pairing_approved ORDER BY approved, handle`)
	if err != nil {
		return nil, fmt.Errorf("state: list approved senders: %w", err)
	}
	defer rows.Close()
	var out []ApprovedSender
	for rows.Next() {
		var a ApprovedSender
		var at int64
		if err := rows.Scan(&a.Handle, &at, &a.Code); err != nil {
			return nil, fmt.Errorf("state: list approved senders: %w", err)
		}
		a.Approved = fromMillis(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// IsApproved reports whether handle (normalised) was approved by pairing.
func (s *Store) IsApproved(handle string) (bool, error) {
	var one int
	err := s.db.QueryRow(`SELECT 1 FROM pairing_approved WHERE handle = ?`, handle).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("state: approved sender: %w", err)
	}
	return true, nil
}
