package gate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Warning is a startup message: a configuration that loads but probably
// does not do what its author wants.
type Warning struct {
	Msg  string
	Hint string
}

// key renders an account key path as the user would write it.
func (g *Gate) key(name string) string {
	var b strings.Builder
	for i, seg := range g.accountKeyPath(name) {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(fmt.Sprint(seg))
	}
	return b.String()
}

// warnings lists what the user should know at startup: chats nobody can
// reach, and mention gating that cannot be enforced. The reference logged
// its equivalent only at verbose level, so configurations that silently
// dropped every group message went unnoticed (#78749).
func (g *Gate) warnings(mentionSource string) []Warning {
	var out []Warning
	groupsClosed := g.groupPolicy == "disabled" || (g.groupPolicy != "open" && g.groupAllow.empty())
	dmsClosed := g.dmPolicy == "disabled"
	groupList := g.key("groupAllowFrom")
	if !g.acct.GroupAllowFromSet {
		groupList += " (or " + g.key("allowFrom") + ")"
	}
	switch {
	case !g.acct.Enabled:
		out = append(out, Warning{
			Msg:  fmt.Sprintf("account %q is disabled (enabled: false): every message is dropped", g.account),
			Hint: "remove enabled: false to let messages through",
		})
	case dmsClosed && groupsClosed:
		out = append(out, Warning{
			Msg: fmt.Sprintf("this configuration admits nobody: %s is \"disabled\" and no group can be reached (%s is %q)",
				g.key("dmPolicy"), g.key("groupPolicy"), g.groupPolicy),
			Hint: fmt.Sprintf("set %s to \"pairing\" or \"allowlist\" with %s, or list group senders in %s",
				g.key("dmPolicy"), g.key("allowFrom"), groupList),
		})
	case groupsClosed && g.groupPolicy != "disabled":
		out = append(out, Warning{
			Msg: fmt.Sprintf("every group message is dropped: %s is \"allowlist\" and %s is empty",
				g.key("groupPolicy"), groupList),
			Hint: fmt.Sprintf("list the senders (or \"chat_id:N\") allowed in groups in %s, or set %s to \"disabled\" to silence this",
				g.key("groupAllowFrom"), g.key("groupPolicy")),
		})
	}
	if !groupsClosed && g.acct.Enabled && g.mentionsMatter() && !g.mentions.CanDetect() {
		why := "no mention patterns are configured"
		if mentionSource != config.MentionFromNone {
			why = "the mention pattern list is empty (" + mentionSource + ")"
		}
		out = append(out, Warning{
			Msg:  "mention gating cannot be enforced: " + why + ", so group messages are dispatched without a mention",
			Hint: "set messages.groupChat.mentionPatterns (or agents.list[].groupChat.mentionPatterns, or agents.list[].identity.name), or requireMention: false in groups to make it explicit",
		})
	}
	if g.groupPolicy == "open" && g.hasGroups && g.defaultGroup == nil {
		out = append(out, Warning{
			Msg:  fmt.Sprintf("%s is \"open\" but the groups map has no \"*\" entry: groups not listed there are dropped", g.key("groupPolicy")),
			Hint: `add "*": {} to groups to admit every group`,
		})
	}
	return out
}

// mentionsMatter reports whether any group the gate admits could require
// a mention.
func (g *Gate) mentionsMatter() bool {
	def := true
	if g.defaultGroup != nil && g.defaultGroup.RequireMention != nil {
		def = *g.defaultGroup.RequireMention
	}
	if def && (!g.hasGroups || g.defaultGroup != nil) { // unlisted chats get the default
		return true
	}
	for k, e := range g.groups {
		if k != "*" && (e.RequireMention == nil && def || e.RequireMention != nil && *e.RequireMention) {
			return true
		}
	}
	return false
}

func quote(s string) string { return strconv.Quote(s) }
