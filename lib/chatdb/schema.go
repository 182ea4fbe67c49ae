// Package chatdb creates and reads Apple's Messages database (chat.db) the
// way imsg does (spec/imsg-protocol.md §3, §7): a real SQLite file with the
// macOS 26 "Tahoe" tables, written by the simulator and read back with the
// queries imsg runs, so the simulator's payloads come from the same rules a
// Mac would apply.
package chatdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Column lists follow §7 (Tahoe). Flag columns default to 0 as Apple's do;
// ROWIDs are AUTOINCREMENT so a deleted row's id is never reused, which is
// what makes ROWID cursors safe.
var schema = []string{
	`CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE (key))`,
	`CREATE TABLE message (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT,
  attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
  account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
  is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0,
  is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0,
  is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0,
  is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0,
  cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0,
  was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0, date_played INTEGER,
  item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0,
  share_status INTEGER DEFAULT 0, share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0,
  message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT,
  associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB,
  expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0,
  associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER DEFAULT 0,
  message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT,
  ck_record_change_tag TEXT, destination_caller_id TEXT, is_corrupt INTEGER DEFAULT 0,
  reply_to_guid TEXT, sort_id INTEGER DEFAULT 0, is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0,
  thread_originator_guid TEXT, thread_originator_part TEXT, syndication_ranges TEXT,
  synced_syndication_ranges TEXT, was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0,
  date_retracted INTEGER, date_edited INTEGER, was_detonated INTEGER DEFAULT 0, part_count INTEGER,
  is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0,
  is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0, bia_reference_id TEXT, fallback_hash TEXT,
  associated_message_emoji TEXT, is_pending_satellite_send INTEGER DEFAULT 0, needs_relay INTEGER DEFAULT 0,
  schedule_type INTEGER DEFAULT 0, schedule_state INTEGER DEFAULT 0, sent_or_received_off_grid INTEGER DEFAULT 0,
  date_recovered INTEGER, is_time_sensitive INTEGER DEFAULT 0, ck_chat_id TEXT, index_state INTEGER DEFAULT 0
)`,
	`CREATE TABLE chat (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
  state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT,
  room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT,
  display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER,
  engram_id TEXT, server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT,
  last_read_message_timestamp INTEGER DEFAULT 0, cloudkit_record_id TEXT, last_addressed_sim_id TEXT,
  is_blackholed INTEGER DEFAULT 0, syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0,
  is_recovered INTEGER DEFAULT 0,
  is_deleting_incoming_messages INTEGER DEFAULT 0, is_pending_review INTEGER DEFAULT 0
)`,
	`CREATE TABLE handle (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT,
  service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT,
  UNIQUE (id, service)
)`,
	`CREATE TABLE chat_message_join (
  chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
  message_date INTEGER DEFAULT 0,
  PRIMARY KEY (chat_id, message_id)
)`,
	`CREATE TABLE chat_handle_join (
  chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE,
  UNIQUE (chat_id, handle_id)
)`,
	`CREATE TABLE attachment (
  ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date INTEGER DEFAULT 0,
  start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT, transfer_state INTEGER DEFAULT 0,
  is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0,
  is_sticker INTEGER DEFAULT 0, sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0,
  ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT,
  original_guid TEXT UNIQUE NOT NULL, is_commsafety_sensitive INTEGER DEFAULT 0,
  emoji_image_content_identifier TEXT, emoji_image_short_description TEXT,
  preview_generation_state INTEGER DEFAULT 0
)`,
	`CREATE TABLE message_attachment_join (
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
  attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE,
  UNIQUE (message_id, attachment_id)
)`,
	// The indexes a real chat.db carries for the queries imsg runs.
	`CREATE INDEX message_idx_date ON message (date)`,
	`CREATE INDEX message_idx_handle ON message (handle_id, date)`,
	`CREATE INDEX message_idx_handle_id ON message (handle_id)`,
	`CREATE INDEX message_idx_associated_message2 ON message (associated_message_guid)`,
	`CREATE INDEX message_idx_thread_originator_guid ON message (thread_originator_guid)`,
	`CREATE INDEX message_idx_is_read ON message (is_read, is_from_me, is_finished)`,
	`CREATE INDEX message_idx_cache_has_attachments ON message (cache_has_attachments)`,
	`CREATE INDEX message_idx_was_downgraded ON message (was_downgraded)`,
	`CREATE INDEX chat_idx_chat_identifier ON chat (chat_identifier)`,
	`CREATE INDEX chat_idx_chat_identifier_service_name ON chat (chat_identifier, service_name)`,
	`CREATE INDEX chat_idx_is_archived ON chat (is_archived)`,
	`CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join (message_id)`,
	`CREATE INDEX chat_message_join_idx_message_date_id_chat_id ON chat_message_join (chat_id, message_date, message_id)`,
	`CREATE INDEX chat_handle_join_idx_handle_id ON chat_handle_join (handle_id)`,
	`CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join (message_id)`,
	`CREATE INDEX message_attachment_join_idx_attachment_id ON message_attachment_join (attachment_id)`,
	// Not Apple's: the part of associated_message_guid after its "/" (the
	// tapback target), so reactions of a batch of messages are an index
	// lookup rather than a scan per message. Readers work without it.
	`CREATE INDEX imsg_sim_message_idx_reaction_target ON message (substr(associated_message_guid, instr(associated_message_guid, '/') + 1))`,
}

// Property keys kept in _SqliteDatabaseProperties (Apple's own key/value
// table) by the simulator.
const (
	propSeed = "imsg_sim_seed"
	propMe   = "imsg_sim_me"
)

// DefaultMe is the local account handle written as destination_caller_id
// on outgoing rows when the database does not name another.
const DefaultMe = "me@icloud.com"

// ErrExists is returned by Create when the file is already there.
var ErrExists = errors.New("database already exists")

// Create makes an empty chat.db at path with Apple's tables and indexes (no
// triggers), in WAL mode as Messages keeps it. seed makes the GUIDs of the
// database reproducible; "" picks a random one. The parent directory is
// created when missing; an existing file is an error (ErrExists).
func Create(path, seed string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if seed == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		seed = hex.EncodeToString(b[:])
	}
	db, err := sql.Open("sqlite", dsn(path, "rwc"))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	props := [][2]string{{propSeed, seed}, {propMe, DefaultMe}, {"_ClientVersion", "18026"}}
	for _, p := range props {
		if _, err := tx.ExecContext(ctx, `INSERT INTO _SqliteDatabaseProperties (key, value) VALUES (?, ?)`, p[0], p[1]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

// dsn is the SQLite URI for path in mode "ro" (as imsg opens it: read-only,
// not immutable, so WAL changes are seen), "rw" (the simulator's writers) or
// "rwc" (Create). All wait up to 5 s for a lock, like imsg's busy timeout;
// writers take the write lock when a transaction begins, so two writer
// processes never deadlock upgrading a read lock.
func dsn(path, mode string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	u := url.URL{Scheme: "file", Path: abs}
	q := "mode=" + mode + "&_pragma=busy_timeout(5000)"
	if mode != "ro" {
		q += "&_txlock=immediate&_pragma=cache_size(-32768)"
	}
	return u.String() + "?" + q
}
