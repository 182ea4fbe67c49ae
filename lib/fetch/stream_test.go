package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

func runStream(t *testing.T, in string, opts Options) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	opts.Log = tool.NewLog(&errb, "imsg-fetch")
	err := Stream(context.Background(), strings.NewReader(in), &out, opts)
	return out.String(), errb.String(), err
}

func TestStreamPassesThroughWhenOff(t *testing.T) {
	in := `{"kind":"message","account":"default","message":{"text":"","attachments":[{"original_path":"/etc/passwd"}]}}
{"kind":"reply","account":"default","to":"chat_id:1","text":"hi","key":"k"}
{ "kind" : "message" , "x": 1.50e1 }
`
	out, stderr, err := runStream(t, in, Options{})
	if err != nil || out != in || stderr != "" {
		t.Errorf("Stream without a fetcher = %q, %q, %v; want the input unchanged", out, stderr, err)
	}
}

func TestStreamAddsMedia(t *testing.T) {
	m := newMac(t)
	a := m.file("GUID-S1", "pic.jpg", []byte("jpeg"))
	f := m.fetcher(nil)
	msg := func(text string, atts string) string {
		return `{"kind":"message","account":"default","message":{"id":1,"chat_id":7,"text":` + text + `,"attachments":` + atts + `,"future":{"a":[1, 2]}},"gate":{"body":"x"}}`
	}
	att, _ := json.Marshal([]any{a, map[string]any{"original_path": "/etc/passwd", "mime_type": "text/plain"}})
	lines := []string{
		msg(`"\ufffc"`, string(att)),
		msg(`"look"`, "[]"),
		`{"kind":"reaction","account":"default","message":{"is_reaction":true,"attachments":[]}}`,
		`{"kind":"message","account":"default","message":{"attachments":"what"}}`,
		`not json`,
		`{"kind":"message","account":"default","message":{"is_reaction":true,"attachments":[]}}`,
		`{"kind":"message","account":"default","message":{"text":"","attachments":[]},"media":[{"stale":true}]}`,
	}
	out, stderr, err := runStream(t, strings.Join(lines, "\n")+"\n", Options{Fetcher: f})
	if err == nil || tool.CodeOf(err) != tool.ExitFailure {
		t.Errorf("Stream err = %v; want exit 1 for the rejected line", err)
	}
	wantErr := "imsg-fetch: warning: line 4: message.attachments is a string, not what imsg sends; passed on without media\n" +
		"imsg-fetch: error: line 5: invalid JSON: invalid character 'o' in literal null (expecting 'u')\n"
	if stderr != wantErr {
		t.Errorf("stderr = %q; want %q", stderr, wantErr)
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != 6 {
		t.Fatalf("wrote %d lines; want 6:\n%s", len(got), out)
	}
	// Everything but media and media_body is kept byte for byte.
	path := filepath.Join(m.cache, "chat-7", "GUID-S1-pic.jpg")
	want0 := msg(`"\ufffc"`, string(att))
	want0 = want0[:len(want0)-1] + `,"media":[{"status":"ok","kind":"image","mime":"image/jpeg","size":4,"path":"` + path +
		`","source":"` + a.OriginalPath + `","name":"pic.jpg"},{"status":"blocked","kind":"document","mime":"text/plain","size":0,` +
		`"source":"/etc/passwd","error":"/etc/passwd is outside the attachment roots"}],"media_body":"<media:image>"}`
	if got[0] != want0 {
		t.Errorf("line 1 =\n%s\nwant\n%s", got[0], want0)
	}
	if want := msg(`"look"`, "[]"); got[1] != want[:len(want)-1]+`,"media":[]}` {
		t.Errorf("line 2 = %s; want an empty media array and no media_body", got[1])
	}
	for i, want := range []string{lines[2], lines[3], lines[5]} {
		if got[i+2] != want {
			t.Errorf("line %d = %s; want it unchanged", i+3, got[i+2])
		}
	}
	if want := `{"kind":"message","account":"default","message":{"text":"","attachments":[]},"media":[]}`; got[5] != want {
		t.Errorf("line 7 = %s; want the stale media replaced", got[5])
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o755)
		return p
	}
	plain := write("imsg-ssh", "#!/bin/sh\nexec ssh -T me@mac-mini /opt/homebrew/bin/imsg \"$@\"\n")
	tricky := write("imsg-ssh-port", "#!/bin/sh\nexec ssh -p 2222 me@mac-mini imsg \"$@\"\n")
	local := write("imsg-local", "#!/bin/sh\nexec /usr/local/bin/imsg \"$@\"\n")
	tests := []struct {
		acct      config.Account
		flag      string
		local     bool
		host, how string
		err       string
		note      string
	}{
		{acct: config.Account{CLIPath: "imsg"}},
		{acct: config.Account{CLIPath: plain}, host: "me@mac-mini", how: "cliPath " + plain},
		{acct: config.Account{CLIPath: plain, RemoteHost: "other@mac"}, host: "other@mac", how: "remoteHost"},
		{acct: config.Account{CLIPath: plain}, flag: "flag@mac", host: "flag@mac", how: "--remote-host"},
		{acct: config.Account{CLIPath: plain, RemoteHost: "other@mac"}, flag: "flag@mac", local: true},
		{acct: config.Account{CLIPath: tricky}, err: "cannot tell the Mac's host from cliPath " + tricky + ":2: ssh option -p takes a value"},
		{acct: config.Account{CLIPath: tricky, RemoteHost: "me@mac-mini"}, host: "me@mac-mini", how: "remoteHost"},
		{acct: config.Account{CLIPath: local}},
		{acct: config.Account{CLIPath: filepath.Join(dir, "gone")}, note: "no such file"},
		{acct: config.Account{CLIPath: "no-such-imsg-wrapper"}, note: "not on PATH"},
		{acct: config.Account{}, flag: "-oProxyCommand=touch /tmp/x", err: "invalid --remote-host"},
	}
	for i, tt := range tests {
		w, err := Locate(&tt.acct, tt.flag, tt.local)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%d: Locate = %+v, %v; want an error with %q", i, w, err, tt.err)
			}
			continue
		}
		if err != nil || w.Host != tt.host || w.How != tt.how || !strings.Contains(w.Note, tt.note) {
			t.Errorf("%d: Locate = %+v, %v; want host %q how %q note %q", i, w, err, tt.host, tt.how, tt.note)
		}
	}
}
