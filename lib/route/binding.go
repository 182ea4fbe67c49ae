package route

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/handle"
)

// How a route was chosen (route.matched_by). The binding tiers are the
// reference gateway's names.
const (
	MatchedPeer         = "binding.peer"          // a binding naming this chat or sender
	MatchedPeerWildcard = "binding.peer.wildcard" // a binding naming every peer of the kind ("*")
	MatchedAccount      = "binding.account"       // a binding for this account
	MatchedChannel      = "binding.channel"       // a binding for every account ("accountId": "*")
	MatchedJQ           = "binding.jq"            // a jq predicate binding
	MatchedDefault      = "default"               // no binding: the default agent
)

// Peer is who a message comes from, as bindings see it: a group chat (its
// chat id, or guid or identifier when imsg gave no id) or a sender's
// normalised handle.
type Peer struct {
	Kind string // PeerDirect or PeerGroup
	ID   string
}

// binding is one compiled bindings[] entry that can apply to iMessage.
type binding struct {
	index   int
	agentID string
	account string // normalised; "*" any; "" only the default account
	peer    *Peer  // nil: any peer
	jq      *gojq.Code
	jqSrc   string
}

// Binding warnings and errors name the entry as the user wrote it.
func bindingPath(i int, rest ...any) []any { return append([]any{"bindings", i}, rest...) }

// compileBindings keeps the bindings for the iMessage channel, in file
// order, and compiles their jq predicates once. A binding that cannot work
// (no agentId, a peer without kind, a predicate that does not compile) is a
// config error at its place in the file; a binding for another channel is
// skipped silently, as the reference skips it.
func compileBindings(f *config.File, region string) ([]binding, config.Errors) {
	var out []binding
	var errs config.Errors
	for _, b := range f.Bindings {
		if t, _ := b.Raw["type"].(string); t != "" && t != "route" {
			continue // ACP and other binding types do not pick agents here
		}
		m, ok := b.Raw["match"].(map[string]any)
		if !ok {
			errs = append(errs, f.ErrorAt("binding has no match object", `add "match": {"channel": "imessage", …}`, bindingPath(b.Index)...))
			continue
		}
		src, hasJQ := m["jq"]
		ch, hasChannel := m["channel"].(string)
		if hasChannel && !isIMessage(ch) {
			continue
		}
		if !hasChannel && !hasJQ {
			continue // the reference requires a channel; this one is for no channel
		}
		agent, _ := b.Raw["agentId"].(string)
		if strings.TrimSpace(agent) == "" {
			errs = append(errs, f.ErrorAt("binding has no agentId", `name the agent: "agentId": "main"`, bindingPath(b.Index)...))
			continue
		}
		nb := binding{index: b.Index, agentID: agent}
		if a, ok := m["accountId"].(string); ok {
			nb.account = strings.TrimSpace(a)
			if nb.account != "*" {
				nb.account = NormalizeAccountID(nb.account)
			}
		}
		if p, ok := m["peer"]; ok {
			peer, err := compilePeer(p, region)
			if err != nil {
				errs = append(errs, f.ErrorAt(err.Error(), `use "peer": {"kind": "direct", "id": "+15551234567"} or {"kind": "group", "id": "7"}`, bindingPath(b.Index, "match", "peer")...))
				continue
			}
			nb.peer = peer
		}
		if hasJQ {
			s, ok := src.(string)
			if !ok {
				errs = append(errs, f.ErrorAt("jq predicate must be a string", "", bindingPath(b.Index, "match", "jq")...))
				continue
			}
			code, err := compileJQ(s)
			if err != nil {
				errs = append(errs, f.ErrorAt("jq: "+err.Error(), "", bindingPath(b.Index, "match", "jq")...))
				continue
			}
			nb.jq, nb.jqSrc = code, s
		}
		out = append(out, nb)
	}
	return out, errs
}

func isIMessage(ch string) bool {
	switch strings.ToLower(strings.TrimSpace(ch)) {
	case "imessage", "imsg":
		return true
	}
	return false
}

// compilePeer reads a binding's peer: kind direct (or dm) or group (or
// channel), and an id: "*" for every peer of that kind, a handle for a DM
// (compared normalised, so "+1 (555) 123-4567" names +15551234567), or a
// chat for a group ("7", "chat_id:7", "chat_guid:…", "chat_identifier:…").
func compilePeer(v any, region string) (*Peer, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("peer must be an object")
	}
	kind, _ := m["kind"].(string)
	var id string
	switch x := m["id"].(type) {
	case string:
		id = strings.TrimSpace(x)
	case json.Number:
		id = x.String()
	}
	p := &Peer{ID: id}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "direct", "dm":
		p.Kind = PeerDirect
	case "group", "channel":
		p.Kind = PeerGroup
	default:
		return nil, fmt.Errorf("peer kind %q is not direct or group", kind)
	}
	if id == "" {
		return nil, fmt.Errorf("peer has no id")
	}
	if id == "*" {
		return p, nil
	}
	if p.Kind == PeerDirect {
		h, err := handle.Normalize(id, region)
		if err != nil || handle.IsChatTarget(id) {
			return nil, fmt.Errorf("peer id %q is no phone number or email", id)
		}
		p.ID = h
		return p, nil
	}
	p.ID = groupPeerID(id)
	return p, nil
}

// groupPeerID is the canonical spelling of a group peer: the bare chat id
// for chat_id targets (as the reference's peer id is String(chat_id)), the
// canonical target otherwise.
func groupPeerID(id string) string {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return id
	}
	t, err := handle.ParseTarget(id, "")
	if err != nil || !t.IsChat() {
		return id
	}
	if t.Kind == handle.KindChatID {
		return t.Value
	}
	return t.String()
}

func compileJQ(src string) (*gojq.Code, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, err
	}
	return gojq.Compile(q)
}

// matchesAccount is the reference's account test: no accountId means the
// default account only, "*" means every account.
func (b *binding) matchesAccount(account string) bool {
	switch b.account {
	case "*":
		return true
	case "":
		return NormalizeAccountID(account) == DefaultAccountID
	}
	return b.account == NormalizeAccountID(account)
}

// peerMatch tells how b's peer matches p: 2 exactly, 1 by wildcard, 0 not.
func (b *binding) peerMatch(p Peer, alt []string) int {
	if b.peer == nil || b.peer.Kind != p.Kind {
		return 0
	}
	if b.peer.ID == "*" {
		return 1
	}
	if strings.EqualFold(b.peer.ID, p.ID) {
		return 2
	}
	for _, a := range alt {
		if a != "" && b.peer.ID == a {
			return 2
		}
	}
	return 0
}

// pick chooses the binding for a message the way the reference does, by
// tiers rather than file order: a binding naming the peer, then one naming
// every peer of its kind, then one for the account, then one for every
// account; within a tier the first in the file wins. Predicate bindings
// come after all of those, in file order. alt are other spellings of a
// group peer (its chat guid and identifier targets).
func pick(bs []binding, account string, p Peer, alt []string, pred func(*binding) bool) (*binding, string) {
	var wildcard, acct, channel *binding
	for i := range bs {
		b := &bs[i]
		if b.jq != nil || !b.matchesAccount(account) {
			continue
		}
		switch m := b.peerMatch(p, alt); {
		case m == 2:
			return b, MatchedPeer
		case m == 1:
			if wildcard == nil {
				wildcard = b
			}
		case b.peer != nil:
		case b.account == "*":
			if channel == nil {
				channel = b
			}
		default:
			if acct == nil {
				acct = b
			}
		}
	}
	switch {
	case wildcard != nil:
		return wildcard, MatchedPeerWildcard
	case acct != nil:
		return acct, MatchedAccount
	case channel != nil:
		return channel, MatchedChannel
	}
	for i := range bs {
		b := &bs[i]
		if b.jq == nil || !b.matchesAccount(account) && b.account != "" {
			continue
		}
		if b.peer != nil && b.peerMatch(p, alt) == 0 {
			continue
		}
		if pred(b) {
			return b, MatchedJQ
		}
	}
	return nil, MatchedDefault
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
