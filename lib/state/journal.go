package state

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is where an inbound message is in the pipeline.
type Status string

// Journal statuses. Finished and Stale are terminal: nothing moves an entry
// out of them, and listen never emits it again.
const (
	StatusReceived Status = "received" // journalled, not yet emitted
	StatusEmitted  Status = "emitted"  // written to stdout at least once
	StatusFinished Status = "finished" // answered or dropped
	StatusStale    Status = "stale"    // too old to answer as live (age fence)
)

// Terminal reports whether no further transition is possible.
func (st Status) Terminal() bool { return st == StatusFinished || st == StatusStale }

// Outcome is how a finished message ended.
type Outcome string

// Outcomes of a finished message.
const (
	OutcomeAnswered Outcome = "answered"
	OutcomeDropped  Outcome = "dropped"
)

// Entry is one inbound journal row.
type Entry struct {
	Key       string // message guid, or a synthetic key (JournalKey)
	RowID     int64
	ChatID    int64
	Status    Status
	Outcome   Outcome // finished entries only
	Reason    string  // drop or stale reason
	FirstSeen time.Time
	Updated   time.Time
	Emits     int // how many times listen emitted it
}

// syntheticPrefix starts the journal key of a row without a guid. Real
// guids are UUIDs, optionally with a "p:N/" part prefix, so they never
// start with it.
const syntheticPrefix = "rowid:"

// JournalKey is the journal key of a message: its guid, or "rowid:<rowid>"
// when the guid is empty (rows synced without one). Use it for every
// journal call, so both forms of a message always agree.
func JournalKey(guid string, rowid int64) string {
	if g := strings.TrimSpace(guid); g != "" {
		return g
	}
	return syntheticPrefix + strconv.FormatInt(rowid, 10)
}

var errEmptyKey = errors.New("state: empty journal key (use JournalKey(guid, rowid))")

// Journal records a message before listen emits it. For a new key it
// stores status received and returns ""; for a known key it changes
// nothing and returns the status found, so listen can drop a duplicate
// (terminal) or flag a redelivery (received, emitted).
func (s *Store) Journal(key string, rowid, chatID int64) (Status, error) {
	if key == "" {
		return "", errEmptyKey
	}
	var prev Status
	err := s.write(func(tx *sql.Tx) error {
		err := tx.QueryRow(`SELECT status FROM journal WHERE key = ?`, key).Scan(&prev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := s.now()
		_, err = tx.Exec(`INSERT INTO journal (key, rowid, chat_id, status, first_seen, updated)
			VALUES (?, ?, ?, ?, ?, ?)`, key, rowid, chatID, StatusReceived, now, now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("state: journal %q: %w", key, err)
	}
	return prev, nil
}

// MarkEmitted notes that listen wrote the message out: received becomes
// emitted, and the emit count goes up (also for a redelivery). A terminal
// status is kept.
func (s *Store) MarkEmitted(key string) error {
	return s.updateJournal(key, `UPDATE journal SET
		status = CASE WHEN status = 'received' THEN 'emitted' ELSE status END,
		emits = emits + 1, updated = ? WHERE key = ?`, s.now(), key)
}

// Finish records the terminal outcome of a message: answered, or dropped
// with its reason. The first terminal outcome wins: finishing a message that
// is already finished or stale changes nothing, and the result is false.
func (s *Store) Finish(key string, outcome Outcome, reason string) (bool, error) {
	if outcome != OutcomeAnswered && outcome != OutcomeDropped {
		return false, fmt.Errorf("state: finish %q: unknown outcome %q", key, outcome)
	}
	return s.terminate(key, StatusFinished, outcome, reason)
}

// MarkStale records that the message is too old to answer as live (the age
// fence); like Finish, it leaves a terminal entry alone and returns false.
func (s *Store) MarkStale(key, reason string) (bool, error) {
	return s.terminate(key, StatusStale, "", reason)
}

func (s *Store) terminate(key string, st Status, outcome Outcome, reason string) (bool, error) {
	if key == "" {
		return false, errEmptyKey
	}
	var changed bool
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE journal SET status = ?, outcome = ?, reason = ?, updated = ?
			WHERE key = ? AND status IN ('received', 'emitted')`, st, outcome, reason, s.now(), key)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		if !changed {
			return knownKey(tx, key)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("state: %s %q: %w", st, key, err)
	}
	return changed, nil
}

func (s *Store) updateJournal(key, query string, args ...any) error {
	if key == "" {
		return errEmptyKey
	}
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: journal %q: %w", key, err)
	}
	return nil
}

// knownKey returns ErrNotFound unless key is in the journal.
func knownKey(tx *sql.Tx, key string) error {
	var one int
	err := tx.QueryRow(`SELECT 1 FROM journal WHERE key = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

const entryColumns = `key, rowid, chat_id, status, outcome, reason, first_seen, updated, emits`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var first, updated int64
	err := row.Scan(&e.Key, &e.RowID, &e.ChatID, &e.Status, &e.Outcome, &e.Reason, &first, &updated, &e.Emits)
	e.FirstSeen, e.Updated = fromMillis(first), fromMillis(updated)
	return e, err
}

// Entry returns the journal entry of key, or ErrNotFound.
func (s *Store) Entry(key string) (Entry, error) {
	e, err := scanEntry(s.db.QueryRow(`SELECT `+entryColumns+` FROM journal WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("state: journal %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("state: journal %q: %w", key, err)
	}
	return e, nil
}

// Status returns the status of key, or "" and ErrNotFound.
func (s *Store) Status(key string) (Status, error) {
	e, err := s.Entry(key)
	return e.Status, err
}

// ResumePoint is the rowid listen resumes after on start: one below the
// lowest rowid whose entry is not terminal, so every unfinished message is
// seen again; the cursor when everything journalled is terminal. A cursor
// lower than that (a rewind, or a crash between journalling a row and
// advancing the cursor) wins, because resuming early only costs duplicates,
// which the journal drops, while resuming late would lose messages.
func (s *Store) ResumePoint() (int64, error) {
	cur, curSet, err := s.cursor()
	if err != nil {
		return 0, err
	}
	var low sql.NullInt64
	err = s.db.QueryRow(`SELECT MIN(rowid) FROM journal WHERE status IN ('received', 'emitted')`).Scan(&low)
	if err != nil {
		return 0, fmt.Errorf("state: resume point: %w", err)
	}
	if !low.Valid {
		return cur, nil
	}
	r := low.Int64 - 1
	if r < 0 {
		r = 0
	}
	if curSet && cur < r {
		r = cur
	}
	return r, nil
}

// Pending lists the entries that are not terminal, in rowid order: what
// listen must deliver again after a restart.
func (s *Store) Pending() ([]Entry, error) {
	rows, err := s.db.Query(`SELECT ` + entryColumns + ` FROM journal
		WHERE status IN ('received', 'emitted') ORDER BY rowid, key`)
	if err != nil {
		return nil, fmt.Errorf("state: pending: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("state: pending: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// JournalCounts counts the journal entries by status.
func (s *Store) JournalCounts() (map[Status]int, error) {
	out := map[Status]int{}
	err := countBy(s.db, `SELECT status, COUNT(*) FROM journal GROUP BY status`, func(k string, n int) {
		out[Status(k)] = n
	})
	return out, err
}

// PruneJournal deletes terminal entries last updated before t and returns
// how many went. Unfinished entries are never pruned. Keep t well in the
// past (weeks): a pruned guid that iCloud replays is no longer recognised
// as a duplicate, only stopped by the age fence.
func (s *Store) PruneJournal(before time.Time) (int64, error) {
	var n int64
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM journal WHERE status IN ('finished', 'stale') AND updated < ?`,
			before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: prune journal: %w", err)
	}
	return n, nil
}

func countBy(db *sql.DB, query string, add func(string, int)) error {
	rows, err := db.Query(query)
	if err != nil {
		return fmt.Errorf("state: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("state: count: %w", err)
		}
		add(k, n)
	}
	return rows.Err()
}
