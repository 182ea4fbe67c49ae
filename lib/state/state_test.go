package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openTest opens account "default" under dir with clk, closing it at the end.
func openTest(t testing.TB, dir string, clk *fakeClock) *Store {
	t.Helper()
	s, err := Open(dir, "default", WithClock(clk))
	if err != nil {
		t.Fatalf("Open(%q) = %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "imsg")
	s := openTest(t, dir, newFakeClock())
	if err := s.SetCursor(5); err != nil { // makes SQLite create -wal and -shm
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	want := filepath.Join(dir, "default.db")
	if s.File() != want {
		t.Errorf("File() = %q; want %q", s.File(), want)
	}
	for _, name := range []string{"default.db", "default.db-wal", "default.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("stat %s: %v", name, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v; want 0600", name, fi.Mode().Perm())
		}
	}
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenOddDirectoryName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	s := openTest(t, dir, newFakeClock())
	if err := s.SetCursor(1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "default.db")); err != nil {
		t.Errorf("database not where expected: %v", err)
	}
}

func TestValidateAccount(t *testing.T) {
	for _, ok := range []string{"default", "work", "Work-2", "me@icloud.com", "a_b.c"} {
		if err := ValidateAccount(ok); err != nil {
			t.Errorf("ValidateAccount(%q) = %v; want nil", ok, err)
		}
	}
	bad := map[string]string{
		"":                       "empty",
		"a/b":                    "path separator",
		`a\b`:                    "path separator",
		"..":                     `".."`,
		"a..b":                   `".."`,
		".hidden":                "starts with a dot",
		" x":                     "surrounding space",
		"a\nb":                   "control character",
		strings.Repeat("x", 129): "longer than 128",
	}
	for account, why := range bad {
		err := ValidateAccount(account)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateAccount(%q) = %v; want an error about %s", account, err, why)
		}
		if _, err := Open(t.TempDir(), account); err == nil {
			t.Errorf("Open(dir, %q) succeeded; want it refused", account)
		}
		if p, err := Path("/x", account); err == nil {
			t.Errorf("Path(%q) = %q; want an error", account, p)
		}
	}
	if p, err := Path("/var/state", "work"); err != nil || p != "/var/state/work.db" {
		t.Errorf(`Path("/var/state", "work") = %q, %v; want "/var/state/work.db"`, p, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir, clk := t.TempDir(), newFakeClock()
	s, err := Open(dir, "default", WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.SetCursor(42))
	mustDo(t, s.SetSourceIdentity("inode:7;created:1"))
	_, err = s.Journal("G1", 40, 3)
	mustDo(t, err)
	_, _, err = s.Begin("k1", "chat_id:3", "hi", "G1")
	mustDo(t, err)
	code, _, err := s.RequestPairing("+15551234567", 3, nil)
	mustDo(t, err)
	mustDo(t, s.Close())

	s2 := openTest(t, dir, clk)
	if c, err := s2.Cursor(); err != nil || c != 42 {
		t.Errorf("Cursor() after reopen = %d, %v; want 42", c, err)
	}
	if id, err := s2.SourceIdentity(); err != nil || id != "inode:7;created:1" {
		t.Errorf("SourceIdentity() after reopen = %q, %v", id, err)
	}
	if st, err := s2.Status("G1"); err != nil || st != StatusReceived {
		t.Errorf("Status(G1) after reopen = %q, %v; want received", st, err)
	}
	if d, err := s2.Delivery("k1"); err != nil || d.Status != DeliverySending {
		t.Errorf("Delivery(k1) after reopen = %+v, %v; want sending", d, err)
	}
	if p, err := s2.ListPending(); err != nil || len(p) != 1 || p[0].Code != code {
		t.Errorf("ListPending() after reopen = %+v, %v; want code %s", p, err, code)
	}
}

func TestMigrationFromEmptyFile(t *testing.T) {
	if len(migrations) != SchemaVersion {
		t.Fatalf("SchemaVersion = %d but there are %d migrations", SchemaVersion, len(migrations))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "default.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, dir, newFakeClock())
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
	for _, table := range []string{"meta", "journal", "outbound", "echo", "pairing_pending", "pairing_approved"} {
		var name string
		err := s.db.QueryRow(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&name)
		if err != nil {
			t.Errorf("table %s missing: %v", table, err)
		}
	}
	// Opening again must not try to migrate twice.
	s2 := openTest(t, dir, newFakeClock())
	if _, err := s2.Cursor(); err != nil {
		t.Errorf("second Open: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, newFakeClock())
	if _, err := s.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, "default")
	if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Errorf("Open of a newer schema = %v; want a refusal", err)
	}
}

func TestNotADatabase(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "default.db"), []byte(strings.Repeat("not sqlite ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "default"); err == nil {
		t.Errorf("Open of a non-database file succeeded")
	}
}

func TestCursorAndSourceIdentity(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	if c, err := s.Cursor(); err != nil || c != 0 {
		t.Errorf("Cursor() of a new store = %d, %v; want 0", c, err)
	}
	if id, err := s.SourceIdentity(); err != nil || id != "" {
		t.Errorf("SourceIdentity() of a new store = %q, %v; want \"\"", id, err)
	}
	for _, c := range []int64{10, 250, 3} { // may move backwards (rewind)
		mustDo(t, s.SetCursor(c))
		if got, err := s.Cursor(); err != nil || got != c {
			t.Errorf("Cursor() after SetCursor(%d) = %d, %v", c, got, err)
		}
	}
	mustDo(t, s.SetSourceIdentity("a"))
	mustDo(t, s.SetSourceIdentity("b"))
	if id, err := s.SourceIdentity(); err != nil || id != "b" {
		t.Errorf("SourceIdentity() = %q, %v; want b", id, err)
	}
}

func TestTwoHandlesSameFile(t *testing.T) {
	dir, clk := t.TempDir(), newFakeClock()
	a, b := openTest(t, dir, clk), openTest(t, dir, clk)
	_, err := a.Journal("G1", 1, 1)
	mustDo(t, err)
	if prev, err := b.Journal("G1", 1, 1); err != nil || prev != StatusReceived {
		t.Errorf("second handle Journal(G1) = %q, %v; want received (seen by the first)", prev, err)
	}
	mustDo(t, b.MarkEmitted("G1"))
	if _, err := a.Finish("G1", OutcomeAnswered, ""); err != nil {
		t.Fatal(err)
	}
	e, err := b.Entry("G1")
	if err != nil || e.Status != StatusFinished || e.Emits != 1 {
		t.Errorf("Entry(G1) via second handle = %+v, %v; want finished with 1 emit", e, err)
	}
	mustDo(t, a.RememberSent("chat_id:1", "S1", "hello"))
	if hit, err := b.SeenEcho("chat_id:1", "S1", "", 0); err != nil || !hit {
		t.Errorf("SeenEcho via second handle = %v, %v; want true", hit, err)
	}
}

func TestStats(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	mustDo(t, s.SetCursor(9))
	for i, key := range []string{"A", "B", "C"} {
		_, err := s.Journal(key, int64(5+i), 1)
		mustDo(t, err)
	}
	mustDo(t, s.MarkEmitted("B"))
	_, err := s.Finish("C", OutcomeDropped, "from me")
	mustDo(t, err)
	_, _, err = s.Begin("k", "chat_id:1", "x", "")
	mustDo(t, err)
	mustDo(t, s.RememberSent("chat_id:1", "", "x"))
	_, _, err = s.RequestPairing("+15550000001", 0, nil)
	mustDo(t, err)
	_, _, err = s.RequestPairing("+15550000002", 0, nil)
	mustDo(t, err)

	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Cursor != 9 || st.ResumePoint != 4 || st.SchemaVersion != SchemaVersion || st.Account != "default" {
		t.Errorf("Stats() = %+v; want cursor 9, resume point 4, schema %d", st, SchemaVersion)
	}
	if st.Journal[StatusReceived] != 1 || st.Journal[StatusEmitted] != 1 || st.Journal[StatusFinished] != 1 {
		t.Errorf("Stats().Journal = %v; want one each of received, emitted, finished", st.Journal)
	}
	if st.Deliveries[DeliverySending] != 1 || st.EchoEntries != 1 || st.PendingPairings != 2 || st.ApprovedSenders != 0 {
		t.Errorf("Stats() = %+v", st)
	}
	clk.Advance(PairingTTL)
	if st, err = s.Stats(); err != nil || st.PendingPairings != 0 {
		t.Errorf("Stats().PendingPairings after expiry = %d, %v; want 0", st.PendingPairings, err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
