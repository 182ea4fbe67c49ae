package chatdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The §7 column lists (macOS 26 Tahoe), in order.
var wantColumns = map[string]string{
	"message": `ROWID guid text replace service_center handle_id subject country attributedBody version type
		service account account_guid error date date_read date_delivered is_delivered is_finished is_emote
		is_from_me is_empty is_delayed is_auto_reply is_prepared is_read is_system_message is_sent
		has_dd_results is_service_message is_forward was_downgraded is_archive cache_has_attachments
		cache_roomnames was_data_detected was_deduplicated is_audio_message is_played date_played item_type
		other_handle group_title group_action_type share_status share_direction is_expirable expire_state
		message_action_type message_source associated_message_guid associated_message_type balloon_bundle_id
		payload_data expressive_send_style_id associated_message_range_location associated_message_range_length
		time_expressive_send_played message_summary_info ck_sync_state ck_record_id ck_record_change_tag
		destination_caller_id is_corrupt reply_to_guid sort_id is_spam has_unseen_mention
		thread_originator_guid thread_originator_part syndication_ranges synced_syndication_ranges
		was_delivered_quietly did_notify_recipient date_retracted date_edited was_detonated part_count
		is_stewie is_kt_verified is_sos is_critical bia_reference_id fallback_hash associated_message_emoji
		is_pending_satellite_send needs_relay schedule_type schedule_state sent_or_received_off_grid
		date_recovered is_time_sensitive ck_chat_id index_state`,
	"chat": `ROWID guid style state account_id properties chat_identifier service_name room_name account_login
		is_archived last_addressed_handle display_name group_id is_filtered successful_query engram_id
		server_change_token ck_sync_state original_group_id last_read_message_timestamp cloudkit_record_id
		last_addressed_sim_id is_blackholed syndication_date syndication_type is_recovered
		is_deleting_incoming_messages is_pending_review`,
	"handle":            `ROWID id country service uncanonicalized_id person_centric_id`,
	"chat_message_join": `chat_id message_id message_date`,
	"chat_handle_join":  `chat_id handle_id`,
	"attachment": `ROWID guid created_date start_date filename uti mime_type transfer_state is_outgoing
		user_info transfer_name total_bytes is_sticker sticker_user_info attribution_info hide_attachment
		ck_sync_state ck_server_change_token_blob ck_record_id original_guid is_commsafety_sensitive
		emoji_image_content_identifier emoji_image_short_description preview_generation_state`,
	"message_attachment_join": `message_id attachment_id`,
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, "rw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCreateSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	if err := Create(path, "seed"); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for table, cols := range wantColumns {
		rows, err := db.Query("SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			got = append(got, n)
		}
		rows.Close()
		if want := strings.Fields(cols); !slices.Equal(got, want) {
			t.Errorf("columns of %s = %v; want %v", table, got, want)
		}
	}
	for _, table := range []string{"message", "chat", "handle", "attachment"} {
		var ddl string
		db.QueryRow("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&ddl)
		if !strings.Contains(ddl, "AUTOINCREMENT") {
			t.Errorf("table %s: ROWID is not AUTOINCREMENT: %s", table, ddl)
		}
	}
	var triggers, indexes int
	db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").Scan(&triggers)
	if triggers != 0 {
		t.Errorf("Create made %d triggers; want none", triggers)
	}
	for _, idx := range []string{"message_idx_date", "chat_message_join_idx_message_date_id_chat_id", "message_idx_associated_message2"} {
		db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", idx).Scan(&indexes)
		if indexes != 1 {
			t.Errorf("index %s missing", idx)
		}
	}
	var mode string
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q; want wal", mode)
	}
	if err := Create(path, "seed"); !errors.Is(err, ErrExists) {
		t.Errorf("Create over an existing file = %v; want ErrExists", err)
	}
}

func TestGUIDsReproducible(t *testing.T) {
	dir := t.TempDir()
	guids := func(name, seed string) []string {
		path := filepath.Join(dir, name)
		if err := Create(path, seed); err != nil {
			t.Fatal(err)
		}
		w, err := OpenWriter(path)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		tx, _ := w.Begin(context.Background())
		defer tx.Rollback()
		c, h, _ := tx.EnsureDM("+15550001111", "iMessage")
		var out []string
		for range 3 {
			r, err := tx.InsertMessage(NewMessage{ChatID: c.ID, HandleID: h, Text: "x", Date: now})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.GUID)
		}
		g, _, _ := tx.EnsureGroup("G", nil, "iMessage")
		out = append(out, g.GUID)
		return out
	}
	a, b, c := guids("a.db", "one"), guids("b.db", "one"), guids("c.db", "two")
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different GUIDs: %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("different seeds, same GUIDs: %v", a)
	}
	if a[0] == a[1] || len(a[0]) != 36 || strings.ToUpper(a[0]) != a[0] {
		t.Errorf("message GUIDs %q, %q: want distinct uppercase UUIDs", a[0], a[1])
	}
	if !strings.HasPrefix(a[3], "iMessage;+;chat") {
		t.Errorf("group guid = %q; want iMessage;+;chat<digits>", a[3])
	}
}
