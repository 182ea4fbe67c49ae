package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		in, want string
		reason   string // a part of the refusal; "" means accepted
	}{
		{"/Users/me/Library/Messages/Attachments/ab/cd/G/IMG_1.jpeg", "/Users/me/Library/Messages/Attachments/ab/cd/G/IMG_1.jpeg", ""},
		{"/Users/me/a b (1).jpg", "/Users/me/a b (1).jpg", ""},
		{"/Users/me/Mom's photo.jpg", "/Users/me/Mom's photo.jpg", ""},
		{"/Users/me/Tom & Jerry.png", "/Users/me/Tom & Jerry.png", ""},
		{"/Users/me/a;b|c<d>e.png", "/Users/me/a;b|c<d>e.png", ""},
		{"/Users/me/[x]*?{y}#~%^.png", "/Users/me/[x]*?{y}#~%^.png", ""},
		{"/Users/me/café ☕.jpg", "/Users/me/café ☕.jpg", ""},
		{"/Users/me/./a//b/", "/Users/me/a/b", ""},
		{"/Users/me/$(reboot).jpg", "", `"$"`},
		{"/Users/me/$HOME.jpg", "", `"$"`},
		{"/Users/me/`id`.jpg", "", "backtick"},
		{`/Users/me/a"b.jpg`, "", "double quote"},
		{`/Users/me/a\b.jpg`, "", `"\"`},
		{"/Users/me/wow!.jpg", "", `"!"`},
		{"/Users/me/a\nb.jpg", "", "control character U+000A"},
		{"/Users/me/a\x7fb.jpg", "", "control character U+007F"},
		{"/Users/me/a\u0085b.jpg", "", "control character U+0085"},
		{"/Users/me/a\xffb.jpg", "", "UTF-8"},
		{"/Users/me/../../etc/passwd", "", `".."`},
		{"/Users/me/Attachments/..", "", `".."`},
		{"relative/path.jpg", "", "not absolute"},
		{" /Users/me/x.jpg", "", "not absolute"},
		{"", "", "empty"},
		{"/", "", "root directory"},
		{"//.", "", "root directory"},
	}
	for _, tt := range tests {
		got, err := CheckPath(tt.in)
		if tt.reason == "" {
			if err != nil || got != tt.want {
				t.Errorf("CheckPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var pe *PathError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("CheckPath(%q) = %q, %v; want a refusal mentioning %s", tt.in, got, err, tt.reason)
		}
	}
}

func TestNeedsSFTP(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"/Users/me/plain.jpg", false},
		{"/Users/me/café ☕ 日本.jpg", false},
		{"/Users/me/Screenshot 2026-05-16 at 9.00.00\u202fAM.png", true},
		{"/Users/me/zero\u200bwidth.png", true},
		{"/Users/me/nbsp\u00a0.png", true},
	}
	for _, tt := range tests {
		if got := NeedsSFTP(tt.in); got != tt.want {
			t.Errorf("NeedsSFTP(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		dest      string
		port      int
		want      Target
		addr, str string
		known     string
		bad       bool
	}{
		{dest: "me@mac-mini", port: 22, want: Target{"me", "mac-mini", 22}, addr: "mac-mini:22", str: "me@mac-mini", known: "mac-mini"},
		{dest: " me@192.168.64.3 ", port: 2222, want: Target{"me", "192.168.64.3", 2222}, addr: "192.168.64.3:2222", str: "me@192.168.64.3:2222", known: "[192.168.64.3]:2222"},
		{dest: "me@[fe80::1%3]", port: 22, want: Target{"me", "fe80::1%3", 22}, addr: "[fe80::1%3]:22", str: "me@[fe80::1%3]", known: "fe80::1%3"},
		{dest: "-oProxyCommand=touch /tmp/x", port: 22, bad: true},
		{dest: "me@-oProxyCommand=x", port: 22, bad: true},
		{dest: "host -p 22", port: 22, bad: true},
		{dest: "host:2222", port: 22, bad: true},
		{dest: "a@b@c", port: 22, bad: true},
		{dest: "fe80::1", port: 22, bad: true},
		{dest: "host/x", port: 22, bad: true},
		{dest: "", port: 22, bad: true},
		{dest: "me@host", port: 0, bad: true},
		{dest: "me@host", port: 70000, bad: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.dest, tt.port)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTarget(%q, %d) = %+v; want an error", tt.dest, tt.port, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q, %d) = %+v, %v; want %+v", tt.dest, tt.port, got, err, tt.want)
			continue
		}
		if got.Addr() != tt.addr || got.String() != tt.str || got.KnownHostsName() != tt.known {
			t.Errorf("ParseTarget(%q): Addr %q, String %q, KnownHostsName %q; want %q, %q, %q",
				tt.dest, got.Addr(), got.String(), got.KnownHostsName(), tt.addr, tt.str, tt.known)
		}
	}
	if got, err := ParseTarget("mac-mini", 22); err != nil || got.User == "" {
		t.Errorf("ParseTarget(%q) = %+v, %v; want the local user", "mac-mini", got, err)
	}
}
