package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ChangeWatch tells a stage whether anything was committed to the database
// since it last asked, so it can keep lookups (approved senders, the echo
// cache) in memory and reload them only when they may have changed. It is
// SQLite's PRAGMA data_version on one pinned connection: the value moves
// whenever another connection — another process, or another connection of
// this Store — commits. A ChangeWatch is not safe for concurrent use.
type ChangeWatch struct {
	conn   *sql.Conn
	last   int64
	primed bool
}

// WatchChanges pins a connection for a ChangeWatch. Close it when done.
func (s *Store) WatchChanges() (*ChangeWatch, error) {
	conn, err := s.db.Conn(context.Background())
	if err != nil {
		return nil, fmt.Errorf("state: watch changes: %w", err)
	}
	return &ChangeWatch{conn: conn}, nil
}

// Changed reports whether a commit happened since the previous call; the
// first call always reports true.
func (w *ChangeWatch) Changed() (bool, error) {
	var v int64
	if err := w.conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		return false, fmt.Errorf("state: data version: %w", err)
	}
	changed := !w.primed || v != w.last
	w.primed, w.last = true, v
	return changed, nil
}

// Close releases the pinned connection.
func (w *ChangeWatch) Close() error { return w.conn.Close() }

// EchoRow is one remembered sent message of the echo cache.
type EchoRow struct {
	ID      int64
	Scope   string
	GUID    string // "" when imsg returned none
	Text    string // NormalizeEchoText of the sent text
	Used    bool   // a text match already consumed it
	Created time.Time
}

// EchoRowsAfter lists the echo rows with an id above after that are still
// within EchoRetention, in id order. Rows are written one transaction at a
// time, so ids grow in commit order: a reader that has seen every row up to
// id N never later finds a new row below N, and can keep a superset of the
// cache in memory by asking only for what is newer.
func (s *Store) EchoRowsAfter(after int64) ([]EchoRow, error) {
	rows, err := s.db.Query(`SELECT id, scope, guid, text, text_used, created FROM echo
		WHERE id > ? AND created >= ? ORDER BY id`, after, s.now()-EchoRetention.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("state: echo rows: %w", err)
	}
	defer rows.Close()
	var out []EchoRow
	for rows.Next() {
		var r EchoRow
		var created int64
		if err := rows.Scan(&r.ID, &r.Scope, &r.GUID, &r.Text, &r.Used, &created); err != nil {
			return nil, fmt.Errorf("state: echo rows: %w", err)
		}
		r.Created = fromMillis(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// IsSentGUID reports whether guid names a message this account sent: one
// remembered in the echo cache (in any scope) or recorded as sent in the
// outbound ledger. imsg reports reaction targets with the part prefix
// removed ("p:0/ABC" becomes "ABC"), so a stored guid also matches by its
// part after the last "/".
func (s *Store) IsSentGUID(guid string) (bool, error) {
	g := echoGUID(guid)
	if g == "" {
		return false, nil
	}
	const match = `(guid = ?1 OR (length(guid) > length(?1) AND substr(guid, -length(?1) - 1) = '/' || ?1))`
	var one int
	err := s.db.QueryRow(`SELECT 1 FROM echo WHERE `+match+`
		UNION ALL SELECT 1 FROM outbound WHERE status = 'sent' AND `+match+` LIMIT 1`, g).Scan(&one)
	switch {
	case err == sql.ErrNoRows:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("state: sent guid: %w", err)
	}
	return true, nil
}

// LivePairings lists the pending pairing requests that have not expired,
// oldest first, without pruning the expired ones: unlike ListPending it
// only reads, so a stage can keep a view of the requests without its own
// writes counting as changes.
func (s *Store) LivePairings() ([]PairingRequest, error) {
	rows, err := s.db.Query(`SELECT `+pendingColumns+` FROM pairing_pending WHERE expires > ?
		ORDER BY created, code`, s.now())
	if err != nil {
		return nil, fmt.Errorf("state: pairing requests: %w", err)
	}
	defer rows.Close()
	var out []PairingRequest
	for rows.Next() {
		p, err := scanPending(rows)
		if err != nil {
			return nil, fmt.Errorf("state: pairing requests: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
