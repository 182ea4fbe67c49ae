package chunk

import (
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
)

const settingsConfig = `{
  messages: { responsePrefix: "[{identityName}]" },
  agents: { list: [
    { id: "main", default: true, identity: { name: "Molty" } },
    { id: "work", identity: { name: "Worker" } },
    { id: "anon" },
  ] },
  channels: { imessage: {
    textChunkLimit: 100, chunkMode: "newline", markdown: { tables: "bullets" },
    accounts: {
      home: {},
      work: { textChunkLimit: 50, responsePrefix: "auto", markdown: { tables: "block" } },
      plain: { chunkMode: "length", responsePrefix: "" },
    },
  } },
}`

func TestResolver(t *testing.T) {
	f, err := config.Parse("test.json5", []byte(settingsConfig))
	if err != nil {
		t.Fatal(err)
	}
	limit, mode, tables, prefix := 7, ModeLength, TablesOff, "{provider}>"
	tests := []struct {
		name           string
		flagAccount    string
		o              Overrides
		account, agent string
		want           Settings
	}{
		{"channel values and messages.responsePrefix", "home", Overrides{}, "home", "",
			Settings{Limit: 100, Mode: ModeNewline, Tables: TablesBullets, Prefix: "[Molty]"}},
		{"account overrides, auto prefix for the reply's agent", "home", Overrides{}, "work", "work",
			Settings{Limit: 50, Mode: ModeNewline, Tables: TablesCode, Prefix: "[Worker]"}},
		{"auto without a name is no prefix", "home", Overrides{}, "work", "anon",
			Settings{Limit: 50, Mode: ModeNewline, Tables: TablesCode, Prefix: ""}},
		{"an empty account prefix wins over messages.responsePrefix", "home", Overrides{}, "plain", "",
			Settings{Limit: 100, Mode: ModeLength, Tables: TablesBullets, Prefix: ""}},
		{"an unknown account falls back to --account", "work", Overrides{}, "elsewhere", "MAIN",
			Settings{Limit: 50, Mode: ModeNewline, Tables: TablesCode, Prefix: "[Molty]"}},
		{"flags override", "home", Overrides{Limit: &limit, Mode: &mode, Tables: &tables, Prefix: &prefix}, "work", "",
			Settings{Limit: 7, Mode: ModeLength, Tables: TablesOff, Prefix: "{provider}>"}},
	}
	for _, tt := range tests {
		resolve, err := NewResolver(f, tt.flagAccount, tt.o)
		if err != nil {
			t.Fatalf("%s: NewResolver: %v", tt.name, err)
		}
		for range 2 { // the second call comes from the cache
			if got := resolve(tt.account, tt.agent); got != tt.want {
				t.Errorf("%s: resolve(%q, %q) = %+v; want %+v", tt.name, tt.account, tt.agent, got, tt.want)
			}
		}
	}
	if _, err := NewResolver(f, "nope", Overrides{}); err == nil {
		t.Error("NewResolver with an unknown --account succeeded; want an error")
	}
}

func TestResolverDefaults(t *testing.T) {
	resolve, err := NewResolver(config.Default(""), "", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Limit: DefaultLimit, Mode: ModeLength, Tables: TablesCode}
	if got := resolve("default", ""); got != want {
		t.Errorf("defaults = %+v; want %+v", got, want)
	}
}
