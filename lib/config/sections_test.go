package config

import (
	"regexp"
	"slices"
	"testing"
)

func TestDefaultAgentID(t *testing.T) {
	tests := []struct{ src, want string }{
		{`{}`, "main"},
		{`{agents: {list: []}}`, "main"},
		{`{agents: {list: [{id: " ops "}, {id: "b"}]}}`, "ops"},
		{`{agents: {list: [{id: "a"}, {id: "b", default: true}, {id: "c", default: true}]}}`, "b"},
		{`{agents: {list: [{id: "a", default: false}, {id: "b"}]}}`, "a"},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.src).DefaultAgentID(); got != tt.want {
			t.Errorf("DefaultAgentID(%s) = %q; want %q", tt.src, got, tt.want)
		}
	}
}

func TestMentionPatterns(t *testing.T) {
	const agents = `agents: {list: [
		{id: "main", identity: {name: "Molty  Bot", emoji: "🦞"}},
		{id: "quiet", identity: {name: "Q"}, groupChat: {mentionPatterns: []}},
		{id: "loud", groupChat: {mentionPatterns: ["\\bhey\\b"]}},
		{id: "C++", identity: {name: "C++ (dev)"}},
		{id: "blank"},
	]}`
	withMessages := `{messages: {groupChat: {mentionPatterns: ["@bot"]}}, ` + agents + `}`
	withEmptyMessages := `{messages: {groupChat: {mentionPatterns: []}}, ` + agents + `}`
	noMessages := `{` + agents + `}`
	tests := []struct {
		src, agent string
		want       []string
		source     string
	}{
		{noMessages, "", []string{`\b@?Molty\s+Bot\b`, `🦞`}, MentionFromIdentity},
		{noMessages, "MAIN", []string{`\b@?Molty\s+Bot\b`, `🦞`}, MentionFromIdentity},
		{noMessages, "quiet", nil, MentionFromAgent},
		{noMessages, "loud", []string{`\bhey\b`}, MentionFromAgent},
		{noMessages, "C++", []string{`\b@?C\+\+\s+\(dev\)\b`}, MentionFromIdentity},
		{noMessages, "blank", nil, MentionFromNone},
		{noMessages, "unknown", nil, MentionFromNone},
		{withMessages, "main", []string{"@bot"}, MentionFromMessages},
		{withMessages, "quiet", nil, MentionFromAgent},
		{withMessages, "loud", []string{`\bhey\b`}, MentionFromAgent},
		{withMessages, "unknown", []string{"@bot"}, MentionFromMessages},
		{withEmptyMessages, "main", nil, MentionFromMessages},
		{`{}`, "", nil, MentionFromNone},
	}
	for _, tt := range tests {
		got, source := mustParse(t, tt.src).MentionPatterns(tt.agent)
		if !slices.Equal(got, tt.want) || source != tt.source {
			t.Errorf("MentionPatterns(%q) = %q, %q; want %q, %q", tt.agent, got, source, tt.want, tt.source)
		}
	}
}

// The derived patterns must compile with Go's regexp and match as §8 says:
// whole words, optional @, any whitespace between name words.
func TestIdentityPatternsMatch(t *testing.T) {
	pats := identityPatterns(Identity{Name: "Molty Bot", Emoji: "🦞"})
	match := func(text string) bool {
		for _, p := range pats {
			if regexp.MustCompile("(?i)" + p).MatchString(text) {
				return true
			}
		}
		return false
	}
	for text, want := range map[string]bool{
		"hey molty bot":    true,
		"@Molty\t  Bot hi": true,
		"🦞 help":           true,
		"moltybot":         false,
		"molty bots":       false,
		"hey molty":        false,
	} {
		if got := match(text); got != want {
			t.Errorf("match(%q) = %v; want %v", text, got, want)
		}
	}
}

func TestMessagesSessionCommands(t *testing.T) {
	f := mustParse(t, `{
		messages: {groupChat: {historyLimit: 12}, responsePrefix: "auto", inbound: {debounceMs: 800}},
		session: {dmScope: "per-account-channel-peer", mainKey: "home"},
		commands: {text: false, useAccessGroups: false, native: "auto"},
	}`)
	if f.Messages.GroupHistoryLimit == nil || *f.Messages.GroupHistoryLimit != 12 ||
		f.Messages.ResponsePrefix == nil || *f.Messages.ResponsePrefix != "auto" ||
		f.Messages.InboundDebounceMs != 800 || f.Messages.MentionPatternsSet {
		t.Errorf("Messages = %+v", f.Messages)
	}
	if f.Session.DMScope != "per-account-channel-peer" || f.Session.Raw["mainKey"] != "home" {
		t.Errorf("Session = %+v", f.Session)
	}
	if f.Commands.Config || f.Commands.Text || f.Commands.UseAccessGroups || f.Commands.Raw["native"] != "auto" {
		t.Errorf("Commands = %+v", f.Commands)
	}

	d := mustParse(t, `{}`)
	if d.Session.DMScope != "main" || d.Commands.Config || !d.Commands.Text || !d.Commands.UseAccessGroups ||
		d.Messages.InboundDebounceMs != 0 || d.Messages.GroupHistoryLimit != nil {
		t.Errorf("defaults: Session %+v Commands %+v Messages %+v", d.Session, d.Commands, d.Messages)
	}

	byChannel := mustParse(t, `{messages: {inbound: {debounceMs: 800, byChannel: {imessage: 0, telegram: 5}}}}`)
	if byChannel.Messages.InboundDebounceMs != 0 {
		t.Errorf("byChannel.imessage 0 = %d; want 0 (it overrides debounceMs)", byChannel.Messages.InboundDebounceMs)
	}
}

func TestAgentsAndBindings(t *testing.T) {
	src := `{
  agents: {list: [
    {id: "main", name: "Main", identity: {name: "M"}, model: "x"},
  ]},
  bindings: [
    {agentId: "main", match: {channel: "imessage"}},
      {agentId: "ghost",
       match: {channel: "imessage", accountId: "work"}},
  ],
}`
	f := mustParse(t, src)
	if len(f.Agents) != 1 || f.Agents[0].Name != "Main" || f.Agents[0].Identity.Name != "M" || f.Agents[0].Raw["model"] != "x" {
		t.Errorf("Agents = %+v", f.Agents)
	}
	if f.Agent("MAIN") == nil || f.Agent("nope") != nil {
		t.Errorf("Agent lookup is not case-insensitive by id")
	}
	if len(f.Bindings) != 2 {
		t.Fatalf("Bindings = %+v", f.Bindings)
	}
	b := f.Bindings[1]
	if b.Index != 1 || b.Line != 7 || b.Col != 7 || b.Raw["agentId"] != "ghost" {
		t.Errorf("Bindings[1] = %+v; want index 1 at 7:7", b)
	}
	e := f.ErrorAt(`unknown agent "ghost"`, `known agents: "main"`, "bindings", 1, "agentId")
	if want := `c.json5:7:17: bindings[1].agentId: unknown agent "ghost"; known agents: "main"`; e.Error() != want {
		t.Errorf("ErrorAt = %q; want %q", e.Error(), want)
	}
	// A path that does not exist points at its nearest existing ancestor.
	e = f.ErrorAt("no peer", "", "bindings", 1, "match", "peer")
	if want := `c.json5:8:8: bindings[1].match.peer: no peer`; e.Error() != want {
		t.Errorf("ErrorAt(missing) = %q; want %q", e.Error(), want)
	}
}
