// Package state is the per-account SQLite store shared by the processes of
// one pipeline: the watch cursor, the inbound journal, the outbound ledger,
// the echo cache and pairing. Together the journal and ledger carry the
// delivery contract of the design: every inbound message reaches exactly one
// terminal outcome and no reply is sent twice, even across SIGKILL.
//
// Several processes (imsg-listen, imsg-gate, imsg-send, imsg-pair …) open
// the same file at once. The database runs in WAL mode with a busy timeout,
// and every write is one short BEGIN IMMEDIATE transaction, so concurrent
// writers queue on the lock instead of failing with SQLITE_BUSY when a
// deferred transaction tries to upgrade. The driver is the pure-Go
// modernc.org/sqlite, so the binaries cross-compile to macOS without cgo.
//
// Times are stored as Unix milliseconds and always come from the Clock
// given to Open, so tests and goldens control them.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/imsg-toolkit/imsg/lib/clock"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultBusyTimeout is how long a writer waits for another process's
// transaction before giving up. Transactions here last microseconds, so
// reaching it means something is wedged.
const DefaultBusyTimeout = 5 * time.Second

// ErrNotFound is returned for an unknown journal key, delivery key, pairing
// code or approved handle.
var ErrNotFound = errors.New("not found")

// Store is one account's state database. It is safe for concurrent use by
// several goroutines, and several Stores (in one or many processes) may have
// the same file open.
type Store struct {
	db      *sql.DB
	clock   clock.Clock
	path    string
	account string
}

// Option configures Open.
type Option func(*options)

type options struct {
	clock       clock.Clock
	busyTimeout time.Duration
}

// WithClock makes the store read the time from c instead of the wall clock.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithBusyTimeout sets how long to wait for a lock held by another writer.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// ValidateAccount checks that an account id can name a file: non-empty, at
// most 128 bytes, no path separators, no "..", no control characters, and
// not starting with a dot.
func ValidateAccount(account string) error {
	bad := func(why string) error { return fmt.Errorf("invalid account id %q: %s", account, why) }
	switch {
	case account == "":
		return errors.New("invalid account id: empty")
	case len(account) > 128:
		return bad("longer than 128 bytes")
	case strings.ContainsAny(account, `/\`):
		return bad("contains a path separator")
	case strings.Contains(account, ".."):
		return bad(`contains ".."`)
	case strings.HasPrefix(account, "."):
		return bad("starts with a dot")
	case strings.TrimSpace(account) != account:
		return bad("has surrounding space")
	}
	for _, r := range account {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return bad("contains a control character or invalid UTF-8")
		}
	}
	return nil
}

// Path returns the database file of account under dir.
func Path(dir, account string) (string, error) {
	if err := ValidateAccount(account); err != nil {
		return "", err
	}
	return filepath.Join(dir, account+".db"), nil
}

// Open opens (creating if needed) the state database of account under dir
// and brings its schema up to date. The directory is created 0700 and the
// file 0600 if they do not exist; SQLite gives its -wal and -shm files the
// database file's mode.
func Open(dir, account string, opts ...Option) (*Store, error) {
	o := options{clock: clock.Real{}, busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	path, err := Path(dir, account)
	if err != nil {
		return nil, err
	}
	if path, err = filepath.Abs(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	// Create the file ourselves so it never exists with the umask's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	f.Close()

	db, err := sql.Open("sqlite", dsn(path, o.busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	// A few connections are plenty: every transaction is short, and
	// writers queue on SQLite's lock anyway.
	db.SetMaxOpenConns(4)
	s := &Store{db: db, clock: o.clock, path: path, account: account}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	return s, nil
}

// dsn builds a file: URI, so any character in the path is escaped rather
// than taken for the start of the query.
func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// BEGIN IMMEDIATE takes the write lock up front, under the busy
	// timeout, instead of failing at the first write of a deferred one.
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// File is the path of the database file.
func (s *Store) File() string { return s.path }

// Account is the account id the store was opened for.
func (s *Store) Account() string { return s.account }

// now is the store's clock in Unix milliseconds, the unit of every column.
func (s *Store) now() int64 { return s.clock.Now().UnixMilli() }

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// write runs fn in one BEGIN IMMEDIATE transaction and commits it unless
// fn fails.
func (s *Store) write(fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	return nil
}

// getMeta reads a key of the meta table ("" when unset).
func (s *Store) getMeta(key string) (string, bool, error) {
	var v string
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("state: read %s: %w", key, err)
	}
	return v, true, nil
}

func (s *Store) setMeta(key, value string) error {
	return s.write(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		if err != nil {
			return fmt.Errorf("state: write %s: %w", key, err)
		}
		return nil
	})
}

// Cursor is the last message rowid imsg-listen has seen, 0 when none.
func (s *Store) Cursor() (int64, error) {
	n, _, err := s.cursor()
	return n, err
}

func (s *Store) cursor() (int64, bool, error) {
	v, ok, err := s.getMeta("cursor")
	if err != nil || !ok {
		return 0, ok, err
	}
	var n int64
	if _, err := fmt.Sscan(v, &n); err != nil {
		return 0, false, fmt.Errorf("state: cursor %q: %w", v, err)
	}
	return n, true, nil
}

// SetCursor records the last message rowid seen. It may move backwards, for
// a rewind or after the chat.db was replaced.
func (s *Store) SetCursor(rowid int64) error {
	return s.setMeta("cursor", fmt.Sprint(rowid))
}

// SourceIdentity is the recorded identity of the chat.db the cursor belongs
// to ("" when none). When the database is replaced its rowids start over,
// so listen compares identities before trusting the cursor.
func (s *Store) SourceIdentity() (string, error) {
	v, _, err := s.getMeta("source_identity")
	return v, err
}

// SetSourceIdentity records the identity of the current chat.db.
func (s *Store) SetSourceIdentity(id string) error { return s.setMeta("source_identity", id) }
