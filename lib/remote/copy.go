package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	scp "github.com/bramvdbogaerde/go-scp"
)

// TooLargeError is a file over the size cap. Nothing of it was written.
type TooLargeError struct {
	Size    int64
	Max     int64
	AtLeast bool // Size is a lower bound: the copy stopped there
}

func (e *TooLargeError) Error() string {
	more := ""
	if e.AtLeast {
		more = "at least "
	}
	return fmt.Sprintf("%s%d bytes, over the limit of %d bytes", more, e.Size, e.Max)
}

// Copy copies the file at p on the Mac (a path CheckPath accepted) to w,
// and returns the number of bytes written. A file over max bytes is a
// *TooLargeError before any byte reaches w, since scp announces the size
// first; a missing file is an error that matches fs.ErrNotExist. Paths with
// characters the scp command line cannot carry (NeedsSFTP) are read over
// SFTP instead. The remote scp's idea of the file name is ignored: bytes go
// only to w.
func (c *Client) Copy(ctx context.Context, p string, w io.Writer, max int64) (int64, error) {
	if NeedsSFTP(p) {
		s, err := c.sftpSession()
		if err != nil {
			return 0, err
		}
		return s.readFile(ctx, p, w, max)
	}
	sc, err := scp.NewClientBySSH(c.conn)
	if err != nil {
		return 0, err
	}
	sc.RemoteBinary = c.opts.SCP
	gw := &guardedWriter{w: w}
	// go-scp may still be writing from its own goroutine when a cancelled
	// ctx makes it return; after seal nothing more reaches w.
	defer gw.seal()
	err = sc.CopyFromRemotePassThru(ctx, gw, p, func(r io.Reader, total int64) io.Reader {
		if total > max {
			return errReader{&TooLargeError{Size: total, Max: max}}
		}
		return r
	})
	n := gw.seal()
	if err != nil {
		return n, scpError(err)
	}
	return n, nil
}

// scpError turns the remote scp's one-line complaints into errors callers
// can test.
func scpError(err error) error {
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return tl
	}
	msg := strings.TrimSpace(err.Error())
	switch {
	case strings.Contains(msg, "No such file or directory"):
		return fmt.Errorf("%s: %w", msg, fs.ErrNotExist)
	case strings.Contains(msg, "Permission denied"):
		return fmt.Errorf("%s: %w", msg, fs.ErrPermission)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("scp on the Mac ended the transfer early (is scp installed and on the PATH of non-interactive ssh sessions?): %w", err)
	}
	return fmt.Errorf("scp: %s", msg)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// guardedWriter counts what it writes and refuses writes once sealed.
type guardedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	n      int64
	sealed bool
}

var errSealed = errors.New("transfer abandoned")

func (g *guardedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sealed {
		return 0, errSealed
	}
	n, err := g.w.Write(p)
	g.n += int64(n)
	return n, err
}

func (g *guardedWriter) seal() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sealed = true
	return g.n
}
