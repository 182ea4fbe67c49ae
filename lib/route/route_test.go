package route

import (
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// newRouter builds a Router for the default account of a config text.
func newRouter(t testing.TB, src string) *Router {
	t.Helper()
	f, err := config.Parse("cfg.json5", []byte(src))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	acct, err := f.Account("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(f, acct)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func dm(sender string) *Message {
	return &Message{Account: "default", ID: 1, GUID: "G1", ChatID: 3, Sender: sender, Text: "hello",
		ChatIdentifier: sender, ChatGUID: "iMessage;-;" + sender, Participants: 1}
}

func group(chatID int64, sender string) *Message {
	return &Message{Account: "default", ID: 2, GUID: "G2", ChatID: chatID, Sender: sender, Text: "hi all",
		ChatName: "Crew", IsGroup: true, ChatIdentifier: "chat99", ChatGUID: "iMessage;+;chat99", Participants: 2}
}

func TestBindingTiers(t *testing.T) {
	r := newRouter(t, `{
		agents: {list: [{id: "main", default: true}, {id: "peer"}, {id: "wild"}, {id: "acct"}, {id: "any"}, {id: "grp"}, {id: "jq"}]},
		bindings: [
			{agentId: "any", match: {channel: "imessage", accountId: "*"}},
			{agentId: "acct", match: {channel: "imessage"}},
			{agentId: "wild", match: {channel: "imessage", peer: {kind: "dm", id: "*"}}},
			{agentId: "peer", match: {channel: "iMessage", peer: {kind: "direct", id: "+1 (555) 000-1111"}}},
			{agentId: "grp", match: {channel: "imessage", peer: {kind: "group", id: "chat_id:7"}}},
			{agentId: "grp", match: {channel: "telegram", peer: {kind: "group", id: "8"}}},
		],
	}`)
	tests := []struct {
		name      string
		m         *Message
		agent, by string
		binding   int
	}{
		{"peer beats everything", dm("+15550001111"), "peer", MatchedPeer, 3},
		{"wildcard peer next", dm("+15550002222"), "wild", MatchedPeerWildcard, 2},
		{"group by chat id", group(7, "+15550002222"), "grp", MatchedPeer, 4},
		{"other channels ignored; account binding", group(8, "+15550002222"), "acct", MatchedAccount, 1},
	}
	for _, tt := range tests {
		res := r.Route(tt.m, nil)
		if res.AgentID != tt.agent || res.MatchedBy != tt.by || res.Binding != tt.binding {
			t.Errorf("%s: agent %q by %q binding %d; want %q by %q binding %d", tt.name, res.AgentID, res.MatchedBy, res.Binding, tt.agent, tt.by, tt.binding)
		}
	}
	other := group(8, "+15550002222")
	other.Account = "work"
	if res := r.Route(other, nil); res.AgentID != "any" || res.MatchedBy != MatchedChannel {
		t.Errorf("other account: agent %q by %q; want any by %s (no accountId means the default account only)", res.AgentID, res.MatchedBy, MatchedChannel)
	}
}

func TestBindingDefaultsAndUnknownAgents(t *testing.T) {
	r := newRouter(t, `{agents: {list: [{id: "Ops"}, {id: "Home", default: true}]},
		bindings: [{agentId: "ghost", match: {channel: "imessage", peer: {kind: "direct", id: "+15550001111"}}}]}`)
	if res := r.Route(dm("+15550002222"), nil); res.AgentID != "home" || res.MatchedBy != MatchedDefault || res.Binding != -1 {
		t.Errorf("no binding: %q by %q (%d); want the default agent home", res.AgentID, res.MatchedBy, res.Binding)
	}
	if res := r.Route(dm("+15550001111"), nil); res.AgentID != "home" || res.MatchedBy != MatchedPeer {
		t.Errorf("binding to an unknown agent: %q by %q; want the default agent, as the reference", res.AgentID, res.MatchedBy)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0], "cfg.json5:2:") || !strings.Contains(w[0], "ghost") {
		t.Errorf("Warnings() = %q; want one positioned warning about ghost", w)
	}
	r = newRouter(t, `{agents: {list: [{id: "main", default: true}, {id: "ops-team"}]},
		bindings: [{agentId: "Ops Team", match: {channel: "imessage"}}]}`)
	if res := r.Route(dm("+15550002222"), nil); res.AgentID != "ops-team" || len(r.Warnings()) != 0 {
		t.Errorf("binding to \"Ops Team\": %q (warnings %q); want the agent listed as ops-team", res.AgentID, r.Warnings())
	}
	r = newRouter(t, `{}`)
	if res := r.Route(dm("+15550001111"), nil); res.AgentID != "main" {
		t.Errorf("no agents at all: %q; want main", res.AgentID)
	}
}

func TestPredicateBindings(t *testing.T) {
	r := newRouter(t, `{bindings: [
		{agentId: "never", match: {jq: "false"}},
		{agentId: "family", match: {jq: ".message.chat_name | test(\"crew\"; \"i\")"}},
		{agentId: "peer", match: {channel: "imessage", peer: {kind: "group", id: "7"}}},
	]}`)
	var asked []int
	pred := func(p *Predicate) bool {
		asked = append(asked, p.Index)
		return p.Index == 1
	}
	if res := r.Route(group(7, "+15550001111"), pred); res.AgentID != "peer" || len(asked) != 0 {
		t.Errorf("peer binding: %q after predicates %v; want peer with no predicate run", res.AgentID, asked)
	}
	res := r.Route(group(9, "+15550001111"), pred)
	if res.AgentID != "family" || res.MatchedBy != MatchedJQ || res.Binding != 1 || len(asked) != 2 {
		t.Errorf("predicates: %q by %q (%d) after %v; want family by binding.jq (1) after [0 1]", res.AgentID, res.MatchedBy, res.Binding, asked)
	}
}

func TestBadPredicateIsConfigError(t *testing.T) {
	src := "{\n  bindings: [\n    {agentId: \"a\", match: {channel: \"imessage\"}},\n    {agentId: \"b\", match: {jq: \".message | test(\"}},\n  ],\n}\n"
	f, err := config.Parse("cfg.json5", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := f.Account("")
	_, err = New(f, acct)
	if err == nil || !strings.HasPrefix(err.Error(), "cfg.json5:4:") || !strings.Contains(err.Error(), "bindings[1].match.jq") {
		t.Errorf("New with a broken predicate = %v; want an error at cfg.json5:4 naming bindings[1].match.jq", err)
	}
	for _, bad := range []string{
		`{bindings: [{match: {channel: "imessage"}}]}`,
		`{bindings: [{agentId: "x"}]}`,
		`{bindings: [{agentId: "x", match: {channel: "imessage", peer: {kind: "room", id: "1"}}}]}`,
		`{bindings: [{agentId: "x", match: {channel: "imessage", peer: {kind: "direct", id: "nobody"}}}]}`,
		`{bindings: [{agentId: "x", match: {jq: 3}}]}`,
	} {
		f, err := config.Parse("cfg.json5", []byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		acct, _ := f.Account("")
		if _, err := New(f, acct); err == nil || !strings.Contains(err.Error(), "bindings[0]") {
			t.Errorf("New(%s) = %v; want an error naming bindings[0]", bad, err)
		}
	}
}

func TestGroupish(t *testing.T) {
	r := newRouter(t, `{channels: {imessage: {groups: {"5": {}, "chat_guid:iMessage;-;+15550003333": {}}}}}`)
	yes, no := true, false
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"one other participant", dm("+15550001111"), PeerDirect},
		{"listed in groups by chat id", func() *Message { m := dm("+15550001111"); m.ChatID = 5; return m }(), PeerGroup},
		{"listed in groups by guid", func() *Message { m := dm("+15550003333"); m.ChatID = 6; return m }(), PeerGroup},
		{"several participants, is_group false", func() *Message { m := dm("+15550001111"); m.Participants = 2; return m }(), PeerGroup},
		{"the gate's verdict wins", func() *Message { m := group(7, "+15550001111"); m.GateIsGroup = &no; return m }(), PeerDirect},
		{"gate says group", func() *Message { m := dm("+15550001111"); m.GateIsGroup = &yes; return m }(), PeerGroup},
	}
	for _, tt := range tests {
		res := r.Route(tt.m, nil)
		if res.ChatType != tt.want {
			t.Errorf("%s: chat type %q; want %q", tt.name, res.ChatType, tt.want)
		}
		if tt.want == PeerGroup && !strings.HasPrefix(res.SessionKey, "agent:main:imessage:group:") {
			t.Errorf("%s: session key %q; want a group key", tt.name, res.SessionKey)
		}
	}
}

func TestHistoryLimits(t *testing.T) {
	const base = `channels: {imessage: {historyLimit: 20, dmHistoryLimit: 8, dms: {"+1 555 000 1111": {historyLimit: 3}, "Alice@Example.com": {historyLimit: 0}, "bob": {historyLimit: 4}}}}`
	scopes := []string{"main", "per-peer", "per-channel-peer", "per-account-channel-peer"}
	for _, scope := range scopes {
		r := newRouter(t, `{session: {dmScope: "`+scope+`", identityLinks: {bob: ["+15550004444"]}}, `+base+`}`)
		tests := []struct {
			name string
			m    *Message
			want int
		}{
			{"group: historyLimit", group(7, "+15550001111"), 20},
			{"dm override by normalised handle", dm("+15550001111"), 3},
			{"dm override to zero, any case", dm("alice@example.com"), 0},
			{"dm: dmHistoryLimit", dm("+15550002222"), 8},
		}
		if scope != "main" {
			tests = append(tests, struct {
				name string
				m    *Message
				want int
			}{"dm override by identity-link name", dm("+15550004444"), 4})
		}
		for _, tt := range tests {
			if got := r.Route(tt.m, nil).HistoryLimit; got != tt.want {
				t.Errorf("dmScope %s, %s: history_limit %d; want %d", scope, tt.name, got, tt.want)
			}
		}
	}
	r := newRouter(t, `{messages: {groupChat: {historyLimit: 7}}}`)
	if got := r.Route(group(7, "+15550001111"), nil).HistoryLimit; got != 7 {
		t.Errorf("messages.groupChat.historyLimit: %d; want 7", got)
	}
	if got := r.Route(dm("+15550001111"), nil).HistoryLimit; got != DefaultDMHistoryLimit {
		t.Errorf("dm without limits: %d; want %d", got, DefaultDMHistoryLimit)
	}
}

func TestAddressAndContext(t *testing.T) {
	r := newRouter(t, `{}`)
	m := group(7, "+1 (555) 000-1111")
	m.ReplyToID, m.ReplyToText, m.ReplyToSender = "G0", "  look at this ", "friend@example.com"
	m.CreatedAt = "2026-05-16T09:12:03.500Z"
	res := r.Route(m, nil)
	if res.To != "chat_id:7" || res.From != "imessage:group:7" || res.ConversationLabel != "Crew id:7" || res.ChatKey != "chat_id:7" {
		t.Errorf("group addressing: to %q from %q label %q key %q", res.To, res.From, res.ConversationLabel, res.ChatKey)
	}
	if res.ReplyTo == nil || *res.ReplyTo != (ReplyContext{ID: "G0", Body: "look at this", Sender: "friend@example.com"}) {
		t.Errorf("reply context = %+v", res.ReplyTo)
	}
	Compose(m, res)
	want := "[iMessage Crew id:7 2026-05-16T09:12:03.500Z] +15550001111 (+1 (555) 000-1111): hi all\n\n[Replying to friend@example.com id:G0]\nlook at this\n[/Replying]"
	if res.Body != want {
		t.Errorf("Body = %q; want %q", res.Body, want)
	}

	d := dm("Bob@Example.com")
	d.ChatID = 0
	res = r.Route(d, nil)
	if res.To != "bob@example.com" || res.From != "imessage:Bob@Example.com" || res.ConversationLabel != "bob@example.com id:Bob@Example.com" {
		t.Errorf("dm without chat id: to %q from %q label %q; want the sender", res.To, res.From, res.ConversationLabel)
	}
	d.ChatID = 12
	if res = r.Route(d, nil); res.To != "chat_id:12" {
		t.Errorf("dm with chat id: to %q; want chat_id:12", res.To)
	}
	d.GateNoReplyContext, d.ReplyToText = true, "secret"
	if res = r.Route(d, nil); res.ReplyTo != nil {
		t.Errorf("reply context withheld by the gate still attached: %+v", res.ReplyTo)
	}
}

func TestBodyText(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{Message{Text: "  hi  "}, "hi"},
		{Message{Text: "hi", GateBody: "gate says"}, "gate says"},
		{Message{Attachments: 1, AttachmentMIME: "image/HEIC"}, "<media:image>"},
		{Message{Attachments: 2, AttachmentMIME: "audio/x-m4a"}, "<media:audio>"},
		{Message{Attachments: 1, AttachmentMIME: "video/mp4; codecs=avc1"}, "<media:video>"},
		{Message{Attachments: 1, AttachmentMIME: "application/pdf"}, "<media:document>"},
		{Message{Attachments: 1, AttachmentMIME: "text/plain"}, "<media:document>"},
		{Message{Attachments: 1}, "<media:attachment>"},
		{Message{}, ""},
	}
	for _, tt := range tests {
		if got := tt.m.BodyText(); got != tt.want {
			t.Errorf("BodyText(%+v) = %q; want %q", tt.m, got, tt.want)
		}
	}
}
