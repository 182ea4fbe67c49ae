package chunk

import (
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Overrides are command-line values that win over the config; a nil field
// was not given.
type Overrides struct {
	Limit  *int
	Mode   *Mode
	Tables *TableMode
	Prefix *string // a responsePrefix setting: "auto" and templates allowed
}

// maxCached bounds the settings cache; agent ids come from the stream.
const maxCached = 1024

type resolver struct {
	f        *config.File
	accounts map[string]*config.Account
	fallback *config.Account
	o        Overrides
	cache    map[[2]string]Settings
}

// NewResolver returns the settings of each reply from the config and the
// overrides. A reply uses the account named in its "account" field when
// the config has that account, else account (the --account value; "" for
// the default account), whose configuration must exist. The agent behind
// an "auto" prefix and {identity.name} is the one Stream names ("" for the
// default agent); its name is agents.list[].identity.name. A reply record
// carries no model, provider or thinking level, so {model}, {modelFull},
// {provider}, {thinkingLevel} and {think} stay as written.
func NewResolver(f *config.File, account string, o Overrides) (Resolver, error) {
	fb, err := f.Account(account)
	if err != nil {
		return nil, err
	}
	r := &resolver{f: f, fallback: fb, o: o, accounts: map[string]*config.Account{}, cache: map[[2]string]Settings{}}
	for _, id := range f.AccountIDs() {
		if a, err := f.Account(id); err == nil {
			r.accounts[id] = a
		}
	}
	return r.settings, nil
}

func (r *resolver) settings(account, agent string) Settings {
	a := r.accounts[account]
	if a == nil {
		a = r.fallback
	}
	agent = strings.ToLower(agent)
	if agent == "" {
		agent = r.f.DefaultAgentID()
	}
	k := [2]string{a.ID, agent}
	if s, ok := r.cache[k]; ok {
		return s
	}
	s := Settings{Limit: a.TextChunkLimit, Mode: Mode(a.ChunkMode), Tables: TableMode(a.MarkdownTables)}
	prefix := a.ResponsePrefix
	if r.o.Limit != nil {
		s.Limit = *r.o.Limit
	}
	if r.o.Mode != nil {
		s.Mode = *r.o.Mode
	}
	if r.o.Tables != nil {
		s.Tables = *r.o.Tables
	}
	if r.o.Prefix != nil {
		prefix = *r.o.Prefix
	}
	var v PrefixVars
	if ag := r.f.Agent(agent); ag != nil {
		v.IdentityName = ag.Identity.Name
	}
	s.Prefix = ResolvePrefix(prefix, v)
	if len(r.cache) >= maxCached {
		clear(r.cache)
	}
	r.cache[k] = s
	return s
}

// agentOf returns the agent id of a session key "agent:<id>:…", or "".
func agentOf(sessionKey string) string {
	rest, ok := strings.CutPrefix(sessionKey, "agent:")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return strings.ToLower(id)
}
