package state

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Pending group history limits.
const (
	// MaxHistoryChats is how many chats keep pending history; appending to
	// a new chat beyond it forgets the chat written to least recently.
	MaxHistoryChats = 1000
	// MaxHistoryBody caps a stored body in bytes (cut at a character
	// boundary, with "…" appended): history is context for the agent, and
	// one huge message must not make every later prompt huge.
	MaxHistoryBody = 4096
)

// HistoryEntry is one group message imsg-gate held back because it did not
// mention the agent (reason "no mention"). imsg-route shows the entries of
// a chat with the next message it dispatches there, then clears them.
type HistoryEntry struct {
	ID        int64  `json:"-"`                    // store row id, for ClearHistory
	Sender    string `json:"sender"`               // normalised handle
	Body      string `json:"body"`                 // text, or the attachment placeholder
	CreatedAt string `json:"created_at,omitempty"` // the message's created_at as imsg sent it
	MessageID string `json:"message_id,omitempty"` // chat.db ROWID as a string
	GUID      string `json:"guid,omitempty"`
	// Added is when the entry was stored.
	Added time.Time `json:"-"`
}

// AppendHistory stores e as the newest pending entry of chatKey (the chat's
// canonical target, "chat_id:N") and keeps at most limit entries for the
// chat, dropping the oldest. limit ≤ 0 means history is disabled: nothing
// is stored.
func (s *Store) AppendHistory(chatKey string, e HistoryEntry, limit int) error {
	var b Batch
	b.AppendHistory(chatKey, e, limit)
	return s.Commit(&b)
}

// History returns the pending entries of chatKey, oldest first; with limit
// > 0 only the newest limit of them.
func (s *Store) History(chatKey string, limit int) ([]HistoryEntry, error) {
	q := `SELECT id, sender, body, created_at, message_id, guid, added FROM (
		SELECT * FROM group_history WHERE chat_key = ? ORDER BY id DESC LIMIT ?) ORDER BY id`
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.Query(q, chatKey, limit)
	if err != nil {
		return nil, fmt.Errorf("state: history of %q: %w", chatKey, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var e HistoryEntry
		var added int64
		if err := rows.Scan(&e.ID, &e.Sender, &e.Body, &e.CreatedAt, &e.MessageID, &e.GUID, &added); err != nil {
			return nil, fmt.Errorf("state: history of %q: %w", chatKey, err)
		}
		e.Added = fromMillis(added)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ClearHistory removes the pending entries of chatKey up to and including
// the entry with id throughID (the last one History returned), so an entry
// appended between reading and clearing survives; throughID ≤ 0 removes
// them all. It returns how many went.
func (s *Store) ClearHistory(chatKey string, throughID int64) (int64, error) {
	var n int64
	err := s.write(func(tx *sql.Tx) error {
		q, args := `DELETE FROM group_history WHERE chat_key = ?`, []any{chatKey}
		if throughID > 0 {
			q, args = q+` AND id <= ?`, append(args, throughID)
		}
		res, err := tx.Exec(q, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: clear history of %q: %w", chatKey, err)
	}
	return n, nil
}

// appendHistory stores entries (oldest first) as the newest of chatKey in
// few statements, keeps the newest limit of the chat, and forgets the
// least recently written chats beyond MaxHistoryChats.
func appendHistory(tx *sql.Tx, chatKey string, entries []HistoryEntry, limit int, now int64) error {
	if limit <= 0 || chatKey == "" || len(entries) == 0 {
		return nil
	}
	var one int
	err := tx.QueryRow(`SELECT 1 FROM group_history WHERE chat_key = ? LIMIT 1`, chatKey).Scan(&one)
	newChat := err == sql.ErrNoRows
	if err != nil && !newChat {
		return err
	}
	const chunk = 200 // rows per INSERT, well under SQLite's parameter limit
	for len(entries) > 0 {
		n := min(len(entries), chunk)
		args := make([]any, 0, n*7)
		for _, e := range entries[:n] {
			args = append(args, chatKey, e.Sender, capBody(e.Body), e.CreatedAt, e.MessageID, e.GUID, now)
		}
		q := `INSERT INTO group_history (chat_key, sender, body, created_at, message_id, guid, added) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		if _, err := tx.Exec(q, args...); err != nil {
			return err
		}
		entries = entries[n:]
	}
	if _, err := tx.Exec(`DELETE FROM group_history WHERE chat_key = ?1 AND id <= (
		SELECT id FROM group_history WHERE chat_key = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`, chatKey, limit); err != nil {
		return err
	}
	if !newChat {
		return nil
	}
	var chats int
	if err := tx.QueryRow(`SELECT COUNT(DISTINCT chat_key) FROM group_history`).Scan(&chats); err != nil {
		return err
	}
	if chats <= MaxHistoryChats {
		return nil
	}
	_, err = tx.Exec(`DELETE FROM group_history WHERE chat_key IN (
		SELECT chat_key FROM group_history GROUP BY chat_key ORDER BY MAX(id) LIMIT ?)`, chats-MaxHistoryChats)
	return err
}

// capBody cuts a body to MaxHistoryBody bytes at a character boundary.
func capBody(s string) string {
	if len(s) <= MaxHistoryBody {
		return s
	}
	cut := MaxHistoryBody - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
