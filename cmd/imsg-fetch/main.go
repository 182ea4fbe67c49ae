// Imsg-fetch turns the attachments of inbound iMessages into local files
// an agent can open: read only below the attachment roots, copied over SSH
// with strict host keys when imsg runs on another Mac, never more than
// mediaMaxMb. It reads and writes NDJSON records; see imsg-fetch(1) and
// imsg-records(7).
package main

import (
	"os"

	"github.com/imsg-toolkit/imsg/lib/fetch"
)

func main() { os.Exit(fetch.Main()) }
