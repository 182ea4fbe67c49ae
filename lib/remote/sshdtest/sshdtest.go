// Package sshdtest starts a real OpenSSH sshd for tests: on a free
// loopback port, as the current user, with a generated host key, a
// generated user key authorised through a private authorized_keys file,
// and a known_hosts file that lists the host key; its sessions get an
// empty home directory of their own. Tests skip with a clear message when
// sshd is not installed.
package sshdtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Path is where Debian's openssh-server installs sshd.
const Path = "/usr/sbin/sshd"

// Config varies the server.
type Config struct {
	// NoSFTP leaves out the sftp subsystem.
	NoSFTP bool
}

// Server is a running sshd.
type Server struct {
	Dir        string
	Port       int
	User       string
	HostKey    ssh.PublicKey
	UserKey    string // private key file of an authorised key
	KnownHosts string // known_hosts listing HostKey for 127.0.0.1 at Port

	cmd *exec.Cmd
	log *syncBuffer
}

// Start starts sshd for t, or skips t when sshd is missing.
func Start(t testing.TB) *Server { return StartWith(t, Config{}) }

// StartWith starts sshd with cfg, or skips t when sshd is missing.
func StartWith(t testing.TB, cfg Config) *Server {
	t.Helper()
	bin := Path
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("sshd"); err == nil {
			bin = p
		} else {
			t.Skipf("sshd is not installed (%s): install openssh-server to run the SSH tests", Path)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	if u.Uid == "0" {
		// sshd running as root insists on its privilege separation
		// directory, which the service manager normally creates.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("sshd needs /run/sshd: %v", err)
		}
	}
	s := &Server{Dir: t.TempDir(), User: u.Username, log: &syncBuffer{}}
	if err := os.Mkdir(filepath.Join(s.Dir, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(s.Dir, "ssh_host_ed25519_key")
	s.HostKey = writeKey(t, hostKeyFile)
	s.UserKey = filepath.Join(s.Dir, "id_ed25519")
	userPub := writeKey(t, s.UserKey)
	authorized := filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(userPub), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	setEnv := true // sshd before OpenSSH 8.7 has no SetEnv; then do without
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Port = port
		conf := filepath.Join(s.Dir, "sshd_config")
		lines := []string{
			"Port " + strconv.Itoa(port),
			"ListenAddress 127.0.0.1",
			"HostKey " + hostKeyFile,
			"AuthorizedKeysFile " + authorized,
			"PermitRootLogin prohibit-password",
			"PubkeyAuthentication yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"StrictModes no",
			"UsePAM no",
			"PidFile none",
			"LogLevel VERBOSE",
		}
		if setEnv {
			// Sessions get a home of their own, so the tests neither depend
			// on nor wait for the user's shell startup files.
			lines = append(lines, "SetEnv HOME="+filepath.Join(s.Dir, "home"))
		}
		if !cfg.NoSFTP {
			lines = append(lines, "Subsystem sftp internal-sftp")
		}
		if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s.log.Reset()
		s.cmd = exec.Command(bin, "-D", "-e", "-f", conf)
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			t.Skipf("cannot start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { s.cmd.Wait(); close(exited) }()
		if lastErr = waitReady(port, exited); lastErr == nil {
			// The readiness probe is a connection too: let sshd log its end
			// before anyone counts connections.
			for i := 0; i < 500 && !strings.Contains(s.log.String(), "kex_exchange_identification"); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			t.Cleanup(func() {
				s.cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("sshd log:\n%s", s.log.String())
				}
			})
			s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
			s.WriteKnownHosts(t, s.KnownHosts, s.HostKey)
			return s
		}
		s.cmd.Process.Kill()
		<-exited
		if strings.Contains(s.log.String(), "SetEnv") {
			setEnv = false
		}
	}
	t.Fatalf("sshd did not start: %v\n%s", lastErr, s.log.String())
	return nil
}

// Name is how known_hosts names the server.
func (s *Server) Name() string { return fmt.Sprintf("[127.0.0.1]:%d", s.Port) }

// Log returns what sshd has logged so far.
func (s *Server) Log() string { return s.log.String() }

// Connections counts the TCP connections sshd has accepted, not counting
// the readiness probe.
func (s *Server) Connections() int { return strings.Count(s.log.String(), "Connection from") - 1 }

// Logins counts the successful logins.
func (s *Server) Logins() int { return strings.Count(s.log.String(), "Accepted publickey") }

// WriteKnownHosts writes a known_hosts file at path that lists key for the
// server.
func (s *Server) WriteKnownHosts(t testing.TB, path string, key ssh.PublicKey) {
	t.Helper()
	line := s.Name() + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

// NewKey generates a key pair, writes the private key to path and returns
// the public key: another host key for "changed key" tests, or another
// user key.
func NewKey(t testing.TB, path string) ssh.PublicKey { return writeKey(t, path) }

func writeKey(t testing.TB, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		t.Fatal(err)
	}
	return sp
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the port answers with an SSH banner, sshd exits,
// or a generous deadline (a guard against hanging, not a speed check).
func waitReady(port int, exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 8)
			n, _ := c.Read(buf)
			c.Close()
			if bytes.HasPrefix(buf[:n], []byte("SSH-")) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no SSH banner on port %d", port)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
