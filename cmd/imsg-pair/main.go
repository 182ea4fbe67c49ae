// Imsg-pair lists, approves and rejects the pairing requests of strangers
// imsg-gate has answered with a code, and lists and revokes the senders
// approved so far. See imsg-pair(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/pair"
)

func main() { os.Exit(pair.Main()) }
