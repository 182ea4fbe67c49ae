package chunk

import (
	"unicode"
	"unicode/utf8"
)

// Len is the length of s in UTF-16 code units, the unit of textChunkLimit.
// The reference gateway measures text with JavaScript's String.length, so a
// limit means the same here as in its documentation: characters outside the
// Basic Multilingual Plane (most emoji) count 2, everything else 1.
func Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b&0xC0 != 0x80 { // not a continuation byte: one rune starts here
			n++
			if b >= 0xF0 { // a 4-byte sequence is a surrogate pair in UTF-16
				n++
			}
		}
	}
	return n
}

// fits reports whether Len(s) <= n, looking at no more of s than it must.
func fits(s string, n int) bool {
	if len(s) <= n {
		return true // a UTF-16 unit never takes less than a byte
	}
	u := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b&0xC0 != 0x80 {
			u++
			if b >= 0xF0 {
				u++
			}
			if u > n {
				return false
			}
		}
	}
	return true
}

// runeLen16 is the UTF-16 length of one rune.
func runeLen16(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// Grapheme cluster break classes (UAX #29), reduced to what decides a
// boundary in chat text. Prepend and the Indic conjunct rules are left out:
// missing them only makes a last-resort cut land between two clusters that
// UAX #29 would have joined, never inside a surrogate pair.
type gclass uint8

const (
	gOther gclass = iota
	gCR
	gLF
	gControl
	gExtend // Mn, Me (keycap U+20E3), variation selectors, emoji modifiers, tags, ZWNJ
	gSpacingMark
	gZWJ
	gRI // regional indicator: flags are pairs
	gPict
	gL // Hangul leading consonant
	gV // Hangul vowel
	gT // Hangul trailing consonant
	gLV
	gLVT
)

func classOf(r rune) gclass {
	if r < 0x7F {
		switch {
		case r == '\r':
			return gCR
		case r == '\n':
			return gLF
		case r < 0x20:
			return gControl
		}
		return gOther
	}
	switch {
	case r < 0xA0:
		return gControl // DEL and C1 controls
	case r == 0x200D:
		return gZWJ
	case r == 0x200C, r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF,
		r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
		return gExtend
	case r == 0x2028, r == 0x2029:
		return gControl
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gRI
	case r >= 0x1100 && r <= 0x11FF, r >= 0xA960 && r <= 0xA97F, r >= 0xAC00 && r <= 0xD7FF:
		return hangulClass(r)
	case isPictographic(r):
		return gPict
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return gExtend
	case unicode.Is(unicode.Mc, r):
		return gSpacingMark
	}
	return gOther
}

func hangulClass(r rune) gclass {
	switch {
	case r <= 0x115F, r >= 0xA960 && r <= 0xA97F:
		return gL
	case r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return gV
	case r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return gT
	case r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gLV
		}
		return gLVT
	}
	return gOther
}

// isPictographic approximates Extended_Pictographic: the emoji blocks and
// the older symbols that have emoji presentations.
func isPictographic(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x1FC00 && r <= 0x1FFFD:
		return true
	case r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF, r >= 0x2B00 && r <= 0x2BFF,
		r >= 0x2190 && r <= 0x21FF, r >= 0x25A0 && r <= 0x25FF, r >= 0x2934 && r <= 0x2935:
		return true
	}
	switch r {
	case 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x24C2, 0x3030, 0x303D, 0x3297, 0x3299:
		return true
	}
	return false
}

// joins reports whether there is no boundary between prev and next
// (GB6–GB9b, GB11–GB13). pict says the cluster so far is an emoji base
// followed only by extenders and ZWJs; ri counts its regional indicators.
func joins(prev, next gclass, pict bool, ri int) bool {
	switch next {
	case gExtend, gZWJ, gSpacingMark:
		return true // GB9, GB9a: marks, ZWJ, skin tones, keycaps, tags stay on their base
	case gPict:
		return prev == gZWJ && pict // GB11: ZWJ sequences such as 👨‍👩‍👧‍👦
	case gRI:
		return prev == gRI && ri%2 == 1 // GB12/13: flags pair up from the start of a run
	case gL:
		return prev == gL
	case gV, gLV, gLVT:
		return prev == gL || (next == gV && (prev == gV || prev == gLV))
	case gT:
		return prev == gV || prev == gLV || prev == gT || prev == gLVT
	}
	return false
}

// clusterEnd returns the end of the extended grapheme cluster that starts
// at s[i], which must be a cluster boundary.
func clusterEnd(s string, i int) int { return clusterEndBefore(s, i, len(s)) }

// clusterEndBefore is clusterEnd, except that it gives up at stop (and
// returns it) inside a cluster that runs on past it: a run of a million
// combining marks is one cluster, and a caller that only needs to know
// that it does not fit must not walk all of it for every cut it tries.
func clusterEndBefore(s string, i, stop int) int {
	if i >= len(s) {
		return len(s)
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	c := classOf(r)
	j := i + n
	switch c {
	case gCR:
		if j < len(s) && s[j] == '\n' {
			return j + 1 // GB3: CR LF is one cluster
		}
		return j
	case gLF, gControl:
		return j // GB4
	}
	pict, ri := c == gPict, 0
	if c == gRI {
		ri = 1
	}
	prev := c
	for j < len(s) {
		if j >= stop {
			return j
		}
		if s[j] < 0x80 {
			return j // no ASCII character extends a cluster
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		next := classOf(r)
		if !joins(prev, next, pict, ri) {
			return j
		}
		switch next {
		case gRI:
			ri++
		case gExtend, gZWJ:
		case gPict:
			pict = true
		default:
			pict = false
		}
		prev = next
		j += n
	}
	return j
}

// isExtender reports whether the rune at s[i] continues the cluster before
// it whatever that cluster is, so that a cut just before it is never valid.
func isExtender(s string, i int) bool {
	if i >= len(s) || s[i] < 0x80 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch classOf(r) {
	case gExtend, gZWJ, gSpacingMark:
		return true
	}
	return false
}
