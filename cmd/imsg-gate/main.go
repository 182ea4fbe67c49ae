// Imsg-gate decides which inbound iMessages may reach the agent: DM and
// group policies, allowlists, pairing, mention gating, control commands,
// and echo and loop guards. It reads and writes NDJSON records; see
// imsg-gate(1) and imsg-records(7).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/gate"
)

func main() { os.Exit(gate.Main()) }
