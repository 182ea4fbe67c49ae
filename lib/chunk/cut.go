package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fallback cuts a window that has no usable whitespace: at the last
// grapheme cluster boundary that is not inside a URL, else at the last
// cluster boundary (a URL longer than the whole limit has to be cut
// somewhere), else, for a single cluster longer than the limit (say a
// pathological run of combining marks), at the last rune boundary. A rune
// never splits, so a surrogate pair never does; only a limit of 1 with a
// non-BMP character can exceed the limit, by one unit, to make progress.
func (sp *splitter) fallback(pos, lead, budget, depth int) brk {
	// Whole clusters from the part's start; failing that, from its first
	// visible character, dropping the blanks a reopened code line is
	// indented with rather than cutting a cluster.
	plainCut, anyCut := sp.clusterCut(pos, pos, lead, budget, depth)
	// The first visible character, or the blank a mark clings to.
	start := keepAttached(sp.text, pos, lead)
	if !plainCut.ok && start > pos {
		var anyCut2 brk
		plainCut, anyCut2 = sp.clusterCut(pos, start, lead, budget, depth)
		if !anyCut.ok {
			anyCut = anyCut2
		}
	}
	if plainCut.ok {
		return plainCut
	}
	if anyCut.ok {
		return anyCut
	}
	u := 0
	last := brk{}
	for j := start; j < len(sp.text); {
		r, n := utf8.DecodeRuneInString(sp.text[j:])
		if u+runeLen16(r) > budget {
			break
		}
		u += runeLen16(r)
		j += n
		if b, ok := sp.cutAt(pos, lead, j, u, budget, depth); ok {
			last = b
			last.from = start
		}
	}
	if last.ok {
		return last
	}
	text := sp.text
	// Not even one rune fits: a limit of 1 and a non-BMP character, or a
	// reopened code block whose next line is indented past the room left.
	// Emit one rune without the blanks before it rather than loop forever.
	_, n := utf8.DecodeRuneInString(text[lead:])
	k := lead + n
	b := brk{ok: true, from: start, c: k, r: skipSpace(text, k), units: 2, depth: depth}
	if f := sp.fenceAt(k); f != nil && k > f.body && k < f.close {
		b.tail, b.head, b.r = "\n"+f.tail, f.head+"\n", k
	}
	return b
}

// clusterCut finds the last cluster boundary that fits when the part's
// text starts at from, and the last one that is not inside a URL.
func (sp *splitter) clusterCut(pos, from, lead, budget, depth int) (plainCut, anyCut brk) {
	text := sp.text
	u := 0
	for j := from; j < len(text); {
		// A cluster of more than 3 bytes per unit left cannot fit: stop
		// looking at it there.
		k := clusterEndBefore(text, j, j+3*(budget-u)+4)
		uk := u + Len(text[j:k])
		if uk > budget {
			break
		}
		if b, ok := sp.cutAt(pos, lead, k, uk, budget, depth); ok {
			b.from = from
			anyCut = b
			if !sp.inURL(k) {
				plainCut = b
			}
		}
		j, u = k, uk
	}
	return plainCut, anyCut
}

// cutAt makes a hard cut at k (a boundary chosen by fallback), closing and
// reopening a code block when k falls inside one.
func (sp *splitter) cutAt(pos, lead, k, units, budget, depth int) (brk, bool) {
	text := sp.text
	if k <= lead || k >= len(text) {
		return brk{}, false
	}
	b := brk{ok: true, c: k, r: k, units: units, depth: depth}
	if f := sp.fenceAt(k); f != nil && k > f.open {
		if k < f.body || k >= f.close {
			return brk{}, false // inside a fence line, or only fence lines would follow
		}
		if strings.TrimSpace(text[max(pos, f.body):k]) == "" {
			return brk{}, false
		}
		b.tail, b.head = "\n"+f.tail, f.head+"\n"
		if units+Len(b.tail) > budget {
			return brk{}, false
		}
		return b, true
	}
	b.r = keepAttached(text, k, skipSpace(text, k))
	return b, true
}

// skipSpace returns the first position from i that is not white space of
// any kind: a part never starts with blanks, not even no-break ones.
func skipSpace(text string, i int) int {
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

// keepAttached returns where the next part starts after the whitespace
// run [c, r): at r, unless a combining mark or ZWJ follows the run and
// clings to its last space (one grapheme cluster), which then starts the
// next part with it rather than be cut off.
func keepAttached(text string, c, r int) int {
	if r <= c || !isExtender(text, r) {
		return r
	}
	last, n := utf8.DecodeLastRuneInString(text[c:r])
	if last == '\n' || last == '\r' {
		return r // a mark after a line break stands alone anyway
	}
	return r - n
}
