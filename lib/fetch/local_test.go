package fetch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// mac is a simulated Mac disk: attachment roots with files, and files
// outside them.
type mac struct {
	t     testing.TB
	dir   string // real path (no symlinks), so expectations are exact
	root  string // DIR/Users/me/Library/Messages/Attachments
	cache string
}

func newMac(t testing.TB) *mac {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := &mac{t: t, dir: dir, root: filepath.Join(dir, "Users", "me", "Library", "Messages", "Attachments"), cache: filepath.Join(dir, "cache")}
	os.MkdirAll(m.root, 0o700)
	os.MkdirAll(filepath.Join(dir, "secret"), 0o700)
	os.WriteFile(filepath.Join(dir, "secret", "passwd"), []byte("root:x:0:0"), 0o600)
	return m
}

// file writes content at rel below the root, in a GUID directory as
// Messages does, and returns the attachment imsg would report.
func (m *mac) file(guid, name string, content []byte) imsg.Attachment {
	m.t.Helper()
	p := filepath.Join(m.root, "ab", "cd", guid, name)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		m.t.Fatal(err)
	}
	return imsg.Attachment{TransferName: name, MimeType: mimeOf("", name), TotalBytes: int64(len(content)), OriginalPath: p}
}

func (m *mac) fetcher(mut func(*Config)) *Fetcher {
	cfg := Config{
		Roots:      Roots{filepath.Join(m.dir, "Users", "*", "Library", "Messages", "Attachments")},
		CacheDir:   m.cache,
		MaxBytes:   1 << 20,
		Attempts:   1,
		RetryDelay: time.Millisecond,
	}
	if mut != nil {
		mut(&cfg)
	}
	return New(cfg)
}

func resolve(f *Fetcher, a imsg.Attachment) Entry {
	return f.Resolve(context.Background(), "chat-7", a)
}

func TestLocalFetch(t *testing.T) {
	m := newMac(t)
	a := m.file("GUID-0001", "IMG 1.jpeg", []byte("jpeg bytes"))
	f := m.fetcher(nil)
	e := resolve(f, a)
	want := filepath.Join(m.cache, "chat-7", "GUID-0001-IMG_1.jpeg")
	if e.Status != StatusOK || e.Path != want || e.Size != 10 || e.Mime != "image/jpeg" || e.Kind != "image" || e.Source != a.OriginalPath || e.Error != "" {
		t.Fatalf("Resolve = %+v; want ok at %s", e, want)
	}
	if got, _ := os.ReadFile(e.Path); string(got) != "jpeg bytes" {
		t.Errorf("cached copy = %q", got)
	}
	fi, _ := os.Stat(e.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cached copy mode = %v; want 0600", fi.Mode().Perm())
	}
	// Asked again, it comes from the cache: the source may be gone.
	os.Remove(a.OriginalPath)
	a.Missing = false
	if e2 := resolve(f, a); e2.Status != StatusMissing {
		t.Errorf("Resolve after the source vanished = %+v; want missing (the Mac is the truth)", e2)
	}
	// A symlink that stays inside the roots is fine.
	b := m.file("GUID-0002", "real.png", []byte("png"))
	link := filepath.Join(m.root, "ab", "cd", "GUID-0003", "link.png")
	os.MkdirAll(filepath.Dir(link), 0o700)
	os.Symlink(b.OriginalPath, link)
	if e := resolve(f, imsg.Attachment{TransferName: "link.png", OriginalPath: link}); e.Status != StatusOK || e.Size != 3 {
		t.Errorf("Resolve(symlink inside the roots) = %+v; want ok", e)
	}
}

func TestLocalRefusals(t *testing.T) {
	m := newMac(t)
	f := m.fetcher(nil)
	secret := filepath.Join(m.dir, "secret", "passwd")
	// A symlink below the root that leads out of it, as a file and as a
	// directory.
	escape := filepath.Join(m.root, "ab", "cd", "GUID-ESC1", "photo.jpg")
	os.MkdirAll(filepath.Dir(escape), 0o700)
	os.Symlink(secret, escape)
	os.Symlink(filepath.Join(m.dir, "secret"), filepath.Join(m.root, "ab", "dirlink"))
	tests := []struct {
		name, path, status, err string
	}{
		{"outside the roots", secret, StatusBlocked, secret + " is outside the attachment roots"},
		{"dot-dot traversal", m.root + "/../../../../../secret/passwd", StatusBlocked, secret + " is outside the attachment roots"},
		{"symlink escape", escape, StatusBlocked, escape + " leads to " + secret + ", outside the attachment roots"},
		{"directory symlink escape", filepath.Join(m.root, "ab", "dirlink", "passwd"), StatusBlocked, "leads to " + secret},
		{"relative", "Library/Messages/Attachments/x.jpg", StatusBlocked, "not an absolute path"},
		{"wrong user segment count", filepath.Join(m.dir, "Users", "Library", "Messages", "Attachments", "x.jpg"), StatusBlocked, "outside the attachment roots"},
		{"missing", filepath.Join(m.root, "ab", "cd", "GUID-GONE", "x.jpg"), StatusMissing, "no such file on the Mac"},
		{"a directory", filepath.Join(m.root, "ab"), StatusError, "not a regular file"},
	}
	for _, tt := range tests {
		e := resolve(f, imsg.Attachment{TransferName: "x.jpg", OriginalPath: tt.path})
		if e.Status != tt.status || !strings.Contains(e.Error, tt.err) || e.Path != "" {
			t.Errorf("%s: Resolve(%q) = %+v; want %s with %q", tt.name, tt.path, e, tt.status, tt.err)
		}
	}
	if e := resolve(f, imsg.Attachment{TransferName: "x.jpg", Missing: true}); e.Status != StatusMissing || !strings.Contains(e.Error, "names no file") {
		t.Errorf("Resolve(no path) = %+v; want missing", e)
	}
	entries, _ := os.ReadDir(filepath.Join(m.cache, "chat-7"))
	if len(entries) != 0 {
		t.Errorf("refused files left %d entries in the cache", len(entries))
	}
}

func TestLocalFIFODoesNotHang(t *testing.T) {
	m := newMac(t)
	fifo := filepath.Join(m.root, "ab", "pipe.jpg")
	os.MkdirAll(filepath.Dir(fifo), 0o700)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan Entry, 1)
	go func() { done <- resolve(m.fetcher(nil), imsg.Attachment{OriginalPath: fifo}) }()
	select {
	case e := <-done:
		if e.Status != StatusError || !strings.Contains(e.Error, "not a regular file") {
			t.Errorf("Resolve(fifo) = %+v; want an error", e)
		}
	case <-time.After(30 * time.Second): // a deadlock guard, not a speed check
		t.Fatal("Resolve blocked on a FIFO")
	}
}

func TestLocalTooLarge(t *testing.T) {
	m := newMac(t)
	f := m.fetcher(nil)
	big := m.file("GUID-BIG1", "big.mov", bytes.Repeat([]byte{1}, 1<<20+1))
	e := resolve(f, big)
	if e.Status != StatusTooLarge || e.Size != 1<<20+1 || e.Path != "" ||
		e.Error != "1048577 bytes, over the limit of 1048576 bytes (mediaMaxMb 1)" {
		t.Errorf("Resolve(1 MiB + 1) = %+v; want too_large", e)
	}
	exact := m.file("GUID-BIG2", "exact.mov", bytes.Repeat([]byte{1}, 1<<20))
	if e := resolve(f, exact); e.Status != StatusOK || e.Size != 1<<20 {
		t.Errorf("Resolve(1 MiB) = %+v; want ok", e)
	}
	entries, _ := os.ReadDir(filepath.Join(m.cache, "chat-7"))
	if len(entries) != 1 {
		t.Errorf("cache holds %d files; want only the one at the cap", len(entries))
	}
}

func TestLocalRetriesAFileStillBeingWritten(t *testing.T) {
	m := newMac(t)
	full := []byte("the whole photo")
	a := m.file("GUID-SLOW", "slow.jpg", full[:4])
	a.TotalBytes = int64(len(full))
	f := m.fetcher(func(c *Config) { c.Attempts = 3 })
	var retries []int
	f.beforeRetry = func(attempt int) {
		retries = append(retries, attempt)
		if attempt == 1 {
			os.WriteFile(a.OriginalPath, full, 0o600) // Messages finishes writing
		}
	}
	e := resolve(f, a)
	if e.Status != StatusOK || e.Size != int64(len(full)) || len(retries) != 1 || e.Warning != "" {
		t.Fatalf("Resolve = %+v after retries %v; want ok with the whole file after one retry", e, retries)
	}
	if got, _ := os.ReadFile(e.Path); !bytes.Equal(got, full) {
		t.Errorf("cached %q; want %q", got, full)
	}

	// A file that appears only after the first try.
	late := filepath.Join(m.root, "ab", "cd", "GUID-LATE", "late.jpg")
	f.beforeRetry = func(attempt int) {
		if attempt == 2 {
			os.MkdirAll(filepath.Dir(late), 0o700)
			os.WriteFile(late, []byte("here now"), 0o600)
		}
	}
	if e := resolve(f, imsg.Attachment{OriginalPath: late, Missing: true}); e.Status != StatusOK || e.Size != 8 {
		t.Errorf("Resolve(late file) = %+v; want ok on the third try", e)
	}

	// Never complete: delivered on the last try, with a warning.
	short := m.file("GUID-SHORT", "short.jpg", []byte("half"))
	short.TotalBytes = 8
	f.beforeRetry = nil
	if e := resolve(f, short); e.Status != StatusOK || !strings.Contains(e.Warning, "4 bytes, smaller than the 8 bytes chat.db records") {
		t.Errorf("Resolve(short) = %+v; want ok with a warning", e)
	}

	// Never there: missing, with the reason and the attempts.
	gone := imsg.Attachment{OriginalPath: filepath.Join(m.root, "ab", "cd", "GUID-ICLOUD", "old.jpg"), Missing: true}
	if e := resolve(f, gone); e.Status != StatusMissing || e.Error != "imsg reports the file missing on the Mac: offloaded to iCloud, not downloaded yet, or deleted (3 attempts)" {
		t.Errorf("Resolve(offloaded) = %+v; want missing with the reason", e)
	}
}

func TestLocalRetryStopsOnCancel(t *testing.T) {
	m := newMac(t)
	f := m.fetcher(func(c *Config) { c.Attempts = 5; c.RetryDelay = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	f.beforeRetry = func(int) { cancel() }
	e := f.Resolve(ctx, "chat-7", imsg.Attachment{OriginalPath: filepath.Join(m.root, "nope.jpg")})
	if e.Status != StatusError || e.Error != "interrupted" {
		t.Errorf("Resolve after cancel = %+v; want interrupted", e)
	}
}

func TestHEIC(t *testing.T) {
	m := newMac(t)
	a := m.file("GUID-HEIC", "IMG_2.HEIC", []byte("heic bytes"))
	if e := resolve(m.fetcher(nil), a); e.Status != StatusOK || e.Mime != "image/heic" ||
		e.Warning != "image/heic: the agent gets the image as sent (imsg-fetch --convert-heic adds a JPEG)" {
		t.Errorf("Resolve(HEIC) without --convert-heic = %+v; want the HEIC with a warning", e)
	}

	bin := t.TempDir()
	good := filepath.Join(bin, "good-convert")
	os.WriteFile(good, []byte("#!/bin/sh\nprintf '\\377\\330\\377jpeg of ' > \"$2\" && cat \"$1\" >> \"$2\"\n"), 0o755)
	bad := filepath.Join(bin, "bad-convert")
	os.WriteFile(bad, []byte("#!/bin/sh\necho 'no HEIC delegate' >&2\nexit 1\n"), 0o755)
	notJPEG := filepath.Join(bin, "png-convert")
	os.WriteFile(notJPEG, []byte("#!/bin/sh\nprintf 'PNG' > \"$2\"\n"), 0o755)

	f := m.fetcher(func(c *Config) { c.ConvertHEIC = true; c.Converters = []string{bad, notJPEG, good} })
	e := resolve(f, a)
	orig := filepath.Join(m.cache, "chat-7", "GUID-HEIC-IMG_2.HEIC")
	if e.Status != StatusOK || e.Path != orig+".jpg" || e.Mime != "image/jpeg" || e.Kind != "image" || e.Warning != "" ||
		e.ConvertedFrom == nil || *e.ConvertedFrom != (Original{Path: orig, Mime: "image/heic", Size: 10}) {
		t.Fatalf("Resolve(HEIC) with --convert-heic = %+v (%+v)", e, e.ConvertedFrom)
	}
	if got, _ := os.ReadFile(e.Path); string(got) != "\xff\xd8\xffjpeg of heic bytes" || e.Size != int64(len(got)) {
		t.Errorf("JPEG = %q (size %d)", got, e.Size)
	}

	f = m.fetcher(func(c *Config) { c.ConvertHEIC = true; c.Converters = []string{bad, notJPEG} })
	b := m.file("GUID-HEIC2", "IMG_3.heic", []byte("heic"))
	e = resolve(f, b)
	if e.Status != StatusOK || e.Mime != "image/heic" || e.ConvertedFrom != nil ||
		!strings.Contains(e.Warning, "no HEIC delegate") || !strings.Contains(e.Warning, "not a JPEG") || !strings.HasSuffix(e.Warning, "the agent gets the image as sent") {
		t.Errorf("Resolve(HEIC) with failing converters = %+v", e)
	}
	if _, err := os.Stat(e.Path + ".jpg"); err == nil {
		t.Errorf("a failed conversion left a JPEG")
	}

	f = m.fetcher(func(c *Config) { c.ConvertHEIC = true; c.Converters = []string{} })
	if e := resolve(f, b); !strings.Contains(e.Warning, "no converter found") {
		t.Errorf("Resolve(HEIC) without converters = %+v; want a warning naming the converters", e)
	}
}
