package chatdb

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Messages keeps a message's text in attributedBody, an NSArchiver
// "typedstream" of an NSAttributedString, and often leaves message.text
// NULL. The encoder writes the real layout (§3.5 "Fixture advice") so both
// of imsg's decoders read it; the decoder is imsg's, structured first with
// the 0.9 heuristic as the fallback.

var (
	typedHeaderLE = []byte("\x04\x0bstreamtyped")
	typedHeaderBE = []byte("\x04\x0btypedstream")
	// The archive's class chain up to the NSString's "+" (a C string).
	typedPrefix = []byte("\x81\xe8\x03\x84\x01\x40\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01\x2b")
	// After the string: the attribute run (location, UTF-16 length) and an
	// empty attribute dictionary.
	typedRunTag    = []byte("\x86\x84\x02iI\x01")
	typedTrailer   = []byte("\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x00\x86\x86")
	stringMarker   = []byte{0x01, 0x2b}
	stringEndMark  = []byte{0x86, 0x84}
	utf16LEBOM     = []byte{0xff, 0xfe}
	typedHeaderLen = len(typedHeaderLE)
)

// EncodeAttributedBody returns the attributedBody blob Messages would store
// for text: a little-endian typedstream whose string length uses the
// one-byte, 0x81 (16-bit) or 0x82 (32-bit) integer form.
func EncodeAttributedBody(text string) []byte {
	var b bytes.Buffer
	b.Grow(len(typedHeaderLE) + len(typedPrefix) + len(text) + len(typedRunTag) + len(typedTrailer) + 10)
	b.Write(typedHeaderLE)
	b.Write(typedPrefix)
	appendTypedInt(&b, int64(len(text)))
	b.WriteString(text)
	b.Write(typedRunTag)
	appendTypedInt(&b, int64(utf16Len(text)))
	b.Write(typedTrailer)
	return b.Bytes()
}

// appendTypedInt writes a typedstream integer: one byte for small values,
// else a 0x81 tag and 16 bits, or a 0x82 tag and 32 bits, little-endian.
func appendTypedInt(b *bytes.Buffer, n int64) {
	switch {
	case n >= 0 && n < 0x80:
		b.WriteByte(byte(n))
	case n >= -0x8000 && n <= 0x7fff:
		b.WriteByte(0x81)
		b.Write(binary.LittleEndian.AppendUint16(nil, uint16(n)))
	default:
		b.WriteByte(0x82)
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(n)))
	}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// DecodeAttributedBody recovers message text from an attributedBody blob:
// a UTF-16LE blob (FF FE), else the structured typedstream reading (first
// NSString after the header, with its exact length, so text containing the
// bytes 86 84 survives), else imsg 0.9's marker heuristic.
func DecodeAttributedBody(blob []byte) string {
	if len(blob) == 0 {
		return ""
	}
	if bytes.HasPrefix(blob, utf16LEBOM) {
		return decodeUTF16LE(blob[2:])
	}
	if s, ok := decodeStructured(blob); ok {
		return s
	}
	return decodeHeuristic(blob)
}

func decodeUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// decodeStructured reads the first string of a typedstream archive.
func decodeStructured(blob []byte) (string, bool) {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(blob, typedHeaderLE):
		order = binary.LittleEndian
	case bytes.HasPrefix(blob, typedHeaderBE):
		order = binary.BigEndian
	default:
		return "", false
	}
	rest := blob[typedHeaderLen:]
	i := bytes.Index(rest, stringMarker)
	if i < 0 {
		return "", false
	}
	rest = rest[i+len(stringMarker):]
	if len(rest) == 0 {
		return "", false
	}
	var n int
	switch tag := rest[0]; {
	case tag == 0x81:
		if len(rest) < 3 {
			return "", false
		}
		n, rest = int(order.Uint16(rest[1:3])), rest[3:]
	case tag == 0x82:
		if len(rest) < 5 {
			return "", false
		}
		n, rest = int(order.Uint32(rest[1:5])), rest[5:]
	case tag >= 0x80 && tag <= 0x91:
		return "", false
	default:
		n, rest = int(tag), rest[1:]
	}
	if n > len(rest) {
		return "", false
	}
	return strings.ToValidUTF8(string(rest[:n]), "\uFFFD"), true
}

// decodeHeuristic is imsg 0.9's reading: for every 01 2B marker take the
// bytes up to the next 86 84, strip a length prefix, and keep the longest
// candidate; with no marker, the whole blob as lossy UTF-8.
func decodeHeuristic(blob []byte) string {
	best, found := "", false
	for off := 0; ; {
		i := bytes.Index(blob[off:], stringMarker)
		if i < 0 {
			break
		}
		start := off + i + len(stringMarker)
		off = start
		seg := blob[start:]
		if j := bytes.Index(seg, stringEndMark); j >= 0 {
			seg = seg[:j]
		}
		s := trimLeadingControl(lossyUTF8(stripLength(seg)))
		if !found || len(s) > len(best) {
			best, found = s, true
		}
	}
	if found {
		return best
	}
	return trimLeadingControl(lossyUTF8(blob))
}

// stripLength drops the length prefix 0.9 recognises: one byte equal to the
// remaining count, or 0x81 nn, or 0x82 nn nn.
func stripLength(seg []byte) []byte {
	if len(seg) == 0 {
		return seg
	}
	switch c := seg[0]; {
	case c < 0x80 && int(c) == len(seg)-1:
		return seg[1:]
	case c == 0x81 && len(seg) >= 2:
		return seg[2:]
	case c == 0x82 && len(seg) >= 3:
		return seg[3:]
	}
	return seg
}

func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func trimLeadingControl(s string) string {
	return strings.TrimLeftFunc(s, unicode.IsControl)
}
