package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// DefaultTimeout bounds connecting and the SSH handshake.
const DefaultTimeout = 10 * time.Second

// Options say how to reach the Mac.
type Options struct {
	Target Target
	// KnownHosts is the known_hosts file checked strictly; "" means
	// ~/.ssh/known_hosts.
	KnownHosts string
	// Identities are private key files to offer; nil means those of
	// ~/.ssh/id_ed25519, id_ecdsa and id_rsa that exist. Keys protected by
	// a passphrase are skipped: load them into the agent.
	Identities []string
	// AgentSocket is the SSH agent's socket ($SSH_AUTH_SOCK); "" for none.
	AgentSocket string
	// Timeout bounds the TCP connect and the handshake; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// SCP is the scp program on the Mac; "" means "scp".
	SCP string
}

// AuthError is a connection the Mac refused to log in.
type AuthError struct {
	Target Target
	Err    error
	Notes  []string // keys that could not be offered, and why
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("%s refused every key offered (%v): add your public key to ~%s/.ssh/authorized_keys on the Mac, "+
		"load the key into ssh-agent, or name it with --identity", e.Target, e.Err, e.Target.User)
	if len(e.Notes) > 0 {
		msg += " (" + strings.Join(e.Notes, "; ") + ")"
	}
	return msg
}

func (e *AuthError) Unwrap() error { return e.Err }

// Client is one SSH connection to the Mac. Its methods may be called from
// one goroutine at a time.
type Client struct {
	opts Options
	conn *ssh.Client

	sftpOnce sync.Once
	sftp     *sftpConn
	sftpErr  error
}

// Dial connects to the Mac, checks its host key strictly and logs in with
// a key. A *HostKeyError or *AuthError says what to fix.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.KnownHosts == "" {
		opts.KnownHosts = filepath.Join(homeDir(), ".ssh", "known_hosts")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.SCP == "" {
		opts.SCP = "scp"
	}
	hostKey, algos, err := hostKeyCheck(opts.Target, opts.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("known hosts: %w", err)
	}
	signers, notes, closeAgent := collectSigners(opts)
	defer closeAgent()
	if len(signers) == 0 {
		return nil, &AuthError{Target: opts.Target, Err: errors.New("no SSH key available"), Notes: notes}
	}
	cfg := &ssh.ClientConfig{
		User:              opts.Target.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   hostKey,
		HostKeyAlgorithms: algos,
		Timeout:           opts.Timeout,
	}
	d := net.Dialer{Timeout: opts.Timeout}
	raw, err := d.DialContext(ctx, "tcp", opts.Target.Addr())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", opts.Target, err)
	}
	// The handshake has no context of its own: a deadline bounds it, and
	// cancelling ctx closes the socket.
	raw.SetDeadline(time.Now().Add(opts.Timeout))
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	conn, chans, reqs, err := ssh.NewClientConn(raw, opts.Target.Addr(), cfg)
	stop()
	if err != nil {
		raw.Close()
		var he *HostKeyError
		if errors.As(err, &he) {
			return nil, he
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, &AuthError{Target: opts.Target, Err: err, Notes: notes}
		}
		return nil, fmt.Errorf("ssh %s: %w", opts.Target, err)
	}
	raw.SetDeadline(time.Time{})
	return &Client{opts: opts, conn: ssh.NewClient(conn, chans, reqs)}, nil
}

// collectSigners gathers the agent's keys and the identity files' keys.
// The returned func closes the agent connection once the handshake is over.
func collectSigners(opts Options) ([]ssh.Signer, []string, func()) {
	var signers []ssh.Signer
	var notes []string
	closer := func() {}
	if opts.AgentSocket != "" {
		if c, err := net.Dial("unix", opts.AgentSocket); err != nil {
			notes = append(notes, fmt.Sprintf("ssh-agent at %s: %v", opts.AgentSocket, err))
		} else {
			closer = func() { c.Close() }
			if s, err := agent.NewClient(c).Signers(); err != nil {
				notes = append(notes, fmt.Sprintf("ssh-agent: %v", err))
			} else {
				signers = append(signers, s...)
			}
		}
	}
	files, explicit := opts.Identities, true
	if files == nil {
		explicit = false
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			files = append(files, filepath.Join(homeDir(), ".ssh", n))
		}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			if explicit || !errors.Is(err, fs.ErrNotExist) {
				notes = append(notes, fmt.Sprintf("%s: %v", f, err))
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(pem)
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			notes = append(notes, f+" needs a passphrase: add it to ssh-agent")
		case err != nil:
			notes = append(notes, fmt.Sprintf("%s: %v", f, err))
		default:
			signers = append(signers, s)
		}
	}
	return signers, notes, closer
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

// Target is where the client is connected.
func (c *Client) Target() Target { return c.opts.Target }

// Close ends the connection.
func (c *Client) Close() error {
	if c.sftp != nil {
		c.sftp.close()
	}
	return c.conn.Close()
}

// Alive reports whether the connection still answers (a keepalive
// request), so a caller can reconnect before the next file rather than fail
// it.
func (c *Client) Alive() bool {
	_, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil)
	return err == nil
}

// sftpSession starts the SFTP subsystem once per connection.
func (c *Client) sftpSession() (*sftpConn, error) {
	c.sftpOnce.Do(func() { c.sftp, c.sftpErr = openSFTP(c.conn) })
	return c.sftp, c.sftpErr
}

// Realpath asks the Mac's SFTP server for the canonical path of p: every
// symlink followed, "." and ".." resolved. No shell is involved.
func (c *Client) Realpath(p string) (string, error) {
	s, err := c.sftpSession()
	if err != nil {
		return "", err
	}
	return s.realpath(p)
}

// Stat describes the file p leads to (symlinks followed), over SFTP.
func (c *Client) Stat(p string) (FileInfo, error) {
	s, err := c.sftpSession()
	if err != nil {
		return FileInfo{}, err
	}
	return s.stat(p)
}

// Mkdir creates directory p with mode perm over SFTP; it fails when p
// exists, which makes a fresh private directory race-free.
func (c *Client) Mkdir(p string, perm fs.FileMode) error {
	s, err := c.sftpSession()
	if err != nil {
		return err
	}
	return s.mkdir(p, uint32(perm.Perm()))
}

// Remove deletes file p over SFTP.
func (c *Client) Remove(p string) error {
	s, err := c.sftpSession()
	if err != nil {
		return err
	}
	return s.remove(p)
}

// Rmdir deletes the empty directory p over SFTP.
func (c *Client) Rmdir(p string) error {
	s, err := c.sftpSession()
	if err != nil {
		return err
	}
	return s.rmdir(p)
}

// Run runs cmd through the Mac user's shell and returns its combined
// output. The caller builds cmd from checked parts only (CheckPath).
func (c *Client) Run(ctx context.Context, cmd string) ([]byte, error) {
	sess, err := c.conn.NewSession()
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()
	return sess.CombinedOutput(cmd)
}
