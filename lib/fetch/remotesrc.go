package fetch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/remote"
)

// How long a failed connection is remembered before dialling again, so a
// Mac that is down costs one timeout, not one per attachment; and how long
// an idle connection is trusted before it is probed.
const (
	redialDelay = 10 * time.Second
	idleProbe   = 30 * time.Second
)

// remoteSource reads files on the Mac over one reused SSH connection.
//
// Every path is checked before any connection: the shell-safety rule of
// remote.CheckPath (which also refuses any ".." segment, since the Mac
// resolves ".." after following symlinks) and the remote roots. Then, over
// SFTP, which takes the path as data and runs no shell, the Mac says where
// the path really leads (REALPATH, every symlink followed); that canonical
// path is checked again, the same two ways, and it is the one copied, so
// a symlink under the roots cannot expose another file. What remains is a
// race that only someone who can already write below the roots on the Mac
// could run: replacing a checked directory with a symlink between the
// check and the copy. With --trust-remote-symlinks (for a Mac without the
// sftp subsystem) the canonical check is skipped and the path is copied as
// checked; a symlink below the roots is then followed wherever it leads.
type remoteSource struct {
	opts          remote.Options
	roots         Roots
	trustSymlinks bool
	sips          string // sips on the Mac, for --convert-heic
	onDialError   func(error)

	client  *remote.Client
	lastUse time.Time
	dialErr error
	dialAt  time.Time
}

func (r *remoteSource) host() string { return r.opts.Target.String() }

func (r *remoteSource) close() {
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
}

// conn returns the connection, dialling when there is none or an idle one
// no longer answers.
func (r *remoteSource) conn(ctx context.Context) (*remote.Client, error) {
	now := time.Now()
	if r.client != nil {
		if now.Sub(r.lastUse) < idleProbe || r.client.Alive() {
			r.lastUse = now
			return r.client, nil
		}
		r.close()
	}
	if r.dialErr != nil && now.Sub(r.dialAt) < redialDelay {
		return nil, r.dialErr
	}
	c, err := remote.Dial(ctx, r.opts)
	r.dialAt = now
	if err != nil {
		r.dialErr = err
		if r.onDialError != nil {
			r.onDialError(err)
		}
		return nil, err
	}
	r.client, r.dialErr, r.lastUse = c, nil, now
	return c, nil
}

// broken drops the connection after an error that may have been the
// connection's, so the next attempt dials afresh.
func (r *remoteSource) broken(err error) {
	var se *remote.StatusError
	var tl *remote.TooLargeError
	if err == nil || errors.As(err, &se) || errors.As(err, &tl) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return
	}
	r.close()
}

func (r *remoteSource) locate(ctx context.Context, p string) (*located, error) {
	clean, err := remote.CheckPath(p)
	if err != nil {
		return nil, &refusal{reason: err.Error()}
	}
	if _, _, ok := r.roots.Match(clean); !ok {
		return nil, refusef("%s is outside the remote attachment roots", clean)
	}
	c, err := r.conn(ctx)
	if err != nil {
		return nil, err
	}
	canonical := clean
	if !r.trustSymlinks {
		real, err := c.Realpath(clean)
		if errors.Is(err, remote.ErrNoSFTP) {
			return nil, refusef("cannot check where %s leads on the Mac (%v): enable the sftp subsystem in the Mac's sshd_config, "+
				"or run imsg-fetch with --trust-remote-symlinks to copy paths as checked", clean, err)
		}
		if err != nil {
			r.broken(err)
			return nil, err
		}
		if canonical, err = remote.CheckPath(real); err != nil {
			return nil, refusef("%s leads to %s: %v", clean, real, err)
		}
		if _, _, ok := r.roots.Match(canonical); !ok {
			return nil, refusef("%s leads to %s, outside the remote attachment roots", clean, canonical)
		}
	}
	fi, err := c.Stat(canonical)
	switch {
	case errors.Is(err, remote.ErrNoSFTP):
		// Only with --trust-remote-symlinks: scp announces the size.
		return &located{path: canonical, size: -1, regular: true}, nil
	case err != nil:
		r.broken(err)
		return nil, err
	}
	return &located{path: canonical, size: fi.Size, regular: fi.IsRegular()}, nil
}

func (r *remoteSource) copy(ctx context.Context, loc *located, w io.Writer, max int64) (int64, error) {
	c, err := r.conn(ctx)
	if err != nil {
		return 0, err
	}
	n, err := c.Copy(ctx, loc.path, w, max)
	r.broken(err)
	return n, err
}

func (r *remoteSource) release(*located) {}

// convert runs sips on the Mac to make a JPEG of the HEIC image at
// loc.path, in a fresh private directory made over SFTP (so no one else
// on the Mac can swap the output for a symlink), copies it to w and
// cleans up.
func (r *remoteSource) convert(ctx context.Context, loc *located, w io.Writer, max int64) error {
	if r.sips == "" {
		return errors.New("no sips on the Mac configured")
	}
	if remote.NeedsSFTP(loc.path) {
		return errors.New("the path cannot be passed to sips")
	}
	c, err := r.conn(ctx)
	if err != nil {
		return err
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	dir := "/tmp/imsg-fetch-" + hex.EncodeToString(rnd[:])
	if err := c.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("private directory on the Mac: %w", err)
	}
	defer c.Rmdir(dir)
	out := dir + "/converted.jpg"
	defer c.Remove(out)
	// All three paths passed remote.CheckPath: nothing in them is special
	// inside double quotes in any shell.
	cmd := fmt.Sprintf(`"%s" -s format jpeg "%s" --out "%s"`, r.sips, loc.path, out)
	if b, err := c.Run(ctx, cmd); err != nil {
		return fmt.Errorf("sips on the Mac: %v: %s", err, firstLine(b))
	}
	_, err = c.Copy(ctx, out, w, max)
	r.broken(err)
	return err
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
