package gate

import (
	"errors"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
)

func TestNewRejectsWhatConfigCannotSee(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want []string // each error, rendered
	}{
		{"junk handles", `{channels: {imessage: {
  allowFrom: ["+15550001111", "foo", "+"],
}}}`, []string{
			`test.json5:2:31: channels.imessage.allowFrom[1]: invalid entry "foo"`,
			`test.json5:2:38: channels.imessage.allowFrom[2]: invalid entry "+"`,
		}},
		{"bad chat_id in groupAllowFrom", `{channels: {imessage: {groupAllowFrom: ["chat_id:12abc"]}}}`,
			[]string{`channels.imessage.groupAllowFrom[0]: invalid entry "chat_id:12abc": Invalid chat_id: chat_id:12abc`}},
		{"account entry", `{channels: {imessage: {accounts: {default: {allowFrom: ["x@"]}}}}}`,
			[]string{`channels.imessage.accounts.default.allowFrom[0]: invalid entry "x@"`}},
		{"groups key", `{channels: {imessage: {groups: {"chat-seven": {}}}}}`,
			[]string{`channels.imessage.groups["chat-seven"]: groups key "chat-seven" names no chat`}},
		{"mention pattern", `{messages: {groupChat: {mentionPatterns: ["ok", "(bad"]}}}`,
			[]string{`messages.groupChat.mentionPatterns[1]: invalid mention pattern "(bad"`}},
		{"agent mention pattern", `{agents: {list: [{id: "a"}, {id: "b", default: true, groupChat: {mentionPatterns: [".*"]}}]}}`,
			[]string{`agents.list[1].groupChat.mentionPatterns[0]: invalid mention pattern ".*": matches the empty string`}},
	}
	for _, tc := range tests {
		_, _, err := buildGate(tc.cfg, Options{})
		var list config.Errors
		if !errors.As(err, &list) {
			t.Errorf("%s: New = %v; want config.Errors", tc.name, err)
			continue
		}
		if len(list) != len(tc.want) {
			t.Errorf("%s: %d errors (%v); want %d", tc.name, len(list), err, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(list[i].Error(), w) {
				t.Errorf("%s: error %d = %q; want it to contain %q", tc.name, i, list[i], w)
			}
		}
	}
}

func TestNewAcceptsEverySpelling(t *testing.T) {
	_, _, err := buildGate(`{channels: {imessage: {
  allowFrom: ["+1 (555) 000-1111", 15550002222, "imessage:Owner@Example.com", "chat_id:7", "chat:8",
              "chat_guid:iMessage;+;chat1", "guid:x", "chat_identifier:chat1", "ChatIdent:y", "*", "sms:5550003333"],
  groups: {"7": {}, "*": {}, "chat_id:9": {}, "chat_identifier:chat1": {}},
}}}`, Options{})
	if err != nil {
		t.Errorf("New = %v", err)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want []string // substrings, one per warning, in order
	}{
		{"defaults: groups closed", `{}`, []string{
			`every group message is dropped: channels.imessage.groupPolicy is "allowlist" and channels.imessage.groupAllowFrom (or channels.imessage.allowFrom) is empty`,
		}},
		{"groups disabled on purpose", `{channels: {imessage: {groupPolicy: "disabled"}}}`, nil},
		{"admits nobody", `{channels: {imessage: {dmPolicy: "disabled"}}}`, []string{"this configuration admits nobody"}},
		{"no mention patterns", `{channels: {imessage: {groupAllowFrom: ["+15550001111"]}}}`,
			[]string{"mention gating cannot be enforced: no mention patterns are configured"}},
		{"empty pattern list", `{channels: {imessage: {groupPolicy: "open"}}, messages: {groupChat: {mentionPatterns: []}}}`,
			[]string{"the mention pattern list is empty (messages)"}},
		{"requireMention off everywhere", `{channels: {imessage: {groupPolicy: "open", groups: {"*": {requireMention: false}}}}}`, nil},
		{"open with a groups map without *", `{channels: {imessage: {groupPolicy: "open", groups: {"7": {requireMention: false}}}}}`,
			[]string{`groups map has no "*" entry`}},
		{"account key paths", `{channels: {imessage: {accounts: {default: {groupPolicy: "allowlist", groupAllowFrom: []}}}}}`,
			[]string{"channels.imessage.accounts.default.groupPolicy is \"allowlist\" and channels.imessage.accounts.default.groupAllowFrom is empty"}},
		{"disabled account", `{channels: {imessage: {enabled: false}}}`, []string{`account "default" is disabled`}},
		{"all good", `{channels: {imessage: {groupAllowFrom: ["+15550001111"]}}, messages: {groupChat: {mentionPatterns: ["bot"]}}}`, nil},
	}
	for _, tc := range tests {
		_, warns, err := buildGate(tc.cfg, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(warns) != len(tc.want) {
			t.Errorf("%s: warnings %+v; want %d", tc.name, warns, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(warns[i].Msg, w) || warns[i].Hint == "" {
				t.Errorf("%s: warning %q (hint %q); want it to contain %q and a hint", tc.name, warns[i].Msg, warns[i].Hint, w)
			}
		}
	}
}
