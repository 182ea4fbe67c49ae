package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes the loader panic, that every failure
// is a positioned Errors list, and that every success yields usable
// accounts.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json5")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{channels: {imessage: {dmPolicy: "open"}}}`,
		`{channels: {imessage: {accounts: {a: {allowFrom: [1, "x"]}}, defaultAccount: "a"}}}`,
		`{agents: {list: [{id: "x", identity: {name: "a b"}}]}, bindings: [{}]}`,
		`{'a\u0041': "\ud83e\udd9e", b: [0x10, +1, .5, Infinity, NaN,],}`,
		"{\"é\": 1, /* c */ x: 'y\\\n'}",
		`[`, `}`, `"`, `/*`, `{a: 1} x`, "\uFEFF",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.json5", data)
		if err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse error %v (%T) is not a non-empty Errors", err, err)
			}
			for _, e := range list {
				if e.File != "f.json5" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
					t.Fatalf("badly positioned error %+v", e)
				}
			}
			return
		}
		for _, id := range append(cfg.AccountIDs(), "") {
			a, err := cfg.Account(id)
			if err != nil {
				t.Fatalf("Account(%q): %v", id, err)
			}
			if a.TextChunkLimit < 1 || a.MediaMaxMb < 1 || a.HistoryLimit < 0 || len(a.AttachmentRoots) == 0 {
				t.Fatalf("Account(%q) has invalid effective values: %+v", id, a)
			}
		}
		cfg.MentionPatterns("")
		cfg.DefaultAgentID()
		for _, b := range cfg.Bindings {
			cfg.ErrorAt("x", "", "bindings", b.Index, "match")
		}
	})
}
