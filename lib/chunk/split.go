package chunk

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// piece is one part as the splitter built it: head and tail are fence lines
// it inserted to close a code block at the end of a part and reopen it at
// the start of the next (empty when none); body is text of the input.
type piece struct{ head, body, tail string }

func (p piece) String() string { return p.head + p.body + p.tail }

// Break levels, best first. Within a tier the splitter prefers the earlier
// level; the tiers are tried strictly in order, so a break inside
// parentheses is used only when the window has no break outside them, and
// a code block is split only when nothing outside it can be used.
const (
	lvPara     = iota // a blank line
	lvLine            // a line break
	lvSentence        // whitespace after . ! ? … (or after 。！？)
	lvWord            // other whitespace
	lvParenLine
	lvParenSentence
	lvParenWord
	lvFencePara // at a blank line in a code block (closed and reopened)
	lvFenceLine // between two lines of a code block
	lvFenceWord // inside an overlong code line
	nLevels
)

var tiers = [][2]int{{lvPara, lvParenLine}, {lvParenLine, lvFencePara}, {lvFencePara, nLevels}}

// brk is a break candidate: the part ends at c, the next starts at r.
type brk struct {
	ok    bool
	from  int // where the part's text starts when not at pos (0: at pos)
	c, r  int
	units int    // Len(text[pos:c])
	tail  string // appended to the part (closing fence line)
	head  string // prepended to the next part (reopening fence line)
	depth int    // parenthesis depth at r
}

type splitter struct {
	text   string
	fences []fence  // only those small enough to close and reopen
	urls   [][2]int // URL spans, which no cut may enter
}

// splitLength is chunkMode "length": parts of at most limit UTF-16 units,
// each broken at the best boundary in its window. See pick for the order.
// The first part has reserve units less, the room a prefix will take.
func splitLength(text string, limit, reserve int) []piece {
	if skipSpace(text, 0) == len(text) {
		return nil // nothing to say: no part at all
	}
	if limit <= 0 || fits(text, limit-reserve) {
		return []piece{{body: text}}
	}
	sp := &splitter{text: text, urls: scanURLs(text)}
	for _, f := range scanFences(text) {
		// A block whose fence lines eat half the limit is split as plain
		// text: closing and reopening it would leave no room for code.
		if 2*(Len(f.head)+Len(f.tail)+2) <= limit {
			sp.fences = append(sp.fences, f)
		}
	}
	var out []piece
	pos, head, depth := keepAttached(text, 0, skipSpace(text, 0)), "", 0
	for pos < len(text) {
		budget := limit - Len(head)
		if len(out) == 0 {
			budget -= reserve
		}
		if fits(text[pos:], budget) {
			out = append(out, piece{head: head, body: text[pos:]})
			break
		}
		b := sp.pick(pos, budget, depth)
		body := text[max(pos, b.from):b.c]
		if b.tail == "" {
			body = strings.TrimRightFunc(body, unicode.IsSpace)
		}
		out = append(out, piece{head: head, body: body, tail: b.tail})
		pos, head, depth = b.r, b.head, b.depth
	}
	return out
}

// fenceAt returns the usable fence whose span [open, end) holds i (an
// unclosed fence holds everything to the end of the text), or nil.
func (sp *splitter) fenceAt(i int) *fence {
	k := sort.Search(len(sp.fences), func(k int) bool {
		f := &sp.fences[k]
		return i < f.end || (f.close == len(sp.text) && i <= f.end)
	})
	if k < len(sp.fences) && i >= sp.fences[k].open {
		return &sp.fences[k]
	}
	return nil
}

// fenceCursor answers fenceAt for positions asked in increasing order,
// moving forward through the fences instead of searching them each time.
type fenceCursor struct {
	sp *splitter
	k  int
}

func (c *fenceCursor) at(i int) *fence {
	fs := c.sp.fences
	for c.k < len(fs) && !(i < fs[c.k].end || (fs[c.k].close == len(c.sp.text) && i <= fs[c.k].end)) {
		c.k++
	}
	if c.k < len(fs) && i >= fs[c.k].open {
		return &fs[c.k]
	}
	return nil
}

// pick chooses where the part starting at pos ends. Candidates are the
// whitespace runs in the window, classified by level. Within the first
// tier that has any, the best of paragraph, line and sentence whose last
// candidate fills at least a quarter of the budget wins (so a paragraph
// break at 5% does not leave a nearly empty bubble when a sentence ends at
// 95%), else the best of them present; a plain space, which cuts a
// sentence, only when the tier has no better break at all. With no
// candidate at all the window is cut at a grapheme cluster boundary.
func (sp *splitter) pick(pos, budget, depth int) brk {
	var best [nLevels]brk
	text := sp.text
	u := 0 // Len(text[pos:i])
	i := pos
	lead := skipSpace(text, pos) // a part must hold more than blanks
	fences := fenceCursor{sp: sp}
	for i < len(text) && u <= budget {
		ch := text[i]
		if !isSpaceAt(text, i) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if fences.at(i) == nil {
				switch ch {
				case '(', '[':
					depth++
				case ')', ']':
					if depth > 0 {
						depth--
					}
				}
				if r == '。' || r == '！' || r == '？' {
					c := skipClosers(text, i+n)
					if c < len(text) && !isSpaceAt(text, c) && !isExtender(text, c) && sp.fenceAt(c) == nil && !sp.inURL(c) {
						cu := u + Len(text[i:c])
						if cu <= budget {
							lv := lvSentence
							if depth > 0 {
								lv = lvParenSentence
							}
							best[lv] = brk{ok: true, c: c, r: c, units: cu, depth: depth}
						}
					}
				}
			}
			i += n
			u += runeLen16(r)
			continue
		}
		// A maximal whitespace run [c, r).
		c, nl, lastNL := i, 0, -1
		for i < len(text) && isSpaceAt(text, i) {
			if text[i] == '\n' {
				nl++
				lastNL = i
			}
			_, n := utf8.DecodeRuneInString(text[i:])
			i += n
		}
		r := keepAttached(text, c, skipSpace(text, i))
		runUnits := Len(text[c:i])
		f := fences.at(c)
		if c > lead && u <= budget {
			sp.classify(&best, f, pos, c, r, u, nl, lastNL, depth, budget)
		}
		if nl >= 2 && f == nil {
			depth = 0 // a parenthetical never spans paragraphs
		}
		u += runUnits
	}
	for _, t := range tiers {
		// The last level of a tier cuts a sentence (or a code line): it
		// is used only when the tier offers nothing better at all.
		first := -1
		for lv := t[0]; lv < t[1]-1; lv++ {
			if !best[lv].ok {
				continue
			}
			if first < 0 {
				first = lv
			}
			if 4*best[lv].units >= budget {
				return best[lv]
			}
		}
		if first >= 0 {
			return best[first]
		}
		if best[t[1]-1].ok {
			return best[t[1]-1]
		}
	}
	return sp.fallback(pos, lead, budget, depth)
}

// classify records the whitespace run [c, r) as a candidate at its level;
// f is the code block the run is in, if any.
func (sp *splitter) classify(best *[nLevels]brk, f *fence, pos, c, r, u, nl, lastNL, depth, budget int) {
	text := sp.text
	if f != nil {
		// Inside a code block only between content lines, or inside an
		// overlong line; never so that a part would hold only fence lines.
		if c <= f.body || c > f.close || r >= f.close {
			return
		}
		tail := "\n" + f.tail
		if u+Len(tail) > budget {
			return
		}
		b := brk{ok: true, c: c, r: r, units: u, tail: tail, head: f.head + "\n", depth: depth}
		lv := lvFenceWord
		if nl > 0 {
			lv = lvFenceLine
			if nl > 1 {
				lv = lvFencePara // between functions, say
			}
			b.r = lastNL + 1 // keep the next line's indentation
		}
		best[lv] = b
		return
	}
	b := brk{ok: true, c: c, r: r, units: u, depth: depth}
	var lv int
	switch {
	case nl >= 2:
		lv, b.depth = lvPara, 0
	case nl == 1:
		lv = lvLine
	case sentenceEnd(text, pos, c):
		lv = lvSentence
	default:
		lv = lvWord
	}
	if depth > 0 && lv != lvPara {
		lv += lvParenLine - lvLine
	}
	best[lv] = b
}
