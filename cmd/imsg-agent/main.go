// Imsg-agent answers each routed message with exactly one reply record,
// from a built-in echo, a shell command or an OpenAI-compatible HTTP
// endpoint, keeping each session in order and sessions in parallel. See
// imsg-agent(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/agent"
)

func main() { os.Exit(agent.Main()) }
