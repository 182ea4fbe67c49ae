package config

import (
	"fmt"
	"strings"
	"testing"
)

// inChannel puts member on line 4, column 7, inside channels.imessage, so
// positions in the table below are easy to check by hand: a value starts
// at column 7 + len(key) + 2.
func inChannel(member string) string {
	return fmt.Sprintf("{\n  channels: {\n    imessage: {\n      %s\n    },\n  },\n}\n", member)
}

func TestSchemaValid(t *testing.T) {
	members := []string{
		`name: "Mac"`,
		`capabilities: ["reactions", "threads"]`, `capabilities: []`,
		`markdown: {tables: "off"}`, `markdown: {tables: "bullets"}`, `markdown: {tables: "code"}`,
		`markdown: {tables: "block"}`, `markdown: {}`,
		`enabled: false`, `configWrites: false`,
		`cliPath: "imsg"`, `cliPath: "/opt/homebrew/bin/imsg"`, `cliPath: "~/My Scripts/imsg ssh"`,
		`cliPath: "./imsg"`, `cliPath: "C:\\tools\\imsg.exe"`, `cliPath: "imsg-1.2+dev_x"`,
		`dbPath: "~/Library/Messages/chat.db"`,
		`remoteHost: "mac"`, `remoteHost: "bot@mac-mini.local"`, `remoteHost: "192.168.64.3"`,
		`remoteHost: "[fe80::1%25]"`, `remoteHost: "  user@host  "`,
		`service: "imessage"`, `service: "sms"`, `service: "auto"`,
		`region: "GB"`,
		`dmPolicy: "pairing"`, `dmPolicy: "disabled"`,
		`dmPolicy: "open", allowFrom: ["*"]`, `dmPolicy: "open", allowFrom: ["+1", " * "]`,
		`dmPolicy: "allowlist", allowFrom: ["+15551234567"]`, `dmPolicy: "allowlist", allowFrom: [15551234567]`,
		`allowFrom: ["+15551234567", 15551234567, "chat_id:4", "user@example.com"]`, `allowFrom: []`,
		`defaultTo: "+15551234567"`,
		`groupAllowFrom: []`, `groupAllowFrom: ["x", 1]`,
		`groupPolicy: "open"`, `groupPolicy: "disabled"`, `groupPolicy: "allowlist"`,
		`contextVisibility: "all"`, `contextVisibility: "allowlist"`, `contextVisibility: "allowlist_quote"`,
		`historyLimit: 0`, `historyLimit: 10`, `dmHistoryLimit: 0`,
		`dms: {}`, `dms: {"+15551234567": {historyLimit: 3}, "a@b.c": {}}`,
		`includeAttachments: true`,
		`attachmentRoots: ["/Users/*/Library/Messages/Attachments", "/Volumes/x/"]`, `attachmentRoots: ["C:/x"]`,
		`remoteAttachmentRoots: ["/a/b/../c"]`,
		`mediaMaxMb: 1`, `mediaMaxMb: 1e2`, `mediaMaxMb: 0x10`,
		`probeTimeoutMs: 15000`, `textChunkLimit: 1`,
		`chunkMode: "length"`, `chunkMode: "newline"`,
		`blockStreaming: true`, `blockStreamingCoalesce: {minChars: 100}`,
		`groups: {}`,
		`groups: {"*": {requireMention: false}, "12": {tools: {allow: ["x"]}, toolsBySender: {"id:+1": {deny: []}}, systemPrompt: "hi"}}`,
		`heartbeat: {every: "30m"}`, `healthMonitor: {}`,
		`responsePrefix: "auto"`, `responsePrefix: ""`,
		`reactionNotifications: "off"`, `reactionNotifications: "own"`, `reactionNotifications: "all"`,
		`accounts: {}`, `accounts: {a: {name: "A"}}`, `defaultAccount: "a", accounts: {a: {}}`,
	}
	for _, m := range members {
		if _, err := Parse("c.json5", []byte(inChannel(m))); err != nil {
			t.Errorf("Parse(%s) = %v; want valid", m, err)
		}
	}
}

func TestSchemaInvalid(t *testing.T) {
	enumHint := func(vals ...string) string { return "; expected one of " + quoteList(vals) }
	const ci = "c.json5:4:"
	tests := []struct{ member, want string }{
		{`name: 1`, ci + `13: channels.imessage.name: expected string, got number 1`},
		{`capabilities: "x"`, ci + `21: channels.imessage.capabilities: expected array, got string "x"`},
		{`capabilities: ["a", 2]`, ci + `27: channels.imessage.capabilities[1]: expected string, got number 2`},
		{`markdown: {tables: "html"}`, ci + `26: channels.imessage.markdown.tables: invalid value "html"` +
			enumHint("off", "bullets", "code", "block")},
		{`markdown: {table: "code"}`, ci + `18: channels.imessage.markdown.table: unknown key "table"; did you mean "tables"?`},
		{`markdown: "code"`, ci + `17: channels.imessage.markdown: expected object, got string "code"`},
		{`enabled: "yes"`, ci + `16: channels.imessage.enabled: expected boolean, got string "yes"`},
		{`configWrites: 0`, ci + `21: channels.imessage.configWrites: expected boolean, got number 0`},
		{`cliPath: "imsg; rm -rf /"`, ci + `16: channels.imessage.cliPath: expected a safe executable name or path` +
			` (no shell metacharacters, quotes or line breaks); e.g. "imsg", "/opt/homebrew/bin/imsg" or "~/bin/imsg-ssh"`},
		{`cliPath: 7`, ci + `16: channels.imessage.cliPath: expected string, got number 7`},
		{`dbPath: []`, ci + `15: channels.imessage.dbPath: expected string, got array`},
		{`remoteHost: "-oProxyCommand=x"`, ci + `19: channels.imessage.remoteHost: expected SSH host or user@host (no spaces/options)`},
		{`remoteHost: "mac -p 22"`, ci + `19: channels.imessage.remoteHost: expected SSH host or user@host (no spaces/options)`},
		{`service: "imsg"`, ci + `16: channels.imessage.service: invalid value "imsg"` + enumHint("imessage", "sms", "auto")},
		{`service: 1`, ci + `16: channels.imessage.service: expected string, got number 1` + enumHint("imessage", "sms", "auto")},
		{`region: null`, ci + `15: channels.imessage.region: expected string, got null`},
		{`dmPolicy: "closed"`, ci + `17: channels.imessage.dmPolicy: invalid value "closed"` +
			enumHint("pairing", "allowlist", "open", "disabled")},
		{`allowFrom: "+1555"`, ci + `18: channels.imessage.allowFrom: expected array, got string "+1555"`},
		{`allowFrom: [true]`, ci + `19: channels.imessage.allowFrom[0]: expected string or number, got boolean true`},
		{`allowFrom: [1e999]`, ci + `19: channels.imessage.allowFrom[0]: expected string or finite number, got number 1e999`},
		{`defaultTo: 5`, ci + `18: channels.imessage.defaultTo: expected string, got number 5`},
		{`groupAllowFrom: [{}]`, ci + `24: channels.imessage.groupAllowFrom[0]: expected string or number, got object`},
		{`groupPolicy: "allow"`, ci + `20: channels.imessage.groupPolicy: invalid value "allow"` +
			enumHint("open", "disabled", "allowlist")},
		{`contextVisibility: "none"`, ci + `26: channels.imessage.contextVisibility: invalid value "none"` +
			enumHint("all", "allowlist", "allowlist_quote")},
		{`historyLimit: -1`, ci + `21: channels.imessage.historyLimit: expected a non-negative integer, got number -1`},
		{`historyLimit: 1.5`, ci + `21: channels.imessage.historyLimit: expected a non-negative integer, got number 1.5`},
		{`dmHistoryLimit: "3"`, ci + `23: channels.imessage.dmHistoryLimit: expected a non-negative integer, got string "3"`},
		{`dms: {"+1555": {historyLimit: -2}}`, ci + `37: channels.imessage.dms["+1555"].historyLimit: expected a non-negative integer, got number -2`},
		{`dms: {"+1555": {limit: 2}}`, ci + `23: channels.imessage.dms["+1555"].limit: unknown key "limit"`},
		{`dms: {"+1555": 3}`, ci + `22: channels.imessage.dms["+1555"]: expected object, got number 3`},
		{`includeAttachments: 1`, ci + `27: channels.imessage.includeAttachments: expected boolean, got number 1`},
		{`attachmentRoots: ["relative/path"]`, ci + `25: channels.imessage.attachmentRoots[0]: expected absolute path root; e.g. "/Users/*/Library/Messages/Attachments"`},
		{`attachmentRoots: ["/ok", "/Users/**/x"]`, ci + `32: channels.imessage.attachmentRoots[1]: expected absolute path root; e.g. "/Users/*/Library/Messages/Attachments"`},
		{`attachmentRoots: ["/Users/a*/x"]`, ci + `25: channels.imessage.attachmentRoots[0]: expected absolute path root; e.g. "/Users/*/Library/Messages/Attachments"`},
		{`attachmentRoots: ["/"]`, ci + `25: channels.imessage.attachmentRoots[0]: expected absolute path root; e.g. "/Users/*/Library/Messages/Attachments"`},
		{`remoteAttachmentRoots: ["~/x"]`, ci + `31: channels.imessage.remoteAttachmentRoots[0]: expected absolute path root; e.g. "/Users/*/Library/Messages/Attachments"`},
		{`mediaMaxMb: 0`, ci + `19: channels.imessage.mediaMaxMb: expected a positive integer, got number 0`},
		{`probeTimeoutMs: -5`, ci + `23: channels.imessage.probeTimeoutMs: expected a positive integer, got number -5`},
		{`textChunkLimit: 0`, ci + `23: channels.imessage.textChunkLimit: expected a positive integer, got number 0`},
		{`textChunkLimit: Infinity`, ci + `23: channels.imessage.textChunkLimit: expected a positive integer, got number`},
		{`chunkMode: "words"`, ci + `18: channels.imessage.chunkMode: invalid value "words"` + enumHint("length", "newline")},
		{`blockStreaming: "no"`, ci + `23: channels.imessage.blockStreaming: expected boolean, got string "no"`},
		{`blockStreamingCoalesce: true`, ci + `31: channels.imessage.blockStreamingCoalesce: expected object, got boolean true`},
		{`groups: {"1": {requireMention: "yes"}}`, ci + `38: channels.imessage.groups["1"].requireMention: expected boolean, got string "yes"`},
		{`groups: {"*": {requireMentions: true}}`, ci + `22: channels.imessage.groups["*"].requireMentions: unknown key "requireMentions"; did you mean "requireMention"?`},
		{`groups: {"*": {historyLimit: 5}}`, ci + `22: channels.imessage.groups["*"].historyLimit: unknown key "historyLimit"`},
		{`groups: {"*": {tools: []}}`, ci + `29: channels.imessage.groups["*"].tools: expected object, got array`},
		{`groups: {"*": {systemPrompt: 1}}`, ci + `36: channels.imessage.groups["*"].systemPrompt: expected string, got number 1`},
		{`groups: {"*": {toolsBySender: {"id:+1": "deny"}}}`, ci + `47: channels.imessage.groups["*"].toolsBySender["id:+1"]: expected object, got string "deny"`},
		{`groups: ["1"]`, ci + `15: channels.imessage.groups: expected object, got array`},
		{`heartbeat: "30m"`, ci + `18: channels.imessage.heartbeat: expected object, got string "30m"`},
		{`healthMonitor: []`, ci + `22: channels.imessage.healthMonitor: expected object, got array`},
		{`responsePrefix: false`, ci + `23: channels.imessage.responsePrefix: expected string, got boolean false`},
		{`reactionNotifications: "some"`, ci + `30: channels.imessage.reactionNotifications: invalid value "some"` + enumHint("off", "own", "all")},
		{`defaultAccount: 1`, ci + `23: channels.imessage.defaultAccount: expected string, got number 1`},
		{`accounts: []`, ci + `17: channels.imessage.accounts: expected object, got array`},
		{`accounts: {work: null}`, ci + `24: channels.imessage.accounts.work: expected object, got null`},
		{`accounts: {work: {dmPolicy: "x"}}`, ci + `35: channels.imessage.accounts.work.dmPolicy: invalid value "x"` +
			enumHint("pairing", "allowlist", "open", "disabled")},
		{`accounts: {work: {allow_from: []}}`, ci + `25: channels.imessage.accounts.work.allow_from: unknown key "allow_from"; did you mean "allowFrom"?`},
		{`accounts: {work: {accounts: {}}}`, ci + `25: channels.imessage.accounts.work.accounts: unknown key "accounts"`},
		{`accounts: {work: {defaultAccount: "a"}}`, ci + `25: channels.imessage.accounts.work.defaultAccount: unknown key "defaultAccount"`},
		{`accounts: {"my.mac": {groups: {"*": {mention: true}}}}`, ci + `44: channels.imessage.accounts["my.mac"].groups["*"].mention: unknown key "mention"`},
		{`allowfrom: []`, ci + `7: channels.imessage.allowfrom: unknown key "allowfrom"; did you mean "allowFrom"?`},
		{`dmpolicy: "open"`, ci + `7: channels.imessage.dmpolicy: unknown key "dmpolicy"; did you mean "dmPolicy"?`},
		{`probeTimeout: 5`, ci + `7: channels.imessage.probeTimeout: unknown key "probeTimeout"; did you mean "probeTimeoutMs"?`},
		{`foo: 1`, ci + `7: channels.imessage.foo: unknown key "foo"`},
	}
	for _, tt := range tests {
		errs := parseErrors(t, inChannel(tt.member))
		if len(errs) != 1 || errs[0].Error() != tt.want {
			t.Errorf("Parse(%s) = %v\nwant %s", tt.member, errs, tt.want)
		}
	}
}

func TestCrossFieldRules(t *testing.T) {
	const (
		rootOpen = `channels.imessage.dmPolicy="open" requires channels.imessage.allowFrom to include "*"`
		rootList = `channels.imessage.dmPolicy="allowlist" requires channels.imessage.allowFrom to contain at least one sender ID`
		acctOpen = `channels.imessage.accounts.*.dmPolicy="open" requires channels.imessage.accounts.*.allowFrom` +
			` (or channels.imessage.allowFrom) to include "*"`
		acctList = `channels.imessage.accounts.*.dmPolicy="allowlist" requires channels.imessage.accounts.*.allowFrom` +
			` (or channels.imessage.allowFrom) to contain at least one sender ID`
	)
	tests := []struct {
		name, src string
		want      []string // "line:col path msg"; nil = valid
	}{
		{"open without allowFrom", `{channels: {imessage: {dmPolicy: "open"}}}`,
			[]string{"1:24 channels.imessage.allowFrom " + rootOpen}},
		{"open without star", `{channels: {imessage: {dmPolicy: "open", allowFrom: ["+1"]}}}`,
			[]string{"1:42 channels.imessage.allowFrom " + rootOpen}},
		{"open with star", `{channels: {imessage: {dmPolicy: "open", allowFrom: ["*"]}}}`, nil},
		{"allowlist empty", `{channels: {imessage: {dmPolicy: "allowlist", allowFrom: []}}}`,
			[]string{"1:47 channels.imessage.allowFrom " + rootList}},
		{"allowlist blank entries", `{channels: {imessage: {dmPolicy: "allowlist", allowFrom: [" ", ""]}}}`,
			[]string{"1:47 channels.imessage.allowFrom " + rootList}},
		{"allowlist with number", `{channels: {imessage: {dmPolicy: "allowlist", allowFrom: [15551234567]}}}`, nil},
		{"account inherits star", `{channels: {imessage: {allowFrom: ["*"], accounts: {a: {dmPolicy: "open"}}}}}`, nil},
		{"account inherits list", `{channels: {imessage: {allowFrom: ["+1"], accounts: {a: {dmPolicy: "allowlist"}}}}}`, nil},
		{"account open inherits list without star",
			`{channels: {imessage: {allowFrom: ["+1"], accounts: {a: {dmPolicy: "open"}}}}}`,
			[]string{"1:58 channels.imessage.accounts.a.allowFrom " + acctOpen}},
		{"account list replaces star",
			`{channels: {imessage: {dmPolicy: "open", allowFrom: ["*"], accounts: {a: {allowFrom: ["+1"]}}}}}`,
			[]string{"1:75 channels.imessage.accounts.a.allowFrom " + acctOpen}},
		{"account allowlist empty",
			`{channels: {imessage: {accounts: {a: {dmPolicy: "allowlist", allowFrom: []}}}}}`,
			[]string{"1:62 channels.imessage.accounts.a.allowFrom " + acctList}},
		{"root failure not repeated for bare accounts",
			`{channels: {imessage: {dmPolicy: "allowlist", accounts: {a: {}, b: {name: "B"}}}}}`,
			[]string{"1:24 channels.imessage.allowFrom " + rootList}},
		{"account fixes its own list",
			`{channels: {imessage: {dmPolicy: "allowlist", accounts: {a: {allowFrom: ["+1"]}}}}}`,
			[]string{"1:24 channels.imessage.allowFrom " + rootList}},
		{"account pairing overrides root", `{channels: {imessage: {dmPolicy: "open", allowFrom: ["*"], accounts: {a: {dmPolicy: "pairing", allowFrom: []}}}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.json5", []byte(tt.src))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Parse(%s) = %v; want valid", tt.src, err)
				}
				return
			}
			errs := parseErrors(t, tt.src)
			var got []string
			for _, e := range errs {
				got = append(got, fmt.Sprintf("%d:%d %s %s", e.Line, e.Col, e.Path, e.Msg))
				if e.Hint == "" {
					t.Errorf("%s: no hint", e.Path)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Parse(%s) =\n%s\nwant\n%s", tt.src, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A typo must not also surface as a cross-field error ahead of itself.
func TestCrossFieldWaitsForValidKeys(t *testing.T) {
	_, err := Load("testdata/unknown_key.json5")
	want := `testdata/unknown_key.json5:5:7: channels.imessage.allowfrom: unknown key "allowfrom"; did you mean "allowFrom"?`
	if err == nil || err.Error() != want {
		t.Errorf("Load(unknown_key.json5) = %v; want %q", err, want)
	}
}

func TestLenientSections(t *testing.T) {
	valid := []string{
		`{channels: {telegram: {anything: [1, {x: 2}]}, defaults: {groupPolicy: "open"}}}`,
		`{gateway: {port: 1}, tools: 5, messages: {tts: {}, groupChat: {other: 1}}}`,
		`{agents: {defaults: {model: 1}, list: [{id: "a", workspace: "~/a", model: {primary: "x"}}]}}`,
		`{session: {mainKey: "x", identityLinks: {}}, commands: {native: "auto", bash: true}}`,
		`{bindings: []}`,
	}
	for _, src := range valid {
		if _, err := Parse("c.json5", []byte(src)); err != nil {
			t.Errorf("Parse(%s) = %v; want valid", src, err)
		}
	}
	invalid := []struct{ src, want string }{
		{`{channels: []}`, `c.json5:1:12: channels: expected object, got array`},
		{`{channels: {imessage: null}}`, `c.json5:1:23: channels.imessage: expected object, got null`},
		{`{messages: {groupChat: {mentionPatterns: "bot"}}}`, `c.json5:1:42: messages.groupChat.mentionPatterns: expected array, got string "bot"`},
		{`{messages: {groupChat: {historyLimit: -1}}}`, `c.json5:1:39: messages.groupChat.historyLimit: expected a non-negative integer, got number -1`},
		{`{messages: {responsePrefix: 1}}`, `c.json5:1:29: messages.responsePrefix: expected string, got number 1`},
		{`{messages: {inbound: {debounceMs: "1s"}}}`, `c.json5:1:35: messages.inbound.debounceMs: expected a non-negative integer, got string "1s"`},
		{`{messages: {inbound: {byChannel: {imessage: -1}}}}`, `c.json5:1:45: messages.inbound.byChannel.imessage: expected a non-negative integer, got number -1`},
		{`{agents: {list: {}}}`, `c.json5:1:17: agents.list: expected array, got object`},
		{`{agents: {list: [{name: "x"}]}}`, `c.json5:1:18: agents.list[0]: missing agent id; add id: "main"`},
		{`{agents: {list: [{id: ""}]}}`, `c.json5:1:23: agents.list[0].id: expected a non-empty agent id`},
		{`{agents: {list: [{id: "a", default: "yes"}]}}`, `c.json5:1:37: agents.list[0].default: expected boolean, got string "yes"`},
		{`{agents: {list: [{id: "a", identity: {emoji: 1}}]}}`, `c.json5:1:46: agents.list[0].identity.emoji: expected string, got number 1`},
		{`{agents: {list: [{id: "a", groupChat: {mentionPatterns: [1]}}]}}`, `c.json5:1:58: agents.list[0].groupChat.mentionPatterns[0]: expected string, got number 1`},
		{`{session: {dmScope: "per-user"}}`, `c.json5:1:21: session.dmScope: invalid value "per-user"; expected one of "main", "per-peer", "per-channel-peer", "per-account-channel-peer"`},
		{`{commands: {config: "yes"}}`, `c.json5:1:21: commands.config: expected boolean, got string "yes"`},
		{`{commands: {useAccessGroups: 0}}`, `c.json5:1:30: commands.useAccessGroups: expected boolean, got number 0`},
		{`{bindings: {}}`, `c.json5:1:12: bindings: expected array, got object`},
		{`{bindings: [{}, 1]}`, `c.json5:1:17: bindings[1]: expected object, got number 1`},
	}
	for _, tt := range invalid {
		errs := parseErrors(t, tt.src)
		if len(errs) != 1 || errs[0].Error() != tt.want {
			t.Errorf("Parse(%s) = %v\nwant %s", tt.src, errs, tt.want)
		}
	}
}
