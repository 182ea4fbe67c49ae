package chatdb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

func texts(msgs []imsg.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func rowIDs(rows []Row) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestFixtureAChats(t *testing.T) {
	_, s := fixtureA(t)
	chats, err := s.ListChats(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(chats) != 1 {
		t.Fatalf("ListChats = %d chats; want 1", len(chats))
	}
	got := chats[0].RPC()
	want := imsg.Chat{ID: 1, Identifier: "+123", GUID: "iMessage;+;chat123", Name: "Test Chat", Service: "iMessage",
		LastMessageAt: imsg.FormatTime(ago(60 * time.Second)), Participants: []string{"+123", "Me"}, IsGroup: true}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("ListChats()[0] = %s; want %s", g, w)
	}
	if c := chats[0]; c.AccountLogin != "me@icloud.com" || c.LastAddressedHandle != "+15551234567" {
		t.Errorf("routing columns = %q, %q", c.AccountLogin, c.LastAddressedHandle)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFixtureAHistory(t *testing.T) {
	f, s := fixtureA(t)
	msgs, err := s.History(ctx, HistoryQuery{ChatID: 1, Limit: 10}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(msgs), []string{"photo", "hi back", "hello"}; !slices.Equal(got, want) {
		t.Fatalf("History texts = %q; want %q (newest first)", got, want)
	}
	m := msgs[1]
	if m.ID != 2 || m.ChatID != 1 || !m.IsFromMe || m.Sender != "Me" || m.ChatName != "Test Chat" || !m.IsGroup {
		t.Errorf("message 2 = %+v", m)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("message 2 attachments = %+v; want one", m.Attachments)
	}
	a := m.Attachments[0]
	wantPath := filepath.Join(f.w.Home, "Library/Messages/Attachments/test.dat")
	if a.Filename != "~/Library/Messages/Attachments/test.dat" || a.OriginalPath != wantPath || !a.Missing ||
		a.TransferName != "test.dat" || a.UTI != "public.data" || a.MimeType != "application/octet-stream" || a.TotalBytes != 123 {
		t.Errorf("attachment = %+v; want filename kept, original_path %s, missing", a, wantPath)
	}
	os.MkdirAll(filepath.Dir(wantPath), 0o755)
	os.WriteFile(wantPath, []byte("x"), 0o644)
	msgs, _ = s.History(ctx, HistoryQuery{ChatID: 1, Limit: 10}, true)
	if msgs[1].Attachments[0].Missing {
		t.Errorf("attachment still missing after the file was created")
	}
	msgs, _ = s.History(ctx, HistoryQuery{ChatID: 1, Limit: 10}, false)
	if len(msgs[1].Attachments) != 0 || msgs[1].Attachments == nil {
		t.Errorf("attachments without the option = %#v; want []", msgs[1].Attachments)
	}
}

func TestHistoryFiltersBeforeLimit(t *testing.T) {
	_, s := fixtureA(t)
	tests := []struct {
		name string
		q    HistoryQuery
		want []string
	}{
		{"participants", HistoryQuery{Participants: []string{"+123"}, Limit: 1}, []string{"photo"}},
		{"participants case-insensitive", HistoryQuery{Participants: []string{"ME"}, Limit: 5}, []string{"hi back"}},
		{"start inclusive", HistoryQuery{Start: ago(500 * time.Second), Limit: 5}, []string{"photo", "hi back"}},
		{"end exclusive", HistoryQuery{End: ago(60 * time.Second), Limit: 1}, []string{"hi back"}},
		{"limit below one", HistoryQuery{Limit: 0}, []string{"photo"}},
		{"other chat", HistoryQuery{ChatID: 2, Limit: 5}, []string{}},
	}
	for _, tt := range tests {
		if tt.q.ChatID == 0 {
			tt.q.ChatID = 1
		}
		msgs, err := s.History(ctx, tt.q, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := texts(msgs); !slices.Equal(got, tt.want) {
			t.Errorf("%s: History = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestFixtureCAndD(t *testing.T) {
	_, c := fixtureC(t, false)
	rows, err := c.RowsAfter(ctx, AfterQuery{Cursor: -1})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := c.Build(ctx, rows, BuildOptions{})
	if len(msgs) != 1 || msgs[0].ID != 5 || msgs[0].ChatIdentifier != "iMessage;+;chat123" || !msgs[0].IsGroup ||
		len(msgs[0].Participants) != 2 {
		t.Errorf("fixture C replay = %+v; want message 5 in the group chat", msgs)
	}

	_, d := fixtureC(t, true)
	rows, _ = d.RowsAfter(ctx, AfterQuery{Cursor: -1})
	if got := rowIDs(rows); !slices.Equal(got, []int64{5}) {
		t.Errorf("RowsAfter without reactions = %v; want [5]", got)
	}
	rows, _ = d.RowsAfter(ctx, AfterQuery{Cursor: -1, IncludeReactions: true})
	if got := rowIDs(rows); !slices.Equal(got, []int64{5, 6}) {
		t.Fatalf("RowsAfter with reactions = %v; want [5 6]", got)
	}
	msgs, _ = d.Build(ctx, rows, BuildOptions{Reactions: true})
	if r := msgs[0].Reactions; len(r) != 1 || r[0].Type != "like" || r[0].Emoji != "👍" || r[0].ID != 6 || r[0].Sender != "me@icloud.com" {
		t.Errorf("message 5 reactions = %+v; want one like from me@icloud.com", r)
	}
	ev := msgs[1]
	if !ev.IsReaction || ev.ReactionType != "like" || ev.ReactionEmoji != "👍" || ev.IsReactionAdd == nil || !*ev.IsReactionAdd ||
		ev.ReactedToGUID != "msg-guid-5" || ev.ReplyToGUID != "" {
		t.Errorf("reaction event = %+v", ev)
	}
	hist, _ := d.History(ctx, HistoryQuery{ChatID: 1, Limit: 10}, false)
	if len(hist) != 1 || len(hist[0].Reactions) != 1 {
		t.Errorf("history = %+v; want message 5 only, with its like", hist)
	}
}

func TestReactionsCurrentState(t *testing.T) {
	type r struct {
		typ, emoji, sender string
		id                 int64
	}
	tests := []struct {
		name string
		more []NewMessage
		want []r
	}{
		{"fixture", nil, []r{{"love", "❤️", "+456", 2}, {"like", "👍", "", 3}, {"laugh", "😂", "+456", 4}, {"custom", "🎉", "+123", 5}}},
		{"removal and re-add", []NewMessage{
			{ID: 6, HandleID: -1, AssociatedGUID: "p:0/msg-guid-1", AssociatedType: 3000, Text: "Removed a heart from “Hello world”", Date: ago(100 * time.Second)},
			{ID: 7, HandleID: -1, AssociatedGUID: "msg-guid-1", AssociatedType: 2000, Text: "Loved “Hello world”", Date: ago(50 * time.Second)},
			{ID: 8, HandleID: -1, AssociatedGUID: "p:1/msg-guid-1", AssociatedType: 2003, Text: "Laughed at “Hello world”", Date: ago(40 * time.Second)},
		}, []r{{"like", "👍", "", 3}, {"laugh", "😂", "+456", 8}, {"custom", "🎉", "+123", 5}, {"love", "❤️", "+456", 7}}},
		{"other target ignored", []NewMessage{
			{ID: 6, HandleID: -1, AssociatedGUID: "bp:msg-guid-1", AssociatedType: 3001, Date: ago(10 * time.Second)},
			{ID: 7, HandleID: -1, AssociatedGUID: "p:0/msg-guid-10", AssociatedType: 2000, Date: ago(10 * time.Second)},
		}, []r{{"love", "❤️", "+456", 2}, {"like", "👍", "", 3}, {"laugh", "😂", "+456", 4}, {"custom", "🎉", "+123", 5}}},
	}
	for _, tt := range tests {
		s := fixtureReactions(t, tt.more...)
		list, err := s.Reactions(ctx, "msg-guid-1")
		if err != nil {
			t.Fatal(err)
		}
		var got []r
		for _, x := range list {
			got = append(got, r{x.Type, x.Emoji, x.Sender, x.ID})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Reactions = %v; want %v", tt.name, got, tt.want)
		}
		if len(list) > 1 && !list[1].IsFromMe && tt.want[1].typ == "like" {
			t.Errorf("%s: the like is from me", tt.name)
		}
	}
}

func TestCustomEmoji(t *testing.T) {
	tests := []struct{ text, want string }{
		{`Reacted 🎉 to "Hello world"`, "🎉"},
		{"Reacted 👍🏽 to “x”", "👍🏽"},
		{"A réagi avec 🥳 à « x »", "🥳"},
		{"Removed ❤️ from “x”", "❤️"},
		{"👨‍👩‍👧 family", "👨‍👩‍👧"},
		{"no emoji here", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CustomEmoji(tt.text); got != tt.want {
			t.Errorf("CustomEmoji(%q) = %q; want %q", tt.text, got, tt.want)
		}
	}
}

func TestReactionText(t *testing.T) {
	tests := []struct {
		name, emoji string
		add         bool
		want        string
	}{
		{"love", "", true, "Loved “hi”"},
		{"laugh", "", true, "Laughed at “hi”"},
		{"emphasis", "", false, "Removed an exclamation from “hi”"},
		{"custom", "🎉", true, "Reacted 🎉 to “hi”"},
	}
	for _, tt := range tests {
		if got := ReactionText(tt.name, tt.emoji, tt.add, "hi"); got != tt.want {
			t.Errorf("ReactionText(%q, %q, %t) = %q; want %q", tt.name, tt.emoji, tt.add, got, tt.want)
		}
	}
}

func TestReplyContext(t *testing.T) {
	f := newFx(t)
	h1, h2 := f.handle("+123"), f.handle("+456")
	c := f.chat(NewChat{GUID: "iMessage;-;+123", Identifier: "+123"}, h1)
	f.msg(NewMessage{GUID: "P-1", ChatID: c.ID, HandleID: h1, Text: "question", Date: ago(9 * time.Minute)})
	f.msg(NewMessage{GUID: "P-2", ChatID: c.ID, HandleID: h2, AttributedOnly: true, Text: "other", Date: ago(8 * time.Minute)})
	ins := []NewMessage{
		{Text: "threaded", ThreadOriginatorGUID: "P-1"},
		{Text: "associated", AssociatedGUID: "p:0/P-1"},
		{Text: "both", ThreadOriginatorGUID: "P-2", AssociatedGUID: "p:0/P-1"},
		{Text: "missing parent", ThreadOriginatorGUID: "nope"},
		{Text: "bp prefix", AssociatedGUID: "bp:P-1"},
		{Text: "Loved “question”", AssociatedGUID: "p:0/P-1", AssociatedType: 2000},
		{Text: "plain"},
	}
	for i, m := range ins {
		m.ChatID, m.HandleID, m.Date = c.ID, h2, ago(time.Duration(7-i)*time.Minute)
		f.msg(m)
	}
	s := f.open()
	rows, err := s.RowsAfter(ctx, AfterQuery{Cursor: 2, IncludeReactions: true})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Build(ctx, rows, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type ctxt struct{ replyTo, thread, text, sender string }
	want := []ctxt{
		{"", "P-1", "question", "+123"},
		{"P-1", "", "question", "+123"},
		{"P-1", "P-2", "other", "+456"},
		{"", "nope", "", ""},
		{"bp:P-1", "", "", ""},
		{"", "", "", ""},
		{"", "", "", ""},
	}
	for i, m := range msgs {
		got := ctxt{m.ReplyToGUID, m.ThreadOriginatorGUID, m.ReplyToText, m.ReplyToSender}
		if got != want[i] {
			t.Errorf("%q: reply context = %+v; want %+v", m.Text, got, want[i])
		}
	}
	plain := mustJSON(t, msgs[len(msgs)-1])
	for _, key := range []string{"reply_to_guid", "thread_originator_guid", "reply_to_text", "reply_to_sender", "destination_caller_id", "is_reaction", "sender_name"} {
		if strings.Contains(plain, `"`+key+`"`) {
			t.Errorf("plain message JSON has %q: %s", key, plain)
		}
	}
}

func TestSenderAndTextFallbacks(t *testing.T) {
	f := newFx(t)
	h := f.handle("+123")
	c := f.chat(NewChat{GUID: "iMessage;+;chat9", Identifier: "iMessage;+;chat9", DisplayName: ""}, h)
	f.msg(NewMessage{ChatID: c.ID, HandleID: 0, IsFromMe: true, Text: "mine", DestinationCallerID: "me@icloud.com", Date: now})
	f.msg(NewMessage{ChatID: c.ID, HandleID: h, Text: "theirs", DestinationCallerID: "me@icloud.com", Date: now})
	f.msg(NewMessage{ChatID: c.ID, HandleID: h, AttributedOnly: true, Text: "only in the body", Date: now})
	r := f.msg(NewMessage{ChatID: c.ID, HandleID: h, Date: now})
	f.exec("UPDATE message SET text = '', attributedBody = ? WHERE ROWID = ?", []byte("\x01\x2b\x0dfallback text\x86\x84"), r.ID)
	f.exec("UPDATE message SET date = NULL WHERE ROWID = ?", r.ID)
	s := f.open()
	rows, _ := s.RowsAfter(ctx, AfterQuery{Cursor: 0})
	msgs, _ := s.Build(ctx, rows, BuildOptions{})
	want := []struct{ sender, text, dest string }{
		{"me@icloud.com", "mine", "me@icloud.com"},
		{"+123", "theirs", "me@icloud.com"},
		{"+123", "only in the body", ""},
		{"+123", "fallback text", ""},
	}
	for i, m := range msgs {
		if m.Sender != want[i].sender || m.Text != want[i].text || m.DestinationCallerID != want[i].dest {
			t.Errorf("row %d: sender %q text %q dest %q; want %+v", m.ID, m.Sender, m.Text, m.DestinationCallerID, want[i])
		}
	}
	if got := msgs[3].CreatedAt; got != "2001-01-01T00:00:00.000Z" {
		t.Errorf("NULL date created_at = %q; want the Apple epoch", got)
	}
	if msgs[0].ChatName != "" {
		t.Errorf("chat_name with an empty display name = %q; want \"\"", msgs[0].ChatName)
	}
}
