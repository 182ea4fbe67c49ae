// Imsg-route adds a route to each message record: the agent chosen by the
// bindings, the session key, the reply target (the originating chat) and
// the context the agent needs, including the group messages imsg-gate held
// back. See imsg-route(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/route"
)

func main() { os.Exit(route.Main()) }
