package remote_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/remote"
	"github.com/imsg-toolkit/imsg/lib/remote/sshdtest"
)

// dial connects to srv with its user key and known_hosts.
func dial(t *testing.T, srv *sshdtest.Server, knownHosts string) (*remote.Client, error) {
	t.Helper()
	target, err := remote.ParseTarget(srv.User+"@127.0.0.1", srv.Port)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return remote.Dial(ctx, remote.Options{Target: target, KnownHosts: knownHosts, Identities: []string{srv.UserKey}})
}

func mustDial(t *testing.T, srv *sshdtest.Server) *remote.Client {
	t.Helper()
	c, err := dial(t, srv, srv.KnownHosts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func copyFile(c *remote.Client, p string, max int64) ([]byte, int64, error) {
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := c.Copy(ctx, p, &buf, max)
	return buf.Bytes(), n, err
}

func TestClientCopiesOverOneConnection(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	c := mustDial(t, srv)
	dir := t.TempDir()
	// Names a shell would act on outside double quotes arrive literally,
	// and nothing in them runs.
	marker := filepath.Join(dir, "ran")
	names := []string{
		"plain.jpg",
		"Mom's photo & more; touch " + filepath.Base(marker) + " |x.jpg",
		"a (1) [2] {3} *?#~.png",
		"Screenshot 2026-05-16 at 9.00.00\u202fAM.png", // fetched over SFTP
	}
	for i, name := range names {
		p := filepath.Join(dir, name)
		content := []byte(strings.Repeat(name, i+1))
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		clean, err := remote.CheckPath(p)
		if err != nil {
			t.Fatalf("CheckPath(%q): %v", p, err)
		}
		got, n, err := copyFile(c, clean, 1<<20)
		if err != nil || !bytes.Equal(got, content) || n != int64(len(content)) {
			t.Errorf("Copy(%q) = %q (%d), %v; want %q", name, got, n, err, content)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a command in a file name ran on the remote side")
	}
	if n := srv.Logins(); n != 1 {
		t.Errorf("sshd accepted %d logins; want 1 (one connection for every file)", n)
	}
}

func TestClientTooLargeWritesNothing(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	c := mustDial(t, srv)
	dir := t.TempDir()
	for _, name := range []string{"big.bin", "big\u202f.bin"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, 100_001), 0o600); err != nil {
			t.Fatal(err)
		}
		got, _, err := copyFile(c, p, 100_000)
		var tl *remote.TooLargeError
		if !errors.As(err, &tl) || tl.Max != 100_000 {
			t.Errorf("Copy(%s) over the cap: err = %v; want *TooLargeError", name, err)
		}
		// scp announces the size first, so nothing at all is written; the
		// SFTP path stops before the chunk that crosses the cap.
		if len(got) > 100_000 || (name == "big.bin" && len(got) != 0) {
			t.Errorf("Copy(%s) over the cap wrote %d bytes", name, len(got))
		}
		got, _, err = copyFile(c, p, 100_001)
		if err != nil || len(got) != 100_001 {
			t.Errorf("Copy(%s) at the cap = %d bytes, %v; want all of it", name, len(got), err)
		}
	}
}

func TestClientMissingFile(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	c := mustDial(t, srv)
	p := filepath.Join(t.TempDir(), "gone.jpg")
	if _, _, err := copyFile(c, p, 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Copy(missing) err = %v; want fs.ErrNotExist", err)
	}
	if _, err := c.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) err = %v; want fs.ErrNotExist", err)
	}
	// The connection survives a failed copy.
	ok := filepath.Join(t.TempDir(), "ok.txt")
	os.WriteFile(ok, []byte("fine"), 0o600)
	if got, _, err := copyFile(c, ok, 1<<20); err != nil || string(got) != "fine" {
		t.Errorf("Copy after a failure = %q, %v", got, err)
	}
}

func TestClientRealpathAndStat(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	c := mustDial(t, srv)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "root", "sub"), 0o700)
	os.MkdirAll(filepath.Join(dir, "outside"), 0o700)
	secret := filepath.Join(dir, "outside", "secret.txt")
	os.WriteFile(secret, []byte("secret"), 0o600)
	os.Symlink(secret, filepath.Join(dir, "root", "sub", "escape.jpg"))
	os.Symlink(filepath.Join(dir, "outside"), filepath.Join(dir, "root", "dirlink"))

	for in, want := range map[string]string{
		filepath.Join(dir, "root", "sub", "escape.jpg"):     secret,
		filepath.Join(dir, "root", "dirlink", "secret.txt"): secret,
		filepath.Join(dir, "root", "sub", "..", "sub"):      filepath.Join(dir, "root", "sub"),
	} {
		got, err := c.Realpath(in)
		if err != nil || got != want {
			t.Errorf("Realpath(%q) = %q; want %q", in, got, want)
		}
	}
	fi, err := c.Stat(secret)
	if err != nil || fi.Size != 6 || !fi.IsRegular() {
		t.Errorf("Stat(file) = %+v, %v; want 6 bytes, regular", fi, err)
	}
	fi, err = c.Stat(filepath.Join(dir, "root"))
	if err != nil || fi.IsRegular() || !fi.Mode.IsDir() {
		t.Errorf("Stat(dir) = %+v, %v; want a directory", fi, err)
	}

	tmp := filepath.Join(dir, "private")
	if err := c.Mkdir(tmp, 0o700); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	if err := c.Mkdir(tmp, 0o700); err == nil {
		t.Errorf("Mkdir of an existing directory succeeded; want a failure")
	}
	os.WriteFile(filepath.Join(tmp, "f"), nil, 0o600)
	if err := c.Remove(filepath.Join(tmp, "f")); err != nil {
		t.Errorf("Remove: %v", err)
	}
	if err := c.Rmdir(tmp); err != nil {
		t.Errorf("Rmdir: %v", err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory still there after Rmdir: %v", err)
	}
}

func TestClientWithoutSFTP(t *testing.T) {
	t.Parallel()
	srv := sshdtest.StartWith(t, sshdtest.Config{NoSFTP: true})
	c := mustDial(t, srv)
	if _, err := c.Realpath("/tmp"); !errors.Is(err, remote.ErrNoSFTP) {
		t.Errorf("Realpath without sftp: err = %v; want the subsystem named", err)
	}
	p := filepath.Join(t.TempDir(), "still.txt")
	os.WriteFile(p, []byte("scp works"), 0o600)
	if got, _, err := copyFile(c, p, 1<<20); err != nil || string(got) != "scp works" {
		t.Errorf("Copy without sftp = %q, %v", got, err)
	}
}

func TestClientHostKeys(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	dir := t.TempDir()

	// Unknown: a missing known_hosts file, and one that lists other hosts.
	for _, kh := range []string{filepath.Join(dir, "none"), filepath.Join(dir, "others")} {
		if strings.HasSuffix(kh, "others") {
			os.WriteFile(kh, []byte("example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEuCgqPaNqHVrHxsNbsMxYjLyUhnDbi3mW2qFUKL5ZJ5\n"), 0o600)
		}
		_, err := dial(t, srv, kh)
		var he *remote.HostKeyError
		if !errors.As(err, &he) || !he.Unknown() {
			t.Fatalf("Dial with %s: err = %v; want an unknown host key", filepath.Base(kh), err)
		}
		msg := err.Error()
		for _, want := range []string{"is not in " + kh, "ssh-keyscan -H -p ", " >> " + kh, "SHA256:"} {
			if !strings.Contains(msg, want) {
				t.Errorf("unknown host message %q lacks %q", msg, want)
			}
		}
	}

	// Changed: known_hosts lists another key for this host and port.
	changed := filepath.Join(dir, "changed")
	srv.WriteKnownHosts(t, changed, sshdtest.NewKey(t, filepath.Join(dir, "other_host_key")))
	_, err := dial(t, srv, changed)
	var he *remote.HostKeyError
	if !errors.As(err, &he) || he.Unknown() || he.Revoked {
		t.Fatalf("Dial with a changed key: err = %v; want a changed host key", err)
	}
	for _, want := range []string{"has changed", changed + ":1", "ssh-keygen -R '" + srv.Name() + "'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("changed host message %q lacks %q", err, want)
		}
	}
	if strings.Contains(srv.Log(), "Accepted publickey") {
		t.Errorf("a key was offered to a host whose key did not match")
	}

	// The right key connects.
	right := filepath.Join(dir, "right")
	srv.WriteKnownHosts(t, right, srv.HostKey)
	if c, err := dial(t, srv, right); err != nil {
		t.Errorf("Dial with the right key: %v", err)
	} else {
		c.Close()
	}
}

func TestClientAuthFailure(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	stranger := filepath.Join(t.TempDir(), "id_stranger")
	sshdtest.NewKey(t, stranger)
	target, _ := remote.ParseTarget(srv.User+"@127.0.0.1", srv.Port)
	_, err := remote.Dial(context.Background(), remote.Options{Target: target, KnownHosts: srv.KnownHosts, Identities: []string{stranger}})
	var ae *remote.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "authorized_keys") {
		t.Errorf("Dial with an unknown key: err = %v; want an AuthError with a hint", err)
	}
	_, err = remote.Dial(context.Background(), remote.Options{Target: target, KnownHosts: srv.KnownHosts, Identities: []string{filepath.Join(t.TempDir(), "nope")}})
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "no SSH key") {
		t.Errorf("Dial without keys: err = %v; want an AuthError naming the missing key", err)
	}
}
