// Package e2e tests the toolkit end to end: the real binaries in real
// pipes (testscript goldens under testdata/script), the generated man pages
// and completions, the gateway script on the simulator, and the chaos test.
// It holds tests only.
package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imsg-toolkit/imsg/lib/agent"
	"github.com/imsg-toolkit/imsg/lib/chunk"
	"github.com/imsg-toolkit/imsg/lib/fetch"
	"github.com/imsg-toolkit/imsg/lib/gate"
	"github.com/imsg-toolkit/imsg/lib/listen"
	"github.com/imsg-toolkit/imsg/lib/pair"
	"github.com/imsg-toolkit/imsg/lib/route"
	"github.com/imsg-toolkit/imsg/lib/rpc/rpctest"
	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/sim"
)

// root is the repository's top directory, where testdata, scripts, man and
// completions live.
var root = filepath.Join("..", "..")

// binaries maps each command name to its in-process entry point; testscript
// puts a copy of the test binary on $PATH under each name, so scripts run
// the real commands, in real pipes, without a separate build step.
var binaries = map[string]func() int{
	"imsg-sim":    sim.Main,
	"imsg-chunk":  chunk.Main,
	"imsg-listen": listen.Main,
	"imsg-gate":   gate.Main,
	"imsg-pair":   pair.Main,
	"imsg-send":   send.Main,
	"imsg-route":  route.Main,
	"imsg-agent":  agent.Main,
	"imsg-fetch":  fetch.Main,
	// a scripted imsg rpc for byte-level quirks; $IMSG_RPCTEST_SCRIPT names the script
	"fake-imsg-rpc": rpctest.Main,
}

func TestMain(m *testing.M) {
	cmds := make(map[string]func(), len(binaries))
	for name, main := range binaries {
		cmds[name] = func() { os.Exit(main()) }
	}
	testscript.Main(m, cmds)
}

// TestScript runs every testdata/script/*.txtar. Set IMSG_UPDATE=1 to rewrite
// the golden sections in place (then review the diff).
func TestScript(t *testing.T) {
	scripts, err := filepath.Abs(filepath.Join(root, "scripts"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("IMSG_UPDATE") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("IMSG_SCRIPTS", scripts)
			env.Setenv("IMSG_NOW", "2026-05-16T09:00:00Z")
			return nil
		},
	})
}
