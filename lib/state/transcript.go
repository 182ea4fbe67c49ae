package state

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Transcript roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Turn is one message of an agent session's transcript.
type Turn struct {
	Role    string // RoleUser or RoleAssistant
	Content string
	GUID    string // the inbound message the exchange answered
	Created time.Time
}

// Transcript returns the end of a session's transcript, oldest first: the
// last userTurns user messages and everything after the first of them (the
// replies). userTurns ≤ 0 returns nothing.
func (s *Store) Transcript(session string, userTurns int) ([]Turn, error) {
	if userTurns <= 0 {
		return nil, nil
	}
	from, err := s.transcriptStart(s.db, session, userTurns)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT role, content, guid, created FROM transcript
		WHERE session_key = ? AND id >= ? ORDER BY id`, session, from)
	if err != nil {
		return nil, fmt.Errorf("state: transcript of %q: %w", session, err)
	}
	defer rows.Close()
	var out []Turn
	for rows.Next() {
		var t Turn
		var created int64
		if err := rows.Scan(&t.Role, &t.Content, &t.GUID, &created); err != nil {
			return nil, fmt.Errorf("state: transcript of %q: %w", session, err)
		}
		t.Created = fromMillis(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

type querier interface {
	QueryRow(query string, args ...any) *sql.Row
}

// transcriptStart is the id of the n-th most recent user turn of session,
// or 0 when it has fewer.
func (s *Store) transcriptStart(q querier, session string, n int) (int64, error) {
	var id int64
	err := q.QueryRow(`SELECT id FROM transcript WHERE session_key = ? AND role = 'user'
		ORDER BY id DESC LIMIT 1 OFFSET ?`, session, n-1).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("state: transcript of %q: %w", session, err)
	}
	return id, nil
}

// RecordExchange appends one exchange — the user's message and the reply —
// to a session's transcript and trims it to the last keepUserTurns user
// turns and their replies, in one transaction. An exchange already
// recorded for guid (a redelivered message) is not recorded twice.
// keepUserTurns ≤ 0 keeps no transcript for the session at all.
func (s *Store) RecordExchange(session, guid, user, reply string, keepUserTurns int) error {
	now := s.now()
	err := s.write(func(tx *sql.Tx) error {
		if keepUserTurns <= 0 {
			_, err := tx.Exec(`DELETE FROM transcript WHERE session_key = ?`, session)
			return err
		}
		if guid != "" {
			var one int
			err := tx.QueryRow(`SELECT 1 FROM transcript WHERE session_key = ? AND guid = ? LIMIT 1`, session, guid).Scan(&one)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		for _, t := range []Turn{{Role: RoleUser, Content: user}, {Role: RoleAssistant, Content: reply}} {
			if _, err := tx.Exec(`INSERT INTO transcript (session_key, role, content, guid, created) VALUES (?, ?, ?, ?, ?)`,
				session, t.Role, t.Content, guid, now); err != nil {
				return err
			}
		}
		from, err := s.transcriptStart(tx, session, keepUserTurns)
		if err != nil || from == 0 {
			return err
		}
		_, err = tx.Exec(`DELETE FROM transcript WHERE session_key = ? AND id < ?`, session, from)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: record exchange of %q: %w", session, err)
	}
	return nil
}

// ExchangeReply returns the reply recorded for the message guid in
// session, so a message delivered again after a crash gets the answer it
// got the first time instead of a second, different one.
func (s *Store) ExchangeReply(session, guid string) (string, bool, error) {
	if guid == "" {
		return "", false, nil
	}
	var reply string
	err := s.db.QueryRow(`SELECT content FROM transcript WHERE session_key = ? AND guid = ? AND role = 'assistant'
		ORDER BY id DESC LIMIT 1`, session, guid).Scan(&reply)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("state: exchange of %q: %w", session, err)
	}
	return reply, true, nil
}

// ClearTranscript forgets a session's transcript and returns how many
// turns went.
func (s *Store) ClearTranscript(session string) (int64, error) {
	var n int64
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM transcript WHERE session_key = ?`, session)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: clear transcript of %q: %w", session, err)
	}
	return n, nil
}
