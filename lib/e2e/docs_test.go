package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/agent"
	"github.com/imsg-toolkit/imsg/lib/chunk"
	"github.com/imsg-toolkit/imsg/lib/fetch"
	"github.com/imsg-toolkit/imsg/lib/gate"
	"github.com/imsg-toolkit/imsg/lib/listen"
	"github.com/imsg-toolkit/imsg/lib/pair"
	"github.com/imsg-toolkit/imsg/lib/route"
	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/sim"
	"github.com/imsg-toolkit/imsg/lib/tool"
	"github.com/urfave/cli/v2"
)

// apps maps each binary to its App, the single source of its man page and
// completions.
var apps = map[string]func() *cli.App{
	"imsg-sim":    sim.App,
	"imsg-chunk":  chunk.App,
	"imsg-listen": listen.App,
	"imsg-gate":   gate.App,
	"imsg-pair":   pair.App,
	"imsg-send":   send.App,
	"imsg-route":  route.App,
	"imsg-agent":  agent.App,
	"imsg-fetch":  fetch.App,
}

// golden compares got with the file at path, or rewrites the file when
// IMSG_UPDATE is set (review the diff before committing).
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv("IMSG_UPDATE") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s is stale: run make golden and review the diff", path)
	}
}

func TestEveryBinaryHasDocs(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := apps[d.Name()]; !ok {
			t.Errorf("cmd/%s has no entry in apps (lib/e2e/docs_test.go)", d.Name())
		}
		if _, ok := binaries[d.Name()]; !ok {
			t.Errorf("cmd/%s has no entry in binaries (lib/e2e/script_test.go)", d.Name())
		}
	}
}

func TestManPages(t *testing.T) {
	for name, app := range apps {
		page, err := tool.Man(app())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden(t, filepath.Join(root, "man", name+".1"), []byte(page))
	}
	// Hand-written pages: man/<page>.md renders to man/<page>.
	sources, _ := filepath.Glob(filepath.Join(root, "man", "*.md"))
	for _, src := range sources {
		md, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, strings.TrimSuffix(src, ".md"), tool.RenderMarkdownPage(md))
	}
}

func TestCompletions(t *testing.T) {
	for name, app := range apps {
		golden(t, filepath.Join(root, "completions", "bash", name), []byte(tool.BashCompletion(app())))
		golden(t, filepath.Join(root, "completions", "zsh", "_"+name), []byte(tool.ZshCompletion(app())))
		fish, err := tool.FishCompletion(app())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden(t, filepath.Join(root, "completions", "fish", name+".fish"), []byte(fish))
	}
}
