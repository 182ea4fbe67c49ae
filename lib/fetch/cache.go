package fetch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cache is where fetched files land: DIR/CHAT/GUID-NAME, DIR being
// STATE-DIR/ACCOUNT/media. Files are written under a temporary name in
// the same directory and renamed into place, so a reader, or another
// imsg-fetch working on the same message, never sees half a file.
// Directories are created 0700 and files 0600.
type Cache struct {
	Dir string
}

// tempPrefix marks files being written; Prune removes stale ones.
const tempPrefix = ".tmp-"

// ChatDir names a message's chat directory: chat-ID when imsg gave a chat
// id, else a name made from the chat guid, identifier or sender.
func ChatDir(chatID int64, keys ...string) string {
	if chatID > 0 {
		return "chat-" + strconv.FormatInt(chatID, 10)
	}
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			return "chat-" + safeName(k, 60)
		}
	}
	return "chat-unknown"
}

var guidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{6,80}$`)

// FileName is the cache name of an attachment: the attachment's guid (the
// directory Messages keeps it in, …/Attachments/xx/yy/GUID/name) or, when
// the path has no such directory, a hash of where it came from, then the
// sender's file name made safe.
func FileName(host, source, name string) string {
	id := path.Base(path.Dir(source))
	if !guidRE.MatchString(id) {
		sum := sha256.Sum256([]byte(host + "\x00" + source))
		id = hex.EncodeToString(sum[:12])
	}
	if name == "" {
		name = path.Base(source)
	}
	return id + "-" + safeName(name, 100)
}

// safeName keeps letters, digits, ".", "_" and "-" (any script), replaces
// the rest with "_", never starts with "." and stays within max bytes
// (keeping the extension when it cuts).
func safeName(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		out = "file"
	}
	if len(out) > max {
		ext := path.Ext(out)
		if len(ext) > 12 {
			ext = ""
		}
		cut := max - len(ext)
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + ext
	}
	return out
}

// Path returns where a file of chat named name is cached.
func (c *Cache) Path(chat, name string) string { return filepath.Join(c.Dir, chat, name) }

// Have reports whether dst is cached with exactly size bytes, and if so
// marks it used now, so Prune keeps what is still being asked for.
func (c *Cache) Have(dst string, size int64) bool {
	fi, err := os.Stat(dst)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
		return false
	}
	// Touch it for Prune, but not on every use: that would be a metadata
	// write per message.
	if now := time.Now(); now.Sub(fi.ModTime()) > time.Hour {
		os.Chtimes(dst, now, now)
	}
	return true
}

// Put writes dst through fill: into a temporary file beside dst, synced,
// then renamed over dst. When fill fails, nothing is left behind and dst
// is untouched.
func (c *Cache) Put(dst string, fill func(w io.Writer) (int64, error)) (int64, error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, tempPrefix+hex.EncodeToString(rnd[:])+"-"+filepath.Base(dst))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return n, err
	}
	return n, nil
}

// ParseAge reads a --prune age: a Go duration (90m, 12h) or a number of
// days (30d).
func ParseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid age %q: want a duration such as 30d, 12h or 90m", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid age %q: want a duration such as 30d, 12h or 90m", s)
	}
	return d, nil
}

// Prune removes cached files not written or used since now-age, temporary
// files left by an interrupted run (after an hour, or age if shorter), and
// the chat directories it empties. It returns the number of files removed.
func (c *Cache) Prune(age time.Duration, now time.Time) (int, error) {
	cutoff := now.Add(-age)
	tmpCutoff := now.Add(-min(age, time.Hour))
	removed := 0
	var dirs []string
	err := filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p != c.Dir {
				dirs = append(dirs, p)
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		limit := cutoff
		if strings.HasPrefix(d.Name(), tempPrefix) {
			limit = tmpCutoff
		}
		if fi.ModTime().Before(limit) {
			if err := os.Remove(p); err == nil {
				removed++
			}
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, as it should, when not empty
	}
	return removed, err
}
