package chunk

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// inURL reports whether k falls strictly inside one of the text's URLs
// (which are sorted and do not overlap).
func (sp *splitter) inURL(k int) bool {
	i := sort.Search(len(sp.urls), func(i int) bool { return sp.urls[i][1] > k })
	return i < len(sp.urls) && k > sp.urls[i][0]
}

// scanURLs finds "scheme://…" and "www.…" runs; a URL ends at whitespace
// (a no-break space included).
func scanURLs(text string) [][2]int {
	var out [][2]int
	// The next "://" and "www." at or after i, found again only once i
	// has passed them, so a text of many URLs is scanned once: -2 is not
	// yet looked for, -1 is none left.
	nextK, nextW := -2, -2
	next := func(at *int, sub string, i int) int {
		if *at != -1 && *at < i {
			if j := strings.Index(text[i:], sub); j >= 0 {
				*at = i + j
			} else {
				*at = -1
			}
		}
		return *at
	}
	for i := 0; i < len(text); {
		k, w := next(&nextK, "://", i), next(&nextW, "www.", i)
		var start int
		switch {
		case k < 0 && w < 0:
			return out
		case k >= 0 && (w < 0 || k < w):
			start = k
			for start > i && isSchemeByte(text[start-1]) {
				start--
			}
			if start == k {
				i = k + 3
				continue
			}
			// A word glued to the scheme ("seehttps://…") is not part of it.
			scheme := strings.ToLower(text[start:k])
			for _, known := range []string{"https", "http"} {
				if strings.HasSuffix(scheme, known) {
					start = k - len(known)
					break
				}
			}
		default:
			start = w
		}
		end := start
		for end < len(text) {
			r, n := utf8.DecodeRuneInString(text[end:])
			if unicode.IsSpace(r) {
				break
			}
			end += n
		}
		out = append(out, [2]int{start, end})
		i = end
	}
	return out
}

func isSchemeByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '.' || b == '-'
}

// isSpaceAt reports whether a break may consume the character at s[i]:
// Unicode white space except the no-break spaces, which exist precisely to
// keep their neighbours together.
func isSpaceAt(s string, i int) bool {
	b := s[i]
	if b < 0x80 {
		return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\v' || b == '\f'
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch r {
	case 0x00A0, 0x2007, 0x202F, 0xFEFF:
		return false
	}
	return unicode.IsSpace(r)
}

// sentenceEnd reports whether the text before c ends a sentence: . ! ? or …
// possibly followed by closing quotes or brackets. A number ("1." in a
// list, "costs 5.") or a single letter ("J. Smith") does not end one.
func sentenceEnd(text string, pos, c int) bool {
	j := c
	for j > pos {
		r, n := utf8.DecodeLastRuneInString(text[pos:j])
		if !isCloser(r) {
			break
		}
		j -= n
	}
	if j <= pos {
		return false
	}
	r, n := utf8.DecodeLastRuneInString(text[pos:j])
	switch r {
	case '!', '?', '…':
		return true
	case '.':
	default:
		return false
	}
	k := j - n
	for k > pos && !isSpaceAt(text, k-1) {
		k--
	}
	word := text[k : j-n]
	for len(word) > 0 && word[len(word)-1] == '.' {
		word = word[:len(word)-1] // "Wait..." ends one; "..." alone does not
	}
	if utf8.RuneCountInString(word) <= 1 {
		return false
	}
	for i := 0; i < len(word); i++ {
		if word[i] < '0' || word[i] > '9' {
			return true
		}
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '”', '’', '»', '」', '』', '）':
		return true
	}
	return false
}

func skipClosers(text string, i int) int {
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isCloser(r) {
			break
		}
		i += n
	}
	return i
}
