package gate

import (
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// Action is what the stream does with a message.
type Action int

// Actions of a Decision.
const (
	// Dispatch: the message goes on, with Decision.Gate added as "gate".
	Dispatch Action = iota + 1
	// Drop: the message stops here, for Decision.Reason.
	Drop
	// Pair: a stranger under dmPolicy "pairing"; request a code for
	// Decision.PairingID, reply with it, and drop the message.
	Pair
	// Configure: an authorised /config command; apply Decision.ConfigEdit
	// (or answer Decision.ConfigRefusal) and answer with a reply.
	Configure
)

// Decision is the verdict on one message.
type Decision struct {
	Action Action
	Reason string     // Drop: the reason words
	Detail string     // more words for the stderr line
	Gate   Annotation // the gate object (Dispatch; also filled as far as known otherwise)

	PairingID string // Pair: the normalised sender

	// History is set with reason "no mention": the message to keep as
	// pending group history under HistoryKey.
	History    *state.HistoryEntry
	HistoryKey string

	ConfigEdit    *ConfigEdit // Configure: the edit to apply
	ConfigRefusal string      // Configure: why nothing is applied
}

// Annotation is the "gate" object added to a dispatched record (documented
// in imsg-records(7)).
type Annotation struct {
	// Sender is the sender normalised (E.164 or lowercased email); the
	// trimmed raw handle when it is neither.
	Sender string `json:"sender"`
	// IsGroup is the gate's view: imsg's is_group, or a chat listed in the
	// groups map, or a thread with several other participants.
	IsGroup bool `json:"is_group"`
	// ChatKey is the canonical chat target: "chat_id:N" when the chat id is
	// known. Pending group history is kept under it.
	ChatKey string `json:"chat_key"`
	// Body is the trimmed text, or for an attachment-only message its
	// placeholder ("<media:image>").
	Body string `json:"body,omitempty"`
	// WasMentioned is true in DMs, for a group message matching a mention
	// pattern, and for an authorised control command that bypassed
	// mention gating.
	WasMentioned bool `json:"was_mentioned"`
	// Command is the control command the text starts with ("status").
	Command string `json:"command,omitempty"`
	// CommandAuthorized: the sender may run control commands.
	CommandAuthorized bool `json:"command_authorized"`
	// AdmittedBy names the rule that let the sender in.
	AdmittedBy string `json:"admitted_by"`
	// ReplyContextAllowed is present when the message quotes another
	// (reply_to_text): whether contextVisibility lets the quote reach the agent.
	ReplyContextAllowed *bool `json:"reply_context_allowed,omitempty"`
	// SMS marks a message that came over SMS (or RCS).
	SMS bool `json:"sms,omitempty"`
	// OwnMessage marks a reaction to a message this account sent.
	OwnMessage bool `json:"own_message,omitempty"`
}

// Decide applies the rules to one message or reaction, in the reference's
// order (spec §5), and updates the self-chat cache and the loop breaker.
// kind is the record kind; a payload with is_reaction is a reaction
// whatever the kind says.
func (g *Gate) Decide(kind string, m *imsg.Message, look Lookups) (Decision, error) {
	drop := func(reason string) (Decision, error) { return Decision{Action: Drop, Reason: reason}, nil }

	// 1. Sender.
	sender := strings.TrimSpace(m.Sender)
	if sender == "" {
		return drop(ReasonMissingSender)
	}
	senderNorm := g.normalize(sender)
	senderKey := senderNorm
	if senderKey == "" {
		senderKey = sender
	}
	c := g.chatOf(m, senderKey)
	now := g.opts.Clock.Now()
	reaction := kind == record.KindReaction || m.IsReaction
	ann := Annotation{Sender: senderKey, IsGroup: c.isGroup, ChatKey: c.key, SMS: c.sms}
	text := strings.TrimSpace(m.Text)
	body := g.body(m, text)
	if !reaction {
		ann.Body = body
	}
	withAnn := func(d Decision) Decision { d.Gate = ann; return d }
	loop := loopKey(c.id, senderKey)
	echoDrop := func(reason string) (Decision, error) {
		g.caches.loops.record(loop, now)
		return withAnn(Decision{Action: Drop, Reason: reason}), nil
	}

	// 5–7. Rows from me: the agent's own output, unless this is a true
	// chat with yourself (sender = chat identifier = destination caller
	// id), where the owner talking to themselves is a real message.
	skipSelfChatCheck := false
	selfKey := func() string { return selfChatKey(selfChatScope(c, senderKey), m.CreatedAt, body) }
	if m.IsFromMe {
		selfThread := !c.isGroup && sameHandle(sender, m.ChatIdentifier, g.region)
		dest := strings.TrimSpace(m.DestinationCallerID)
		switch {
		case reaction:
			return drop(ReasonFromMe)
		case selfThread && dest == "":
			g.caches.selfChat.remember(selfKey(), now)
			return drop(ReasonFromMe)
		case selfThread && sameHandle(dest, sender, g.region):
			g.caches.selfChat.remember(selfKey(), now)
			echo, err := g.isEcho(c, senderNorm, m.GUID, body, look)
			if err != nil {
				return Decision{}, err
			}
			if echo {
				return echoDrop(ReasonSelfChatAgentEcho)
			}
			skipSelfChatCheck = true
		default:
			return drop(ReasonFromMe)
		}
	}

	// 8. A group must have a chat id to be answered in.
	if c.isGroup && c.id <= 0 {
		return drop(ReasonGroupNoChatID)
	}

	// 9. DM and group policy.
	admit, reason, pair, err := g.access(senderNorm, c, look)
	switch {
	case err != nil:
		return Decision{}, err
	case reason != "":
		return withAnn(Decision{Action: Drop, Reason: reason}), nil
	case pair && reaction:
		return withAnn(Decision{Action: Drop, Reason: ReasonPairing, Detail: "a tapback starts no pairing"}), nil
	case pair && senderNorm == "":
		return withAnn(Decision{Action: Drop, Reason: ReasonPairingInvalid}), nil
	case pair:
		return withAnn(Decision{Action: Pair, PairingID: senderNorm}), nil
	}
	ann.AdmittedBy = admit

	// 10. The group registry.
	if c.isGroup && !g.registryAllows(c) {
		return withAnn(Decision{Action: Drop, Reason: ReasonGroupNotAllowed}), nil
	}

	if reaction {
		return g.decideReaction(m, ann, look)
	}

	// 12–15. Empty messages, self-chat duplicates, echoes, reflections.
	if body == "" {
		return withAnn(Decision{Action: Drop, Reason: ReasonEmptyBody}), nil
	}
	if !skipSelfChatCheck && !g.caches.selfChat.empty() && g.caches.selfChat.has(selfKey(), now) {
		return echoDrop(ReasonSelfChatEcho)
	}
	if text != "" || strings.TrimSpace(m.GUID) != "" {
		echo, err := g.isEcho(c, senderNorm, m.GUID, body, look)
		if err != nil {
			return Decision{}, err
		}
		if echo {
			return echoDrop(ReasonEcho)
		}
	}
	if markers := ReflectionMarkers(text); len(markers) > 0 {
		d, _ := echoDrop(ReasonReflected)
		d.Detail = "markers: " + strings.Join(markers, ", ")
		return d, nil
	}

	// 16. Quoted reply context.
	if strings.TrimSpace(m.ReplyToText) != "" {
		ok := g.replyContextAllowed(m, c)
		ann.ReplyContextAllowed = &ok
	}

	// 18–20. Commands and mentions.
	cmdText := text
	if c.isGroup {
		cmdText = g.mentions.StripLeading(text)
	}
	if g.commands.text {
		ann.Command = DetectCommand(cmdText)
	}
	auth, err := g.commandAuthorized(senderNorm, c, look)
	if err != nil {
		return Decision{}, err
	}
	ann.CommandAuthorized = auth
	switch {
	case ann.Command != "" && !auth && (c.isGroup || ann.Command == "config"):
		return withAnn(Decision{Action: Drop, Reason: ReasonCommandUnauthorized}), nil
	case ann.Command == "config":
		ann.WasMentioned = true
		return withAnn(g.decideConfig(cmdText, senderNorm)), nil
	}
	mentioned := !c.isGroup || g.mentions.Match(text)
	requireMention := c.isGroup && g.requireMention(c)
	bypass := requireMention && !mentioned && ann.Command != "" && auth
	ann.WasMentioned = mentioned || bypass
	if requireMention && g.mentions.CanDetect() && !ann.WasMentioned {
		d := withAnn(Decision{Action: Drop, Reason: ReasonNoMention})
		if g.historyLimit > 0 {
			d.HistoryKey = c.key
			d.History = &state.HistoryEntry{Sender: senderKey, Body: body, CreatedAt: m.CreatedAt,
				MessageID: strconv.FormatInt(m.ID, 10), GUID: m.GUID}
		}
		return d, nil
	}

	// The loop breaker: a conversation caught in an echo loop gets no
	// dispatch until the window passes.
	if g.caches.loops.limited(loop, now) {
		return withAnn(Decision{Action: Drop, Reason: ReasonEchoLoop,
			Detail: "echo loop detected in " + loop + ", pausing dispatch"}), nil
	}
	return withAnn(Decision{Action: Dispatch}), nil
}

// decideReaction applies reactionNotifications to an admitted tapback
// (spec §18): off drops them all, own keeps tapbacks on messages this
// account sent, all keeps every one.
func (g *Gate) decideReaction(m *imsg.Message, ann Annotation, look Lookups) (Decision, error) {
	switch g.reactions {
	case "off":
		return Decision{Action: Drop, Reason: ReasonReactionsOff, Gate: ann}, nil
	}
	own, err := look.SentGUID(imsg.NormalizeGUID(strings.TrimSpace(m.ReactedToGUID)))
	if err != nil {
		return Decision{}, err
	}
	ann.OwnMessage = own
	if g.reactions != "all" && !own {
		return Decision{Action: Drop, Reason: ReasonReactionNotOwn, Gate: ann}, nil
	}
	return Decision{Action: Dispatch, Gate: ann}, nil
}

// decideConfig answers an authorised /config command.
func (g *Gate) decideConfig(text, senderNorm string) Decision {
	d := Decision{Action: Configure}
	switch {
	case !g.isOwner(senderNorm):
		d.ConfigRefusal = "/config: only senders named in allowFrom may change the configuration"
	case !g.commands.configAllowed:
		d.ConfigRefusal = g.commands.configDisabled
	default:
		e, err := ParseConfigCommand(text)
		if err != nil {
			d.ConfigRefusal = err.Error()
		} else {
			d.ConfigEdit = &e
		}
	}
	return d
}

// isEcho looks the message up in the echo cache: by guid in every scope
// first, then by text (spec §5 step 14).
func (g *Gate) isEcho(c chat, senderNorm, guid, text string, look Lookups) (bool, error) {
	scopes := echoScopes(c, senderNorm)
	if strings.TrimSpace(guid) != "" {
		for _, s := range scopes {
			if hit, err := look.Echo(s, guid, ""); hit || err != nil {
				return hit, err
			}
		}
	}
	if text == "" {
		return false, nil
	}
	for _, s := range scopes {
		if hit, err := look.Echo(s, guid, text); hit || err != nil {
			return hit, err
		}
	}
	return false, nil
}

// selfChatScope is the self-chat cache scope: the sender in a DM, chat and
// sender in a group.
func selfChatScope(c chat, sender string) string {
	if c.isGroup {
		return c.key + ":imessage:" + sender
	}
	return "imessage:" + sender
}

// normalizeSender is the sender as a handle, or "" when it is not a phone
// number or email (a short code, junk, or a chat target).
func normalizeSender(sender, region string) string {
	if handle.IsChatTarget(sender) {
		return ""
	}
	h, err := handle.Normalize(sender, region)
	if err != nil {
		return ""
	}
	return h
}

// normalize is normalizeSender for the gate's region, remembered: the same
// few senders write again and again, and parsing a phone number is not
// free.
func (g *Gate) normalize(sender string) string {
	if n, ok := g.norm[sender]; ok {
		return n
	}
	if len(g.norm) >= 4096 {
		clear(g.norm)
	}
	n := normalizeSender(sender, g.region)
	g.norm[sender] = n
	return n
}

// sameHandle compares two handles after normalisation; handles that do not
// normalise compare trimmed and case-folded.
func sameHandle(a, b, region string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" || b == "" {
		return false
	}
	na, nb := normalizeSender(a, region), normalizeSender(b, region)
	if na != "" && nb != "" {
		return na == nb
	}
	return strings.EqualFold(a, b)
}
