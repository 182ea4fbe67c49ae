package fetch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/imsg-toolkit/imsg/lib/remote"
)

// A source finds attachment files and copies them: this machine's disk,
// or the Mac over SSH.
type source interface {
	// locate checks the path an attachment names and finds its file. It
	// fails with a *refusal for a path that may not be read, with an error
	// matching fs.ErrNotExist for a missing file.
	locate(ctx context.Context, p string) (*located, error)
	// copy writes the located file to w, at most max bytes.
	copy(ctx context.Context, loc *located, w io.Writer, max int64) (int64, error)
	// release frees what locate holds.
	release(loc *located)
	// host names the Mac for media entries ("" when local).
	host() string
	close()
}

// located is a checked file, ready to copy.
type located struct {
	path    string // its real path: symlinks resolved
	size    int64  // -1 when unknown (a Mac without SFTP)
	regular bool
	file    *os.File // local: the open file
}

// refusal is a path that may not be read; it becomes a blocked entry.
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

func refusef(format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...)}
}

// localSource reads files on this machine. A path is cleaned and matched
// against the roots, then resolved through its symlinks and matched again,
// then opened through an os.Root anchored at the root it matched, which
// refuses (atomically, component by component) to leave that directory
// even if a symlink is swapped in after the check. Opening does not block
// on a FIFO, and only regular files are copied.
type localSource struct {
	roots Roots // with Resolved() variants
}

func (l *localSource) host() string { return "" }
func (l *localSource) close()       {}

func (l *localSource) locate(ctx context.Context, p string) (*located, error) {
	clean, ok := CleanPath(p)
	if !ok {
		return nil, refusef("not an absolute path: %q", p)
	}
	if _, _, ok := l.roots.Match(clean); !ok {
		return nil, refusef("%s is outside the attachment roots", clean)
	}
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, err
	}
	root, rel, ok := l.roots.Match(real)
	if !ok {
		return nil, refusef("%s leads to %s, outside the attachment roots", clean, real)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if strings.Contains(err.Error(), "escapes") {
			return nil, refusef("%s changed to lead outside the attachment roots while it was checked", clean)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &located{path: real, size: fi.Size(), regular: fi.Mode().IsRegular(), file: f}, nil
}

func (l *localSource) copy(ctx context.Context, loc *located, w io.Writer, max int64) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(loc.file, max+1))
	if err != nil {
		return n, err
	}
	if n > max {
		// It grew past the cap after it was measured.
		return n, &remote.TooLargeError{Size: n, Max: max, AtLeast: true}
	}
	return n, nil
}

func (l *localSource) release(loc *located) {
	if loc.file != nil {
		loc.file.Close()
	}
}
