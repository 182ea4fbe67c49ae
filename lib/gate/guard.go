package gate

import (
	"crypto/sha256"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/state"
)

// Reflection guard (spec §13.4): assistant scaffolding that shows up in an
// inbound message is the agent's own output coming back (a reflection), not
// something a person typed. Markers inside inline code or fenced blocks are
// quoted, and do not count.
var reflectionMarkers = []struct {
	label string
	re    *regexp.Regexp
}{
	{"internal-separator", regexp.MustCompile(`(?:#\+){2,}#?`)},
	{"assistant-role-marker", regexp.MustCompile(`(?i)\bassistant\s+to\s*=\s*\w+`)},
	{"thinking-tag", regexp.MustCompile(`(?i)<\s*/?\s*(?:think|thinking|thought|antthinking)\b[^<>]*>`)},
	{"relevant-memories-tag", regexp.MustCompile(`(?i)<\s*/?\s*relevant[-_]memories\b[^<>]*>`)},
	{"final-tag", regexp.MustCompile(`(?i)<\s*/?\s*final\b[^<>]*>`)},
}

// ReflectionMarkers returns the labels of the scaffolding markers found in
// text outside code, or nil.
func ReflectionMarkers(text string) []string {
	if !mayReflect(text) {
		return nil
	}
	t := withoutCode(text)
	var out []string
	for _, m := range reflectionMarkers {
		if m.re.MatchString(t) {
			out = append(out, m.label)
		}
	}
	return out
}

// mayReflect is a fast test that no marker can match: every marker has
// "#+#+", "<" or the word "assistant".
func mayReflect(text string) bool {
	if strings.IndexByte(text, '<') >= 0 || strings.Contains(text, "#+#+") {
		return true
	}
	for i := strings.IndexAny(text, "aA"); i >= 0 && i+9 <= len(text); {
		if strings.EqualFold(text[i:i+9], "assistant") {
			return true
		}
		j := strings.IndexAny(text[i+1:], "aA")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// withoutCode blanks fenced code blocks (``` or ~~~ lines) and inline code
// spans, keeping the rest, so markers quoted as code are not flagged while
// a marker after a closing fence still is.
func withoutCode(text string) string {
	if !strings.ContainsAny(text, "`~") {
		return text
	}
	var b strings.Builder
	fence := ""
	for _, line := range strings.SplitAfter(text, "\n") {
		trim := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trim, fence) {
				fence = ""
			}
			b.WriteString("\n")
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			fence = trim[:3]
			b.WriteString("\n")
			continue
		}
		b.WriteString(blankInlineCode(line))
	}
	return b.String()
}

func blankInlineCode(line string) string {
	if !strings.Contains(line, "`") {
		return line
	}
	var b strings.Builder
	in := false
	for _, part := range strings.SplitAfter(line, "`") {
		if in {
			b.WriteString(" ")
		} else {
			b.WriteString(strings.TrimSuffix(part, "`"))
		}
		if strings.HasSuffix(part, "`") {
			in = !in
		}
	}
	if in { // an unclosed backtick quotes nothing
		return line
	}
	return b.String()
}

// Self-chat cache (spec §13.2): in a chat with yourself imsg reports each
// message twice, once from me and once not, with the same text and date.
// The from-me copy is remembered here; the other copy is then dropped as
// "self-chat echo".
const (
	selfChatTTL = 10 * time.Second
	selfChatMax = 512
)

type selfChatCache struct {
	seen  map[string]time.Time
	order []string // insertion order, for eviction
}

func newSelfChatCache() *selfChatCache { return &selfChatCache{seen: map[string]time.Time{}} }

// selfChatKey is scope, created_at and the SHA-256 of the normalised text:
// hashing the whole text means long texts that differ anywhere never
// collide. It is "" when the message has no text or no date.
func selfChatKey(scope, createdAt, text string) string {
	t := state.NormalizeEchoText(text)
	if t == "" || createdAt == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(t))
	return scope + "\x00" + createdAt + "\x00" + string(sum[:])
}

func (c *selfChatCache) remember(key string, now time.Time) {
	if key == "" {
		return
	}
	c.expire(now)
	if _, ok := c.seen[key]; !ok {
		c.order = append(c.order, key)
	}
	c.seen[key] = now
	for len(c.order) > selfChatMax {
		delete(c.seen, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *selfChatCache) empty() bool { return len(c.seen) == 0 }

func (c *selfChatCache) has(key string, now time.Time) bool {
	if key == "" || len(c.seen) == 0 {
		return false
	}
	c.expire(now)
	_, ok := c.seen[key]
	return ok
}

func (c *selfChatCache) expire(now time.Time) {
	for len(c.order) > 0 {
		k := c.order[0]
		if t, ok := c.seen[k]; ok && now.Sub(t) < selfChatTTL {
			return
		}
		delete(c.seen, k)
		c.order = c.order[1:]
	}
}

// Loop breaker (spec §13.3, fixed per §19): a conversation whose messages
// keep being dropped as echoes or reflections is in an echo loop; further
// messages there are not dispatched until the window passes. Unlike the
// reference, ordinary "from me" rows — every reply the agent sends — do not
// count, so a busy conversation is never silenced for being answered.
const (
	loopWindow    = 60 * time.Second
	loopThreshold = 5
)

type loopLimiter struct {
	window    time.Duration
	threshold int
	hits      map[string][]time.Time
}

func newLoopLimiter(window time.Duration, threshold int) *loopLimiter {
	return &loopLimiter{window: window, threshold: threshold, hits: map[string][]time.Time{}}
}

// record counts an echo drop for key.
func (l *loopLimiter) record(key string, now time.Time) {
	h := l.prune(key, now)
	l.hits[key] = append(h, now)
	if len(l.hits) > 4096 { // many conversations: forget the idle ones
		for k := range l.hits {
			if len(l.prune(k, now)) == 0 {
				delete(l.hits, k)
			}
		}
	}
}

// limited reports whether key has had threshold echo drops in the window.
func (l *loopLimiter) limited(key string, now time.Time) bool {
	if len(l.hits) == 0 {
		return false
	}
	return len(l.prune(key, now)) >= l.threshold
}

func (l *loopLimiter) prune(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) >= l.window {
		i++
	}
	if i > 0 {
		h = append(h[:0], h[i:]...)
		l.hits[key] = h
	}
	return h
}

// loopKey is the conversation a message belongs to.
func loopKey(chatID int64, sender string) string {
	if chatID > 0 {
		return "chat:" + strconv.FormatInt(chatID, 10)
	}
	return "dm:" + sender
}

// isEchoReason reports the drop reasons the loop breaker counts.
func isEchoReason(reason string) bool {
	switch reason {
	case ReasonEcho, ReasonSelfChatEcho, ReasonSelfChatAgentEcho, ReasonReflected:
		return true
	}
	return false
}
