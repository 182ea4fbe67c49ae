// Package remote copies files from the Mac that runs imsg, over SSH: one
// connection reused for every file, host keys checked strictly against
// known_hosts, keys from the SSH agent or the user's key files, paths
// checked before they reach the remote shell, SFTP (which involves no shell)
// to find where a path really leads and how big the file is, and scp
// (github.com/bramvdbogaerde/go-scp) to copy it, never more than a cap.
//
// It does not read ~/.ssh/config: a Host alias, a port or a user set there
// must be given to it directly.
package remote

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// DefaultPort is the SSH port used unless one is given.
const DefaultPort = 22

// Target is where to connect: a user on a host at a port.
type Target struct {
	User string
	Host string // a name, an IPv4 address or an IPv6 address without brackets
	Port int
}

// ParseTarget validates dest ("host" or "user@host", IPv6 in brackets; see
// config.SSHHost: no spaces, no options, no port suffix) and returns the
// target. Without a user, the local user's name is used, as ssh does.
func ParseTarget(dest string, port int) (Target, error) {
	s, ok := config.SSHHost(dest)
	if !ok {
		return Target{}, fmt.Errorf("invalid remote host %s: want host or user@host (no spaces, options or port; IPv6 in brackets)", strconv.Quote(dest))
	}
	if port <= 0 || port > 65535 {
		return Target{}, fmt.Errorf("invalid SSH port %d", port)
	}
	t := Target{Port: port}
	host := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		t.User, host = s[:i], s[i+1:]
	}
	t.Host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if t.User == "" {
		t.User = localUser()
	}
	if t.User == "" {
		return Target{}, fmt.Errorf("remote host %s names no user and the local user is unknown: use user@host", strconv.Quote(dest))
	}
	return t, nil
}

// localUser is the name ssh would log in with by default.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// Addr is the dial address, host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// KnownHostsName is how known_hosts names the target: "host", or
// "[host]:port" for another port than 22.
func (t Target) KnownHostsName() string {
	if t.Port == DefaultPort {
		return t.Host
	}
	return "[" + t.Host + "]:" + strconv.Itoa(t.Port)
}

// String is user@host, with ":port" when the port is not 22.
func (t Target) String() string {
	h := t.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	s := t.User + "@" + h
	if t.Port != DefaultPort {
		s += ":" + strconv.Itoa(t.Port)
	}
	return s
}
