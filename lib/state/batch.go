package state

import (
	"database/sql"
	"fmt"
	"strings"
)

// Batch gathers the writes a filter stage makes for many records — journal
// outcomes and pending history — so they commit in one transaction, and in
// a few statements, instead of one transaction each. A stage commits its
// batch before it flushes the records the batch belongs to, and whenever a
// later record depends on it; losing an uncommitted batch in a crash only
// means listen delivers those messages again and the stage decides them
// again. The zero Batch is empty. A Batch is not safe for concurrent use.
type Batch struct {
	n        int
	finished map[string]bool // keys queued, so the first outcome wins
	finishes []finishGroup   // in order of first use
	groupIx  map[finishGroup]int
	keys     [][]string // keys of finishes[i]
	history  map[string]*chatHistory
	chats    []string // history chat keys in order of first use
}

type finishGroup struct {
	outcome Outcome
	reason  string
}

type chatHistory struct {
	entries []HistoryEntry
	limit   int
}

// Finish queues Store.Finish(key, outcome, reason). Unlike Finish, a key
// the journal does not know is skipped without error when the batch
// commits: records fed by hand never went through imsg-listen. As with
// Finish, the first outcome queued or recorded for a key wins.
func (b *Batch) Finish(key string, outcome Outcome, reason string) {
	if key == "" || b.finished[key] {
		return
	}
	if b.finished == nil {
		b.finished, b.groupIx = map[string]bool{}, map[finishGroup]int{}
	}
	b.finished[key] = true
	g := finishGroup{outcome, reason}
	i, ok := b.groupIx[g]
	if !ok {
		i = len(b.finishes)
		b.groupIx[g] = i
		b.finishes = append(b.finishes, g)
		b.keys = append(b.keys, nil)
	}
	b.keys[i] = append(b.keys[i], key)
	b.n++
}

// AppendHistory queues Store.AppendHistory(chatKey, e, limit).
func (b *Batch) AppendHistory(chatKey string, e HistoryEntry, limit int) {
	if limit <= 0 || chatKey == "" {
		return
	}
	if b.history == nil {
		b.history = map[string]*chatHistory{}
	}
	h := b.history[chatKey]
	if h == nil {
		h = &chatHistory{}
		b.history[chatKey] = h
		b.chats = append(b.chats, chatKey)
	}
	h.limit = limit
	h.entries = append(h.entries, e)
	if len(h.entries) > limit { // older ones would be trimmed at once anyway
		h.entries = append(h.entries[:0], h.entries[len(h.entries)-limit:]...)
	}
	b.n++
}

// Len is the number of queued writes.
func (b *Batch) Len() int { return b.n }

// HasHistory reports whether history for chatKey is queued: a record of that
// chat must not leave the stage before the batch commits, or the next stage
// could look for the history before it exists.
func (b *Batch) HasHistory(chatKey string) bool { return b.history[chatKey] != nil }

// PendingHistory reports whether any history is queued.
func (b *Batch) PendingHistory() bool { return len(b.history) > 0 }

func (b *Batch) reset() {
	*b = Batch{}
}

// Commit applies the queued writes in one transaction and empties the
// batch. On error nothing is applied and the batch keeps its writes.
func (s *Store) Commit(b *Batch) error {
	if b.n == 0 {
		return nil
	}
	now := s.now()
	err := s.write(func(tx *sql.Tx) error {
		for i, g := range b.finishes {
			if g.outcome != OutcomeAnswered && g.outcome != OutcomeDropped {
				return fmt.Errorf("finish: unknown outcome %q", g.outcome)
			}
			if err := finishKeys(tx, g, b.keys[i], now); err != nil {
				return err
			}
		}
		for _, chat := range b.chats {
			h := b.history[chat]
			if err := appendHistory(tx, chat, h.entries, h.limit, now); err != nil {
				return fmt.Errorf("history of %q: %w", chat, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: commit batch: %w", err)
	}
	b.reset()
	return nil
}

// finishKeys finishes many keys with one outcome in few statements.
func finishKeys(tx *sql.Tx, g finishGroup, keys []string, now int64) error {
	const chunk = 500
	for len(keys) > 0 {
		n := min(len(keys), chunk)
		args := make([]any, 0, n+3)
		args = append(args, g.outcome, g.reason, now)
		for _, k := range keys[:n] {
			args = append(args, k)
		}
		q := `UPDATE journal SET status = 'finished', outcome = ?, reason = ?, updated = ?
			WHERE status IN ('received', 'emitted') AND key IN (?` + strings.Repeat(", ?", n-1) + `)`
		if _, err := tx.Exec(q, args...); err != nil {
			return fmt.Errorf("finish: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}
