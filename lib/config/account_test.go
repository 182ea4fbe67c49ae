package config

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func account(t *testing.T, src, id string) *Account {
	t.Helper()
	a, err := mustParse(t, src).Account(id)
	if err != nil {
		t.Fatalf("Account(%q): %v", id, err)
	}
	return a
}

func TestAccountDefaults(t *testing.T) {
	for _, src := range []string{`{}`, `{channels: {imessage: {}}}`} {
		a := account(t, src, "")
		checks := []struct {
			name      string
			got, want any
		}{
			{"ID", a.ID, "default"},
			{"Enabled", a.Enabled, true},
			{"Configured", a.Configured, false},
			{"ConfigWrites", a.ConfigWrites, true},
			{"CLIPath", a.CLIPath, "imsg"},
			{"DBPath", a.DBPath, ""},
			{"RemoteHost", a.RemoteHost, ""},
			{"Service", a.Service, "auto"},
			{"Region", a.Region, "US"},
			{"DMPolicy", a.DMPolicy, "pairing"},
			{"GroupPolicy", a.GroupPolicy, "allowlist"},
			{"GroupAllowFromSet", a.GroupAllowFromSet, false},
			{"ContextVisibility", a.ContextVisibility, "all"},
			{"HistoryLimit", a.HistoryLimit, 50},
			{"IncludeAttachments", a.IncludeAttachments, false},
			{"MediaMaxMb", a.MediaMaxMb, 16},
			{"MediaMaxBytes", a.MediaMaxBytes, int64(16 << 20)},
			{"ProbeTimeout", a.ProbeTimeout(), 10 * time.Second},
			{"TextChunkLimit", a.TextChunkLimit, 4000},
			{"ChunkMode", a.ChunkMode, "length"},
			{"MarkdownTables", a.MarkdownTables, "code"},
			{"ResponsePrefix", a.ResponsePrefix, ""},
			{"ReactionNotifications", a.ReactionNotifications, "own"},
			{"BlockStreaming nil", a.BlockStreaming == nil, true},
			{"DMHistoryLimit nil", a.DMHistoryLimit == nil, true},
			{"AllowFrom empty", len(a.AllowFrom), 0},
			{"GroupAllowFrom empty", len(a.GroupAllowFrom), 0},
			{"Groups empty", len(a.Groups), 0},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: %s = %v; want %v", src, c.name, c.got, c.want)
			}
		}
		if !slices.Equal(a.AttachmentRoots, []string{DefaultAttachmentRoot}) ||
			!slices.Equal(a.RemoteAttachmentRoots, []string{DefaultAttachmentRoot}) {
			t.Errorf("%s: roots = %q, %q; want only the default", src, a.AttachmentRoots, a.RemoteAttachmentRoots)
		}
	}
}

func TestFullFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	f, err := Load("testdata/full.json5")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.AccountIDs(); !slices.Equal(got, []string{"personal", "work"}) {
		t.Errorf("AccountIDs = %q", got)
	}
	if f.DefaultAccount() != "work" || len(f.Warnings) != 0 {
		t.Errorf("DefaultAccount = %q, warnings %v; want work, none", f.DefaultAccount(), f.Warnings)
	}
	w, err := f.Account("")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ID", w.ID, "work"},
		{"Name", w.Name, "Work"},
		{"CLIPath", w.CLIPath, "/usr/local/bin/imsg"},
		{"DBPath", w.DBPath, filepath.Join(home, "Library/Messages/chat.db")},
		{"RemoteHost", w.RemoteHost, "openclaw@192.168.64.3"},
		{"DMPolicy", w.DMPolicy, "allowlist"},
		{"GroupAllowFromSet", w.GroupAllowFromSet, true},
		{"HistoryLimit", w.HistoryLimit, 20},
		{"MediaMaxBytes", w.MediaMaxBytes, int64(8 << 20)},
		{"ProbeTimeoutMs", w.ProbeTimeoutMs, 15000},
		{"TextChunkLimit", w.TextChunkLimit, 2000},
		{"ChunkMode", w.ChunkMode, "newline"},
		{"MarkdownTables", w.MarkdownTables, "bullets"},
		{"ResponsePrefix", w.ResponsePrefix, "[bot]"},
		{"ReactionNotifications", w.ReactionNotifications, "all"},
		{"BlockStreaming", *w.BlockStreaming, false},
		{"Configured", w.Configured, true},
		{"Groups[42].SystemPrompt", w.Groups["42"].SystemPrompt, "Be brief."},
		{"Groups[*].RequireMention", *w.Groups["*"].RequireMention, true},
		{"DMs limit", *w.DMs["+15551234567"].HistoryLimit, 5},
		{"Heartbeat", w.Heartbeat["every"], "30m"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if !slices.Equal(w.AllowFrom, []string{"boss@example.com"}) || len(w.GroupAllowFrom) != 0 {
		t.Errorf("work lists = %q, %q", w.AllowFrom, w.GroupAllowFrom)
	}

	p, err := f.Account("personal")
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled || p.Name != "Home Mac" || p.DMPolicy != "pairing" ||
		p.CLIPath != filepath.Join(home, ".openclaw/scripts/imsg ssh") {
		t.Errorf("personal = enabled %v, name %q, dm %q, cli %q", p.Enabled, p.Name, p.DMPolicy, p.CLIPath)
	}
	if want := []string{"+15551234567", "15557654321", "owner@example.com"}; !slices.Equal(p.AllowFrom, want) ||
		!slices.Equal(p.GroupAllowFrom, want) || p.GroupAllowFromSet {
		t.Errorf("personal lists = %q, %q (set %v); want %q for both", p.AllowFrom, p.GroupAllowFrom, p.GroupAllowFromSet, want)
	}
}

func TestDefaultAccountResolution(t *testing.T) {
	tests := []struct {
		channel, want string
		warn          bool
	}{
		{`{}`, "default", false},
		{`{accounts: {}}`, "default", false},
		{`{accounts: {b: {}, a: {}}}`, "a", false},
		{`{accounts: {b: {}, default: {}}}`, "default", false},
		{`{accounts: {a: {}, b: {}}, defaultAccount: "b"}`, "b", false},
		{`{accounts: {a: {}, default: {}}, defaultAccount: "zzz"}`, "default", true},
		{`{defaultAccount: "work"}`, "default", true},
	}
	for _, tt := range tests {
		f := mustParse(t, `{channels: {imessage: `+tt.channel+`}}`)
		a, err := f.Account("")
		if err != nil {
			t.Fatalf("%s: %v", tt.channel, err)
		}
		if f.DefaultAccount() != tt.want || a.ID != tt.want {
			t.Errorf("%s: DefaultAccount = %q, Account(\"\").ID = %q; want %q", tt.channel, f.DefaultAccount(), a.ID, tt.want)
		}
		if (len(f.Warnings) > 0) != tt.warn {
			t.Errorf("%s: warnings = %v; want warning %v", tt.channel, f.Warnings, tt.warn)
		}
	}
	f := mustParse(t, "{channels: {imessage: {\n  defaultAccount: \"zzz\",\n  accounts: {a: {}}}}}")
	want := `c.json5:2:19: channels.imessage.defaultAccount: defaultAccount "zzz" is not an account; using "a"; known accounts: "a"`
	if len(f.Warnings) != 1 || f.Warnings[0].Error() != want {
		t.Errorf("warnings = %v; want %q", f.Warnings, want)
	}
}

func TestUnknownAccount(t *testing.T) {
	f := mustParse(t, `{channels: {imessage: {accounts: {b: {}, a: {}}}}}`)
	_, err := f.Account("c")
	want := `c.json5: channels.imessage.accounts: unknown account "c"; known accounts: "a", "b"`
	if err == nil || err.Error() != want {
		t.Errorf("Account(c) = %v; want %q", err, want)
	}
	// Without an accounts map the only account is "default".
	if _, err := mustParse(t, `{}`).Account("work"); err == nil {
		t.Errorf("Account(work) on {} = nil error")
	}
}

func TestAccountOverlayReplaces(t *testing.T) {
	src := `{channels: {imessage: {
		name: "root", region: "GB", allowFrom: ["+1", "+2"], markdown: {tables: "off"},
		groups: {"*": {requireMention: false}, "7": {systemPrompt: "x"}},
		accounts: {a: {name: "A", allowFrom: ["+3"], groups: {"9": {}}, markdown: {}}, b: {}},
	}}}`
	a := account(t, src, "a")
	if a.Name != "A" || a.Region != "GB" || !slices.Equal(a.AllowFrom, []string{"+3"}) {
		t.Errorf("a = name %q region %q allowFrom %q; want A GB [+3]", a.Name, a.Region, a.AllowFrom)
	}
	if _, ok := a.Groups["*"]; ok || len(a.Groups) != 1 {
		t.Errorf("a.Groups = %v; want only 9 (objects replace, not merge)", a.Groups)
	}
	if a.MarkdownTables != "code" {
		t.Errorf("a.MarkdownTables = %q; want code (account markdown object replaces root's)", a.MarkdownTables)
	}
	b := account(t, src, "b")
	if b.Name != "root" || !slices.Equal(b.AllowFrom, []string{"+1", "+2"}) || len(b.Groups) != 2 || b.MarkdownTables != "off" {
		t.Errorf("b = %q %q %v %q; want root values", b.Name, b.AllowFrom, b.Groups, b.MarkdownTables)
	}
	if !b.IsSet("region") || b.IsSet("service") {
		t.Errorf("b.IsSet(region, service) = %v, %v; want true, false", b.IsSet("region"), b.IsSet("service"))
	}
}

func TestEnabledAndConfigWrites(t *testing.T) {
	tests := []struct {
		root, acct string
		want       bool
	}{
		{``, ``, true},
		{`enabled: false, configWrites: false,`, ``, false},
		{`enabled: false, configWrites: false,`, `enabled: true, configWrites: true`, false},
		{``, `enabled: false, configWrites: false`, false},
		{`enabled: true, configWrites: true,`, `enabled: true, configWrites: true`, true},
	}
	for _, tt := range tests {
		a := account(t, `{channels: {imessage: {`+tt.root+` accounts: {x: {`+tt.acct+`}}}}}`, "x")
		if a.Enabled != tt.want || a.ConfigWrites != tt.want {
			t.Errorf("root {%s} account {%s}: Enabled=%v ConfigWrites=%v; want %v", tt.root, tt.acct, a.Enabled, a.ConfigWrites, tt.want)
		}
	}
}

func TestGroupAllowFromFallback(t *testing.T) {
	tests := []struct {
		name, channel string
		want          []string
		set           bool
	}{
		{"unset falls back", `allowFrom: ["+1", 2]`, []string{"+1", "2"}, false},
		{"unset, no allowFrom", ``, nil, false},
		{"set empty stays empty", `allowFrom: ["+1"], groupAllowFrom: []`, nil, true},
		{"set wins", `allowFrom: ["+1"], groupAllowFrom: [" chat_id:5 ", ""]`, []string{"chat_id:5"}, true},
		{"account inherits root's empty list", `allowFrom: ["+1"], groupAllowFrom: [], accounts: {a: {}}`, nil, true},
		{"account list replaces root's", `groupAllowFrom: ["+1"], accounts: {a: {groupAllowFrom: ["+2"]}}`, []string{"+2"}, true},
		{"account allowFrom feeds fallback", `allowFrom: ["+1"], accounts: {a: {allowFrom: ["+3"]}}`, []string{"+3"}, false},
	}
	for _, tt := range tests {
		a := account(t, `{channels: {imessage: {`+tt.channel+`}}}`, "")
		if !slices.Equal(a.GroupAllowFrom, tt.want) || a.GroupAllowFromSet != tt.set {
			t.Errorf("%s: GroupAllowFrom = %q (set %v); want %q (set %v)", tt.name, a.GroupAllowFrom, a.GroupAllowFromSet, tt.want, tt.set)
		}
	}
}

func TestAttachmentRootsUnion(t *testing.T) {
	src := `{channels: {imessage: {
		attachmentRoots: ["/b", "/c/", "/Users/*/Library/Messages/Attachments"],
		remoteAttachmentRoots: ["/s", "/a"],
		accounts: {
			x: {attachmentRoots: ["/a/", "/b", "/a/./"], remoteAttachmentRoots: ["/r"]},
			y: {},
		},
	}}}`
	x := account(t, src, "x")
	if want := []string{"/a", "/b", "/c", DefaultAttachmentRoot}; !slices.Equal(x.AttachmentRoots, want) {
		t.Errorf("x.AttachmentRoots = %q; want %q", x.AttachmentRoots, want)
	}
	if want := []string{"/r", "/s", "/a", "/b", "/c", DefaultAttachmentRoot}; !slices.Equal(x.RemoteAttachmentRoots, want) {
		t.Errorf("x.RemoteAttachmentRoots = %q; want %q", x.RemoteAttachmentRoots, want)
	}
	y := account(t, src, "y")
	if want := []string{"/b", "/c", DefaultAttachmentRoot}; !slices.Equal(y.AttachmentRoots, want) {
		t.Errorf("y.AttachmentRoots = %q; want %q", y.AttachmentRoots, want)
	}
	if want := []string{"/s", "/a", "/b", "/c", DefaultAttachmentRoot}; !slices.Equal(y.RemoteAttachmentRoots, want) {
		t.Errorf("y.RemoteAttachmentRoots = %q; want %q", y.RemoteAttachmentRoots, want)
	}
}

func TestHistoryLimitAndPrefixFallbacks(t *testing.T) {
	tests := []struct {
		src            string
		limit          int
		prefix         string
		prefixExplicit bool
	}{
		{`{}`, 50, "", false},
		{`{messages: {groupChat: {historyLimit: 7}, responsePrefix: "[m]"}}`, 7, "[m]", false},
		{`{messages: {groupChat: {historyLimit: 7}, responsePrefix: "[m]"},
		  channels: {imessage: {historyLimit: 0, responsePrefix: "[c]"}}}`, 0, "[c]", true},
		{`{messages: {groupChat: {historyLimit: 7}, responsePrefix: "[m]"},
		  channels: {imessage: {historyLimit: 3, accounts: {a: {historyLimit: 9, responsePrefix: ""}}}}}`, 9, "", true},
	}
	for _, tt := range tests {
		a := account(t, tt.src, "")
		if a.HistoryLimit != tt.limit || a.ResponsePrefix != tt.prefix || a.IsSet("responsePrefix") != tt.prefixExplicit {
			t.Errorf("%s: HistoryLimit=%d ResponsePrefix=%q set=%v; want %d %q %v",
				tt.src, a.HistoryLimit, a.ResponsePrefix, a.IsSet("responsePrefix"), tt.limit, tt.prefix, tt.prefixExplicit)
		}
	}
}

func TestAccountValues(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	a := account(t, `{channels: {imessage: {
		cliPath: " ~/bin/imsg-ssh ", dbPath: "~", remoteHost: " me@mac ", region: " ",
		defaultTo: "  +15551234567 ", markdown: {tables: "block"}, allowFrom: [0x10, " a ", "", 1.5],
		capabilities: ["x"], dmHistoryLimit: 4, blockStreaming: true, blockStreamingCoalesce: {idleMs: 5},
		groups: {"1": {tools: {deny: ["x"]}, toolsBySender: {"*": {}}}},
	}}}`, "")
	checks := []struct {
		name      string
		got, want any
	}{
		{"CLIPath", a.CLIPath, filepath.Join(home, "bin/imsg-ssh")},
		{"DBPath", a.DBPath, home},
		{"RemoteHost", a.RemoteHost, "me@mac"},
		{"Region", a.Region, "US"},
		{"DefaultTo", a.DefaultTo, "+15551234567"},
		{"MarkdownTables", a.MarkdownTables, "code"},
		{"DMHistoryLimit", *a.DMHistoryLimit, 4},
		{"BlockStreaming", *a.BlockStreaming, true},
		{"BlockStreamingCoalesce", a.BlockStreamingCoalesce["idleMs"] != nil, true},
		{"Groups tools", a.Groups["1"].Tools["deny"] != nil, true},
		{"Groups toolsBySender", a.Groups["1"].ToolsBySender["*"] != nil, true},
		{"Groups requireMention", a.Groups["1"].RequireMention == nil, true},
		{"Configured", a.Configured, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if want := []string{"16", "a", "1.5"}; !slices.Equal(a.AllowFrom, want) {
		t.Errorf("AllowFrom = %q; want %q", a.AllowFrom, want)
	}
	if !slices.Equal(a.Capabilities, []string{"x"}) {
		t.Errorf("Capabilities = %q", a.Capabilities)
	}
}

func TestConfigured(t *testing.T) {
	tests := []struct {
		channel string
		want    bool
	}{
		{``, false},
		{`name: "x", enabled: true, allowFrom: [], groups: {}, attachmentRoots: []`, false},
		{`dmPolicy: "pairing"`, true},
		{`allowFrom: ["+1"]`, true},
		{`includeAttachments: false`, true},
		{`remoteAttachmentRoots: ["/x"]`, true},
		{`groups: {"*": {}}`, true},
		{`textChunkLimit: 10`, true},
	}
	for _, tt := range tests {
		if a := account(t, `{channels: {imessage: {`+tt.channel+`}}}`, ""); a.Configured != tt.want {
			t.Errorf("{%s}: Configured = %v; want %v", tt.channel, a.Configured, tt.want)
		}
	}
}
