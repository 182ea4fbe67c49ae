package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError is a host key that known_hosts does not vouch for: the host
// is not listed (Unknown), it is listed with other keys (a changed key,
// perhaps an attack), or its key is marked revoked. Nothing is sent to
// such a host; the message says how to trust it after checking.
type HostKeyError struct {
	Target      Target
	KnownHosts  string   // the file consulted
	KeyType     string   // the key the host presented
	Fingerprint string   // its SHA256 fingerprint
	Known       []string // file:line of the keys listed for the host
	Revoked     bool
}

// Unknown reports whether known_hosts has no key at all for the host.
func (e *HostKeyError) Unknown() bool { return !e.Revoked && len(e.Known) == 0 }

func (e *HostKeyError) Error() string {
	name := e.Target.KnownHostsName()
	keyscan := "ssh-keyscan -H "
	if e.Target.Port != DefaultPort {
		keyscan += "-p " + strconv.Itoa(e.Target.Port) + " "
	}
	keyscan += e.Target.Host + " >> " + e.KnownHosts
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key of %s (%s %s) is marked revoked in %s: refusing to connect",
			name, e.KeyType, e.Fingerprint, e.KnownHosts)
	case len(e.Known) == 0:
		return fmt.Sprintf("host key of %s is not in %s (the host offered %s %s): check that fingerprint on the Mac "+
			"(ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), then trust it with `%s` or by running ssh %s once and answering yes",
			name, e.KnownHosts, e.KeyType, e.Fingerprint, keyFileKind(e.KeyType), keyscan, sshCommand(e.Target))
	default:
		return fmt.Sprintf("host key of %s has changed: it offered %s %s, but %s lists another key; this can be an attack. "+
			"If the Mac's key really changed, remove the old one with `ssh-keygen -R '%s' -f %s`, check the new fingerprint on the Mac, then add it with `%s`",
			name, e.KeyType, e.Fingerprint, strings.Join(e.Known, ", "), name, e.KnownHosts, keyscan)
	}
}

// sshCommand is the ssh command line that reaches t.
func sshCommand(t Target) string {
	s := "ssh "
	if t.Port != DefaultPort {
		s += "-p " + strconv.Itoa(t.Port) + " "
	}
	h := t.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return s + t.User + "@" + h
}

// keyFileKind names the host key file for a key type (ssh_host_KIND_key).
func keyFileKind(typ string) string {
	switch {
	case strings.Contains(typ, "ed25519"):
		return "ed25519"
	case strings.Contains(typ, "ecdsa"):
		return "ecdsa"
	case strings.Contains(typ, "rsa"):
		return "rsa"
	}
	return "*"
}

// hostKeyCheck returns the strict known_hosts callback for t, and the host
// key algorithms to ask for: those of the keys listed for the host, so a
// host that also has a key of another type is not mistaken for a changed
// one. A missing known_hosts file counts as empty (every host unknown).
func hostKeyCheck(t Target, file string) (ssh.HostKeyCallback, []string, error) {
	var files []string
	if _, err := os.Stat(file); err == nil {
		files = append(files, file)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	check, err := knownhosts.New(files...)
	if err != nil {
		return nil, nil, err
	}
	algos := knownAlgorithms(check, t)
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		if err == nil {
			return nil
		}
		he := &HostKeyError{Target: t, KnownHosts: file, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key)}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			he.Revoked = true
		case errors.As(err, &ke):
			for _, k := range ke.Want {
				he.Known = append(he.Known, k.Filename+":"+strconv.Itoa(k.Line))
			}
		default:
			return err
		}
		return he
	}
	return cb, algos, nil
}

// knownAlgorithms asks the callback about a throwaway key: the KeyError
// lists the keys known for the host, whose types become the algorithms.
func knownAlgorithms(check ssh.HostKeyCallback, t Target) []string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	addr := &net.TCPAddr{IP: net.ParseIP(t.Host), Port: t.Port}
	if addr.IP == nil {
		addr.IP = net.IPv4zero
	}
	var ke *knownhosts.KeyError
	if !errors.As(check(t.Addr(), addr, probe), &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		typ := k.Key.Type()
		names := []string{typ}
		if typ == ssh.KeyAlgoRSA {
			names = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
		for _, n := range names {
			if !slices.Contains(algos, n) {
				algos = append(algos, n)
			}
		}
	}
	return algos
}
