package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultAccountID is the account id used when channels.imessage has no
// accounts map.
const DefaultAccountID = "default"

// DefaultAttachmentRoot is always appended to the attachment roots, so
// configured roots only add to it.
const DefaultAttachmentRoot = "/Users/*/Library/Messages/Attachments"

// Account is the effective configuration of one iMessage account: the
// channels.imessage root overlaid by the account's own entry (arrays and
// objects replace, never merge), with every default applied and the derived
// values of spec §4.1 computed.
type Account struct {
	ID           string
	Name         string
	Enabled      bool // neither the channel nor the account says enabled: false
	Configured   bool // any key that sets the account up is present (§16)
	ConfigWrites bool // neither the channel nor the account says configWrites: false
	Capabilities []string

	CLIPath    string // trimmed, "~" expanded; default "imsg"
	DBPath     string // trimmed, "~" expanded; "" leaves the choice to imsg
	RemoteHost string // normalized "host" or "user@host"; "" when not configured
	Service    string // imessage, sms or auto (default)
	Region     string // default "US"
	DefaultTo  string // trimmed

	DMPolicy          string   // pairing (default), allowlist, open or disabled
	AllowFrom         []string // trimmed, non-empty, numbers as decimal strings
	GroupPolicy       string   // allowlist (default), open or disabled
	GroupAllowFrom    []string // the key's value when set (even empty), else AllowFrom
	GroupAllowFromSet bool
	ContextVisibility string // all (default), allowlist or allowlist_quote
	Groups            map[string]Group

	HistoryLimit   int  // ≥ 0; account ?? channel ?? messages.groupChat.historyLimit ?? 50
	DMHistoryLimit *int // nil when unset
	DMs            map[string]DM

	IncludeAttachments    bool
	AttachmentRoots       []string // account, channel, default; normalized and de-duplicated
	RemoteAttachmentRoots []string // remote roots first, then the local ones, then the default
	MediaMaxMb            int      // default 16
	MediaMaxBytes         int64

	ProbeTimeoutMs         int    // default 10000
	TextChunkLimit         int    // default 4000
	ChunkMode              string // length (default) or newline
	MarkdownTables         string // off, bullets or code (default; "block" reads as code)
	BlockStreaming         *bool  // nil leaves the global default
	BlockStreamingCoalesce map[string]any
	ResponsePrefix         string // account → channel → messages.responsePrefix; "" for none
	ReactionNotifications  string // off, own (default) or all

	Heartbeat     map[string]any
	HealthMonitor map[string]any

	// Raw is the overlaid account object as written, for IsSet and for keys
	// a stage reads itself.
	Raw map[string]any
}

// Group is one groups entry: a chat id, or "*" for every group.
type Group struct {
	RequireMention *bool // nil: fall back to "*", then true
	Tools          map[string]any
	ToolsBySender  map[string]any
	SystemPrompt   string
}

// DM is one dms entry, keyed by the normalized handle.
type DM struct {
	HistoryLimit *int
}

// IsSet reports whether key was written in the channel root or the
// account entry (as opposed to defaulted).
func (a *Account) IsSet(key string) bool {
	_, ok := a.Raw[key]
	return ok
}

// ProbeTimeout is ProbeTimeoutMs as a duration.
func (a *Account) ProbeTimeout() time.Duration {
	return time.Duration(a.ProbeTimeoutMs) * time.Millisecond
}

// AccountIDs returns the account ids: the sorted keys of
// channels.imessage.accounts, or ["default"] when there are none.
func (f *File) AccountIDs() []string { return slices.Clone(f.ids) }

// DefaultAccount returns the id used when no account is given:
// defaultAccount if it names an account, else "default" if that is an
// account, else the first id.
func (f *File) DefaultAccount() string { return f.defaultID }

// Account returns the effective configuration of account id ("" = the
// default account). An unknown id is an error that lists the known ones.
func (f *File) Account(id string) (*Account, error) {
	if id == "" {
		id = f.defaultID
	}
	if !slices.Contains(f.ids, id) {
		// No line: the id comes from --account, not from a place in the file.
		return nil, &Error{File: f.Path, Path: "channels.imessage.accounts",
			Msg: fmt.Sprintf("unknown account %q", id), Hint: "known accounts: " + quoteList(f.ids)}
	}
	own := f.accounts[id] // nil for the implicit default account
	m := maps.Clone(f.channel)
	maps.Copy(m, own)
	a := &Account{
		ID:                     id,
		Name:                   text(m, "name", ""),
		Enabled:                flag(f.channel, "enabled", true) && flag(own, "enabled", true),
		ConfigWrites:           flag(f.channel, "configWrites", true) && flag(own, "configWrites", true),
		CLIPath:                expandHome(strings.TrimSpace(text(m, "cliPath", "imsg"))),
		DBPath:                 expandHome(strings.TrimSpace(text(m, "dbPath", ""))),
		Service:                text(m, "service", "auto"),
		Region:                 strings.TrimSpace(text(m, "region", "")),
		DefaultTo:              strings.TrimSpace(text(m, "defaultTo", "")),
		DMPolicy:               text(m, "dmPolicy", "pairing"),
		GroupPolicy:            text(m, "groupPolicy", "allowlist"),
		ContextVisibility:      text(m, "contextVisibility", "all"),
		DMHistoryLimit:         intPtr(m, "dmHistoryLimit"),
		IncludeAttachments:     flag(m, "includeAttachments", false),
		MediaMaxMb:             num(m, "mediaMaxMb", 16),
		ProbeTimeoutMs:         num(m, "probeTimeoutMs", 10000),
		TextChunkLimit:         num(m, "textChunkLimit", 4000),
		ChunkMode:              text(m, "chunkMode", "length"),
		MarkdownTables:         text(obj(m, "markdown"), "tables", "code"),
		ReactionNotifications:  text(m, "reactionNotifications", "own"),
		BlockStreamingCoalesce: objOrNil(m, "blockStreamingCoalesce"),
		Heartbeat:              objOrNil(m, "heartbeat"),
		HealthMonitor:          objOrNil(m, "healthMonitor"),
		Raw:                    m,
	}
	if a.Region == "" {
		a.Region = "US"
	}
	if a.MarkdownTables == "block" {
		a.MarkdownTables = "code"
	}
	a.MediaMaxBytes = int64(a.MediaMaxMb) << 20
	a.Capabilities, _ = stringsOf(m["capabilities"])
	if h, ok := m["remoteHost"].(string); ok {
		a.RemoteHost, _ = SSHHost(h)
	}
	if b, ok := m["blockStreaming"].(bool); ok {
		a.BlockStreaming = &b
	}

	a.AllowFrom, _ = entryStrings(m["allowFrom"])
	a.GroupAllowFrom, a.GroupAllowFromSet = entryStrings(m["groupAllowFrom"])
	if !a.GroupAllowFromSet {
		a.GroupAllowFrom = slices.Clone(a.AllowFrom)
	}

	a.HistoryLimit = 50
	if n := intPtr(m, "historyLimit"); n != nil {
		a.HistoryLimit = *n
	} else if f.Messages.GroupHistoryLimit != nil {
		a.HistoryLimit = *f.Messages.GroupHistoryLimit
	}
	a.HistoryLimit = max(a.HistoryLimit, 0)

	if s, ok := m["responsePrefix"].(string); ok {
		a.ResponsePrefix = s
	} else if f.Messages.ResponsePrefix != nil {
		a.ResponsePrefix = *f.Messages.ResponsePrefix
	}

	a.AttachmentRoots = roots(own["attachmentRoots"], f.channel["attachmentRoots"])
	a.RemoteAttachmentRoots = roots(own["remoteAttachmentRoots"], f.channel["remoteAttachmentRoots"],
		own["attachmentRoots"], f.channel["attachmentRoots"])

	a.DMs = map[string]DM{}
	for k, v := range obj(m, "dms") {
		a.DMs[k] = DM{HistoryLimit: intPtr(v.(map[string]any), "historyLimit")}
	}
	a.Groups = map[string]Group{}
	for k, v := range obj(m, "groups") {
		g := v.(map[string]any)
		e := Group{Tools: objOrNil(g, "tools"), ToolsBySender: objOrNil(g, "toolsBySender"),
			SystemPrompt: text(g, "systemPrompt", "")}
		if b, ok := g["requireMention"].(bool); ok {
			e.RequireMention = &b
		}
		a.Groups[k] = e
	}
	a.Configured = configured(m)
	return a, nil
}

func text(m map[string]any, key, def string) string {
	if s, ok := m[key].(string); ok {
		return s
	}
	return def
}

func num(m map[string]any, key string, def int) int {
	if n, ok := intOf(m[key]); ok {
		return n
	}
	return def
}

func objOrNil(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// roots merges root lists in order, normalized and de-duplicated, and
// appends the default root.
func roots(lists ...any) []string {
	var out []string
	for _, l := range append(lists, []any{DefaultAttachmentRoot}) {
		vals, _ := l.([]any)
		for _, v := range vals {
			s, _ := v.(string)
			if r, ok := RootPattern(s); ok && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// configured is the reference's notion of an account that has been set up
// (§16), judged on the keys actually written rather than schema defaults.
func configured(m map[string]any) bool {
	for _, k := range []string{"cliPath", "dbPath", "service", "region", "dmPolicy", "groupPolicy",
		"includeAttachments", "mediaMaxMb", "textChunkLimit"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	for _, k := range []string{"allowFrom", "groupAllowFrom", "attachmentRoots", "remoteAttachmentRoots"} {
		if l, ok := m[k].([]any); ok && len(l) > 0 {
			return true
		}
	}
	g, _ := m["groups"].(map[string]any)
	return len(g) > 0
}
