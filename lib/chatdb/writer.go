package chatdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// Writer adds rows to a chat.db the way Messages would: it is the
// simulator's stand-in for Messages.app. Each change happens inside a Tx,
// so a bulk load is one transaction and a reader never sees half a message.
type Writer struct {
	db   *sql.DB
	seed string
	me   string

	// Home is the directory attachment copies go under
	// ($HOME/Library/Messages/Attachments/…), the process's home by default.
	Home string
}

// OpenWriter opens an existing chat.db made by Create for writing.
func OpenWriter(path string) (*Writer, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, "rw"))
	if err != nil {
		return nil, err
	}
	// One connection: writes are serial anyway, and it keeps the
	// connection's view of sqlite_sequence consistent within a process.
	db.SetMaxOpenConns(1)
	home, _ := os.UserHomeDir()
	w := &Writer{db: db, Home: home}
	props := map[string]*string{propSeed: &w.seed, propMe: &w.me}
	for k, dst := range props {
		var v sql.NullString
		err := db.QueryRow(`SELECT value FROM _SqliteDatabaseProperties WHERE key = ?`, k).Scan(&v)
		if err != nil && err != sql.ErrNoRows {
			db.Close()
			return nil, fmt.Errorf("%s: not a simulator database (create it with imsg-sim init): %w", path, err)
		}
		*dst = v.String
	}
	if w.seed == "" {
		db.Close()
		return nil, fmt.Errorf("%s: no GUID seed (create it with imsg-sim init)", path)
	}
	if w.me == "" {
		w.me = DefaultMe
	}
	return w, nil
}

// Close releases the database.
func (w *Writer) Close() error { return w.db.Close() }

// Seed is the database's GUID seed.
func (w *Writer) Seed() string { return w.seed }

// Me is the local account handle, written as destination_caller_id on
// outgoing rows and as the chats' account login.
func (w *Writer) Me() string { return w.me }

// Tx is one write transaction. It holds the database's write lock from
// Begin to Commit, which is what lets it hand out ROWIDs itself.
type Tx struct {
	ctx   context.Context
	tx    *sql.Tx
	w     *Writer
	next  map[string]int64
	stmts map[string]*sql.Stmt
}

// Begin starts a write transaction (BEGIN IMMEDIATE).
func (w *Writer) Begin(ctx context.Context) (*Tx, error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{ctx: ctx, tx: tx, w: w, next: map[string]int64{}, stmts: map[string]*sql.Stmt{}}, nil
}

// Commit makes the transaction's rows visible.
func (t *Tx) Commit() error { t.closeStmts(); return t.tx.Commit() }

// Rollback abandons the transaction; after Commit it does nothing.
func (t *Tx) Rollback() error { t.closeStmts(); return t.tx.Rollback() }

func (t *Tx) closeStmts() {
	for k, s := range t.stmts {
		s.Close()
		delete(t.stmts, k)
	}
}

// exec runs a statement prepared once per transaction (bulk loads reuse it).
func (t *Tx) exec(q string, args ...any) error {
	st, ok := t.stmts[q]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, q); err != nil {
			return err
		}
		t.stmts[q] = st
	}
	_, err := st.ExecContext(t.ctx, args...)
	return err
}

// rowID allocates the next ROWID of an AUTOINCREMENT table, or records an
// explicit one, so GUIDs can be derived before the row is inserted.
func (t *Tx) rowID(table string, explicit int64) (int64, error) {
	n, ok := t.next[table]
	if !ok {
		var seq, maxID sql.NullInt64
		if err := t.tx.QueryRowContext(t.ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq); err != nil && err != sql.ErrNoRows {
			return 0, err
		}
		if err := t.tx.QueryRowContext(t.ctx, `SELECT MAX(ROWID) FROM `+table).Scan(&maxID); err != nil {
			return 0, err
		}
		n = max(seq.Int64, maxID.Int64) + 1
	}
	id := n
	if explicit > 0 {
		id = explicit
	}
	t.next[table] = max(n, id+1)
	return id, nil
}

// EnsureHandle returns the ROWID of handle (id, service), adding it when new.
func (t *Tx) EnsureHandle(id, service string) (int64, error) {
	if service == "" {
		service = "iMessage"
	}
	var rowid int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT ROWID FROM handle WHERE id = ? AND service = ?`, id, service).Scan(&rowid)
	if err == nil {
		return rowid, nil
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	if rowid, err = t.rowID("handle", 0); err != nil {
		return 0, err
	}
	country := any(nil)
	if len(id) > 2 && id[:2] == "+1" {
		country = "us"
	}
	err = t.exec(`INSERT INTO handle (ROWID, id, country, service, uncanonicalized_id) VALUES (?, ?, ?, ?, ?)`,
		rowid, id, country, service, id)
	return rowid, err
}

// SetMe changes the local account handle recorded in the database.
func (w *Writer) SetMe(handle string) error {
	_, err := w.db.Exec(`INSERT OR REPLACE INTO _SqliteDatabaseProperties (key, value) VALUES (?, ?)`, propMe, handle)
	if err == nil {
		w.me = handle
	}
	return err
}
