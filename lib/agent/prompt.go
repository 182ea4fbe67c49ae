package agent

import (
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/route"
)

// Prompts builds system prompts from the configuration: a base text (the
// --system flag), the routed agent's identity (agents.list[].identity), and
// for a group the chat's systemPrompt (channels.imessage.groups.<id>, else
// groups["*"]), joined by blank lines.
type Prompts struct {
	Base   string
	file   *config.File
	groups map[string]string // canonical chat target or "*" → systemPrompt
}

// NewPrompts reads the prompts of account acct.
func NewPrompts(base string, f *config.File, acct *config.Account) *Prompts {
	p := &Prompts{Base: strings.TrimSpace(base), file: f, groups: map[string]string{}}
	for k, g := range acct.Groups {
		sp := strings.TrimSpace(g.SystemPrompt)
		if sp == "" {
			continue
		}
		key := strings.TrimSpace(k)
		if n, err := strconv.ParseInt(key, 10, 64); err == nil {
			key = handle.FormatChatTarget(n)
		} else if t, err := handle.ParseTarget(key, ""); err == nil && t.IsChat() {
			key = t.String()
		}
		p.groups[key] = sp
	}
	return p
}

// For returns the system prompt of j.
func (p *Prompts) For(j *Job) string {
	var parts []string
	if p.Base != "" {
		parts = append(parts, p.Base)
	}
	if a := findAgent(p.file, j.AgentID); a != nil {
		if id := identity(a.Identity); id != "" {
			parts = append(parts, id)
		}
	}
	if j.IsGroup() {
		if sp := p.group(j); sp != "" {
			parts = append(parts, sp)
		}
	}
	return strings.Join(parts, "\n\n")
}

// group finds the chat's own systemPrompt, by its chat id or by the target
// the reply goes to, else the "*" one.
func (p *Prompts) group(j *Job) string {
	if sp, ok := p.groups[handle.FormatChatTarget(j.ChatID)]; ok && j.ChatID > 0 {
		return sp
	}
	if sp, ok := p.groups[j.To]; ok {
		return sp
	}
	return p.groups["*"]
}

// findAgent finds the agents.list entry of a routed agent id, which
// imsg-route normalised ("Ops Team" is routed as "ops-team").
func findAgent(f *config.File, id string) *config.Agent {
	if f == nil {
		return nil
	}
	n := route.NormalizeAgentID(id)
	for i := range f.Agents {
		if route.NormalizeAgentID(f.Agents[i].ID) == n {
			return &f.Agents[i]
		}
	}
	return nil
}

// identity introduces the agent by the name and emoji it was given.
func identity(id config.Identity) string {
	name, emoji := strings.TrimSpace(id.Name), strings.TrimSpace(id.Emoji)
	switch {
	case name != "" && emoji != "":
		return "You are " + name + " " + emoji + "."
	case name != "":
		return "You are " + name + "."
	case emoji != "":
		return "Your emoji is " + emoji + "."
	}
	return ""
}
