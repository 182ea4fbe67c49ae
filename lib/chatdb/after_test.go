package chatdb

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestRowsAfter(t *testing.T) {
	f := newFx(t)
	h := f.handle("+123")
	a := f.chat(NewChat{GUID: "iMessage;-;+123", Identifier: "+123"}, h)
	b := f.chat(NewChat{GUID: "iMessage;+;chat7", Identifier: "iMessage;+;chat7", DisplayName: "B"}, h)
	f.msg(NewMessage{ChatID: a.ID, HandleID: h, Text: "one", Date: now})          // 1
	f.msg(NewMessage{HandleID: h, Text: "unjoined", Date: now})                   // 2
	both := f.msg(NewMessage{ChatID: a.ID, HandleID: h, Text: "both", Date: now}) // 3
	if err := f.tx.Join(b.ID, both.ID, 0); err != nil {
		t.Fatal(err)
	}
	f.msg(NewMessage{ChatID: b.ID, HandleID: h, Text: "Liked “one”", AssociatedGUID: "p:0/x", AssociatedType: 2001, Date: now}) // 4
	for i := range 150 {
		f.msg(NewMessage{ChatID: b.ID, HandleID: h, Text: fmt.Sprint(i), Date: now}) // 5…154
	}
	s := f.open()

	rows, err := s.RowsAfter(ctx, AfterQuery{Cursor: 0, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 100 {
		t.Fatalf("RowsAfter = %d rows; want the 100-row batch", len(rows))
	}
	if got := rowIDs(rows[:4]); !slices.Equal(got, []int64{1, 2, 3, 3}) {
		t.Errorf("first rows = %v; want [1 2 3 3] (unjoined kept, a row in two chats twice, reaction hidden)", got)
	}
	if rows[1].ChatID != 0 || rows[2].ChatID != a.ID || rows[3].ChatID != b.ID {
		t.Errorf("chat ids = %d %d %d; want 0 %d %d", rows[1].ChatID, rows[2].ChatID, rows[3].ChatID, a.ID, b.ID)
	}
	msgs, _ := s.Build(ctx, rows[1:2], BuildOptions{})
	if m := msgs[0]; m.ChatID != 0 || m.ChatIdentifier != "" || m.ChatGUID != "" || m.IsGroup || m.Participants == nil || len(m.Participants) != 0 {
		t.Errorf("unjoined payload = %+v; want empty chat fields", m)
	}
	next, _ := s.RowsAfter(ctx, AfterQuery{Cursor: rows[99].ID, Limit: 100})
	if len(next) != 54 || next[53].ID != 154 {
		t.Errorf("second batch = %d rows ending at %d; want 54 ending at 154", len(next), next[len(next)-1].ID)
	}
	onlyA, _ := s.RowsAfter(ctx, AfterQuery{Cursor: 0, ChatID: a.ID})
	if got := rowIDs(onlyA); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("chat filter = %v; want [1 3]", got)
	}
	withR, _ := s.RowsAfter(ctx, AfterQuery{Cursor: 3, ChatID: b.ID, IncludeReactions: true, Limit: 1})
	if got := rowIDs(withR); !slices.Equal(got, []int64{4}) {
		t.Errorf("with reactions = %v; want [4]", got)
	}
	if n, _ := s.MaxRowID(ctx); n != 154 {
		t.Errorf("MaxRowID = %d; want 154", n)
	}
}

func TestWALVisibleToOpenStore(t *testing.T) {
	f := newFx(t)
	s := f.open()
	if n, _ := s.MaxRowID(ctx); n != 0 {
		t.Fatalf("MaxRowID of an empty database = %d", n)
	}
	tx, _ := f.w.Begin(ctx)
	c, h, _ := tx.EnsureDM("+15550001111", "iMessage")
	tx.InsertMessage(NewMessage{ChatID: c.ID, HandleID: h, Text: "late", Date: now})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.MaxRowID(ctx); n != 1 {
		t.Errorf("MaxRowID after a commit by another connection = %d; want 1", n)
	}
}

func TestListChatsOrder(t *testing.T) {
	f := newFx(t)
	h1, h2 := f.handle("+1"), f.handle("+2")
	old := f.chat(NewChat{GUID: "iMessage;-;+1", Identifier: "+1", DisplayName: "old"}, h1)
	recent := f.chat(NewChat{GUID: "iMessage;-;+2", Identifier: "+2", NullDisplayName: true}, h2)
	f.chat(NewChat{GUID: "iMessage;-;+3", Identifier: "+3", DisplayName: "empty"})
	m1 := f.msg(NewMessage{ChatID: old.ID, HandleID: h1, Text: "a", Date: ago(time.Hour)})
	f.msg(NewMessage{ChatID: recent.ID, HandleID: h2, Text: "b", Date: ago(2 * time.Hour)})
	// imsg orders by chat_message_join.message_date, not message.date.
	f.exec("UPDATE chat_message_join SET message_date = 0 WHERE message_id = ?", m1.ID)
	s := f.open()
	chats, err := s.ListChats(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range chats {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"+2", "old"}) {
		t.Errorf("ListChats names = %q; want [+2 old] (NULL name falls back to the identifier, no chat without messages)", names)
	}
	if chats[1].LastMessageAt != "2001-01-01T00:00:00.000Z" {
		t.Errorf("last_message_at = %q; want it from message_date", chats[1].LastMessageAt)
	}
	if one, _ := s.ListChats(ctx, 0); len(one) != 1 {
		t.Errorf("ListChats(0) = %d chats; want 1", len(one))
	}
}

func TestParticipantsSortedDeduplicated(t *testing.T) {
	f := newFx(t)
	b, a := f.handle("b@x.com"), f.handle("+1555")
	aSMS, err := f.tx.EnsureHandle("+1555", "SMS")
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := f.tx.EnsureHandle("", "SMS")
	c := f.chat(NewChat{GUID: "iMessage;+;chat1", Identifier: "iMessage;+;chat1"}, b, a, aSMS, empty)
	s := f.open()
	got, err := s.Participants(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"+1555", "b@x.com"}) {
		t.Errorf("Participants = %q; want [+1555 b@x.com]", got)
	}
	if none, _ := s.Participants(ctx, 99); none == nil || len(none) != 0 {
		t.Errorf("Participants of an unknown chat = %#v; want []", none)
	}
}

func TestSentLookupAndGhostRow(t *testing.T) {
	f := newFx(t)
	h := f.handle("+123")
	c := f.chat(NewChat{ID: 1, GUID: "iMessage;+;chat123", Identifier: "iMessage;+;chat123"}, h)
	f.msg(NewMessage{ChatID: c.ID, IsFromMe: true, Text: "yo", Date: now}) // 1
	f.msg(NewMessage{ChatID: c.ID, HandleID: h, Text: "yo", Date: now})    // 2: inbound
	ghostHandle, _ := f.tx.EnsureHandle("any;+;chat123", "SMS")
	f.msg(NewMessage{HandleID: ghostHandle, IsFromMe: true, Service: "SMS", Date: now}) // 3: ghost
	s := f.open()
	tests := []struct {
		name   string
		chat   int64
		text   string
		since  time.Time
		wantID int64
	}{
		{"in chat", 1, "yo", ago(2 * time.Second), 1},
		{"any chat", 0, "yo", ago(2 * time.Second), 1},
		{"other chat", 2, "yo", ago(2 * time.Second), 0},
		{"other text", 1, "yo!", ago(2 * time.Second), 0},
		{"too old", 1, "yo", now.Add(time.Second), 0},
	}
	for _, tt := range tests {
		id, guid, ok, err := s.LatestSent(ctx, tt.chat, tt.text, tt.since)
		if err != nil {
			t.Fatal(err)
		}
		if id != tt.wantID || ok != (tt.wantID != 0) || (ok && guid == "") {
			t.Errorf("%s: LatestSent = %d %q %t; want %d", tt.name, id, guid, ok, tt.wantID)
		}
	}
	if id, ok, _ := s.GhostRow(ctx, 2, "iMessage;+;chat123", "iMessage;+;chat123"); !ok || id != 3 {
		t.Errorf("GhostRow = %d %t; want row 3 (any;+; variant)", id, ok)
	}
	if _, ok, _ := s.GhostRow(ctx, 3, "iMessage;+;chat123", "iMessage;+;chat123"); ok {
		t.Errorf("GhostRow found a row before the cursor")
	}
	if _, ok, _ := s.GhostRow(ctx, 0, "iMessage;+;chat999", "chat999"); ok {
		t.Errorf("GhostRow matched another chat")
	}
}

func TestAttachmentMissingRules(t *testing.T) {
	f := newFx(t)
	h := f.handle("+1")
	c := f.chat(NewChat{GUID: "iMessage;-;+1", Identifier: "+1"}, h)
	src := filepath.Join(t.TempDir(), "pic.JPG")
	os.WriteFile(src, []byte("jpegdata"), 0o644)
	os.MkdirAll(filepath.Join(f.w.Home, "dir"), 0o755)
	f.msg(NewMessage{ChatID: c.ID, HandleID: h, Text: "\uFFFC", Date: now, Attachments: []NewAttachment{
		{Source: src}, {Filename: "~/dir"}, {Filename: ""}, {Filename: "/abs/none.bin"},
	}})
	s := f.open()
	msgs, err := s.History(ctx, HistoryQuery{ChatID: c.ID, Limit: 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	at := msgs[0].Attachments
	if len(at) != 4 {
		t.Fatalf("attachments = %+v", at)
	}
	a := at[0]
	if a.Missing || a.TotalBytes != 8 || a.UTI != "public.jpeg" || a.MimeType != "image/jpeg" || a.TransferName != "pic.JPG" {
		t.Errorf("copied attachment = %+v", a)
	}
	if data, err := os.ReadFile(a.OriginalPath); err != nil || string(data) != "jpegdata" {
		t.Errorf("copy at %s: %q %v", a.OriginalPath, data, err)
	}
	if !filepath.IsAbs(a.OriginalPath) || filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(a.OriginalPath))))) != "Attachments" {
		t.Errorf("original_path %s: want …/Attachments/xx/yy/<GUID>/pic.JPG", a.OriginalPath)
	}
	for i, wantPath := range []string{filepath.Join(f.w.Home, "dir"), "", "/abs/none.bin"} {
		if b := at[i+1]; !b.Missing || b.OriginalPath != wantPath {
			t.Errorf("attachment %d = %+v; want missing with path %q", i+1, b, wantPath)
		}
	}
}

func TestMinimalSchemaDetection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "min.db")
	db, err := sql.Open("sqlite", dsn(path, "rwc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE message (ROWID INTEGER PRIMARY KEY, handle_id INTEGER, text TEXT, date INTEGER, is_from_me INTEGER, service TEXT)`,
		`CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, chat_identifier TEXT, guid TEXT, display_name TEXT, service_name TEXT)`,
		`CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT)`,
		`CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER)`,
		`CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER)`,
		`CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, filename TEXT, transfer_name TEXT, uti TEXT, mime_type TEXT, total_bytes INTEGER, is_sticker INTEGER)`,
		`CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER)`,
		`INSERT INTO chat VALUES (1, '+123', 'iMessage;-;+123', NULL, 'iMessage')`,
		`INSERT INTO handle VALUES (1, '+123')`,
		`INSERT INTO message VALUES (1, 1, 'hello', 5000000000, 0, 'iMessage')`,
		`INSERT INTO chat_message_join VALUES (1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msgs, err := s.History(ctx, HistoryQuery{ChatID: 1, Limit: 5}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].GUID != "" || msgs[0].Text != "hello" || msgs[0].ChatName != "+123" {
		t.Errorf("History on a minimal schema = %+v; want hello with guid \"\"", msgs)
	}
	chats, err := s.ListChats(ctx, 5)
	if err != nil || len(chats) != 1 || chats[0].LastMessageAt != "2001-01-01T00:00:05.000Z" {
		t.Errorf("ListChats without message_date = %+v, %v; want last_message_at from message.date", chats, err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none.db"))
	if !IsNotExist(err) {
		t.Errorf("Open(missing) = %v; want a not-exist error", err)
	}
}
