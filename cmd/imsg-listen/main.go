// Imsg-listen spawns imsg rpc, subscribes to new iMessages and writes one
// NDJSON record per message, journalling each first so that nothing is lost
// or repeated across crashes. See imsg-listen(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/listen"
)

func main() { os.Exit(listen.Main()) }
