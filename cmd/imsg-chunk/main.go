// Imsg-chunk splits agent replies into iMessage-sized parts: it strips
// assistant scaffolding, converts Markdown tables, applies the response
// prefix and cuts each reply into parts of at most textChunkLimit UTF-16
// code units, never inside a code block, a URL or a grapheme cluster.
// Other records pass through unchanged. See imsg-chunk(1).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/chunk"
)

func main() { os.Exit(chunk.Main()) }
