package gate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Limits on mention patterns. Go's regexp (RE2) runs in linear time, so no
// pattern can backtrack catastrophically; these caps bound compile time and
// memory, and keep a pasted blob from becoming a pattern unnoticed.
const (
	MaxMentionPatterns      = 64
	MaxMentionPatternLength = 512
)

// Mentions tests group message text for a mention of the agent. iMessage
// has no structured mentions, so a mention is a regular expression match
// (spec §8). The zero value detects nothing.
type Mentions struct {
	res []*regexp.Regexp
}

// PatternError is a mention pattern the gate refuses.
type PatternError struct {
	Index   int
	Pattern string
	Err     error
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("mention pattern %d %q: %v", e.Index, e.Pattern, e.Err)
}

// CompileMentions compiles patterns case-insensitively, once. A literal
// backspace character (what "\b" in a JSON string becomes) is read as a
// word boundary, as the reference does. Patterns that do not compile, are
// longer than MaxMentionPatternLength, beyond MaxMentionPatterns, or match
// the empty string (and so every message, which would silently turn
// mention gating off) are refused, each with its index.
func CompileMentions(patterns []string) (*Mentions, []*PatternError) {
	m := &Mentions{}
	var errs []*PatternError
	for i, p := range patterns {
		bad := func(err error) { errs = append(errs, &PatternError{Index: i, Pattern: p, Err: err}) }
		switch {
		case i >= MaxMentionPatterns:
			bad(fmt.Errorf("more than %d patterns", MaxMentionPatterns))
			continue
		case len(p) > MaxMentionPatternLength:
			bad(fmt.Errorf("longer than %d bytes", MaxMentionPatternLength))
			continue
		case strings.TrimSpace(p) == "":
			bad(fmt.Errorf("empty pattern"))
			continue
		}
		src := strings.ReplaceAll(p, "\b", `\b`)
		if _, err := regexp.Compile(src); err != nil { // reported without the (?i) added below
			bad(err)
			continue
		}
		re := regexp.MustCompile("(?i)" + src)
		if re.MatchString("") {
			bad(fmt.Errorf("matches the empty string, so every message would count as a mention"))
			continue
		}
		m.res = append(m.res, re)
	}
	return m, errs
}

// CanDetect reports whether any pattern is configured: without one,
// mention gating cannot be enforced.
func (m *Mentions) CanDetect() bool { return m != nil && len(m.res) > 0 }

// Match reports whether text mentions the agent, after zero-width and
// bidirectional control characters are removed (they can hide inside a
// name, "@a\u200bgent", to dodge or fake a match).
func (m *Mentions) Match(text string) bool {
	if !m.CanDetect() {
		return false
	}
	t := StripInvisible(text)
	if t == "" {
		return false
	}
	for _, re := range m.res {
		if re.MatchString(t) {
			return true
		}
	}
	return false
}

// StripLeading removes a mention at the very start of text (after any "@"
// and spaces, and with the punctuation and space after it), so
// "@agent: /status" reads as a command.
func (m *Mentions) StripLeading(text string) string {
	if !m.CanDetect() {
		return text
	}
	t := StripInvisible(text)
	lead := len(t) - len(strings.TrimLeft(t, "@ \t"))
	for _, re := range m.res {
		if loc := re.FindStringIndex(t); loc != nil && loc[0] <= lead && loc[1] > lead {
			return strings.TrimLeft(t[loc[1]:], " \t\r\n,:;")
		}
	}
	return text
}

// StripInvisible removes zero-width and bidirectional formatting characters:
// U+200B–U+200F, U+202A–U+202E, U+2060–U+206F and U+FEFF.
func StripInvisible(s string) string {
	if !hasInvisible(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !isInvisibleRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasInvisible(s string) bool {
	for i := 0; i < len(s); i++ {
		// Every rune in the ranges starts with 0xE2 (U+2000–U+2FFF) or 0xEF (U+FEFF).
		if s[i] == 0xE2 || s[i] == 0xEF {
			return true
		}
	}
	return false
}

func isInvisibleRune(r rune) bool {
	return (r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) ||
		(r >= 0x2060 && r <= 0x206F) || r == 0xFEFF
}

// mentionError places a refused pattern at its key in the config file.
func (g *Gate) mentionError(pe *PatternError, source string) *config.Error {
	var p []any
	switch source {
	case config.MentionFromAgent:
		id := g.opts.AgentID
		if id == "" {
			id = g.file.DefaultAgentID()
		}
		for i, a := range g.file.Agents {
			if strings.EqualFold(a.ID, id) {
				p = []any{"agents", "list", i, "groupChat", "mentionPatterns", pe.Index}
			}
		}
	case config.MentionFromMessages:
		p = []any{"messages", "groupChat", "mentionPatterns", pe.Index}
	default:
		p = []any{"agents", "list"} // derived from identity.name
	}
	return g.file.ErrorAt(fmt.Sprintf("invalid mention pattern %q: %v", pe.Pattern, pe.Err),
		`patterns are Go regular expressions matched case-insensitively, e.g. "\\b@?claw\\b"`, p...)
}
