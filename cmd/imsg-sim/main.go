// Imsg-sim is an imsg-compatible simulator over a real SQLite chat.db: it
// serves imsg's JSON-RPC (imsg-sim rpc), mirrors imsg's chats, history and
// send commands, and builds test databases (init, inject). See imsg-sim(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/sim"
)

func main() { os.Exit(sim.Main()) }
