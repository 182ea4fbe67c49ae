package fetch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewRoots(t *testing.T) {
	r, err := NewRoots([]string{"/data/media/", "/data/media", "/srv/*/att"}, []string{"/srv/*/att/"})
	if err != nil {
		t.Fatal(err)
	}
	want := Roots{"/data/media", "/srv/*/att", "/Users/*/Library/Messages/Attachments"}
	if !slices.Equal(r, want) {
		t.Errorf("NewRoots = %q; want %q", r, want)
	}
	for _, bad := range []string{"relative/root", "/", "/data/**", "/data/a*b", ""} {
		if _, err := NewRoots([]string{bad}); err == nil {
			t.Errorf("NewRoots(%q) accepted an invalid root", bad)
		}
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/Users/me/Library/Messages/Attachments/a/b.jpg", "/Users/me/Library/Messages/Attachments/a/b.jpg", true},
		{"/Users/me/Library/Messages/Attachments/../../../../../etc/passwd", "/etc/passwd", true},
		{"/Users//me/./x", "/Users/me/x", true},
		{"relative.jpg", "", false},
		{"", "", false},
		{"/Users/me/a\x00b", "", false},
	}
	for _, tt := range tests {
		got, ok := CleanPath(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRootsMatch(t *testing.T) {
	roots := Roots{"/Users/*/Library/Messages/Attachments", "/data/media"}
	tests := []struct {
		p, root, rel string
		ok           bool
	}{
		{"/Users/me/Library/Messages/Attachments/ab/cd/G/x.jpg", "/Users/me/Library/Messages/Attachments", "ab/cd/G/x.jpg", true},
		{"/Users/other/Library/Messages/Attachments/x.jpg", "/Users/other/Library/Messages/Attachments", "x.jpg", true},
		{"/data/media/x.jpg", "/data/media", "x.jpg", true},
		// "*" is one whole segment, never zero or two.
		{"/Users/Library/Messages/Attachments/x.jpg", "", "", false},
		{"/Users/a/b/Library/Messages/Attachments/x.jpg", "", "", false},
		// The root itself is a directory, not a file below it.
		{"/data/media", "", "", false},
		// Prefix semantics are per segment, and case-sensitive.
		{"/data/media2/x.jpg", "", "", false},
		{"/data/Media/x.jpg", "", "", false},
		{"/etc/passwd", "", "", false},
	}
	for _, tt := range tests {
		root, rel, ok := roots.Match(tt.p)
		if root != tt.root || rel != tt.rel || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %q, %v; want %q, %q, %v", tt.p, root, rel, ok, tt.root, tt.rel, tt.ok)
		}
	}
	if _, _, ok := (Roots{}).Match("/data/media/x"); ok {
		t.Errorf("an empty root list allowed a file")
	}
}

func TestRootsResolved(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "real", "u1", "att"), 0o700)
	os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link"))
	roots := Roots{filepath.Join(dir, "link", "*", "att"), filepath.Join(dir, "real", "plain")}
	got := roots.Resolved()
	want := append(slices.Clone(roots), filepath.Join(dir, "real", "*", "att"))
	if !slices.Equal(got, want) {
		t.Errorf("Resolved() = %q; want %q", got, want)
	}
	if _, _, ok := got.Match(filepath.Join(dir, "real", "u1", "att", "x.jpg")); !ok {
		t.Errorf("a file below the resolved root does not match")
	}
	if strings.Contains(strings.Join(got, " "), filepath.Join(dir, "real", "plain")+" "+filepath.Join(dir, "real", "plain")) {
		t.Errorf("Resolved() duplicated a root")
	}
}
