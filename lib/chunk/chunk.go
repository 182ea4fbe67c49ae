// Package chunk is imsg-chunk: it turns an agent's reply into the text
// bubbles iMessage will show. It strips assistant scaffolding (Sanitize),
// converts Markdown tables (ConvertTables), applies the responsePrefix
// (ResolvePrefix, ApplyPrefix) and splits the result into parts of at most
// textChunkLimit UTF-16 code units (Split), never inside a fenced code block
// without closing and reopening it, a URL, a grapheme cluster or a
// surrogate pair. Stream applies all of it to a stream of records; app.go
// is the command line.
package chunk

import (
	"fmt"
	"strings"
	"unicode"
)

// DefaultLimit is textChunkLimit when the config does not set it.
const DefaultLimit = 4000

// Mode is chunkMode.
type Mode string

// Chunk modes.
const (
	// ModeLength fills each part up to the limit, breaking at the best
	// boundary in reach: a blank line, then a line break, then the end of a
	// sentence, then any whitespace.
	ModeLength Mode = "length"
	// ModeNewline splits at blank lines first and packs consecutive short
	// paragraphs into one part while they fit; only a paragraph longer than
	// the limit is split inside, as in ModeLength.
	ModeNewline Mode = "newline"
)

// ParseMode checks a chunkMode value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeLength, ModeNewline:
		return m, nil
	}
	return "", fmt.Errorf("unknown chunk mode %q (want length or newline)", s)
}

// Settings are the per-reply parameters, resolved from config and flags.
type Settings struct {
	Limit  int // UTF-16 code units; ≤ 0 means DefaultLimit
	Mode   Mode
	Tables TableMode
	Prefix string // the resolved response prefix (see ResolvePrefix); "" for none
}

// Reply runs the whole outbound pipeline on a reply's text and returns its
// parts: Sanitize, ConvertTables, ApplyPrefix, Split. A text that is empty,
// or empty once sanitised, gives one empty part: the reply still finishes
// its inbound message, it just says nothing.
func Reply(text string, s Settings) []string {
	pre, parts := reply(text, s)
	if pre != "" {
		parts[0] = pre + parts[0]
	}
	return parts
}

// reply is Reply with the prefix of the first part (separator included)
// kept apart, so that Stream can write it without building the joined text.
func reply(text string, s Settings) (string, []string) {
	t := ConvertTables(Sanitize(text), s.Tables)
	if t == "" {
		return "", []string{""}
	}
	limit := s.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	pre := prefixFor(t, s.Prefix)
	n := Len(pre)
	if fits(t, limit-n) {
		return pre, []string{t}
	}
	if 2*n > limit {
		// A prefix this long is split like text; it cannot hold a place.
		return "", Split(pre+t, limit, s.Mode)
	}
	// The prefix takes room in the first part and is never left alone in
	// a bubble: the text is split with the first part shortened by it.
	return pre, pieceStrings(split(t, limit, s.Mode, n))
}

// Split splits text into parts of at most limit UTF-16 code units (the unit
// of JavaScript's String.length, which the reference gateway's limit is
// measured in; ≤ 0 means DefaultLimit). A text within the limit is one part
// in either mode. Whitespace at a break is dropped; nothing else is, and
// the only text added is the fence lines that close a code block at the end
// of a part and reopen it, with its info string, at the start of the next.
// The limit is only ever exceeded when it is 1 and a character needs 2.
// A text of nothing but white space has no parts.
func Split(text string, limit int, mode Mode) []string {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return pieceStrings(split(text, limit, mode, 0))
}

func split(text string, limit int, mode Mode, reserve int) []piece {
	if mode == ModeNewline {
		return splitNewline(text, limit, reserve)
	}
	return splitLength(text, limit, reserve)
}

func pieceStrings(ps []piece) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// splitNewline is chunkMode "newline": paragraphs (separated by blank lines
// outside code blocks) are packed greedily, joined by one blank line, while
// the part stays within the limit. A paragraph that does not fit in an
// empty part is split as in length mode; later paragraphs may still be
// packed onto its last piece. The first part has reserve units less.
func splitNewline(text string, limit, reserve int) []piece {
	if skipSpace(text, 0) == len(text) {
		return nil
	}
	if fits(text, limit-reserve) {
		return []piece{{body: text}}
	}
	var out []piece
	var cur piece
	var packed []string     // paragraphs packed after cur.body, joined at the end
	have, units := false, 0 // units: Len of cur and the packed paragraphs
	flush := func() {
		if len(packed) > 0 {
			cur.body += "\n\n" + strings.Join(packed, "\n\n")
			packed = packed[:0]
		}
		out = append(out, cur)
		have = false
	}
	for _, para := range paragraphs(text) {
		room := limit
		if len(out) == 0 {
			room -= reserve
		}
		n := Len(para)
		if have && cur.tail == "" && units+2+n <= room {
			packed = append(packed, para)
			units += 2 + n
			continue
		}
		if have {
			flush()
		}
		r := 0
		if len(out) == 0 {
			r = reserve
		}
		ps := splitLength(para, limit, r)
		out = append(out, ps[:len(ps)-1]...)
		cur, have = ps[len(ps)-1], true
		units = Len(cur.String())
	}
	if have {
		flush()
	}
	return out
}

// paragraphs splits text at blank lines (a line of nothing but white
// space) that are not inside a fenced code block, and trims each
// paragraph's trailing whitespace; empty paragraphs are skipped.
func paragraphs(text string) []string {
	var out []string
	start := -1 // start of the current paragraph, -1 between paragraphs
	var ch byte
	var n int
	inFence := false
	flush := func(end int) {
		if start >= 0 {
			p := strings.TrimRightFunc(text[start:end], unicode.IsSpace)
			if strings.TrimLeftFunc(p, unicode.IsSpace) != "" {
				out = append(out, p)
			}
		}
		start = -1
	}
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		next := ls + le + 1
		if le < 0 {
			le, next = len(text)-ls, len(text)
		}
		line := text[ls : ls+le]
		switch {
		case inFence:
			if fenceCloses(line, ch, n) {
				inFence = false
			}
		case strings.TrimLeftFunc(line, unicode.IsSpace) == "":
			flush(ls)
			ls = next
			continue
		default:
			if _, c, k, ok := fenceOpen(line); ok {
				inFence, ch, n = true, c, k
			}
		}
		if start < 0 {
			start = ls
		}
		ls = next
	}
	flush(len(text))
	return out
}
