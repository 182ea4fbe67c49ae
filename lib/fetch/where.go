package fetch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Where says where the attachments are: on this machine, or on the Mac
// named by an explicit remoteHost or by the cliPath wrapper.
type Where struct {
	Host string // "" when local
	// How is "--remote-host", "remoteHost", "cliPath FILE" or "" (local).
	How string
	// Note is a remark for the operator, e.g. a cliPath that could not be
	// read.
	Note string
}

// maxWrapper is the most of a cliPath file read to look for ssh.
const maxWrapper = 1 << 20

// Locate decides Where from the flags and the account: --local wins, then
// --remote-host, then remoteHost, then a plain SSH wrapper at cliPath
// (see DetectHost). A cliPath that runs ssh any other way is a
// *WrapperError: guessing could mean copying from the wrong machine.
func Locate(acct *config.Account, flagHost string, local bool) (Where, error) {
	switch {
	case local:
		return Where{}, nil
	case flagHost != "":
		h, ok := config.SSHHost(flagHost)
		if !ok {
			return Where{}, fmt.Errorf("invalid --remote-host %q: want host or user@host (no spaces, options or port; IPv6 in brackets)", flagHost)
		}
		return Where{Host: h, How: "--remote-host"}, nil
	case acct.RemoteHost != "":
		return Where{Host: acct.RemoteHost, How: "remoteHost"}, nil
	}
	cli := strings.TrimSpace(acct.CLIPath)
	if cli == "" || cli == "imsg" {
		return Where{}, nil
	}
	file := cli
	if !strings.Contains(cli, "/") {
		p, err := exec.LookPath(cli)
		if err != nil {
			return Where{Note: fmt.Sprintf("cliPath %s is not on PATH; attachments are read on this machine", cli)}, nil
		}
		file = p
	}
	script, err := readHead(file)
	if err != nil {
		return Where{Note: fmt.Sprintf("cliPath %s: %v; attachments are read on this machine", file, err)}, nil
	}
	host, err := DetectHost(script)
	var we *WrapperError
	if errors.As(err, &we) {
		we.File = file
		return Where{}, we
	}
	if host == "" {
		return Where{}, nil
	}
	return Where{Host: host, How: "cliPath " + file}, nil
}

func readHead(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxWrapper))
}
