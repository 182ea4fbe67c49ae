package chunk

import "strings"

// Tag families.
const (
	tagNone = iota
	tagThink
	tagMemories
	tagFinal
)

var tagNames = []struct {
	name   string
	family int
}{
	// Longer names first, so "thinking" is not read as "think".
	{"antthinking", tagThink}, {"thinking", tagThink}, {"thought", tagThink}, {"think", tagThink},
	{"reasoning", tagThink}, {"relevant-memories", tagMemories}, {"relevant_memories", tagMemories},
	{"final", tagFinal},
}

// parseTag reads a tag of one of the families at text[i] ('<'): optional
// blanks, an optional '/', the name as a whole word, anything without angle
// brackets, '>'. It returns the end of the tag, the family, whether it
// closes and whether it closes itself (<think/>).
func parseTag(text string, i int) (end, family int, closing, selfClosing bool) {
	j := skipBlanks(text, i+1)
	if j < len(text) && text[j] == '/' {
		closing = true
		j = skipBlanks(text, j+1)
	}
	for _, t := range tagNames {
		n := len(t.name)
		if j+n > len(text) || !strings.EqualFold(text[j:j+n], t.name) {
			continue
		}
		k := j + n
		if k < len(text) && (isWordByte(text[k]) || text[k] == '-') {
			return 0, tagNone, false, false
		}
		gt := strings.IndexAny(text[k:], "<>")
		if gt < 0 || text[k+gt] != '>' {
			return 0, tagNone, false, false
		}
		end = k + gt + 1
		selfClosing = !closing && strings.HasSuffix(strings.TrimRight(text[k:k+gt], " \t\n"), "/")
		return end, t.family, closing, selfClosing
	}
	return 0, tagNone, false, false
}

func skipBlanks(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n') {
		i++
	}
	return i
}

// matchTagSpan returns the end of what to remove for a tag at text[i]: the
// tag alone, or for an opening thinking or memories tag the whole block up
// to its closing tag outside code (to the end of the text if there is
// none). It returns 0 when text[i] starts no such tag.
func matchTagSpan(text string, i int, prot [][2]int) int {
	end, family, closing, self := parseTag(text, i)
	if family == tagNone {
		return 0
	}
	if family == tagFinal || closing || self {
		return end
	}
	pi := 0
	for k := end; k < len(text); {
		for pi < len(prot) && prot[pi][1] <= k {
			pi++
		}
		if pi < len(prot) && k >= prot[pi][0] {
			k = prot[pi][1]
			continue
		}
		lt := strings.IndexByte(text[k:], '<')
		if lt < 0 {
			break
		}
		k += lt
		if pi < len(prot) && k >= prot[pi][0] {
			continue
		}
		if e, f, c, _ := parseTag(text, k); f == family && c {
			return e
		}
		k++
	}
	return len(text)
}

// matchDirective matches [[audio_as_voice]], [[reply_to_current]] and
// [[reply_to:<id>]] at text[i], case-insensitively, blanks allowed inside
// the brackets and around the colon.
func matchDirective(text string, i int) int {
	if !strings.HasPrefix(text[i:], "[[") {
		return 0
	}
	j := skipHBlanks(text, i+2)
	word := func(w string) bool {
		if j+len(w) <= len(text) && strings.EqualFold(text[j:j+len(w)], w) {
			j += len(w)
			return true
		}
		return false
	}
	switch {
	case word("audio_as_voice"), word("reply_to_current"):
	case word("reply_to"):
		j = skipHBlanks(text, j)
		if j >= len(text) || text[j] != ':' {
			return 0
		}
		// Ids are short (imsg-send keeps 256 characters of one); looking
		// no further keeps a text full of unclosed tags linear.
		k := strings.IndexAny(text[j:min(len(text), j+maxDirectiveID)], "]\n")
		if k < 0 || text[j+k] == '\n' {
			return 0
		}
		j += k
	default:
		return 0
	}
	j = skipHBlanks(text, j)
	if strings.HasPrefix(text[j:], "]]") {
		return j + 2
	}
	return 0
}

// maxDirectiveID bounds the id of a [[reply_to:<id>]] tag, in bytes.
const maxDirectiveID = 1024

func skipHBlanks(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// matchSeparator matches the internal separator (#+){2,}#? at text[i].
func matchSeparator(text string, i int) int {
	j, n := i, 0
	for j+1 < len(text) && text[j] == '#' && text[j+1] == '+' {
		j += 2
		n++
	}
	if n < 2 {
		return 0
	}
	if j < len(text) && text[j] == '#' {
		j++
	}
	return j
}

// matchRoleMarker matches "assistant to=<name>" at text[i], where the
// name may be dotted ("functions.search") and blanks may surround "=".
func matchRoleMarker(text string, i int) int {
	const a = "assistant"
	if i+len(a) > len(text) || !strings.EqualFold(text[i:i+len(a)], a) {
		return 0
	}
	j := i + len(a)
	k := skipBlanks(text, j)
	if k == j || k+2 > len(text) || !strings.EqualFold(text[k:k+2], "to") {
		return 0
	}
	k = skipBlanks(text, k+2)
	if k >= len(text) || text[k] != '=' {
		return 0
	}
	k = skipBlanks(text, k+1)
	s := k
	for k < len(text) && (isWordByte(text[k]) && text[k] < 0x80 || text[k] == '.' || text[k] == ':' || text[k] == '-') {
		k++
	}
	if k == s {
		return 0
	}
	return k
}
