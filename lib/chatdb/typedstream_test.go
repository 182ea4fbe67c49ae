package chatdb

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// nativeVector is a real NSArchiver attributedBody (§3.5); its UTF-8
// contains the bytes 86 84, which defeat the 0.9 heuristic.
const nativeVector = "BAtzdHJlYW10eXBlZIHoA4QBQISEhBJOU0F0dHJpYnV0ZWRTdHJpbmcAhIQITlNPYmplY3QAhZKEhIQITlNTdHJpbmcBlIQBKw5sZWZ0IOKGhCByaWdodIaEAmlJAQyShISEDE5TRGljdGlvbmFyeQCUhAFpAIaG"

func TestDecodeNativeVector(t *testing.T) {
	blob, err := base64.StdEncoding.DecodeString(nativeVector)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := DecodeAttributedBody(blob), "left ↄ right"; got != want {
		t.Errorf("DecodeAttributedBody(vector) = %q; want %q", got, want)
	}
}

func TestEncodeMatchesNativeVector(t *testing.T) {
	want, _ := base64.StdEncoding.DecodeString(nativeVector)
	if got := EncodeAttributedBody("left ↄ right"); !bytes.Equal(got, want) {
		t.Errorf("EncodeAttributedBody(%q) =\n% x\nwant\n% x", "left ↄ right", got, want)
	}
}

func TestAttributedBodyRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 32, 64, 126, 127, 128, 200, 255, 256, 1000, 32767, 32768, 70000} {
		text := strings.Repeat("ab", n/2) + strings.Repeat("c", n%2)
		blob := EncodeAttributedBody(text)
		if got := DecodeAttributedBody(blob); got != text {
			t.Errorf("DecodeAttributedBody(EncodeAttributedBody(%d bytes)) = %d bytes %.20q…", n, len(got), got)
		}
		// Real-format blobs must read the same with imsg 0.9's heuristic.
		if n > 0 {
			if got := decodeHeuristic(blob); got != text {
				t.Errorf("decodeHeuristic(EncodeAttributedBody(%d bytes)) = %d bytes %.20q…", n, len(got), got)
			}
		}
	}
}

func TestEncodeLengthForms(t *testing.T) {
	marker := len(typedHeaderLE) + len(typedPrefix)
	tests := []struct {
		n    int
		want []byte
	}{
		{5, []byte{0x05}},
		{127, []byte{0x7f}},
		{128, []byte{0x81, 0x80, 0x00}},
		{300, []byte{0x81, 0x2c, 0x01}},
		{40000, []byte{0x82, 0x40, 0x9c, 0x00, 0x00}},
	}
	for _, tt := range tests {
		blob := EncodeAttributedBody(strings.Repeat("x", tt.n))
		if got := blob[marker : marker+len(tt.want)]; !bytes.Equal(got, tt.want) {
			t.Errorf("length prefix for %d bytes = % x; want % x", tt.n, got, tt.want)
		}
	}
}

func TestDecodeVariants(t *testing.T) {
	utf16 := []byte{0xff, 0xfe, 'h', 0, 'i', 0, 0x3d, 0xd8, 0x00, 0xde} // "hi😀"
	tests := []struct {
		name string
		blob []byte
		want string
	}{
		{"0.9 unprefixed", []byte("\x01\x2bfallback text\x86\x84"), "fallback text"},
		{"0.9 length prefixed", []byte("\x01\x2b\x0flength prefixed\x86\x84"), "length prefixed"},
		{"0.9 0x81 prefix", append(append([]byte{0x01, 0x2b, 0x81, 0x05}, "emoji 🎉"...), 0x86, 0x84), "emoji 🎉"},
		{"longest candidate", []byte("\x01\x2bab\x86\x84junk\x01\x2blonger one\x86\x84"), "longer one"},
		{"utf-16le", utf16, "hi😀"},
		{"no marker", []byte("\x02\x03plain words"), "plain words"},
		{"binary noise", []byte{0x01, 0x2b, 0x03, 'a', 0xff, 'b', 0x86, 0x84}, "a\uFFFDb"},
		{"big-endian header", append([]byte("\x04\x0btypedstream\x01\x2b\x81\x00\x03"), "abc\x86\x84"...), "abc"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		if got := DecodeAttributedBody(tt.blob); got != tt.want {
			t.Errorf("%s: DecodeAttributedBody(% x) = %q; want %q", tt.name, tt.blob, got, tt.want)
		}
	}
}
