package gate

import (
	"slices"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

const (
	owner    = "+15550001111"
	friend   = "friend@example.com"
	stranger = "+15559998888"
)

type decideCase struct {
	name     string
	cfg      string
	opts     Options
	kind     string // record kind; message when empty
	msg      *imsg.Message
	look     *fakeLookups
	action   Action
	reason   string
	admitted string
	check    func(t *testing.T, d Decision)
}

func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate(t, tc.cfg, tc.opts)
			look := tc.look
			if look == nil {
				look = &fakeLookups{}
			}
			kind := tc.kind
			if kind == "" {
				kind = record.KindMessage
			}
			d, err := g.Decide(kind, tc.msg, look)
			if err != nil {
				t.Fatalf("Decide = %v", err)
			}
			if d.Action != tc.action || d.Reason != tc.reason {
				t.Fatalf("Decide = action %d reason %q; want action %d reason %q (decision %+v)",
					d.Action, d.Reason, tc.action, tc.reason, d)
			}
			if tc.admitted != "" && d.Gate.AdmittedBy != tc.admitted {
				t.Errorf("admitted_by = %q; want %q", d.Gate.AdmittedBy, tc.admitted)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestDecideSenderAndFromMe(t *testing.T) {
	open := cfg(`dmPolicy: "open", allowFrom: ["*"]`)
	runDecide(t, []decideCase{
		{name: "missing sender", cfg: open, msg: dm("  ", "hi"), action: Drop, reason: ReasonMissingSender},
		{name: "from me in a DM: the sender is the peer", cfg: open,
			msg:    with(dm(friend, "hi"), func(m *imsg.Message) { m.IsFromMe = true; m.DestinationCallerID = owner }),
			action: Drop, reason: ReasonFromMe},
		{name: "from me without destination (ambiguous self-thread)", cfg: open,
			msg:    with(dm(owner, "note"), func(m *imsg.Message) { m.IsFromMe = true }),
			action: Drop, reason: ReasonFromMe},
		{name: "from me, destination differs from sender", cfg: open,
			msg: with(dm(owner, "note"), func(m *imsg.Message) {
				m.IsFromMe, m.DestinationCallerID = true, "me@icloud.com"
			}),
			action: Drop, reason: ReasonFromMe},
		{name: "from me in a group", cfg: cfg(`groupPolicy: "open"`),
			msg:    with(group(7, owner, "x"), func(m *imsg.Message) { m.IsFromMe = true; m.DestinationCallerID = owner }),
			action: Drop, reason: ReasonFromMe},
		{name: "true self-chat is a real message", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`),
			msg: with(dm(owner, "remind me"), func(m *imsg.Message) {
				m.IsFromMe, m.DestinationCallerID = true, "(555) 000-1111"
			}),
			action: Dispatch, admitted: AdmitAllowFrom},
		{name: "true self-chat echo of the agent by guid", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`),
			msg: with(dm(owner, "the agent said this"), func(m *imsg.Message) {
				m.IsFromMe, m.DestinationCallerID, m.GUID = true, owner, "SENT-1"
			}),
			look:   &fakeLookups{echo: []*echoRow{{scope: "chat_id:1", guid: "SENT-1", text: "other"}}},
			action: Drop, reason: ReasonSelfChatAgentEcho},
		{name: "my own tapback", cfg: open, kind: record.KindReaction,
			msg:    with(dm(owner, "Loved x"), func(m *imsg.Message) { m.IsFromMe, m.IsReaction = true, true }),
			action: Drop, reason: ReasonFromMe},
	})
}

func TestDecideGroupPolicy(t *testing.T) {
	runDecide(t, []decideCase{
		{name: "group without chat_id", cfg: cfg(`groupPolicy: "open"`),
			msg: with(group(0, friend, "hi"), nil2), action: Drop, reason: ReasonGroupNoChatID},
		{name: "groupPolicy disabled", cfg: cfg(`groupPolicy: "disabled", allowFrom: ["*"], dmPolicy: "open"`),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonGroupDisabled},
		{name: "allowlist (the default) with nothing listed", cfg: cfg(``),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonGroupEmptyAllow},
		{name: "not in groupAllowFrom", cfg: cfg(`groupAllowFrom: ["` + owner + `"]`),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonNotInGroupAllow},
		{name: "allowlist without a groups map admits listed senders (#78749)", cfg: cfg(`groupAllowFrom: ["` + friend + `"]`),
			msg: group(7, friend, "hi"), action: Dispatch, admitted: AdmitGroupAllowFrom},
		{name: "groupAllowFrom falls back to allowFrom", cfg: cfg(`allowFrom: ["FRIEND@example.com"]`),
			msg: group(7, friend, "hi"), action: Dispatch, admitted: AdmitGroupAllowFrom},
		{name: "an explicit empty groupAllowFrom does not fall back", cfg: cfg(`allowFrom: ["` + friend + `"], groupAllowFrom: []`),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonGroupEmptyAllow},
		{name: "approved by pairing never counts in a group", cfg: cfg(`groupAllowFrom: ["` + owner + `"]`),
			msg: group(7, friend, "hi"), look: &fakeLookups{approved: map[string]bool{friend: true}},
			action: Drop, reason: ReasonNotInGroupAllow},
		{name: "chat_id entry admits every sender of that chat", cfg: cfg(`groupAllowFrom: ["chat_id:7"]`),
			msg: group(7, stranger, "hi"), action: Dispatch, admitted: AdmitGroupAllowFrom},
		{name: "chat_id entry admits no one elsewhere", cfg: cfg(`groupAllowFrom: ["chat_id:7"]`),
			msg: group(8, stranger, "hi"), action: Drop, reason: ReasonNotInGroupAllow},
		{name: "chat_guid entry", cfg: cfg(`groupAllowFrom: ["guid:iMessage;+;chat5551"]`),
			msg: group(8, stranger, "hi"), action: Dispatch},
		{name: "chat_identifier entry", cfg: cfg(`groupAllowFrom: ["ChatIdentifier:chat5551"]`),
			msg: group(8, stranger, "hi"), action: Dispatch},
		{name: "wildcard in groupAllowFrom", cfg: cfg(`groupAllowFrom: ["*"]`),
			msg: group(8, stranger, "hi"), action: Dispatch, admitted: AdmitWildcard},
		{name: "groupPolicy open", cfg: cfg(`groupPolicy: "open"`),
			msg: group(8, stranger, "hi"), action: Dispatch, admitted: AdmitOpen},
		{name: "groups map without * drops unlisted chats, even under open", cfg: cfg(`groupPolicy: "open", groups: {"9": {}}`),
			msg: group(7, stranger, "hi"), action: Drop, reason: ReasonGroupNotAllowed},
		{name: "groups map lists the chat", cfg: cfg(`groupPolicy: "open", groups: {"7": {requireMention: false}}`),
			msg: group(7, stranger, "hi"), action: Dispatch},
		{name: "groups keys in chat target form", cfg: cfg(`groupPolicy: "open", groups: {"chat_guid:iMessage;+;chat5551": {}}`),
			msg: group(7, stranger, "hi"), action: Dispatch},
		{name: "groups map with * admits every chat", cfg: cfg(`groupAllowFrom: ["` + friend + `"], groups: {"*": {}}`),
			msg: group(7, friend, "hi"), action: Dispatch},
		{name: "groups map without * under allowlist", cfg: cfg(`groupAllowFrom: ["` + friend + `"], groups: {"9": {}}`),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonGroupNotAllowed},
		{name: "any policy word but open or disabled reads as allowlist", cfg: cfg(`groupAllowFrom: ["` + owner + `"]`),
			msg: group(7, friend, "hi"), action: Drop, reason: ReasonNotInGroupAllow},
	})
}

func nil2(*imsg.Message) {}

func TestDecideDMPolicy(t *testing.T) {
	approved := &fakeLookups{approved: map[string]bool{stranger: true}}
	runDecide(t, []decideCase{
		{name: "dmPolicy disabled", cfg: cfg(`dmPolicy: "disabled", allowFrom: ["` + stranger + `"]`),
			msg: dm(stranger, "hi"), action: Drop, reason: ReasonDMDisabled},
		{name: "dmPolicy open", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`),
			msg: dm(stranger, "hi"), action: Dispatch, admitted: AdmitOpen},
		{name: "allowlist, listed in another spelling", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["(555) 999-8888"]`),
			msg: dm(stranger, "hi"), action: Dispatch, admitted: AdmitAllowFrom},
		{name: "allowlist, number entry", cfg: cfg(`dmPolicy: "allowlist", allowFrom: [15559998888]`),
			msg: dm(stranger, "hi"), action: Dispatch},
		{name: "allowlist, not listed", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`),
			msg: dm(stranger, "hi"), action: Drop, reason: ReasonDMBlocked},
		{name: "allowlist ignores pairing approvals", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["` + owner + `"]`),
			msg: dm(stranger, "hi"), look: approved, action: Drop, reason: ReasonDMBlocked},
		{name: "pairing: approved sender", cfg: cfg(``),
			msg: dm("+1 555 999 8888", "hi"), look: approved, action: Dispatch, admitted: AdmitPairing},
		{name: "pairing: stranger", cfg: cfg(``), msg: dm(stranger, "hi"), action: Pair,
			check: func(t *testing.T, d Decision) {
				if d.PairingID != stranger {
					t.Errorf("PairingID = %q; want %q", d.PairingID, stranger)
				}
			}},
		{name: "pairing: email stranger normalised", cfg: cfg(``), msg: dm("Someone@Example.COM", "hi"), action: Pair,
			check: func(t *testing.T, d Decision) {
				if d.PairingID != "someone@example.com" {
					t.Errorf("PairingID = %q", d.PairingID)
				}
			}},
		{name: "pairing: short code cannot pair", cfg: cfg(``), msg: dm("262966", "hi"),
			action: Drop, reason: ReasonPairingInvalid},
		{name: "pairing with * in allowFrom", cfg: cfg(`allowFrom: ["*"]`), msg: dm(stranger, "hi"),
			action: Dispatch, admitted: AdmitWildcard},
		{name: "email case-insensitive", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["Friend@Example.com"]`),
			msg: dm("FRIEND@example.COM", "hi"), action: Dispatch},
		{name: "chat_id entry admits a DM chat", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["chat_id:1"]`),
			msg: dm(stranger, "hi"), action: Dispatch},
		{name: "service prefixes in entries", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["imessage:sms:+15559998888"]`),
			msg: dm(stranger, "hi"), action: Dispatch},
		{name: "a chat target as sender is no handle", cfg: cfg(`dmPolicy: "allowlist", allowFrom: ["chat_id:5"]`),
			msg: with(dm("chat_id:5", "hi"), func(m *imsg.Message) { m.ChatID = 2 }), action: Drop, reason: ReasonDMBlocked},
	})
}

func TestDecideSMS(t *testing.T) {
	sms := func(m *imsg.Message) *imsg.Message {
		m.ChatGUID = strings.Replace(m.ChatGUID, "iMessage", "SMS", 1)
		return m
	}
	runDecide(t, []decideCase{
		{name: "open DM refuses SMS", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`),
			msg: sms(dm(stranger, "hi")), action: Drop, reason: ReasonUntrustedSMS},
		{name: "open DM with --trust-sms", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`), opts: Options{TrustSMS: true},
			msg: sms(dm(stranger, "hi")), action: Dispatch, admitted: AdmitOpen,
			check: func(t *testing.T, d Decision) {
				if !d.Gate.SMS {
					t.Errorf("gate.sms = false; want true")
				}
			}},
		{name: "SMS sender listed explicitly", cfg: cfg(`dmPolicy: "open", allowFrom: ["*", "` + stranger + `"]`),
			msg: sms(dm(stranger, "hi")), action: Dispatch, admitted: AdmitAllowFrom},
		{name: "wildcard does not admit SMS", cfg: cfg(`allowFrom: ["*"]`),
			msg: sms(dm(stranger, "hi")), action: Drop, reason: ReasonUntrustedSMS},
		{name: "no pairing code to an SMS stranger", cfg: cfg(``),
			msg: sms(dm(stranger, "hi")), action: Drop, reason: ReasonUntrustedSMS},
		{name: "approved SMS sender passes", cfg: cfg(``), look: &fakeLookups{approved: map[string]bool{stranger: true}},
			msg: sms(dm(stranger, "hi")), action: Dispatch, admitted: AdmitPairing},
		{name: "open group refuses SMS", cfg: cfg(`groupPolicy: "open"`),
			msg: sms(group(7, stranger, "hi")), action: Drop, reason: ReasonUntrustedSMS},
		{name: "group wildcard refuses SMS", cfg: cfg(`groupAllowFrom: ["*"]`),
			msg: sms(group(7, stranger, "hi")), action: Drop, reason: ReasonUntrustedSMS},
		{name: "RCS counts as SMS", cfg: cfg(`groupPolicy: "open"`),
			msg:    with(group(7, stranger, "hi"), func(m *imsg.Message) { m.ChatGUID = "RCS;+;chat1" }),
			action: Drop, reason: ReasonUntrustedSMS},
	})
}

func TestDecideGroupish(t *testing.T) {
	notGroup := func(m *imsg.Message) { m.IsGroup = false }
	runDecide(t, []decideCase{
		{name: "is_group false but listed in groups", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"], groupAllowFrom: [], groups: {"7": {}}`),
			msg: with(group(7, stranger, "hi"), notGroup), action: Drop, reason: ReasonGroupEmptyAllow,
			check: func(t *testing.T, d Decision) {
				if !d.Gate.IsGroup {
					t.Errorf("is_group = false; want true")
				}
			}},
		{name: "is_group false with several participants", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"], groupAllowFrom: ["` + owner + `"]`),
			msg: with(group(7, stranger, "hi"), notGroup), action: Drop, reason: ReasonNotInGroupAllow},
		{name: "a * entry alone does not make a DM a group", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"], groups: {"*": {}}`),
			msg: dm(stranger, "hi"), action: Dispatch,
			check: func(t *testing.T, d Decision) {
				if d.Gate.IsGroup {
					t.Errorf("is_group = true; want false")
				}
			}},
		{name: "the same participant twice is no group", cfg: cfg(`dmPolicy: "open", allowFrom: ["*"]`),
			msg:    with(dm(stranger, "hi"), func(m *imsg.Message) { m.Participants = []string{stranger, " " + stranger} }),
			action: Dispatch},
	})
}

func TestDecideBodyEchoReflection(t *testing.T) {
	open := cfg(`dmPolicy: "open", allowFrom: ["*"]`)
	attach := cfg(`dmPolicy: "open", allowFrom: ["*"], includeAttachments: true`)
	img := imsg.Attachment{OriginalPath: "/Users/me/Library/Messages/Attachments/ab/01/X/IMG.heic", MimeType: "image/heic"}
	runDecide(t, []decideCase{
		{name: "empty text", cfg: open, msg: dm(stranger, " \n "), action: Drop, reason: ReasonEmptyBody},
		{name: "only the object replacement character", cfg: open, msg: dm(stranger, "\ufffc"), action: Drop, reason: ReasonEmptyBody},
		{name: "attachment ignored without includeAttachments", cfg: open,
			msg:    with(dm(stranger, "\ufffc"), func(m *imsg.Message) { m.Attachments = []imsg.Attachment{img} }),
			action: Drop, reason: ReasonEmptyBody},
		{name: "attachment placeholder", cfg: attach,
			msg:    with(dm(stranger, "\ufffc"), func(m *imsg.Message) { m.Attachments = []imsg.Attachment{img} }),
			action: Dispatch, check: wantBody("<media:image>")},
		{name: "attachment outside the roots", cfg: attach,
			msg: with(dm(stranger, ""), func(m *imsg.Message) {
				a := img
				a.OriginalPath = "/Users/me/Library/Messages/Attachments/../../../.ssh/id_ed25519"
				m.Attachments = []imsg.Attachment{a}
			}),
			action: Drop, reason: ReasonEmptyBody},
		{name: "missing attachment", cfg: attach,
			msg: with(dm(stranger, ""), func(m *imsg.Message) {
				a := img
				a.Missing = true
				m.Attachments = []imsg.Attachment{a}
			}),
			action: Drop, reason: ReasonEmptyBody},
		{name: "pdf placeholder", cfg: attach,
			msg: with(dm(stranger, ""), func(m *imsg.Message) {
				a := img
				a.MimeType = "Application/PDF; x=y"
				m.Attachments = []imsg.Attachment{a}
			}),
			action: Dispatch, check: wantBody("<media:document>")},
		{name: "echo by guid", cfg: open, msg: with(dm(stranger, "new words"), func(m *imsg.Message) { m.GUID = "S1" }),
			look: &fakeLookups{echo: []*echoRow{{scope: stranger, guid: "S1", text: "old"}}}, action: Drop, reason: ReasonEcho},
		{name: "echo by text in the chat scope", cfg: open, msg: dm(stranger, "  Sure — on it  "),
			look: &fakeLookups{echo: []*echoRow{{scope: "chat_id:1", text: "Sure — on it"}}}, action: Drop, reason: ReasonEcho},
		{name: "the user typing what the agent sent (real guids differ)", cfg: open, msg: dm(stranger, "ok"),
			look: &fakeLookups{echo: []*echoRow{{scope: stranger, guid: "SENT", text: "ok"}}}, action: Dispatch},
		{name: "echo in another chat's scope does not count", cfg: open, msg: dm(stranger, "ok"),
			look: &fakeLookups{echo: []*echoRow{{scope: "chat_id:2", text: "ok"}}}, action: Dispatch},
		{name: "group text is not matched against a DM to the member", cfg: cfg(`groupPolicy: "open"`),
			msg:  group(7, friend, "ok"),
			look: &fakeLookups{echo: []*echoRow{{scope: friend, text: "ok"}}}, action: Dispatch},
		{name: "reflection", cfg: open, msg: dm(stranger, "sure <final>the answer</final>"),
			action: Drop, reason: ReasonReflected},
		{name: "scaffolding quoted as code is fine", cfg: open, msg: dm(stranger, "what does `<final>` mean?"),
			action: Dispatch},
	})
}

func wantBody(b string) func(*testing.T, Decision) {
	return func(t *testing.T, d Decision) {
		if d.Gate.Body != b {
			t.Errorf("gate.body = %q; want %q", d.Gate.Body, b)
		}
	}
}

func TestDecideEchoScopes(t *testing.T) {
	g := newGate(t, cfg(`dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open"`), Options{})
	look := &fakeLookups{}
	m := with(dm("(555) 999-8888", "hello"), func(m *imsg.Message) { m.GUID = "IN-1"; m.ChatIdentifier = stranger })
	if _, err := g.Decide(record.KindMessage, m, look); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"chat_id:1|", "chat_guid:iMessage;-;(555) 999-8888|", "chat_identifier:" + stranger + "|", stranger + "|",
		"imessage:" + stranger + "|", "sms:" + stranger + "|",
		"chat_id:1|hello", "chat_guid:iMessage;-;(555) 999-8888|hello", "chat_identifier:" + stranger + "|hello", stranger + "|hello",
		"imessage:" + stranger + "|hello", "sms:" + stranger + "|hello",
	}
	if !slices.Equal(look.scopes, want) {
		t.Errorf("echo lookups = %q; want guid in every scope first, then text: %q", look.scopes, want)
	}
	look.scopes = nil
	if _, err := g.Decide(record.KindMessage, group(7, friend, "hi"), look); err != nil {
		t.Fatal(err)
	}
	for _, s := range look.scopes {
		if strings.HasPrefix(s, friend) {
			t.Errorf("group message looked up in the sender's DM scope: %q", look.scopes)
		}
	}
}
