package fetch

import (
	"errors"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Roots are attachment root patterns (config.RootPattern form: absolute,
// cleaned, "*" standing for exactly one path segment). A file may be read
// only when it lies below one of them.
type Roots []string

// NewRoots validates and merges patterns in order, dropping duplicates,
// and appends config.DefaultAttachmentRoot, which is always allowed. An
// invalid pattern is an error naming it.
func NewRoots(patterns ...[]string) (Roots, error) {
	var out Roots
	for _, list := range append(patterns, []string{config.DefaultAttachmentRoot}) {
		for _, p := range list {
			r, ok := config.RootPattern(p)
			if !ok {
				return nil, errors.New("invalid attachment root " + quote(p) + ": want an absolute path other than /, where * stands for one whole path segment")
			}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// CleanPath makes p ready for matching: it must be absolute and free of
// NUL; "." and ".." segments and doubled slashes are collapsed, so a ".."
// cannot climb out of a root unseen.
func CleanPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return "", false
	}
	return path.Clean(p), true
}

// Match reports whether the cleaned path p lies strictly below one of the
// roots, and returns that root with its "*" segments filled in from p
// (a real directory) and p relative to it.
func (r Roots) Match(p string) (root, rel string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, pat := range r {
		rs := strings.Split(strings.TrimPrefix(pat, "/"), "/")
		if len(rs) >= len(segs) {
			continue
		}
		match := true
		for i, s := range rs {
			if s != segs[i] && (s != "*" || segs[i] == "") {
				match = false
				break
			}
		}
		if match {
			return "/" + strings.Join(segs[:len(rs)], "/"), strings.Join(segs[len(rs):], "/"), true
		}
	}
	return "", "", false
}

// Resolved adds, for each root whose literal part (up to the first "*")
// goes through a symlink on this machine, the same pattern with that part
// resolved: a file is checked again after its own symlinks are resolved,
// and must not fail because a configured root itself is reached through a
// link (/var → /private/var on macOS). Run once at start.
func (r Roots) Resolved() Roots {
	out := slices.Clone(r)
	for _, pat := range r {
		segs := strings.Split(strings.TrimPrefix(pat, "/"), "/")
		i := slices.Index(segs, "*")
		if i < 0 {
			i = len(segs)
		}
		prefix := "/" + strings.Join(segs[:i], "/")
		real, err := filepath.EvalSymlinks(prefix)
		if err != nil || real == prefix {
			continue
		}
		alt := path.Join(append([]string{real}, segs[i:]...)...)
		if alt != "/" && !slices.Contains(out, alt) {
			out = append(out, alt)
		}
	}
	return out
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
