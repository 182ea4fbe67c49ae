// Command imsg-send delivers reply records through `imsg rpc send`, exactly
// once per idempotency key across crashes and restarts, paced under
// Apple's spam heuristics, and writes one receipt record per send. Every
// other record passes through unchanged. See imsg-send(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/send"
)

func main() { os.Exit(send.Main()) }
