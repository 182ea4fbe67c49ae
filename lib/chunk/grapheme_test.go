package chunk

import (
	"slices"
	"testing"
)

func TestLen(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"hello", 5},
		{"é", 1},        // precomposed U+00E9
		{"e\u0301", 2},  // e + combining acute
		{"日本語", 3},      // BMP, 3 bytes each
		{"👍", 2},        // one surrogate pair
		{"👍🏽", 4},       // two pairs
		{"🇯🇵", 4},       // two regional indicators
		{"1️⃣", 3},      // 1 + VS16 + keycap
		{"👨‍👩‍👧‍👦", 11}, // 4 pairs + 3 ZWJ
		{"a\U0010FFFFb", 4},
	}
	for _, tt := range tests {
		if got := Len(tt.s); got != tt.want {
			t.Errorf("Len(%q) = %d; want %d", tt.s, got, tt.want)
		}
	}
}

// graphemes splits s into extended grapheme clusters.
func graphemes(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := clusterEnd(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

func TestClusters(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want []string
	}{
		{"ascii", "ab", []string{"a", "b"}},
		{"crlf", "a\r\nb", []string{"a", "\r\n", "b"}},
		{"lone cr", "\r\r\n", []string{"\r", "\r\n"}},
		{"combining acute", "e\u0301x", []string{"e\u0301", "x"}},
		{"several marks", "a\u0301\u0323\u0308b", []string{"a\u0301\u0323\u0308", "b"}},
		{"mark after newline stands alone", "\n\u0301", []string{"\n", "\u0301"}},
		{"skin tone", "👍🏽👍", []string{"👍🏽", "👍"}},
		{"zwj family", "👨‍👩‍👧‍👦!", []string{"👨‍👩‍👧‍👦", "!"}},
		{"zwj with skin tones", "👩🏽‍💻👩", []string{"👩🏽‍💻", "👩"}},
		{"zwj after letter does not join an emoji", "a\u200d👍", []string{"a\u200d", "👍"}},
		{"flags pair up", "🇯🇵🇫🇷", []string{"🇯🇵", "🇫🇷"}},
		{"odd regional indicator", "🇯🇵🇫", []string{"🇯🇵", "🇫"}},
		{"keycaps", "1️⃣#️⃣", []string{"1️⃣", "#️⃣"}},
		{"heart with VS16", "❤️x", []string{"❤️", "x"}},
		{"tag sequence flag", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007Fa",
			[]string{"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "a"}},
		{"hangul syllables", "한국", []string{"한", "국"}},
		{"hangul jamo", "\u1100\u1161\u11A8\u1100", []string{"\u1100\u1161\u11A8", "\u1100"}},
		{"spacing mark", "क\u093Fख", []string{"क\u093F", "ख"}},
	}
	for _, tt := range tests {
		if got := graphemes(tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("%s: graphemes(%q) = %q; want %q", tt.name, tt.s, got, tt.want)
		}
	}
}
