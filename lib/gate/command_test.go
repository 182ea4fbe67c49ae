package gate

import (
	"slices"
	"testing"
)

func TestDetectCommand(t *testing.T) {
	tests := map[string]string{
		"/status":            "status",
		"  /STATUS now":      "status",
		"/new\nfresh start":  "new",
		"/config set a b":    "config",
		"/reset\u00a0x":      "", // a no-break space is not a separator we accept
		"/statusbar":         "",
		"/shrug":             "",
		"status":             "",
		"/":                  "",
		"//status":           "",
		"/stop!":             "",
		"/" + "verbose":      "verbose",
		"/ééé":               "",
		"/aaaaaaaaaaaaaaaaa": "",
	}
	for in, want := range tests {
		if got := DetectCommand(in); got != want {
			t.Errorf("DetectCommand(%q) = %q; want %q", in, got, want)
		}
	}
	if !slices.IsSorted(ControlCommands) {
		t.Errorf("ControlCommands is not sorted")
	}
}

func TestParseConfigCommand(t *testing.T) {
	tests := []struct {
		in      string
		unset   bool
		path    []string
		value   string
		wantErr bool
	}{
		{in: "/config set channels.imessage.dmPolicy allowlist", path: []string{"channels", "imessage", "dmPolicy"}, value: "allowlist"},
		{in: "/config set channels.imessage.dmPolicy=open", path: []string{"channels", "imessage", "dmPolicy"}, value: "open"},
		{in: "/config set a.b = [1, 2]", path: []string{"a", "b"}, value: "[1, 2]"},
		{in: `/config SET a.b "two words"`, path: []string{"a", "b"}, value: `"two words"`},
		{in: "/config unset channels.imessage.groups", unset: true, path: []string{"channels", "imessage", "groups"}},
		{in: "/config set a.b", wantErr: true},
		{in: "/config set", wantErr: true},
		{in: "/config unset", wantErr: true},
		{in: "/config unset a..b", wantErr: true},
		{in: "/config show", wantErr: true},
		{in: "/config", wantErr: true},
		{in: "/status", wantErr: true},
	}
	for _, tc := range tests {
		e, err := ParseConfigCommand(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseConfigCommand(%q) error = %v; want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && (e.Unset != tc.unset || !slices.Equal(e.Path, tc.path) || e.Value != tc.value) {
			t.Errorf("ParseConfigCommand(%q) = %+v; want unset %v path %q value %q", tc.in, e, tc.unset, tc.path, tc.value)
		}
	}
}
