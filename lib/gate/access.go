package gate

import (
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// Lookups are the state store questions a decision asks. The stream
// answers them from the account's store (with in-memory caches); tests use
// a fake. An error stops the gate: a store it cannot read must never be
// taken for an empty one (the reference swallowed such errors, #139182).
type Lookups interface {
	// Approved reports whether a normalised handle was approved by pairing.
	Approved(handle string) (bool, error)
	// Echo reports (and consumes) a remembered sent message in scope that
	// the inbound message echoes: by guid, or, when text is not empty, by
	// text within the echo TTL (see state.Store.SeenEcho).
	Echo(scope, guid, text string) (bool, error)
	// SentGUID reports whether guid names a message this account sent.
	SentGUID(guid string) (bool, error)
}

// chat is what the rules know about the chat of a message.
type chat struct {
	id         int64
	guid       string
	identifier string
	key        string // canonical target: chat_id:N, else chat_guid:…, chat_identifier:…, or the sender
	isGroup    bool
	entry      *config.Group // the chat's own groups entry
	sms        bool
}

// chatOf classifies the chat of m. A chat counts as a group when imsg says
// so, when its chat is listed explicitly in the groups map (a thread imsg
// reports with is_group false: #20618), or when it has more than one other
// participant (a "group-ish" thread, pain point #11).
func (g *Gate) chatOf(m *imsg.Message, sender string) chat {
	c := chat{id: m.ChatID, guid: strings.TrimSpace(m.ChatGUID), identifier: strings.TrimSpace(m.ChatIdentifier)}
	switch {
	case c.id > 0:
		c.key = handle.FormatChatTarget(c.id)
	case c.guid != "":
		c.key = handle.PrefixChatGUID + c.guid
	case c.identifier != "":
		c.key = handle.PrefixChatIdentifier + c.identifier
	default:
		c.key = sender
	}
	c.entry = g.groupEntry(c)
	c.isGroup = m.IsGroup || c.entry != nil || distinctParticipants(m.Participants) > 1
	c.sms = isSMS(m.ChatGUID)
	return c
}

// groupEntry is the chat's own entry in the groups map ("*" excluded).
func (g *Gate) groupEntry(c chat) *config.Group {
	if !g.hasGroups {
		return nil
	}
	for _, k := range []string{
		handle.FormatChatTarget(c.id),
		prefixed(handle.PrefixChatGUID, c.guid),
		prefixed(handle.PrefixChatIdentifier, c.identifier),
	} {
		if e, ok := g.groups[k]; ok && k != "" {
			return &e
		}
	}
	return nil
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}

func distinctParticipants(ps []string) int {
	if len(ps) < 2 {
		return len(ps)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if p = strings.TrimSpace(p); p != "" {
			seen[strings.ToLower(p)] = true
		}
	}
	return len(seen)
}

// isSMS reports a chat carried over SMS/MMS (or RCS) rather than iMessage,
// from the service in front of its guid ("SMS;-;+15551234567").
func isSMS(chatGUID string) bool {
	svc, _, ok := strings.Cut(chatGUID, ";")
	return ok && (strings.EqualFold(svc, "SMS") || strings.EqualFold(svc, "RCS"))
}

// registryAllows is the group registry gate (spec §7 and §5 step 10),
// with the fix for #78749: groupPolicy "allowlist" with a sender allowlist
// and no groups map admits the allowed senders instead of every group
// message being dropped.
func (g *Gate) registryAllows(c chat) bool {
	enabled := g.groupPolicy == "allowlist" || g.hasGroups
	switch {
	case g.groupPolicy == "disabled":
		return false
	case !enabled, g.defaultGroup != nil, c.entry != nil:
		return true
	}
	return !g.hasGroups && !g.groupAllow.empty()
}

// requireMention resolves a chat's requireMention: its own entry, then
// "*", then true.
func (g *Gate) requireMention(c chat) bool {
	if c.entry != nil && c.entry.RequireMention != nil {
		return *c.entry.RequireMention
	}
	if g.defaultGroup != nil && g.defaultGroup.RequireMention != nil {
		return *g.defaultGroup.RequireMention
	}
	return true
}

// access applies the DM or group policy (spec §5 step 9). It returns how
// the sender was admitted, or the drop reason, or pair=true for a stranger
// under dmPolicy "pairing". SMS senders are not admitted by "open",
// "*" or pairing unless Options.TrustSMS (an SMS sender id can be spoofed).
func (g *Gate) access(senderNorm string, c chat, look Lookups) (admit, drop string, pair bool, err error) {
	untrusted := c.sms && !g.opts.TrustSMS
	if c.isGroup {
		switch g.groupPolicy {
		case "disabled":
			return "", ReasonGroupDisabled, false, nil
		case "open":
			if g.groupAllow.allows(senderNorm, c) {
				return AdmitGroupAllowFrom, "", false, nil
			}
			if untrusted {
				return "", ReasonUntrustedSMS, false, nil
			}
			return AdmitOpen, "", false, nil
		}
		switch {
		case g.groupAllow.empty():
			return "", ReasonGroupEmptyAllow, false, nil
		case g.groupAllow.allows(senderNorm, c):
			return AdmitGroupAllowFrom, "", false, nil
		case !g.groupAllow.wildcard:
			return "", ReasonNotInGroupAllow, false, nil
		case untrusted:
			return "", ReasonUntrustedSMS, false, nil
		}
		return AdmitWildcard, "", false, nil
	}
	if g.dmPolicy == "disabled" {
		return "", ReasonDMDisabled, false, nil
	}
	if g.allow.allows(senderNorm, c) {
		return AdmitAllowFrom, "", false, nil
	}
	if g.dmPolicy != "allowlist" && senderNorm != "" {
		ok, err := look.Approved(senderNorm)
		if err != nil {
			return "", "", false, err
		}
		if ok {
			return AdmitPairing, "", false, nil
		}
	}
	open := g.dmPolicy == "open" || g.allow.wildcard
	switch {
	case open && untrusted, g.dmPolicy == "pairing" && untrusted:
		return "", ReasonUntrustedSMS, false, nil
	case g.dmPolicy == "open":
		return AdmitOpen, "", false, nil
	case g.allow.wildcard:
		return AdmitWildcard, "", false, nil
	case g.dmPolicy == "pairing":
		return "", "", true, nil
	}
	return "", ReasonDMBlocked, false, nil
}

// commandAuthorized reports whether sender may run control commands (spec
// §5 step 19): an explicit entry of allowFrom or groupAllowFrom, or, in a
// DM, approval by pairing. Unlike the reference, "*" does not authorise:
// an open door to talk is not a key to the controls.
func (g *Gate) commandAuthorized(senderNorm string, c chat, look Lookups) (bool, error) {
	if !g.commands.useAccessGroups {
		return true, nil
	}
	if g.allow.allows(senderNorm, c) ||
		g.groupAllow.allows(senderNorm, c) {
		return true, nil
	}
	if c.isGroup || g.dmPolicy == "allowlist" || senderNorm == "" {
		return false, nil
	}
	return look.Approved(senderNorm)
}

// isOwner reports a sender named by handle in allowFrom: the only senders
// /config accepts, because it can rewrite the access rules themselves.
func (g *Gate) isOwner(senderNorm string) bool {
	return senderNorm != "" && g.allow.handles[senderNorm]
}

// replyContextAllowed applies contextVisibility to a quoted reply (spec
// §5 step 16): in a group with a non-empty allowlist under "allowlist",
// the quoted sender must be allowed too.
func (g *Gate) replyContextAllowed(m *imsg.Message, c chat) bool {
	if !c.isGroup || g.contextVisibility != "allowlist" || g.groupAllow.empty() || g.groupAllow.wildcard {
		return true
	}
	return g.groupAllow.allows(normalizeSender(strings.TrimSpace(m.ReplyToSender), g.region), c)
}

// echoScopes are the echo cache scopes a message may have been sent under:
// the canonical reply targets imsg-send remembers — the chat ("chat_id:N",
// and its guid and identifier forms) and, in a DM, the sender's normalised
// handle (bare, or behind an imessage: or sms: prefix). A group member's text is never matched against what the agent
// sent them privately.
func echoScopes(c chat, senderNorm string) []string {
	out := make([]string, 0, 4)
	if c.id > 0 {
		out = append(out, handle.PrefixChatID+strconv.FormatInt(c.id, 10))
	}
	if c.guid != "" {
		out = append(out, handle.PrefixChatGUID+c.guid)
	}
	if c.identifier != "" {
		out = append(out, handle.PrefixChatIdentifier+c.identifier)
	}
	if senderNorm != "" && !c.isGroup {
		// The bare handle, and the forms a reply target with a service
		// prefix is remembered under.
		out = append(out, senderNorm, "imessage:"+senderNorm, "sms:"+senderNorm)
	}
	return out
}
