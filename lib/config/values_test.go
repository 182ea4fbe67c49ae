package config

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/titanous/json5"
)

func TestSafeExecutable(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"imsg", true},
		{"imsg-2.0_beta+x", true},
		{"/opt/homebrew/bin/imsg", true},
		{"~/.openclaw/scripts/imsg-ssh", true},
		{"/Users/me/My Scripts/imsg", true},
		{"./imsg", true},
		{`C:\tools\imsg.exe`, true},
		{"  imsg  ", true},
		{"", false},
		{"   ", false},
		{"-imsg", false},
		{"imsg ssh", false}, // a bare name with a space is a command line, not a name
		{"imsg;rm", false},
		{"/bin/imsg && x", false},
		{"/bin/imsg | x", false},
		{"/bin/`x`", false},
		{"/bin/$HOME", false},
		{"/bin/imsg > x", false},
		{"/bin/imsg < x", false},
		{`"/bin/imsg"`, false},
		{"'/bin/imsg'", false},
		{"/bin/imsg\nx", false},
		{"/bin/imsg\rx", false},
		{"/bin/im\x00sg", false},
		{"imsg(1)", false},
	}
	for _, tt := range tests {
		if got := SafeExecutable(tt.in); got != tt.want {
			t.Errorf("SafeExecutable(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestSSHHost(t *testing.T) {
	tests := []struct{ in, want string }{ // want "" = rejected
		{"mac", "mac"},
		{"  mac-mini.local  ", "mac-mini.local"},
		{"bot@mac", "bot@mac"},
		{"first.last_1@192.168.64.3", "first.last_1@192.168.64.3"},
		{"[::1]", "[::1]"},
		{"user@[fe80::1%25]", "user@[fe80::1%25]"},
		{"[fe80::1%en0]", ""}, // a named zone id
		{"", ""},
		{"   ", ""},
		{"-oProxyCommand=x", ""},
		{"user@-host", ""},
		{"mac -p 22", ""},
		{"us er@mac", ""},
		{"mac\tx", ""},
		{"mac:22", ""},
		{"[::1]:22", ""},
		{"::1", ""},
		{"mac/x", ""},
		{`mac\x`, ""},
		{"a@b@c", ""},
		{"@mac", ""},
		{"mac@", ""},
		{"u$er@mac", ""},
		{"mäc", ""},
	}
	for _, tt := range tests {
		got, ok := SSHHost(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("SSHHost(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestRootPattern(t *testing.T) {
	tests := []struct{ in, want string }{ // want "" = rejected
		{"/Users/*/Library/Messages/Attachments", "/Users/*/Library/Messages/Attachments"},
		{" /a/b/ ", "/a/b"},
		{"/a/./b/../c", "/a/c"},
		{`\Users\me`, "/Users/me"},
		{"C:/Users/*/x", "C:/Users/*/x"},
		{`D:\data`, "D:/data"},
		{"/*", "/*"},
		{"", ""},
		{"relative/path", ""},
		{"~/x", ""},
		{"/", ""},
		{"/..", ""},
		{"C:/", ""},
		{"C:", ""},
		{"/Users/**/x", ""},
		{"/Users/a*/x", ""},
		{"/a\x00b", ""},
	}
	for _, tt := range tests {
		got, ok := RootPattern(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("RootPattern(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestIntOf(t *testing.T) {
	tests := []struct {
		in   any
		want int
		ok   bool
	}{
		{json.Number("12"), 12, true},
		{json.Number("-3"), -3, true},
		{json.Number("1e3"), 1000, true},
		{json.Number("2.0"), 2, true},
		{json.Number("1.5"), 0, false},
		{json.Number("1e400"), 0, false},
		{math.Inf(1), 0, false},
		{"12", 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		if got, ok := intOf(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("intOf(%#v) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPlainNumbers(t *testing.T) {
	tests := []struct {
		in   json5.Number
		want any
	}{
		{"12", json.Number("12")},
		{"-1.5e3", json.Number("-1.5e3")},
		{"+3", json.Number("3")},
		{"0x1F", json.Number("31")},
		{"-0X10", json.Number("-16")},
		{"0xFFFFFFFFFFFFFFFFFF", json.Number("4722366482869645213695")},
		{".5", json.Number("0.5")},
		{"5.", json.Number("5")},
		{"+.5e1", json.Number("5")},
		{".5e999", math.Inf(1)},
	}
	for _, tt := range tests {
		if got := plainNumbers(tt.in); got != tt.want {
			t.Errorf("plainNumbers(%q) = %#v; want %#v", tt.in, got, tt.want)
		}
	}
}

// The raw tree must survive encoding/json: numbers stay numbers.
func TestRawReencodes(t *testing.T) {
	f := mustParse(t, `{channels: {imessage: {mediaMaxMb: 0x10, allowFrom: [+15551234567, .5]}}, bindings: [{n: 1e2}]}`)
	b, err := json.Marshal(f.Raw)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bindings":[{"n":1e2}],"channels":{"imessage":{"allowFrom":[15551234567,0.5],"mediaMaxMb":16}}}`
	if string(b) != want {
		t.Errorf("json.Marshal(Raw) = %s; want %s", b, want)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"allowFrom", "groupAllowFrom", "dmPolicy", "name", "dms", "probeTimeoutMs", "requireMention"}
	tests := []struct{ in, want string }{
		{"allowfrom", "allowFrom"},
		{"alowFrom", "allowFrom"},
		{"allow_from", "allowFrom"},
		{"groupAllowfrom", "groupAllowFrom"},
		{"DMPOLICY", "dmPolicy"},
		{"nam", "name"},
		{"dm", "dms"},
		{"probeTimeout", "probeTimeoutMs"},
		{"require_mention", "requireMention"},
		{"foo", ""},
		{"x", ""},
		{"somethingElse", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    path
		want string
	}{
		{path{"channels", "imessage", "allowFrom", 2}, "channels.imessage.allowFrom[2]"},
		{path{"channels", "imessage", "groups", "*", "tools"}, `channels.imessage.groups["*"].tools`},
		{path{"dms", "+1555"}, `dms["+1555"]`},
		{path{"bindings", 3}, "bindings[3]"},
		{path{"accounts", "my.mac"}, `accounts["my.mac"]`},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("path%v.String() = %q; want %q", []any(tt.p), got, tt.want)
		}
	}
}
