package gate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
)

const writeCfg = `// the owner's file
{
  channels: { imessage: { dmPolicy: "allowlist", allowFrom: ["+15550001111"], historyLimit: 0x10 } },
  commands: { config: true },
  messages: { groupChat: { mentionPatterns: ["\\bclaw\\b"] } },
}
`

func loadFile(t *testing.T, text string) *config.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json5")
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestApplyConfigEdit(t *testing.T) {
	tests := []struct {
		cmd     string
		reply   string
		changed bool
		check   func(*config.File) bool
		wantErr string
	}{
		{cmd: "/config set channels.imessage.dmPolicy pairing", reply: `Config updated: channels.imessage.dmPolicy = "pairing"`,
			changed: true, check: func(f *config.File) bool { a, _ := f.Account(""); return a.DMPolicy == "pairing" }},
		{cmd: `/config set channels.imessage.groupAllowFrom ["chat_id:7"]`, changed: true,
			reply: `Config updated: channels.imessage.groupAllowFrom = ["chat_id:7"]`,
			check: func(f *config.File) bool {
				a, _ := f.Account("")
				return a.GroupAllowFromSet && a.GroupAllowFrom[0] == "chat_id:7"
			}},
		{cmd: "/config set channels.imessage.groups.7.requireMention false", changed: true,
			check: func(f *config.File) bool {
				a, _ := f.Account("")
				return a.Groups["7"].RequireMention != nil && !*a.Groups["7"].RequireMention
			}},
		{cmd: "/config unset channels.imessage.historyLimit", changed: true, reply: "Config updated: channels.imessage.historyLimit removed.",
			check: func(f *config.File) bool { a, _ := f.Account(""); return a.HistoryLimit == 50 }},
		{cmd: "/config unset channels.imessage.nothing.here", reply: "Config unchanged: channels.imessage.nothing.here is not set."},
		{cmd: "/config set channels.imessage.dmPolicy opne", wantErr: `invalid value "opne"`},
		{cmd: "/config set channels.imessage.dmPolicy open", wantErr: `requires channels.imessage.allowFrom to include "*"`},
		{cmd: "/config set channels.imessage.allowfrom []", wantErr: `did you mean "allowFrom"`},
		{cmd: "/config set channels.imessage.dmPolicy.x 1", wantErr: "channels.imessage.dmPolicy is not an object"},
		{cmd: `/config set channels.imessage.allowFrom ["foo"]`, wantErr: "invalid entry"},
		{cmd: `/config set messages.groupChat.mentionPatterns [".*"]`, wantErr: "empty string"},
	}
	for _, tc := range tests {
		f := loadFile(t, writeCfg)
		e, err := ParseConfigCommand(tc.cmd)
		if err != nil {
			t.Fatalf("%s: %v", tc.cmd, err)
		}
		check := func(nf *config.File) error {
			a, err := nf.Account("")
			if err != nil {
				return err
			}
			_, _, err = New(nf, a, Options{}, nil)
			return err
		}
		ed, err := ApplyConfigEdit(f, e, check)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error = %v; want one containing %q", tc.cmd, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), f.Path) {
				t.Errorf("%s: error %q names the file; the reply goes to a chat", tc.cmd, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.cmd, err)
			continue
		}
		if ed.Changed != tc.changed || (tc.reply != "" && ed.Reply != tc.reply) {
			t.Errorf("%s: changed %v reply %q; want %v %q", tc.cmd, ed.Changed, ed.Reply, tc.changed, tc.reply)
		}
		if tc.check != nil && !tc.check(ed.File) {
			t.Errorf("%s: the new configuration does not hold the change", tc.cmd)
		}
		var back map[string]any
		if err := json.Unmarshal(ed.Data, &back); err != nil {
			t.Errorf("%s: written data is not JSON: %v", tc.cmd, err)
		}
	}
}

func TestApplyConfigEditKeepsNumbersExact(t *testing.T) {
	f := loadFile(t, `{channels: {imessage: {allowFrom: [15551234567]}}, other: {big: 12345678901234567890}}`)
	e, _ := ParseConfigCommand("/config set channels.imessage.historyLimit 7")
	ed, err := ApplyConfigEdit(f, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12345678901234567890", "15551234567", `"historyLimit": 7`} {
		if !strings.Contains(string(ed.Data), want) {
			t.Errorf("written config lacks %s:\n%s", want, ed.Data)
		}
	}
}

func TestWriteConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json5")
	if err := os.WriteFile(path, []byte("// old\n{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteConfig(path, []byte("{\"a\": 1}\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	bak, _ := os.ReadFile(path + ".bak")
	if string(got) != "{\"a\": 1}\n" || string(bak) != "// old\n{}" {
		t.Errorf("file %q, backup %q", got, bak)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v; want the old file's 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d files; want the config and its backup (no temporary left)", len(entries))
	}
	// A new file is private.
	fresh := filepath.Join(dir, "sub", "new.json5")
	if err := WriteConfig(fresh, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v; want 0600", st.Mode().Perm())
	}
	if _, err := os.Stat(fresh + ".bak"); err == nil {
		t.Errorf("a backup of nothing was written")
	}
}
