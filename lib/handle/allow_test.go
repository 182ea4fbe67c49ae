package handle

import (
	"strings"
	"testing"
)

func TestParseAllowEntry(t *testing.T) {
	tests := []struct {
		entry string
		want  AllowEntry
		canon string
	}{
		{"*", AllowEntry{Wildcard: true}, "*"},
		{" * ", AllowEntry{Wildcard: true}, "*"},
		{"chat_id:5", AllowEntry{Kind: KindChatID, ChatID: 5}, "chat_id:5"},
		{"Chat:5", AllowEntry{Kind: KindChatID, ChatID: 5}, "chat_id:5"},
		{"chat_guid:iMessage;+;chat1", AllowEntry{Kind: KindChatGUID, Value: "iMessage;+;chat1"}, "chat_guid:iMessage;+;chat1"},
		{"ChatIdentifier: Chat1 ", AllowEntry{Kind: KindChatIdentifier, Value: "Chat1"}, "chat_identifier:Chat1"},
		{"imessage:+1 (555) 123-4567", AllowEntry{Kind: KindHandle, Value: "+15551234567"}, "+15551234567"},
		{"sms:chat_id:8", AllowEntry{Kind: KindChatID, ChatID: 8}, "chat_id:8"},
		{"Bob@Example.com", AllowEntry{Kind: KindHandle, Value: "bob@example.com"}, "bob@example.com"},
	}
	for _, tt := range tests {
		got, err := ParseAllowEntry(tt.entry, "US")
		if err != nil || got != tt.want {
			t.Errorf("ParseAllowEntry(%q) = %+v, %v; want %+v", tt.entry, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.canon {
			t.Errorf("ParseAllowEntry(%q).String() = %q; want %q", tt.entry, s, tt.canon)
		}
	}
}

func TestParseAllowEntryErrors(t *testing.T) {
	tests := []struct{ entry, want string }{
		{"", `invalid allowlist entry "": empty`},
		{"imessage:", `invalid allowlist entry "imessage:": empty`},
		{"chat_id:abc", "Invalid chat_id: chat_id:abc"},
		{"chat_id:", "Invalid chat_id: chat_id:"},
		{"chat_guid:", "Invalid chat_guid entry"},
		{"chat_identifier: ", "Invalid chat_identifier entry"},
		{"foo", `invalid handle "foo": not a phone number or email`},
		{"imessage:*", `invalid handle "*": not a phone number or email`},
	}
	for _, tt := range tests {
		got, err := ParseAllowEntry(tt.entry, "US")
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseAllowEntry(%q) = %+v, %v; want error %q", tt.entry, got, err, tt.want)
		}
	}
}

type msg struct {
	sender     string
	chatID     int64
	guid, iden string
}

func TestAllowlist(t *testing.T) {
	dm := msg{"+15551234567", 1, "iMessage;-;+15551234567", "+15551234567"}
	dmFormatted := msg{"(555) 123-4567", 1, "", ""}
	emailDM := msg{"Alice@Example.com", 2, "iMessage;-;alice@example.com", "alice@example.com"}
	group := msg{"+15559990000", 7, "iMessage;+;chat777", "chat777"}
	stranger := msg{"+15550000000", 3, "iMessage;-;+15550000000", "+15550000000"}
	junk := msg{"foo", 4, "", ""}

	tests := []struct {
		name    string
		entries []string
		allowed []msg
		denied  []msg
	}{
		{"empty list allows nobody", nil, nil, []msg{dm, emailDM, group, junk}},
		{"wildcard allows all", []string{"*"}, []msg{dm, group, stranger, junk}, nil},
		{"phone in any notation", []string{"+1 (555) 123-4567"}, []msg{dm, dmFormatted}, []msg{stranger, group}},
		{"national entry with region", []string{"555-123-4567"}, []msg{dm, dmFormatted}, []msg{stranger}},
		{"email case-insensitive", []string{"ALICE@example.COM"}, []msg{emailDM}, []msg{dm}},
		// A chat_id entry admits every sender in that chat, DMs included (§6.5).
		{"chat_id matches the chat", []string{"chat_id:7"}, []msg{group, {"+15551112222", 7, "", ""}}, []msg{dm}},
		{"chat_id matches a DM chat", []string{"chat_id:1"}, []msg{dm, {"+15550000001", 1, "", ""}}, []msg{emailDM}},
		{"chat_guid exact", []string{"chat_guid:iMessage;+;chat777"}, []msg{group}, []msg{{"+15559990000", 0, "imessage;+;CHAT777", ""}}},
		{"chat_identifier exact", []string{"chatidentifier:chat777"}, []msg{group}, []msg{{"+15559990000", 0, "", "Chat777"}}},
		// Junk senders never match, not even junk entries (the reference's
		// "+" collision, §19); the bad entry is reported and left out.
		{"junk never matches", []string{"bar"}, nil, []msg{junk, dm}},
	}
	for _, tt := range tests {
		a, _ := NewAllowlist(tt.entries, "US")
		for _, m := range tt.allowed {
			if !a.Allows(m.sender, m.chatID, m.guid, m.iden) {
				t.Errorf("%s: Allows(%q, %d, %q, %q) = false; want true", tt.name, m.sender, m.chatID, m.guid, m.iden)
			}
		}
		for _, m := range tt.denied {
			if a.Allows(m.sender, m.chatID, m.guid, m.iden) {
				t.Errorf("%s: Allows(%q, %d, %q, %q) = true; want false", tt.name, m.sender, m.chatID, m.guid, m.iden)
			}
		}
	}
}

func TestAllowlistRegion(t *testing.T) {
	a, errs := NewAllowlist([]string{"07700 900123"}, "GB")
	if len(errs) != 0 {
		t.Fatalf("NewAllowlist: %v", errs)
	}
	for _, s := range []string{"+447700900123", "07700900123", "+44 7700 900 123"} {
		if !a.Allows(s, 0, "", "") {
			t.Errorf("GB Allows(%q) = false; want true", s)
		}
	}
}

func TestNewAllowlistReportsBadEntries(t *testing.T) {
	a, errs := NewAllowlist([]string{"+15551234567", "foo", "chat_id:x", "", "chat_id:3", "*"}, "US")
	if len(errs) != 3 {
		t.Fatalf("NewAllowlist errors = %v; want 3", errs)
	}
	for i, want := range []string{`invalid handle "foo"`, "Invalid chat_id: chat_id:x", `invalid allowlist entry ""`} {
		if !strings.Contains(errs[i].Error(), want) {
			t.Errorf("error %d = %q; want it to contain %q", i, errs[i], want)
		}
	}
	if a.Len() != 3 || !a.HasWildcard() {
		t.Errorf("Len() = %d, HasWildcard() = %v; want 3, true", a.Len(), a.HasWildcard())
	}
	b, _ := NewAllowlist([]string{"+15551234567"}, "US")
	if b.HasWildcard() {
		t.Errorf("HasWildcard() = true for a list without *")
	}
	var nilList *Allowlist
	if nilList.Allows("+15551234567", 1, "", "") || nilList.HasWildcard() || nilList.Len() != 0 {
		t.Errorf("a nil Allowlist must allow nobody")
	}
}
