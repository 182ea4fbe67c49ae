package fetch

import (
	"strings"
	"testing"
	"time"
)

func TestKind(t *testing.T) {
	tests := map[string]string{
		"image/jpeg": "image", "IMAGE/HEIC": "image", "audio/x-caf; codecs=opus": "audio", "video/quicktime": "video",
		"application/pdf": "document", "text/vcard": "document", "application/zip": "document", "": "attachment",
		"chemical/x-pdb": "attachment",
	}
	for in, want := range tests {
		if got := Kind(in); got != want {
			t.Errorf("Kind(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestBody(t *testing.T) {
	img := Entry{Status: StatusOK, Kind: "image"}
	doc := Entry{Status: StatusOK, Kind: "document"}
	gone := Entry{Status: StatusMissing, Kind: "video"}
	big := Entry{Status: StatusTooLarge, Kind: "audio"}
	tests := []struct {
		text    string
		entries []Entry
		want    string
	}{
		{"", []Entry{img}, "<media:image>"},
		{"\ufffc", []Entry{doc, img}, "<media:document>"},
		{" \ufffc\ufffc\n", []Entry{gone, img}, "<media:image>"},
		{"", []Entry{gone, big}, "<media:video> (unavailable: missing)"},
		{"", []Entry{big}, "<media:audio> (unavailable: too_large)"},
		{"look", []Entry{img}, ""},
		{"\ufffclook", []Entry{img}, ""},
		{"", nil, ""},
	}
	for _, tt := range tests {
		if got := Body(tt.text, tt.entries); got != tt.want {
			t.Errorf("Body(%q, %v) = %q; want %q", tt.text, tt.entries, got, tt.want)
		}
	}
}

func TestMimeOf(t *testing.T) {
	tests := []struct{ mime, name, want string }{
		{"image/jpeg", "x.png", "image/jpeg"},
		{"", "IMG_0001.HEIC", "image/heic"},
		{"  ", "Audio Message.caf", "audio/x-caf"},
		{"", "notes", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := mimeOf(tt.mime, tt.name); got != tt.want {
			t.Errorf("mimeOf(%q, %q) = %q; want %q", tt.mime, tt.name, got, tt.want)
		}
	}
	if !isHEIC("", "x.heif") || !isHEIC("image/HEIC", "x") || isHEIC("image/jpeg", "x.jpg") {
		t.Errorf("isHEIC misjudges HEIC types")
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ host, source, name, want string }{
		{"", "/Users/me/Library/Messages/Attachments/3a/10/AB12CD34-0000/IMG_0101.jpeg", "IMG_0101.jpeg", "AB12CD34-0000-IMG_0101.jpeg"},
		{"", "/Users/me/Library/Messages/Attachments/3a/10/AB12CD34/Mom's photo & more.jpg", "Mom's photo & more.jpg", "AB12CD34-Mom_s_photo___more.jpg"},
		{"", "/Users/me/x/../.hidden", "", "4fdfae3f3ef7c44bb0e3a8b5-hidden"},
		{"", "/Users/me/Library/Messages/Attachments/3a/10/AB12CD34/café.jpg", "café.jpg", "AB12CD34-café.jpg"},
	}
	for _, tt := range tests {
		got := FileName(tt.host, tt.source, tt.name)
		if tt.want[0] == '4' {
			// A hash: only its shape is fixed.
			if len(got) != len("4fdfae3f3ef7c44bb0e3a8b5-hidden") || !strings.HasSuffix(got, "-hidden") {
				t.Errorf("FileName(%q) = %q; want HASH-hidden", tt.source, got)
			}
			if other := FileName("me@mac", tt.source, tt.name); other == got {
				t.Errorf("FileName gives the same hash for a local and a remote file")
			}
			continue
		}
		if got != tt.want {
			t.Errorf("FileName(%q, %q) = %q; want %q", tt.source, tt.name, got, tt.want)
		}
	}
	long := safeName(strings.Repeat("é", 80)+".jpeg", 100)
	if len(long) > 100 || !strings.HasSuffix(long, ".jpeg") || !strings.HasPrefix(long, "é") {
		t.Errorf("safeName(long) = %q (%d bytes); want ≤ 100 bytes ending in .jpeg", long, len(long))
	}
	if got := safeName("../..", 100); got != "_.." {
		t.Errorf("safeName(%q) = %q; want %q", "../..", got, "_..")
	}
}

func TestChatDir(t *testing.T) {
	tests := []struct {
		id   int64
		keys []string
		want string
	}{
		{7, []string{"iMessage;+;chat1"}, "chat-7"},
		{0, []string{"iMessage;+;chat1", "x"}, "chat-iMessage___chat1"},
		{0, []string{"", " ", "+15551234567"}, "chat-_15551234567"},
		{0, nil, "chat-unknown"},
	}
	for _, tt := range tests {
		if got := ChatDir(tt.id, tt.keys...); got != tt.want {
			t.Errorf("ChatDir(%d, %q) = %q; want %q", tt.id, tt.keys, got, tt.want)
		}
	}
}

func TestParseAge(t *testing.T) {
	tests := map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1.5d": 36 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute}
	for in, want := range tests {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "0", "soon", "0d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted a bad age", bad)
		}
	}
}
