package gate

import (
	"errors"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

func TestDecideMentions(t *testing.T) {
	base := `groupAllowFrom: ["` + friend + `"]`
	runDecide(t, []decideCase{
		{name: "unmentioned: held as history", cfg: cfg(base, patterns), msg: group(7, friend, "saturday?"),
			action: Drop, reason: ReasonNoMention,
			check: func(t *testing.T, d Decision) {
				if d.History == nil || d.HistoryKey != "chat_id:7" || d.History.Body != "saturday?" ||
					d.History.Sender != friend || d.History.MessageID != "20" || d.History.GUID != "G-20" {
					t.Errorf("history = %q %+v", d.HistoryKey, d.History)
				}
			}},
		{name: "historyLimit 0 keeps nothing", cfg: cfg(base+`, historyLimit: 0`, patterns), msg: group(7, friend, "x"),
			action: Drop, reason: ReasonNoMention,
			check: func(t *testing.T, d Decision) {
				if d.History != nil {
					t.Errorf("history kept with historyLimit 0")
				}
			}},
		{name: "mentioned, any case", cfg: cfg(base, patterns), msg: group(7, friend, "CLAW, saturday?"),
			action: Dispatch, check: wantMentioned(true)},
		{name: "zero-width characters inside the name", cfg: cfg(base, patterns), msg: group(7, friend, "c\u200bl\u2060aw saturday?"),
			action: Dispatch, check: wantMentioned(true)},
		{name: "a word that only contains the name", cfg: cfg(base, patterns), msg: group(7, friend, "clawback"),
			action: Drop, reason: ReasonNoMention},
		{name: "requireMention false via *", cfg: cfg(base+`, groups: {"*": {requireMention: false}}`, patterns),
			msg: group(7, friend, "hi"), action: Dispatch, check: wantMentioned(false)},
		{name: "per-chat requireMention beats *", cfg: cfg(base+`, groups: {"*": {requireMention: false}, "7": {requireMention: true}}`, patterns),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonNoMention},
		{name: "no patterns: mention gating cannot be enforced", cfg: cfg(base), msg: group(7, friend, "hi"),
			action: Dispatch, check: wantMentioned(false)},
		{name: "patterns from the agent's identity", cfg: cfg(base, `agents: {list: [{id: "main", identity: {name: "Molty Bot"}}]}`),
			msg: group(7, friend, "hey @molty   bot"), action: Dispatch, check: wantMentioned(true)},
		{name: "agent patterns win over messages patterns", cfg: cfg(base, patterns, `agents: {list: [{id: "main", groupChat: {mentionPatterns: ["jeeves"]}}]}`),
			msg: group(7, friend, "claw?"), action: Drop, reason: ReasonNoMention},
		{name: "a DM is always mentioned", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`, patterns), msg: dm(stranger, "hi"),
			action: Dispatch, check: wantMentioned(true)},
	})
}

func wantMentioned(want bool) func(*testing.T, Decision) {
	return func(t *testing.T, d Decision) {
		if d.Gate.WasMentioned != want {
			t.Errorf("was_mentioned = %v; want %v", d.Gate.WasMentioned, want)
		}
	}
}

func TestDecideCommands(t *testing.T) {
	groups := `groupPolicy: "open", groupAllowFrom: ["` + owner + `"]`
	cmd := func(name string, auth, mentioned bool) func(*testing.T, Decision) {
		return func(t *testing.T, d Decision) {
			if d.Gate.Command != name || d.Gate.CommandAuthorized != auth || d.Gate.WasMentioned != mentioned {
				t.Errorf("command %q authorized %v mentioned %v; want %q %v %v", d.Gate.Command,
					d.Gate.CommandAuthorized, d.Gate.WasMentioned, name, auth, mentioned)
			}
		}
	}
	runDecide(t, []decideCase{
		{name: "authorised command bypasses mention gating", cfg: cfg(groups, patterns), msg: group(7, owner, "/status"),
			action: Dispatch, check: cmd("status", true, true)},
		{name: "command after a mention", cfg: cfg(groups, patterns), msg: group(7, owner, "@claw: /new"),
			action: Dispatch, check: cmd("new", true, true)},
		{name: "unauthorised command in a group", cfg: cfg(groups, patterns), msg: group(7, stranger, "/reset"),
			action: Drop, reason: ReasonCommandUnauthorized},
		{name: "unauthorised command in a DM goes on unauthorised", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`),
			msg: dm(stranger, "/status"), action: Dispatch, check: cmd("status", false, true)},
		{name: "pairing approval authorises in a DM", cfg: cfg(``), look: &fakeLookups{approved: map[string]bool{stranger: true}},
			msg: dm(stranger, "/status"), action: Dispatch, check: cmd("status", true, true)},
		{name: "not a command: unknown word", cfg: cfg(groups, patterns), msg: group(7, owner, "/shrug"),
			action: Drop, reason: ReasonNoMention},
		{name: "not a command: word continues", cfg: cfg(groups, patterns), msg: group(7, owner, "/statusbar"),
			action: Drop, reason: ReasonNoMention},
		{name: "commands.text false", cfg: cfg(groups, patterns, `commands: {text: false}`), msg: group(7, owner, "/status"),
			action: Drop, reason: ReasonNoMention},
		{name: "useAccessGroups false authorises everyone", cfg: cfg(`groupPolicy: "open"`, patterns, `commands: {useAccessGroups: false}`),
			msg: group(7, stranger, "/status"), action: Dispatch, check: cmd("status", true, true)},
		{name: "* never authorises commands", cfg: cfg(`groupAllowFrom: ["*"]`, patterns), msg: group(7, stranger, "/stop"),
			action: Drop, reason: ReasonCommandUnauthorized},
	})
}

func TestDecideConfigCommand(t *testing.T) {
	on := `commands: {config: true}`
	runDecide(t, []decideCase{
		{name: "owner, enabled", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`, on),
			msg: dm(owner, "/config set channels.imessage.dmPolicy pairing"), action: Configure,
			check: func(t *testing.T, d Decision) {
				if d.ConfigEdit == nil || d.ConfigEdit.PathString() != "channels.imessage.dmPolicy" || d.ConfigEdit.Value != "pairing" {
					t.Errorf("edit = %+v, refusal %q", d.ConfigEdit, d.ConfigRefusal)
				}
			}},
		{name: "commands.config off", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`),
			msg: dm(owner, "/config unset x"), action: Configure, check: wantRefusal("commands.config")},
		{name: "configWrites false", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"], configWrites: false`, on),
			msg: dm(owner, "/config unset x"), action: Configure, check: wantRefusal("configWrites")},
		{name: "approved by pairing is not an owner", cfg: cfg(``, on), look: &fakeLookups{approved: map[string]bool{stranger: true}},
			msg: dm(stranger, "/config set channels.imessage.dmPolicy open"), action: Configure, check: wantRefusal("only senders named")},
		{name: "unauthorised /config in a DM is dropped", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`, on),
			msg: dm(stranger, "/config set channels.imessage.allowFrom [\"*\"]"), action: Drop, reason: ReasonCommandUnauthorized},
		{name: "bad syntax", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`, on),
			msg: dm(owner, "/config frobnicate"), action: Configure, check: wantRefusal("Usage")},
	})
}

func wantRefusal(part string) func(*testing.T, Decision) {
	return func(t *testing.T, d Decision) {
		if d.ConfigEdit != nil || !strings.Contains(d.ConfigRefusal, part) {
			t.Errorf("refusal = %q (edit %+v); want one mentioning %q", d.ConfigRefusal, d.ConfigEdit, part)
		}
	}
}

func TestDecideReactions(t *testing.T) {
	tap := func(m *imsg.Message) *imsg.Message {
		m.IsReaction, m.ReactedToGUID, m.Text = true, "MINE", "Loved “hi”"
		return m
	}
	sent := &fakeLookups{sent: map[string]bool{"MINE": true}}
	open := `dmPolicy: "open", allowFrom: ["*"]`
	runDecide(t, []decideCase{
		{name: "off", cfg: cfg(open + `, reactionNotifications: "off"`), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), look: sent, action: Drop, reason: ReasonReactionsOff},
		{name: "own (the default), on our message", cfg: cfg(open), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), look: sent, action: Dispatch,
			check: func(t *testing.T, d Decision) {
				if !d.Gate.OwnMessage || d.Gate.Body != "" {
					t.Errorf("gate = %+v; want own_message and no body", d.Gate)
				}
			}},
		{name: "own, on someone else's message", cfg: cfg(open), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), action: Drop, reason: ReasonReactionNotOwn},
		{name: "all", cfg: cfg(open + `, reactionNotifications: "all"`), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), action: Dispatch},
		{name: "a payload flagged is_reaction in a message record", cfg: cfg(open), msg: tap(dm(stranger, "")),
			action: Drop, reason: ReasonReactionNotOwn},
		{name: "gated like messages", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), look: sent, action: Drop, reason: ReasonDMBlocked},
		{name: "a stranger's tapback starts no pairing", cfg: cfg(``), kind: record.KindReaction,
			msg: tap(dm(stranger, "")), look: sent, action: Drop, reason: ReasonPairing},
		{name: "group reactions need no mention", cfg: cfg(`groupPolicy: "open", reactionNotifications: "all"`, patterns),
			kind: record.KindReaction, msg: tap(group(7, friend, "")), action: Dispatch},
	})
}

func TestDecideReplyContext(t *testing.T) {
	quote := func(from string) func(*imsg.Message) {
		return func(m *imsg.Message) { m.ReplyToText, m.ReplyToSender = "earlier", from }
	}
	allowed := func(want bool) func(*testing.T, Decision) {
		return func(t *testing.T, d Decision) {
			if d.Gate.ReplyContextAllowed == nil || *d.Gate.ReplyContextAllowed != want {
				t.Errorf("reply_context_allowed = %v; want %v", d.Gate.ReplyContextAllowed, want)
			}
		}
	}
	base := `groupAllowFrom: ["` + friend + `"]`
	runDecide(t, []decideCase{
		{name: "all (default)", cfg: cfg(base), msg: with(group(7, friend, "yes"), quote(stranger)),
			action: Dispatch, check: allowed(true)},
		{name: "allowlist, quoted sender not allowed", cfg: cfg(base + `, contextVisibility: "allowlist"`),
			msg: with(group(7, friend, "yes"), quote(stranger)), action: Dispatch, check: allowed(false)},
		{name: "allowlist, quoted sender allowed", cfg: cfg(base + `, contextVisibility: "allowlist"`),
			msg: with(group(7, friend, "yes"), quote("Friend@example.com")), action: Dispatch, check: allowed(true)},
		{name: "allowlist_quote keeps quotes", cfg: cfg(base + `, contextVisibility: "allowlist_quote"`),
			msg: with(group(7, friend, "yes"), quote(stranger)), action: Dispatch, check: allowed(true)},
		{name: "no quote, no field", cfg: cfg(base), msg: group(7, friend, "yes"), action: Dispatch,
			check: func(t *testing.T, d Decision) {
				if d.Gate.ReplyContextAllowed != nil {
					t.Errorf("reply_context_allowed set without a quote")
				}
			}},
	})
}

func TestDecideStoreErrorStops(t *testing.T) {
	g := newGate(t, cfg(``), Options{})
	boom := errors.New("disk on fire")
	if _, err := g.Decide(record.KindMessage, dm(stranger, "hi"), &fakeLookups{fail: boom}); !errors.Is(err, boom) {
		t.Errorf("Decide with a failing store = %v; want the store's error, never a guess", err)
	}
}
