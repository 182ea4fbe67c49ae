// Package route is the imsg-route stage: for every message that imsg-gate
// let through it picks the agent (bindings, then jq predicates, then the
// default agent), computes the session key exactly as the reference gateway
// does under every session.dmScope, resolves where the reply goes (always
// the originating chat, "chat_id:N" whenever the chat id is known), and
// gathers what the agent needs to answer without reading any database: the
// sender, the quoted reply, the group messages imsg-gate held back, and one
// history_limit for the agent's transcript. The rules are
// spec/channel-behaviour.md §10–§11, with the DM history-limit bug of §19
// fixed.
//
// Router (this file, binding.go, session.go, context.go) is pure: config
// and a message in, a Result out. Stream (stream.go) applies it to NDJSON
// records and reads the pending group history from the state store;
// app.go is the command line.
package route

import (
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/handle"
)

// DefaultDMHistoryLimit is the transcript length of a DM when neither
// dms.<handle>.historyLimit nor dmHistoryLimit is set. The reference keeps
// such transcripts unbounded and relies on compaction this toolkit does
// not have, so a DM gets as many user turns as a group gets by default.
const DefaultDMHistoryLimit = 50

// Router holds one account's compiled routing rules. It is safe for
// concurrent use once built.
type Router struct {
	file     *config.File
	acct     *config.Account
	bindings []binding
	scope    string
	mainKey  string
	links    map[string][]string
	region   string
	defAgent string
	// dms maps a normalised handle (and a canonical identity-link name) to
	// its dms.<key>.historyLimit.
	dms map[string]int
	// groups holds the canonical chat targets with an explicit groups
	// entry: such a chat is a group even when imsg says is_group false.
	groups map[string]bool
	// knownAgents is false when agents.list is empty: then any agent id
	// a binding names is taken as is.
	knownAgents bool
	// hasPredicates: some binding is a jq predicate, so records may need
	// decoding.
	hasPredicates bool
	warnings      []string
}

// New compiles the routing rules of account acct. A binding that cannot
// work, such as a jq predicate that does not compile, is returned as
// config.Errors naming its place in the file (exit 3).
func New(f *config.File, acct *config.Account) (*Router, error) {
	r := &Router{
		file: f, acct: acct, region: acct.Region,
		scope:       f.Session.DMScope,
		mainKey:     NormalizeMainKey(stringOf(f.Session.Raw["mainKey"])),
		links:       identityLinks(f.Session.Raw["identityLinks"]),
		defAgent:    NormalizeAgentID(f.DefaultAgentID()),
		dms:         map[string]int{},
		groups:      map[string]bool{},
		knownAgents: len(f.Agents) > 0,
	}
	bs, errs := compileBindings(f, acct.Region)
	if len(errs) > 0 {
		return nil, errs
	}
	r.bindings = bs
	for _, b := range bs {
		r.hasPredicates = r.hasPredicates || b.jq != nil
		if r.knownAgents && !r.hasAgent(b.agentID) {
			e := f.ErrorAt("binding names agent "+strconv.Quote(b.agentID)+", which agents.list does not have",
				"messages it matches go to the default agent "+strconv.Quote(r.defAgent), bindingPath(b.index, "agentId")...)
			r.warnings = append(r.warnings, e.Error())
		}
	}
	for k, dm := range acct.DMs {
		if dm.HistoryLimit == nil {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(k))
		if h, err := handle.Normalize(k, acct.Region); err == nil {
			key = strings.ToLower(h)
		}
		r.dms[key] = max(*dm.HistoryLimit, 0)
	}
	for k := range acct.Groups {
		if t, ok := groupTarget(k); ok {
			r.groups[t] = true
		}
	}
	return r, nil
}

// Warnings are problems worth telling the user at startup, such as a
// binding naming an agent that does not exist.
func (r *Router) Warnings() []string { return r.warnings }

// groupTarget reads a groups key as a canonical chat target: "7" and
// "chat_id:7" are "chat_id:7"; "*" and junk are no chat.
func groupTarget(k string) (string, bool) {
	k = strings.TrimSpace(k)
	if k == "*" || k == "" {
		return "", false
	}
	if n, err := strconv.ParseInt(k, 10, 64); err == nil {
		return handle.FormatChatTarget(n), n > 0
	}
	t, err := handle.ParseTarget(k, "")
	if err != nil || !t.IsChat() {
		return "", false
	}
	return t.String(), true
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// identityLinks reads session.identityLinks: names to lists of peer ids.
func identityLinks(v any) map[string][]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string][]string{}
	for name, ids := range m {
		list, _ := ids.([]any)
		for _, id := range list {
			if s, ok := id.(string); ok {
				out[name] = append(out[name], s)
			}
		}
	}
	return out
}

// agentFor resolves the agent a binding names as the reference does: when
// agents.list exists and has no such agent, the default agent.
func (r *Router) agentFor(id string) string {
	if !r.knownAgents || r.hasAgent(id) {
		return NormalizeAgentID(id)
	}
	return r.defAgent
}

// hasAgent reports whether agents.list has id, compared as normalised ids
// (so "Ops Team" names the agent listed as "ops-team").
func (r *Router) hasAgent(id string) bool {
	n := NormalizeAgentID(id)
	for _, a := range r.file.Agents {
		if NormalizeAgentID(a.ID) == n {
			return true
		}
	}
	return false
}

// Route decides the route of m. pred evaluates a jq predicate binding
// against the whole record; it is only called when no ordinary binding
// matched, so a stage can decode the record lazily. It may be nil when
// there are no predicates.
func (r *Router) Route(m *Message, pred func(code *Predicate) bool) *Result {
	res := &Result{Binding: -1}
	group := r.isGroup(m)
	sender := m.normalizedSender(r.region)
	res.Sender, res.SenderID, res.SenderName = sender, m.Sender, m.SenderName

	peer := Peer{Kind: PeerDirect, ID: sender}
	var alt []string
	if group {
		res.ChatType = PeerGroup
		peer = Peer{Kind: PeerGroup, ID: m.groupPeerID()}
		if m.ChatGUID != "" {
			alt = append(alt, handle.PrefixChatGUID+m.ChatGUID)
		}
		if m.ChatIdentifier != "" {
			alt = append(alt, handle.PrefixChatIdentifier+m.ChatIdentifier)
		}
	} else {
		res.ChatType = PeerDirect
	}

	account := m.Account
	if account == "" {
		account = r.acct.ID
	}
	b, by := pick(r.bindings, account, peer, alt, func(b *binding) bool {
		return pred != nil && pred(&Predicate{Index: b.index, Source: b.jqSrc, Code: b.jq})
	})
	res.MatchedBy = by
	res.AgentID = r.defAgent
	if b != nil {
		res.Binding = b.index
		res.AgentID = r.agentFor(b.agentID)
	}
	res.SessionKey = SessionKey(SessionParams{
		AgentID: res.AgentID, MainKey: r.mainKey, AccountID: account,
		PeerKind: peer.Kind, PeerID: peer.ID, DMScope: r.scope, IdentityLinks: r.links,
	})
	r.address(m, res, group)
	res.HistoryLimit = r.historyLimit(group, sender)
	return res
}

// isGroup is the group-ish rule: imsg-gate's verdict when the record has
// one; otherwise, by the same rule, imsg's is_group, or a thread with
// several other participants, or a chat with its own groups entry (a
// thread reported with is_group false is still a group, §5 step 4, §19).
func (r *Router) isGroup(m *Message) bool {
	if m.GateIsGroup != nil {
		return *m.GateIsGroup
	}
	if m.IsGroup || m.Participants > 1 {
		return true
	}
	if len(r.groups) == 0 {
		return false
	}
	for _, t := range m.chatTargets() {
		if r.groups[t] {
			return true
		}
	}
	return false
}

// historyLimit resolves the one transcript limit the agent applies: for
// groups historyLimit; for DMs dms.<handle>.historyLimit, else
// dmHistoryLimit, else DefaultDMHistoryLimit. The handle is looked up
// directly, not parsed out of the session key as the reference does, so the
// DM limits apply under every dmScope (the reference loses them under main
// and per-account-channel-peer, §19). An identity-link name works as a dms
// key too, as it does in the reference's per-channel-peer keys.
func (r *Router) historyLimit(group bool, sender string) int {
	if group {
		return r.acct.HistoryLimit
	}
	if n, ok := r.dms[strings.ToLower(sender)]; ok && sender != "" {
		return n
	}
	if linked := LinkedPeer(r.links, sender); linked != "" {
		if n, ok := r.dms[strings.ToLower(linked)]; ok {
			return n
		}
	}
	if r.acct.DMHistoryLimit != nil {
		return max(*r.acct.DMHistoryLimit, 0)
	}
	return DefaultDMHistoryLimit
}

// GroupHistoryLimit is how many held-back group messages to show with a
// dispatched one (historyLimit; 0 shows none).
func (r *Router) GroupHistoryLimit() int { return r.acct.HistoryLimit }
