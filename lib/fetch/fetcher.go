package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/remote"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Defaults for the bounded retry of files Messages is still writing.
const (
	DefaultAttempts   = 3
	DefaultRetryDelay = time.Second
)

// Config sets up a Fetcher.
type Config struct {
	// Roots are the attachment roots: the local ones, or the remote ones
	// when Remote is set.
	Roots Roots
	// Remote is how to reach the Mac; nil when the attachments are on this
	// machine.
	Remote *remote.Options
	// TrustRemoteSymlinks copies remote paths as checked, without asking
	// the Mac where they lead (for a Mac without the sftp subsystem).
	TrustRemoteSymlinks bool
	// CacheDir is where files land (STATE-DIR/ACCOUNT/media).
	CacheDir string
	// MaxBytes caps each file (mediaMaxMb).
	MaxBytes int64
	// Attempts bounds the tries for a file that is missing or shorter than
	// chat.db says; RetryDelay is the first wait, doubled each time.
	Attempts   int
	RetryDelay time.Duration
	// ConvertHEIC adds a JPEG of HEIC/HEIF images; Converters are the local
	// programs to try (nil: those of DefaultConverters on PATH) and Sips is
	// sips on the Mac, tried first when the Mac is remote ("" for none).
	ConvertHEIC bool
	Converters  []string
	Sips        string
	Log         *tool.Log
}

// Fetcher resolves attachments into media entries. It is used by one
// goroutine at a time.
type Fetcher struct {
	cfg    Config
	src    source
	cache  *Cache
	warned map[string]bool
	mu     sync.Mutex
	// beforeRetry, when set (tests), runs before each retry's wait.
	beforeRetry func(attempt int)
}

// New returns a Fetcher for cfg.
func New(cfg Config) *Fetcher {
	if cfg.Attempts < 1 {
		cfg.Attempts = 1
	}
	if cfg.Log == nil {
		cfg.Log = tool.NewLog(io.Discard, "imsg-fetch")
	}
	f := &Fetcher{cfg: cfg, cache: &Cache{Dir: cfg.CacheDir}, warned: map[string]bool{}}
	if cfg.Remote == nil {
		f.src = &localSource{roots: cfg.Roots.Resolved()}
	} else {
		f.src = &remoteSource{opts: *cfg.Remote, roots: cfg.Roots, trustSymlinks: cfg.TrustRemoteSymlinks,
			sips: cfg.Sips, onDialError: f.dialFailed}
	}
	if cfg.ConvertHEIC && cfg.Converters == nil {
		f.cfg.Converters = FindConverters()
	}
	return f
}

// Close ends the SSH connection, if any.
func (f *Fetcher) Close() { f.src.close() }

// once reports whether key is new, so a condition is logged once a run.
func (f *Fetcher) once(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.warned[key] {
		return false
	}
	f.warned[key] = true
	return true
}

// dialFailed tells the operator, once per kind of failure, why the Mac
// cannot be reached; each entry carries the same text.
func (f *Fetcher) dialFailed(err error) {
	var he *remote.HostKeyError
	var ae *remote.AuthError
	switch {
	case errors.As(err, &he):
		if f.once("hostkey") {
			f.cfg.Log.Errorf("%v", err)
		}
	case errors.As(err, &ae):
		if f.once("auth") {
			f.cfg.Log.Errorf("%v", err)
		}
	default:
		if f.once("dial") {
			f.cfg.Log.Warnf("%v (attachments are marked error until the Mac answers)", err)
		}
	}
}

// Resolve makes a media entry of attachment a of a message in chat (a
// ChatDir name).
func (f *Fetcher) Resolve(ctx context.Context, chat string, a imsg.Attachment) Entry {
	name := a.TransferName
	if name == "" {
		name = path.Base(firstNonEmpty(a.OriginalPath, a.Filename, "attachment"))
	}
	e := Entry{Source: a.OriginalPath, Name: a.TransferName, Sticker: a.IsSticker, Host: f.src.host(), Size: a.TotalBytes}
	e.Mime = mimeOf(a.MimeType, name)
	e.Kind = Kind(e.Mime)
	src := strings.TrimSpace(a.OriginalPath)
	if src == "" {
		e.Status, e.Error = StatusMissing, "chat.db names no file for this attachment (not downloaded to the Mac, or offloaded to iCloud)"
		return e
	}
	dst := f.cache.Path(chat, FileName(e.Host, src, name))
	delay := f.cfg.RetryDelay
	for attempt := 1; ; attempt++ {
		last := attempt >= f.cfg.Attempts
		if !f.try(ctx, src, a, dst, &e, last, attempt) || last {
			return e
		}
		if f.beforeRetry != nil {
			f.beforeRetry(attempt)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			e.Status, e.Error = StatusError, "interrupted"
			return e
		case <-t.C:
		}
		delay *= 2
	}
}

// try makes one attempt; it returns true when another attempt may help
// (the file is missing or shorter than chat.db says, as while Messages is
// still writing it).
func (f *Fetcher) try(ctx context.Context, src string, a imsg.Attachment, dst string, e *Entry, last bool, attempt int) bool {
	e.Status, e.Error, e.Warning, e.Path, e.ConvertedFrom = "", "", "", "", nil
	loc, err := f.src.locate(ctx, src)
	if err != nil {
		return f.fail(ctx, e, err, a, last, attempt)
	}
	defer f.src.release(loc)
	if loc.size >= 0 {
		e.Size = loc.size
	}
	switch {
	case !loc.regular:
		e.Status, e.Error = StatusError, "not a regular file: "+loc.path
		return false
	case loc.size > f.cfg.MaxBytes:
		e.Status, e.Error = StatusTooLarge, tooLarge(loc.size, f.cfg.MaxBytes, false)
		return false
	case !last && loc.size >= 0 && loc.size < a.TotalBytes:
		e.Status, e.Error = StatusError, fmt.Sprintf("still being written: %d of %d bytes", loc.size, a.TotalBytes)
		return true
	}
	n := loc.size
	if loc.size < 0 || !f.cache.Have(dst, loc.size) {
		if n, err = f.cache.Put(dst, func(w io.Writer) (int64, error) { return f.src.copy(ctx, loc, w, f.cfg.MaxBytes) }); err != nil {
			return f.fail(ctx, e, err, a, last, attempt)
		}
	}
	e.Status, e.Path, e.Size = StatusOK, dst, n
	if n < a.TotalBytes {
		if !last {
			os.Remove(dst)
			e.Status, e.Path, e.Error = StatusError, "", fmt.Sprintf("still being written: %d of %d bytes", n, a.TotalBytes)
			return true
		}
		e.Warning = fmt.Sprintf("%d bytes, smaller than the %d bytes chat.db records: the file may be incomplete", n, a.TotalBytes)
	}
	if isHEIC(e.Mime, dst) {
		f.heic(ctx, loc, e)
	}
	return false
}

// fail turns an error into the entry's status; it returns true when a
// retry may help.
func (f *Fetcher) fail(ctx context.Context, e *Entry, err error, a imsg.Attachment, last bool, attempt int) bool {
	var rf *refusal
	var he *remote.HostKeyError
	var tl *remote.TooLargeError
	switch {
	case errors.As(err, &rf):
		e.Status, e.Error = StatusBlocked, rf.reason
	case errors.As(err, &he):
		e.Status, e.Error = StatusBlocked, he.Error()
	case errors.As(err, &tl):
		e.Status, e.Error = StatusTooLarge, tooLarge(tl.Size, tl.Max, tl.AtLeast)
	case errors.Is(err, fs.ErrNotExist):
		e.Status = StatusMissing
		if a.Missing {
			e.Error = "imsg reports the file missing on the Mac: offloaded to iCloud, not downloaded yet, or deleted"
		} else {
			e.Error = "no such file on the Mac"
		}
		if attempt > 1 {
			e.Error += fmt.Sprintf(" (%d attempts)", attempt)
		}
		return !last
	case ctx.Err() != nil:
		e.Status, e.Error = StatusError, "interrupted"
	default:
		e.Status, e.Error = StatusError, err.Error()
	}
	return false
}

func tooLarge(size, max int64, atLeast bool) string {
	more := ""
	if atLeast {
		more = "at least "
	}
	return fmt.Sprintf("%s%d bytes, over the limit of %d bytes (mediaMaxMb %d)", more, size, max, max>>20)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
