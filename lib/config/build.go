package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// build validates the parsed tree and, when it is valid, assembles the File.
// Below the schema check every value has the type the schema demands, so
// the lookups here only need to tell present from absent.
func build(name string, top map[string]any, pos *posNode, src []byte) (*File, error) {
	c := &checker{file: name, src: src, pos: pos}
	fileSchema(c, nil, top)
	if len(c.errs) > 0 {
		c.errs.sort()
		return nil, c.errs
	}
	f := &File{Path: name, Raw: top, src: src, pos: pos}
	f.readMessages(obj(top, "messages"))
	f.readAgents(obj(top, "agents"))
	f.Session = Session{DMScope: "main", Raw: obj(top, "session")}
	if s, ok := f.Session.Raw["dmScope"].(string); ok {
		f.Session.DMScope = s
	}
	cmds := obj(top, "commands")
	f.Commands = Commands{
		Config:          flag(cmds, "config", false),
		Text:            flag(cmds, "text", true),
		UseAccessGroups: flag(cmds, "useAccessGroups", true),
		Raw:             cmds,
	}
	list, _ := top["bindings"].([]any)
	for i, b := range list {
		e := f.ErrorAt("", "", "bindings", i)
		f.Bindings = append(f.Bindings, Binding{Index: i, Line: e.Line, Col: e.Col, Raw: b.(map[string]any)})
	}
	f.readChannel(obj(obj(top, "channels"), "imessage"))
	return f, nil
}

// obj returns m[key] as an object; absent (or m nil) gives an empty one, so
// lookups can be chained.
func obj(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	return map[string]any{}
}

func flag(m map[string]any, key string, def bool) bool {
	if b, ok := m[key].(bool); ok {
		return b
	}
	return def
}

func intPtr(m map[string]any, key string) *int {
	if n, ok := intOf(m[key]); ok {
		return &n
	}
	return nil
}

func (f *File) readMessages(m map[string]any) {
	gc := obj(m, "groupChat")
	if p, ok := stringsOf(gc["mentionPatterns"]); ok {
		f.Messages.MentionPatterns, f.Messages.MentionPatternsSet = p, true
	}
	f.Messages.GroupHistoryLimit = intPtr(gc, "historyLimit")
	if s, ok := m["responsePrefix"].(string); ok {
		f.Messages.ResponsePrefix = &s
	}
	in := obj(m, "inbound")
	if n := intPtr(obj(in, "byChannel"), "imessage"); n != nil {
		f.Messages.InboundDebounceMs = *n
	} else if n := intPtr(in, "debounceMs"); n != nil {
		f.Messages.InboundDebounceMs = *n
	}
}

func (f *File) readAgents(m map[string]any) {
	list, _ := m["list"].([]any)
	for _, e := range list {
		raw := e.(map[string]any)
		id, _ := raw["id"].(string)
		name, _ := raw["name"].(string)
		ident := obj(raw, "identity")
		iname, _ := ident["name"].(string)
		emoji, _ := ident["emoji"].(string)
		a := Agent{ID: strings.TrimSpace(id), Default: flag(raw, "default", false), Name: name,
			Identity: Identity{Name: iname, Emoji: emoji}, Raw: raw}
		if p, ok := stringsOf(obj(raw, "groupChat")["mentionPatterns"]); ok {
			a.MentionPatterns, a.MentionPatternsSet = p, true
		}
		f.Agents = append(f.Agents, a)
	}
}

// readChannel splits channels.imessage into the shared root and the
// account overlays, and settles the account ids and the default account.
func (f *File) readChannel(ch map[string]any) {
	f.channel = maps.Clone(ch)
	delete(f.channel, "accounts")
	delete(f.channel, "defaultAccount")
	f.accounts = map[string]map[string]any{}
	for id, a := range obj(ch, "accounts") {
		f.accounts[id] = a.(map[string]any)
	}
	f.ids = slices.Sorted(maps.Keys(f.accounts))
	if len(f.ids) == 0 {
		f.ids = []string{DefaultAccountID}
	}
	want, named := ch["defaultAccount"].(string)
	switch {
	case named && slices.Contains(f.ids, want):
		f.defaultID = want
	case slices.Contains(f.ids, DefaultAccountID):
		f.defaultID = DefaultAccountID
	default:
		f.defaultID = f.ids[0]
	}
	if named && f.defaultID != want {
		w := f.ErrorAt(fmt.Sprintf("defaultAccount %q is not an account; using %q", want, f.defaultID),
			"known accounts: "+quoteList(f.ids), "channels", "imessage", "defaultAccount")
		f.Warnings = append(f.Warnings, w)
	}
}
