package state

import (
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from version i to i+1. PRAGMA user_version
// holds the current version. Append new steps; never edit a released one.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE journal (
	key        TEXT PRIMARY KEY,            -- message guid, or JournalKey's synthetic key
	rowid      INTEGER NOT NULL,
	chat_id    INTEGER NOT NULL DEFAULT 0,
	status     TEXT NOT NULL,               -- received, emitted, finished, stale
	outcome    TEXT NOT NULL DEFAULT '',    -- answered, dropped (finished only)
	reason     TEXT NOT NULL DEFAULT '',
	first_seen INTEGER NOT NULL,
	updated    INTEGER NOT NULL,
	emits      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX journal_open ON journal (rowid) WHERE status IN ('received', 'emitted');

CREATE TABLE outbound (
	key           TEXT PRIMARY KEY,         -- idempotency key
	target        TEXT NOT NULL,
	text_hash     TEXT NOT NULL,
	in_reply_to   TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL,            -- sending, sent, failed
	attempts      INTEGER NOT NULL DEFAULT 0,
	guid          TEXT NOT NULL DEFAULT '',
	rowid         INTEGER NOT NULL DEFAULT 0,
	error         TEXT NOT NULL DEFAULT '',
	permanent     INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL,
	first_attempt INTEGER NOT NULL DEFAULT 0,
	last_attempt  INTEGER NOT NULL DEFAULT 0,
	sent_at       INTEGER NOT NULL DEFAULT 0,
	updated       INTEGER NOT NULL
);
CREATE INDEX outbound_sending ON outbound (first_attempt) WHERE status = 'sending';

CREATE TABLE echo (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	scope     TEXT NOT NULL,
	guid      TEXT NOT NULL DEFAULT '',
	text      TEXT NOT NULL DEFAULT '',     -- NormalizeEchoText of the sent text
	text_used INTEGER NOT NULL DEFAULT 0,   -- 1 once a text match consumed it
	created   INTEGER NOT NULL
);
CREATE INDEX echo_guid ON echo (scope, guid) WHERE guid <> '';
CREATE INDEX echo_text ON echo (scope, text) WHERE text <> '';
CREATE INDEX echo_created ON echo (created);

CREATE TABLE pairing_pending (
	code      TEXT PRIMARY KEY,
	sender    TEXT NOT NULL UNIQUE,
	chat_id   INTEGER NOT NULL DEFAULT 0,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	meta      TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE pairing_approved (
	handle   TEXT PRIMARY KEY,
	approved INTEGER NOT NULL,
	code     TEXT NOT NULL DEFAULT ''
);
`,
	// 2: pending group history (history.go): group messages imsg-gate held
	// back for lack of a mention, for imsg-route to show with the next
	// dispatched message of the chat.
	`
CREATE TABLE group_history (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	chat_key   TEXT NOT NULL,               -- "chat_id:N", or another canonical chat target
	sender     TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at TEXT NOT NULL DEFAULT '',    -- the message's created_at, as imsg sent it
	message_id TEXT NOT NULL DEFAULT '',    -- chat.db ROWID, as a string
	guid       TEXT NOT NULL DEFAULT '',
	added      INTEGER NOT NULL
);
CREATE INDEX group_history_chat ON group_history (chat_key, id);
`,
	// 3: agent transcripts (transcript.go): each session's exchanges with
	// an HTTP model, for imsg-agent --openai.
	`
CREATE TABLE transcript (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	session_key TEXT NOT NULL,
	role        TEXT NOT NULL,               -- user, assistant
	content     TEXT NOT NULL,
	guid        TEXT NOT NULL DEFAULT '',    -- the inbound message an exchange answered
	created     INTEGER NOT NULL
);
CREATE INDEX transcript_session ON transcript (session_key, id);
CREATE INDEX transcript_guid ON transcript (session_key, guid) WHERE guid <> '';
`,
}

// SchemaVersion is the schema version this package writes; it equals
// len(migrations) (a test checks).
const SchemaVersion = 3

// migrate applies the missing migrations in one write transaction, so two
// processes opening a new file at once cannot both apply them.
func (s *Store) migrate() error {
	return s.write(func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this program knows (%d): upgrade imsg", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(migrations[i]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", i+1, err)
			}
		}
		if v < len(migrations) {
			// PRAGMA takes no bound parameters; the value is our own int.
			if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
				return fmt.Errorf("write schema version: %w", err)
			}
		}
		return nil
	})
}
