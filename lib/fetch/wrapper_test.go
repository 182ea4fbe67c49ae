package fetch

import (
	"errors"
	"strings"
	"testing"
)

func TestDetectHost(t *testing.T) {
	tests := []struct {
		name, script, host string
		reason             string // a part of the refusal; "" when a host or none is found
	}{
		{"documented user@host", "#!/bin/sh\nexec ssh -T openclaw@192.168.64.3 /opt/homebrew/bin/imsg \"$@\"\n", "openclaw@192.168.64.3", ""},
		{"documented host", "#!/usr/bin/env bash\n# wrapper\nset -eu\nexec ssh -T mac-mini imsg \"$@\"\n", "mac-mini", ""},
		{"flags clustered, no exec", "ssh -Tq me@mac imsg $@", "me@mac", ""},
		{"unknown option", "exec ssh -Z me@mac imsg \"$@\"", "", "unknown ssh option"},
		{"flags and --", "exec /usr/bin/ssh -T -q -- me@mac-mini.local imsg \"${@}\"", "me@mac-mini.local", ""},
		{"continuation", "exec ssh -T \\\n  me@mac imsg \"$@\"\n", "me@mac", ""},
		{"quoted host", "exec ssh 'me@mac' imsg \"$@\"", "me@mac", ""},
		{"ipv6", "exec ssh -T me@[fe80::1] imsg \"$@\"", "me@[fe80::1]", ""},
		{"no ssh: local wrapper", "#!/bin/sh\nexec /opt/homebrew/bin/imsg \"$@\"\n", "", ""},
		{"ssh only in a comment", "#!/bin/sh\n# was: ssh me@mac imsg\nexec imsg \"$@\"\n", "", ""},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00ssh me@mac imsg", "", ""},

		{"port", "exec ssh -p 2222 me@mac imsg \"$@\"", "", "-p takes a value (a port: use --port)"},
		{"identity", "exec ssh -i ~/.ssh/id_mac me@mac imsg \"$@\"", "", "--identity"},
		{"option value that looks like a host", "exec ssh -o User=x@evil me@mac imsg \"$@\"", "", "-o takes a value"},
		{"proxy command", "exec ssh -oProxyCommand='touch /tmp/pwned' me@mac imsg \"$@\"", "", "-o takes a value"},
		{"login name", "exec ssh -l me mac imsg \"$@\"", "", "-l takes a value (a user: write user@host)"},
		{"jump", "exec ssh -J bastion me@mac imsg \"$@\"", "", "-J takes a value"},
		{"variable host", "HOST=mac\nexec ssh \"$HOST\" imsg \"$@\"", "", "not a plain host"},
		{"host with a leading dash", "exec ssh -- -oProxyCommand=x imsg \"$@\"", "", "not a plain host"},
		{"pipeline", "exec ssh me@mac imsg \"$@\" | tee log", "", "operator"},
		{"two ssh lines", "ssh me@a imsg \"$@\"\nssh me@b imsg \"$@\"", "", "line 1 and again on line 2"},
		{"not imsg", "exec ssh me@mac /usr/local/bin/other \"$@\"", "", "not imsg"},
		{"extra argument", "exec ssh me@mac imsg rpc --json", "", "extra argument"},
		{"ssh as an argument", "exec sshpass -p secret ssh me@mac imsg \"$@\"", "", "not the command"},
		{"env prefix", "exec env ssh me@mac imsg \"$@\"", "", "not the command"},
		{"no destination", "exec ssh -T", "", "no destination"},
	}
	for _, tt := range tests {
		host, err := DetectHost([]byte(tt.script))
		if tt.reason == "" {
			if err != nil || host != tt.host {
				t.Errorf("%s: DetectHost = %q, %v; want %q", tt.name, host, err, tt.host)
			}
			continue
		}
		var we *WrapperError
		if !errors.As(err, &we) || !strings.Contains(we.Reason, tt.reason) || host != "" {
			t.Errorf("%s: DetectHost = %q, %v; want a refusal mentioning %q", tt.name, host, err, tt.reason)
		}
	}
}

func TestWrapperErrorMessage(t *testing.T) {
	err := &WrapperError{File: "/home/me/imsg-ssh", Line: 2, Reason: "ssh option -p takes a value (a port: use --port)"}
	want := "cannot tell the Mac's host from cliPath /home/me/imsg-ssh:2: ssh option -p takes a value (a port: use --port); set channels.imessage.remoteHost (or --remote-host), or --local if the attachments are on this machine"
	if err.Error() != want {
		t.Errorf("Error() = %q; want %q", err.Error(), want)
	}
}
