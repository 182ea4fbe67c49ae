package chatdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// Store reads a chat.db as imsg does: opened read-only (mode=ro, busy
// timeout 5 s, not immutable, so rows committed by Messages — here by the
// simulator's writers — show up through the WAL), with optional columns
// detected once at open (§3.2). A Store is safe for concurrent use; its
// statements are prepared once and reused by every poll.
type Store struct {
	db   *sql.DB
	path string
	cols columns

	// Home is the directory "~" in attachment filenames expands to: the
	// running process's home, as imsg uses.
	Home string

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// columns records which optional columns the database has (§3.2).
type columns struct {
	body, reactions, thread, destCaller, balloon bool
	messageDate                                  bool
	accountID, accountLogin, lastAddressed       bool
}

// Open opens the chat.db at path read-only. A missing file is an error
// (fs.ErrNotExist), never an empty database: imsg fails the same way when
// it lacks Full Disk Access or the path is wrong.
func Open(path string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	db, err := sql.Open("sqlite", dsn(path, "ro"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	home, _ := os.UserHomeDir()
	s := &Store{db: db, path: path, Home: home, stmts: map[string]*sql.Stmt{}}
	if err := s.detect(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the file the store reads.
func (s *Store) Path() string { return s.path }

// Close releases the database.
func (s *Store) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.mu.Unlock()
	return s.db.Close()
}

// detect runs PRAGMA table_info on the tables with optional columns.
func (s *Store) detect(ctx context.Context) error {
	have := map[string]map[string]bool{}
	for _, t := range []string{"message", "chat", "chat_message_join", "attachment", "handle", "chat_handle_join", "message_attachment_join"} {
		rows, err := s.db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", t)
		if err != nil {
			return fmt.Errorf("read schema: %w", err)
		}
		set := map[string]bool{}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return err
			}
			set[strings.ToLower(name)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read schema: %w", err)
		}
		if len(set) == 0 {
			return fmt.Errorf("not a Messages database: no %s table", t)
		}
		have[t] = set
	}
	m, c := have["message"], have["chat"]
	s.cols = columns{
		body:          m["attributedbody"],
		reactions:     m["guid"] && m["associated_message_guid"] && m["associated_message_type"],
		thread:        m["thread_originator_guid"],
		destCaller:    m["destination_caller_id"],
		balloon:       m["balloon_bundle_id"],
		messageDate:   have["chat_message_join"]["message_date"],
		accountID:     c["account_id"],
		accountLogin:  c["account_login"],
		lastAddressed: c["last_addressed_handle"],
	}
	return nil
}

// stmt returns the prepared statement for query, preparing it once.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmts == nil {
		return nil, errors.New("store is closed")
	}
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// query runs a prepared statement.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// IsNotExist reports whether err means the database file is missing.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// MaxRowID is MAX(message.ROWID), 0 for an empty table: the cursor a watch
// that starts at the tail begins from.
func (s *Store) MaxRowID(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	st, err := s.stmt(ctx, "SELECT MAX(ROWID) FROM message")
	if err != nil {
		return 0, err
	}
	if err := st.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, err
	}
	return n.Int64, nil
}

// col returns the expression for an optional message column, or the
// literal imsg substitutes when the column is missing.
func col(have bool, expr, fallback string) string {
	if have {
		return expr
	}
	return fallback
}
