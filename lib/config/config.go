// Package config loads the reference gateway's JSON5 configuration file and
// gives each stage an effective, per-account view of it.
//
// The key names are the reference gateway's (spec/channel-behaviour.md §16),
// so its documentation applies as written and its file can be used
// directly. channels.imessage is checked strictly: an unknown key, a wrong
// type, a bad enum value or a broken cross-field rule is an error that names
// the file, line and column, the key path and, where it helps, a hint. The
// other sections are read leniently: only the keys this project uses are
// checked, and everything else (other channels, other sections) is ignored.
//
// Validation collects every problem; Load returns them as an Errors list
// sorted by position in the file, so the first one reported is always the
// first in the file.
package config

import (
	"regexp"
	"strings"
)

// File is a loaded configuration.
type File struct {
	Path     string         // the file read (after "~" expansion); may not exist for defaults
	Raw      map[string]any // the whole parsed tree, numbers as json.Number, for /config set|unset
	Messages Messages
	Agents   []Agent
	Session  Session
	Commands Commands
	Bindings []Binding
	Warnings Errors // problems that do not stop loading, e.g. a defaultAccount that names no account

	channel   map[string]any            // channels.imessage without accounts and defaultAccount
	accounts  map[string]map[string]any // channels.imessage.accounts
	ids       []string
	defaultID string
	src       []byte
	pos       *posNode
}

// Messages holds the messages.* keys this project reads.
type Messages struct {
	// MentionPatterns is messages.groupChat.mentionPatterns; Set tells an
	// explicit empty list (which disables identity-derived patterns) from
	// no list.
	MentionPatterns    []string
	MentionPatternsSet bool
	// GroupHistoryLimit is messages.groupChat.historyLimit, nil when unset.
	GroupHistoryLimit *int
	// ResponsePrefix is messages.responsePrefix, nil when unset.
	ResponsePrefix *string
	// InboundDebounceMs is messages.inbound.byChannel.imessage ??
	// messages.inbound.debounceMs ?? 0 (0 = no debounce).
	InboundDebounceMs int
}

// Agent is one agents.list entry; keys other than these stay in Raw.
type Agent struct {
	ID       string
	Default  bool
	Name     string
	Identity Identity
	// MentionPatterns is groupChat.mentionPatterns; Set is true when the
	// key is present, even with an empty list.
	MentionPatterns    []string
	MentionPatternsSet bool
	Raw                map[string]any
}

// Identity is how an agent presents itself; mention patterns may be
// derived from it.
type Identity struct {
	Name  string
	Emoji string
}

// Session holds session.*.
type Session struct {
	DMScope string // main (default), per-peer, per-channel-peer or per-account-channel-peer
	Raw     map[string]any
}

// Commands holds commands.*; Raw keeps the keys not modelled here.
type Commands struct {
	Config          bool // /config set|unset allowed; default false
	Text            bool // text control commands recognised; default true
	UseAccessGroups bool // commands need an allowlisted sender; default true
	Raw             map[string]any
}

// Binding is one bindings[] entry, kept raw for the route stage, with where
// it starts in the file so that stage can report "FILE:LINE:COL: bindings[3]: …".
type Binding struct {
	Index     int
	Line, Col int
	Raw       map[string]any
}

// ErrorAt builds an error positioned at keyPath (strings for keys, ints for
// array indices), or at the nearest part of it that exists in the file. Later
// stages use it to report problems the schema cannot see, such as a binding
// that names an unknown agent.
func (f *File) ErrorAt(msg, hint string, keyPath ...any) *Error {
	c := &checker{file: f.Path, src: f.src, pos: f.pos}
	c.report(path(keyPath), true, msg, hint)
	return c.errs[0]
}

// Mention pattern sources reported by MentionPatterns.
const (
	MentionFromAgent    = "agent"    // agents.list[].groupChat.mentionPatterns
	MentionFromMessages = "messages" // messages.groupChat.mentionPatterns
	MentionFromIdentity = "identity" // derived from agents.list[].identity
	MentionFromNone     = "none"
)

// DefaultAgentID is the agents.list entry marked default, else the first
// entry, else "main".
func (f *File) DefaultAgentID() string {
	for _, a := range f.Agents {
		if a.Default {
			return a.ID
		}
	}
	if len(f.Agents) > 0 {
		return f.Agents[0].ID
	}
	return "main"
}

// Agent returns the agents.list entry with the given id (compared
// case-insensitively, as agent ids are normalized to lower case), or nil.
func (f *File) Agent(id string) *Agent {
	id = strings.ToLower(strings.TrimSpace(id))
	for i := range f.Agents {
		if strings.ToLower(f.Agents[i].ID) == id {
			return &f.Agents[i]
		}
	}
	return nil
}

// MentionPatterns returns the regular expressions that count as mentioning
// agentID ("" = the default agent) in a group, and where they came from
// (§8): the agent's groupChat.mentionPatterns if the key is present, even
// empty; else messages.groupChat.mentionPatterns if present; else patterns
// derived from the agent's identity name and emoji; else none.
func (f *File) MentionPatterns(agentID string) (patterns []string, source string) {
	if agentID == "" {
		agentID = f.DefaultAgentID()
	}
	a := f.Agent(agentID)
	switch {
	case a != nil && a.MentionPatternsSet:
		return append([]string{}, a.MentionPatterns...), MentionFromAgent
	case f.Messages.MentionPatternsSet:
		return append([]string{}, f.Messages.MentionPatterns...), MentionFromMessages
	case a != nil:
		if p := identityPatterns(a.Identity); len(p) > 0 {
			return p, MentionFromIdentity
		}
	}
	return nil, MentionFromNone
}

var spaceRE = regexp.MustCompile(`\s+`)

// identityPatterns derives mention patterns from an identity: the name as a
// whole word with an optional leading "@", its words separated by any run
// of whitespace; and the emoji as a literal.
func identityPatterns(id Identity) []string {
	var out []string
	if name := strings.TrimSpace(id.Name); name != "" {
		words := spaceRE.Split(name, -1)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		out = append(out, `\b@?`+strings.Join(words, `\s+`)+`\b`)
	}
	if emoji := strings.TrimSpace(id.Emoji); emoji != "" {
		out = append(out, regexp.QuoteMeta(emoji))
	}
	return out
}
