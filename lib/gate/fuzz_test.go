package gate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

var (
	dmPolicies    = []string{"pairing", "allowlist", "open", "disabled"}
	groupPolicies = []string{"allowlist", "open", "disabled"}
)

// FuzzDecide feeds arbitrary messages and configurations to the gate. It
// must never panic, and must never dispatch a message that no rule admits:
// the oracle below re-derives admission from the spec, independently of
// the gate's code.
func FuzzDecide(f *testing.F) {
	f.Add(uint8(0), uint8(0), "+15550001111", "", "", "", false,
		[]byte(`{"id":1,"chat_id":1,"guid":"g","sender":"+15550001111","text":"hi","chat_identifier":"+15550001111","chat_guid":"iMessage;-;+15550001111"}`))
	f.Add(uint8(2), uint8(1), "*", "chat_id:7", "7", "+15559998888", true,
		[]byte(`{"id":2,"chat_id":7,"sender":"+15559998888","text":"claw /status","is_group":true,"participants":["a","b"]}`))
	f.Add(uint8(1), uint8(0), "a@b.co", "*", "*", "", false,
		[]byte(`{"id":3,"chat_id":9,"sender":"A@B.CO","text":"x","is_from_me":true,"destination_caller_id":"a@b.co","chat_identifier":"a@b.co"}`))
	f.Add(uint8(2), uint8(1), "*", "", "", "", false,
		[]byte(`{"id":4,"chat_id":3,"sender":"+15559998888","text":"yo","chat_guid":"SMS;-;+15559998888","is_reaction":true,"reacted_to_guid":"x"}`))
	f.Fuzz(func(t *testing.T, dmP, groupP uint8, allowFrom, groupAllowFrom, groupKeys, approved string, reaction bool, payload []byte) {
		dmPolicy := dmPolicies[int(dmP)%len(dmPolicies)]
		groupPolicy := groupPolicies[int(groupP)%len(groupPolicies)]
		allow := splitList(allowFrom)
		if dmPolicy == "open" {
			allow = append(allow, "*")
		}
		c := map[string]any{"dmPolicy": dmPolicy, "groupPolicy": groupPolicy, "allowFrom": allow,
			"reactionNotifications": "all"}
		if groupAllowFrom != "" {
			c["groupAllowFrom"] = splitList(groupAllowFrom)
		}
		groups := map[string]any{}
		for _, k := range splitList(groupKeys) {
			groups[k] = map[string]any{"requireMention": len(k)%2 == 0}
		}
		if len(groups) > 0 {
			c["groups"] = groups
		}
		top := map[string]any{"channels": map[string]any{"imessage": c},
			"messages": map[string]any{"groupChat": map[string]any{"mentionPatterns": []string{`\bclaw\b`}}}}
		text, _ := json.Marshal(top)
		g, _, err := buildGate(string(text), Options{})
		if err != nil {
			return // a configuration the gate refuses admits nobody
		}
		if record.Validate(payload) != nil {
			return
		}
		m, err := decodePayload(payload, false)
		if err != nil {
			return
		}
		look := &fakeLookups{approved: map[string]bool{}, sent: map[string]bool{"x": true}}
		for _, a := range splitList(approved) {
			if h, err := handle.Normalize(a, "US"); err == nil {
				look.approved[h] = true
			}
		}
		kind := record.KindMessage
		if reaction {
			kind = record.KindReaction
		}
		d, err := g.Decide(kind, m, look)
		if err != nil {
			t.Fatalf("Decide = %v", err)
		}
		if d.Action != Dispatch && d.Action != Configure {
			return
		}
		if why := admitted(g, m, allow, c["groupAllowFrom"], groups, look.approved); why != "" {
			t.Fatalf("dispatched a message no rule admits (%s): config %s message %s decision %+v", why, text, payload, d)
		}
	})
}

func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// admitted re-derives from the spec whether any rule admits m; it returns
// why not, or "".
func admitted(g *Gate, m *imsg.Message, allow []string, groupAllowRaw any, groups map[string]any, approved map[string]bool) string {
	sender := strings.TrimSpace(m.Sender)
	if sender == "" {
		return "no sender"
	}
	norm := ""
	if !handle.IsChatTarget(sender) {
		norm, _ = handle.Normalize(sender, "US")
	}
	isGroup := m.IsGroup || distinctParticipants(m.Participants) > 1
	for k := range groups {
		if k == "*" {
			continue
		}
		key := k
		if !strings.Contains(k, ":") {
			key = "chat_id:" + k
		}
		t, err := handle.ParseTarget(key, "US")
		if err != nil {
			continue
		}
		switch {
		case t.Kind == handle.KindChatID && t.ChatID == m.ChatID,
			t.Kind == handle.KindChatGUID && t.Value == strings.TrimSpace(m.ChatGUID),
			t.Kind == handle.KindChatIdentifier && t.Value == strings.TrimSpace(m.ChatIdentifier):
			isGroup = true
		}
	}
	if m.IsFromMe {
		self := !isGroup && same(sender, m.ChatIdentifier) && same(m.DestinationCallerID, sender)
		if !self || m.IsReaction {
			return "from me outside a true self-chat"
		}
	}
	sms := strings.HasPrefix(strings.ToUpper(m.ChatGUID), "SMS;") || strings.HasPrefix(strings.ToUpper(m.ChatGUID), "RCS;")
	explicit := func(list []string) bool {
		for _, e := range list {
			ae, err := handle.ParseAllowEntry(e, "US")
			switch {
			case err != nil || ae.Wildcard:
			case ae.Kind == handle.KindChatID && ae.ChatID == m.ChatID && m.ChatID > 0,
				ae.Kind == handle.KindChatGUID && ae.Value == strings.TrimSpace(m.ChatGUID),
				ae.Kind == handle.KindChatIdentifier && ae.Value == strings.TrimSpace(m.ChatIdentifier),
				ae.Kind == handle.KindHandle && norm != "" && ae.Value == norm:
				return true
			}
		}
		return false
	}
	wild := func(list []string) bool {
		for _, e := range list {
			if strings.TrimSpace(e) == "*" {
				return true
			}
		}
		return false
	}
	if isGroup {
		if m.ChatID <= 0 {
			return "group without chat id"
		}
		list := allow
		if raw, ok := groupAllowRaw.([]string); ok {
			list = raw
		}
		switch {
		case g.groupPolicy == "disabled":
			return "groups disabled"
		case explicit(list):
		case (g.groupPolicy == "open" || wild(list)) && !sms:
		default:
			return "sender not in the group allowlist"
		}
		if len(groups) > 0 && groups["*"] == nil {
			return "" // the chat must be listed: checked through isGroup above only when listed
		}
		return ""
	}
	switch {
	case g.dmPolicy == "disabled":
		return "DMs disabled"
	case explicit(allow):
	case g.dmPolicy != "allowlist" && norm != "" && approved[norm]:
	case (g.dmPolicy == "open" || wild(allow)) && !sms:
	default:
		return "sender not allowed in DMs"
	}
	return ""
}

func same(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" || b == "" {
		return false
	}
	na, ea := handle.Normalize(a, "US")
	nb, eb := handle.Normalize(b, "US")
	if ea == nil && eb == nil && !handle.IsChatTarget(a) && !handle.IsChatTarget(b) {
		return na == nb
	}
	return strings.EqualFold(a, b)
}
