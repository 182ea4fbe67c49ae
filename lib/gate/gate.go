// Package gate is the imsg-gate stage, the security boundary of the
// pipeline: for every inbound message it decides whether the message may
// reach the agent (dispatch, annotated with a "gate" object), must be
// dropped (with the reference gateway's reason words), or starts pairing
// (a reply carrying a pairing code, and a drop). The rules are those of
// spec/channel-behaviour.md §5–§9 and §13, with the reference's known
// defects (§19) fixed.
//
// The decision (decide.go and the files it calls) is a function of the
// configuration, the approved senders and the echo cache of the state
// store, and two in-memory caches; the stream (stream.go) applies it to
// NDJSON records and does the writing; app.go is the command line.
package gate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// Drop reasons. The first group are the reference gateway's words (spec
// §5), which users' scripts match on; the rest name what this gate does
// beyond the reference.
const (
	ReasonMissingSender       = "missing sender"
	ReasonFromMe              = "from me"
	ReasonSelfChatAgentEcho   = "agent echo in self-chat"
	ReasonGroupNoChatID       = "group without chat_id"
	ReasonGroupDisabled       = "groupPolicy disabled"
	ReasonGroupEmptyAllow     = "groupPolicy allowlist (empty groupAllowFrom)"
	ReasonNotInGroupAllow     = "not in groupAllowFrom"
	ReasonDMDisabled          = "dmPolicy disabled"
	ReasonDMBlocked           = "dmPolicy blocked"
	ReasonGroupNotAllowed     = "group id not in allowlist"
	ReasonEmptyBody           = "empty body"
	ReasonSelfChatEcho        = "self-chat echo"
	ReasonEcho                = "echo"
	ReasonReflected           = "reflected assistant content"
	ReasonCommandUnauthorized = "control command (unauthorized)"
	ReasonNoMention           = "no mention"

	ReasonPairing         = "pairing"                     // a pairing code was sent
	ReasonPairingRepeat   = "pairing (already requested)" // the sender already has a live code
	ReasonPairingFull     = "pairing (too many pending)"  // MaxPendingPairings reached: no reply
	ReasonPairingInvalid  = "pairing (invalid sender id)" // the sender is no phone number or email
	ReasonUntrustedSMS    = "untrusted sms sender"
	ReasonEchoLoop        = "echo loop"
	ReasonDuplicate       = "duplicate"
	ReasonWhere           = "where"
	ReasonReactionsOff    = "reactionNotifications off"
	ReasonReactionNotOwn  = "reaction not to own message"
	ReasonMalformed       = "malformed record"
	ReasonOtherAccount    = "account mismatch"
	ReasonAccountDisabled = "account disabled"
	ReasonConfigCommand   = "config command"
)

// How a dispatched sender was admitted (gate.admitted_by).
const (
	AdmitAllowFrom      = "allow_from"       // an explicit allowFrom entry
	AdmitGroupAllowFrom = "group_allow_from" // an explicit groupAllowFrom entry
	AdmitPairing        = "pairing"          // approved through imsg-pair
	AdmitWildcard       = "wildcard"         // a "*" entry
	AdmitOpen           = "open"             // dmPolicy or groupPolicy "open"
)

// Options are the gate settings that do not come from the config file.
type Options struct {
	// AgentID picks the agent whose mention patterns apply ("" = the
	// default agent).
	AgentID string
	// TrustSMS admits SMS senders through "open" policies, "*" entries and
	// pairing, which otherwise refuse them: an SMS sender id can be spoofed.
	TrustSMS bool
	// SilentPairing records pairing requests without replying to the
	// stranger; the owner approves from imsg-pair list.
	SilentPairing bool
	// EchoTTL is how long a sent text matches its echo
	// (state.DefaultEchoTTL when 0).
	EchoTTL time.Duration
	// Clock drives the self-chat cache and the loop breaker.
	Clock clock.Clock
}

// Gate holds one account's compiled rules. Build it with New; it is not
// safe for concurrent use (its caches are updated by Decide).
type Gate struct {
	opts    Options
	file    *config.File
	acct    *config.Account
	region  string
	account string

	dmPolicy, groupPolicy string
	allow                 list                    // allowFrom
	groupAllow            list                    // groupAllowFrom (falls back to allowFrom)
	groups                map[string]config.Group // keyed by canonical chat target or "*"
	hasGroups             bool
	defaultGroup          *config.Group

	mentions      *Mentions
	mentionSource string
	commands      commandRules

	reactions          string
	historyLimit       int
	includeAttachments bool
	roots              []string
	contextVisibility  string

	caches *Caches
	norm   map[string]string // normalize's memory
}

// list is a compiled allowlist. "*" is kept apart from the explicit
// entries: it lets anyone talk, but never authorises commands, and it does
// not admit SMS senders without --trust-sms.
type list struct {
	wildcard    bool
	n           int // explicit entries
	handles     map[string]bool
	chatIDs     map[int64]bool
	guids       map[string]bool
	identifiers map[string]bool
}

func (l list) empty() bool { return !l.wildcard && l.n == 0 }

// allows reports an explicit entry for the sender (normalised; "" matches
// no handle entry) or for the chat (spec §6.4): a chat entry admits every
// sender in that chat.
func (l list) allows(senderNorm string, c chat) bool {
	if l.n == 0 {
		return false
	}
	return (c.id > 0 && l.chatIDs[c.id]) || (c.guid != "" && l.guids[c.guid]) ||
		(c.identifier != "" && l.identifiers[c.identifier]) || (senderNorm != "" && l.handles[senderNorm])
}

type commandRules struct {
	text            bool // commands.text: text commands are recognised
	useAccessGroups bool
	configAllowed   bool // commands.config and configWrites
	configDisabled  string
}

// Caches is the in-memory state a gate keeps between messages: the
// self-chat cache and the loop breaker. It outlives a Gate rebuilt after a
// /config change.
type Caches struct {
	selfChat *selfChatCache
	loops    *loopLimiter
}

// NewCaches returns empty caches.
func NewCaches() *Caches {
	return &Caches{selfChat: newSelfChatCache(), loops: newLoopLimiter(loopWindow, loopThreshold)}
}

// New compiles the rules of account acct of file. Problems lib/config
// cannot see — an allowlist entry that is no handle, a mention pattern that
// does not compile or matches everything, a groups key that names no chat —
// come back as config.Errors (exit 3); warnings are things the user should
// know at startup, such as a configuration that admits nobody.
func New(file *config.File, acct *config.Account, opts Options, caches *Caches) (*Gate, []Warning, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.EchoTTL <= 0 {
		opts.EchoTTL = state.DefaultEchoTTL
	}
	if caches == nil {
		caches = NewCaches()
	}
	g := &Gate{
		opts: opts, file: file, acct: acct, region: acct.Region, account: acct.ID,
		dmPolicy: acct.DMPolicy, groupPolicy: acct.GroupPolicy,
		reactions: acct.ReactionNotifications, historyLimit: acct.HistoryLimit,
		includeAttachments: acct.IncludeAttachments, contextVisibility: acct.ContextVisibility,
		caches: caches, norm: map[string]string{},
	}
	g.roots = acct.AttachmentRoots
	if acct.RemoteHost != "" {
		g.roots = acct.RemoteAttachmentRoots
	}
	var errs config.Errors
	g.allow = g.compileList(acct.AllowFrom, "allowFrom", &errs)
	if acct.GroupAllowFromSet {
		g.groupAllow = g.compileList(acct.GroupAllowFrom, "groupAllowFrom", &errs)
	} else {
		g.groupAllow = g.allow // the fallback; its errors are reported once
	}
	g.compileGroups(&errs)

	patterns, source := file.MentionPatterns(opts.AgentID)
	mentions, perrs := CompileMentions(patterns)
	for _, pe := range perrs {
		errs = append(errs, g.mentionError(pe, source))
	}
	g.mentions, g.mentionSource = mentions, source
	g.commands = commandRules{
		text:            file.Commands.Text,
		useAccessGroups: file.Commands.UseAccessGroups,
		configAllowed:   file.Commands.Config && acct.ConfigWrites,
	}
	switch {
	case !file.Commands.Config:
		g.commands.configDisabled = "/config is disabled: set commands.config to true to allow it"
	case !acct.ConfigWrites:
		g.commands.configDisabled = "/config is disabled for this account: channels.imessage.configWrites is false"
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			a, b := errs[i], errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, nil, errs
	}
	return g, g.warnings(g.mentionSource), nil
}

// compileList parses allowlist entries, reporting each bad one at its key
// path (when errs is not nil).
func (g *Gate) compileList(entries []string, key string, errs *config.Errors) list {
	l := list{handles: map[string]bool{}, chatIDs: map[int64]bool{}, guids: map[string]bool{}, identifiers: map[string]bool{}}
	for i, e := range entries {
		ae, err := handle.ParseAllowEntry(e, g.region)
		switch {
		case err != nil:
			if errs != nil {
				*errs = append(*errs, g.file.ErrorAt(fmt.Sprintf("invalid entry %q: %v", e, err),
					`use a phone number ("+15551234567"), an email, "chat_id:N", "chat_guid:…", "chat_identifier:…" or "*"`,
					g.entryPath(key, e, i)...))
			}
			continue
		case ae.Wildcard:
			l.wildcard = true
			continue
		case ae.Kind == handle.KindChatID:
			l.chatIDs[ae.ChatID] = true
		case ae.Kind == handle.KindChatGUID:
			l.guids[ae.Value] = true
		case ae.Kind == handle.KindChatIdentifier:
			l.identifiers[ae.Value] = true
		default:
			l.handles[ae.Value] = true
		}
		l.n++
	}
	return l
}

// accountKeyPath is the config path of an account key as the user wrote
// it: under accounts.<id> when the account entry sets it, else at the
// channel root.
func (g *Gate) accountKeyPath(key string) []any {
	ch, _ := g.file.Raw["channels"].(map[string]any)
	im, _ := ch["imessage"].(map[string]any)
	accts, _ := im["accounts"].(map[string]any)
	if own, ok := accts[g.account].(map[string]any); ok {
		if _, set := own[key]; set {
			return []any{"channels", "imessage", "accounts", g.account, key}
		}
	}
	return []any{"channels", "imessage", key}
}

// entryPath finds the index of entry e in the list as written (blank
// entries are skipped by lib/config, so i may be off); it falls back to i.
func (g *Gate) entryPath(key, e string, i int) []any {
	p := g.accountKeyPath(key)
	var raw any = g.file.Raw
	for _, seg := range p {
		m, _ := raw.(map[string]any)
		raw = m[seg.(string)]
	}
	if l, ok := raw.([]any); ok {
		for j, v := range l {
			s, isStr := v.(string)
			if !isStr {
				s = fmt.Sprint(v)
			}
			if strings.TrimSpace(s) == e {
				return append(p, j)
			}
		}
	}
	return append(p, i)
}

// compileGroups indexes the groups map by canonical chat target. Keys may
// be a chat id ("7"), "*", or a chat target in any spelling
// ("chat_id:7", "chat_guid:iMessage;+;chat1", "chat_identifier:chat1").
func (g *Gate) compileGroups(errs *config.Errors) {
	g.groups = map[string]config.Group{}
	for _, k := range slices.Sorted(mapKeys(g.acct.Groups)) {
		v := g.acct.Groups[k]
		if k == "*" {
			d := v
			g.defaultGroup = &d
			g.groups["*"] = v
			continue
		}
		key := strings.TrimSpace(k)
		if _, err := strconv.ParseInt(key, 10, 64); err == nil {
			key = "chat_id:" + key
		}
		t, err := handle.ParseTarget(key, g.region)
		if err != nil || !t.IsChat() {
			*errs = append(*errs, g.file.ErrorAt(fmt.Sprintf("groups key %q names no chat", k),
				`use a chat id ("7"), "chat_guid:…", "chat_identifier:…" or "*" (see imsg-sim chats or imsg chats --json)`,
				append(g.accountKeyPath("groups"), k)...))
			continue
		}
		g.groups[t.String()] = v
	}
	g.hasGroups = len(g.groups) > 0
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Account is the account id the gate serves.
func (g *Gate) Account() string { return g.account }

// Region is the region national phone numbers are read in.
func (g *Gate) Region() string { return g.region }

// File is the configuration the gate was built from.
func (g *Gate) File() *config.File { return g.file }
