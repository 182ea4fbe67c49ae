package route

import (
	"strings"
)

// Defaults of the reference gateway's session keys.
const (
	DefaultAgentID   = "main"
	DefaultMainKey   = "main"
	DefaultAccountID = "default"
	// Channel is the channel slot of every session key this stage makes.
	Channel = "imessage"
)

// Session scopes for direct messages (session.dmScope).
const (
	ScopeMain                  = "main"
	ScopePerPeer               = "per-peer"
	ScopePerChannelPeer        = "per-channel-peer"
	ScopePerAccountChannelPeer = "per-account-channel-peer"
)

// Peer kinds.
const (
	PeerDirect = "direct"
	PeerGroup  = "group"
)

// NormalizeAgentID gives an agent id the shape the reference uses in session
// keys: trimmed and lower-cased; an id that is not already letters, digits,
// "_" and "-" (starting with a letter or digit, at most 64 characters) has
// every run of other characters replaced by "-", leading and trailing dashes
// removed and is cut to 64 characters. Blank, or nothing left, gives "main".
func NormalizeAgentID(id string) string { return sanitizeID(id, DefaultAgentID) }

// NormalizeAccountID is NormalizeAgentID with "default" as the fallback, for
// the account slot of per-account-channel-peer keys.
func NormalizeAccountID(id string) string { return sanitizeID(id, DefaultAccountID) }

func sanitizeID(id, fallback string) string {
	s := strings.ToLower(strings.TrimSpace(id))
	if s == "" {
		return fallback
	}
	if validID(s) {
		return s
	}
	var b strings.Builder
	dash := false
	for _, r := range s {
		if idChar(r) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	// The reference trims the dashes first and cuts to 64 after, so an id
	// whose 64th character is a dash keeps it.
	out := strings.Trim(b.String(), "-")
	if len(out) > 64 {
		out = out[:64] // only ASCII is left, so bytes are characters
	}
	if out == "" {
		return fallback
	}
	return out
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
		return false
	}
	for _, r := range s {
		if !idChar(r) {
			return false
		}
	}
	return true
}

func idChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// NormalizeMainKey is session.mainKey trimmed and lower-cased, "main" when
// blank.
func NormalizeMainKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	if k == "" {
		return DefaultMainKey
	}
	return k
}

// SessionParams are the inputs of a session key.
type SessionParams struct {
	AgentID   string
	MainKey   string // session.mainKey; "" means "main"
	AccountID string
	PeerKind  string // PeerDirect or PeerGroup
	PeerID    string // chat id for groups, normalised sender for DMs
	DMScope   string // one of the Scope constants; "" means main
	// IdentityLinks is session.identityLinks: a canonical name and the
	// peer ids ("+15551234567" or "imessage:+15551234567") that are the
	// same person. Used for DMs under every scope but main.
	IdentityLinks map[string][]string
}

// SessionKey builds the session key exactly as the reference gateway does
// (spec/channel-behaviour.md §10.1):
//
//	group                     agent:<agent>:imessage:group:<peer>
//	DM, main (default)        agent:<agent>:<mainKey>
//	DM, per-peer              agent:<agent>:direct:<peer>
//	DM, per-channel-peer      agent:<agent>:imessage:direct:<peer>
//	DM, per-account-channel-peer
//	                          agent:<agent>:imessage:<account>:direct:<peer>
//
// Peer ids are lower-cased; a DM without a peer id falls back to the main
// key, a group without one is "unknown".
func SessionKey(p SessionParams) string {
	agent := NormalizeAgentID(p.AgentID)
	if p.PeerKind != PeerDirect {
		peer := strings.ToLower(strings.TrimSpace(p.PeerID))
		if peer == "" {
			peer = "unknown"
		}
		kind := p.PeerKind
		if kind == "" {
			kind = PeerGroup
		}
		return "agent:" + agent + ":" + Channel + ":" + kind + ":" + peer
	}
	peer := strings.TrimSpace(p.PeerID)
	scope := p.DMScope
	if scope == "" {
		scope = ScopeMain
	}
	if scope != ScopeMain && peer != "" {
		if linked := LinkedPeer(p.IdentityLinks, peer); linked != "" {
			peer = linked
		}
	}
	peer = strings.ToLower(peer)
	if peer != "" {
		switch scope {
		case ScopePerAccountChannelPeer:
			return "agent:" + agent + ":" + Channel + ":" + NormalizeAccountID(p.AccountID) + ":direct:" + peer
		case ScopePerChannelPeer:
			return "agent:" + agent + ":" + Channel + ":direct:" + peer
		case ScopePerPeer:
			return "agent:" + agent + ":direct:" + peer
		}
	}
	return "agent:" + agent + ":" + NormalizeMainKey(p.MainKey)
}

// LinkedPeer returns the canonical name session.identityLinks gives peer,
// or "". A link entry matches the peer id or "imessage:<peer id>", compared
// trimmed and case-insensitively. Canonical names are tried in sorted order
// so that a peer listed under two names always gets the same one (the
// reference takes the first in file order, which a map cannot keep).
func LinkedPeer(links map[string][]string, peer string) string {
	if len(links) == 0 {
		return ""
	}
	raw := strings.ToLower(strings.TrimSpace(peer))
	if raw == "" {
		return ""
	}
	scoped := Channel + ":" + raw
	for _, name := range sortedKeys(links) {
		canonical := strings.TrimSpace(name)
		if canonical == "" {
			continue
		}
		for _, id := range links[name] {
			id = strings.ToLower(strings.TrimSpace(id))
			if id != "" && (id == raw || id == scoped) {
				return canonical
			}
		}
	}
	return ""
}
