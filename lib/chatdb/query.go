package chatdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// Row is one message row as the history and watch queries select it, with
// the sender fallback and the text recovery already applied.
type Row struct {
	ID                   int64
	ChatID               int64 // 0 when the row is not joined to a chat
	GUID                 string
	HandleID             int64
	Sender               string // handle.id, else destination_caller_id
	Text                 string // text, else decoded attributedBody
	Date                 int64  // Apple-epoch nanoseconds; NULL reads as 0
	IsFromMe             bool
	Service              string
	AssociatedGUID       string
	AssociatedType       int64
	ThreadOriginatorGUID string
	DestinationCallerID  string
	BalloonBundleID      string
}

// IsReaction reports whether the row is a tapback (type 2000–3006).
func (r *Row) IsReaction() bool { return r.AssociatedType >= 2000 && r.AssociatedType <= 3006 }

// Time is the row's date as a time.
func (r *Row) Time() time.Time { return imsg.FromAppleNanos(r.Date) }

// rowColumns is the select list scanned by scanRow, with imsg's literal
// substitutes for missing optional columns.
func (s *Store) rowColumns() string {
	c := s.cols
	return strings.Join([]string{
		"m.ROWID", "IFNULL(m.handle_id, 0)", "IFNULL(h.id, '')", "IFNULL(m.text, '')",
		col(c.body, "CASE WHEN IFNULL(m.text, '') = '' THEN m.attributedBody END", "NULL"),
		"IFNULL(m.date, 0)", "IFNULL(m.is_from_me, 0)", "IFNULL(m.service, '')",
		col(c.reactions, "IFNULL(m.guid, '')", "''"),
		col(c.reactions, "IFNULL(m.associated_message_guid, '')", "''"),
		col(c.reactions, "IFNULL(m.associated_message_type, 0)", "0"),
		col(c.thread, "IFNULL(m.thread_originator_guid, '')", "''"),
		col(c.destCaller, "IFNULL(m.destination_caller_id, '')", "''"),
		col(c.balloon, "IFNULL(m.balloon_bundle_id, '')", "''"),
	}, ", ")
}

// scanRow reads rowColumns followed by the chat id.
func scanRow(rows *sql.Rows) (Row, error) {
	var r Row
	var handle string
	var body []byte
	err := rows.Scan(&r.ID, &r.HandleID, &handle, &r.Text, &body, &r.Date, &r.IsFromMe, &r.Service,
		&r.GUID, &r.AssociatedGUID, &r.AssociatedType, &r.ThreadOriginatorGUID,
		&r.DestinationCallerID, &r.BalloonBundleID, &r.ChatID)
	if err != nil {
		return r, err
	}
	r.Sender = senderOf(handle, r.DestinationCallerID)
	if r.Text == "" && len(body) > 0 {
		r.Text = DecodeAttributedBody(body)
	}
	return r, nil
}

func senderOf(handle, destCaller string) string {
	if handle != "" {
		return handle
	}
	return destCaller
}

// notReaction is imsg's filter that hides tapback rows.
func (s *Store) notReaction(alias string) string {
	if !s.cols.reactions {
		return "1"
	}
	t := alias + ".associated_message_type"
	return "(" + t + " IS NULL OR " + t + " < 2000 OR " + t + " > 3006)"
}

func collectRows(rows *sql.Rows, err error) ([]Row, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HistoryQuery selects the rows of messages.history.
type HistoryQuery struct {
	ChatID       int64
	Limit        int       // applied after the filters; < 1 means 1
	Participants []string  // case-insensitive match on the sender
	Start, End   time.Time // inclusive start, exclusive end; zero = open
}

// HistoryRows returns the chat's rows newest first, reaction rows hidden,
// filtered by date and sender before the limit (§3.3 "History").
func (s *Store) HistoryRows(ctx context.Context, q HistoryQuery) ([]Row, error) {
	sender := "h.id"
	if s.cols.destCaller {
		sender = "COALESCE(NULLIF(h.id, ''), m.destination_caller_id)"
	}
	query := "SELECT " + s.rowColumns() + ", cmj.chat_id FROM message m" +
		" JOIN chat_message_join cmj ON cmj.message_id = m.ROWID" +
		" LEFT JOIN handle h ON h.ROWID = m.handle_id" +
		" WHERE cmj.chat_id = ?1 AND " + s.notReaction("m") +
		" AND (?2 IS NULL OR m.date >= ?2) AND (?3 IS NULL OR m.date < ?3)" +
		" AND (?4 IS NULL OR LOWER(" + sender + ") IN (SELECT LOWER(value) FROM json_each(?4)))" +
		" ORDER BY m.date DESC, m.ROWID DESC LIMIT ?5"
	var start, end, parts any
	if !q.Start.IsZero() {
		start = imsg.ToAppleNanos(q.Start)
	}
	if !q.End.IsZero() {
		end = imsg.ToAppleNanos(q.End)
	}
	if len(q.Participants) > 0 {
		parts = jsonStrings(q.Participants)
	}
	limit := max(q.Limit, 1)
	return collectRows(s.query(ctx, query, q.ChatID, start, end, parts, limit))
}

// AfterQuery selects the rows a watch poll streams.
type AfterQuery struct {
	Cursor           int64 // exclusive
	ChatID           int64 // 0 = every chat, unjoined rows included
	IncludeReactions bool
	Limit            int // imsg uses 100
}

// RowsAfter returns rows with ROWID > cursor in ROWID order. The chat join
// is a left join, so an unjoined row comes back with ChatID 0, and a row
// joined to two chats comes back twice (§3.3 "Messages after").
func (s *Store) RowsAfter(ctx context.Context, q AfterQuery) ([]Row, error) {
	var b strings.Builder
	b.WriteString("SELECT " + s.rowColumns() + ", IFNULL(cmj.chat_id, 0) FROM message m" +
		" LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID" +
		" LEFT JOIN handle h ON h.ROWID = m.handle_id WHERE m.ROWID > ?1")
	args := []any{q.Cursor}
	if q.ChatID != 0 {
		b.WriteString(" AND cmj.chat_id = ?2")
		args = append(args, q.ChatID)
	}
	if !q.IncludeReactions {
		b.WriteString(" AND " + s.notReaction("m"))
	}
	b.WriteString(" ORDER BY m.ROWID ASC, cmj.chat_id ASC LIMIT ?" + strconv.Itoa(len(args)+1))
	limit := q.Limit
	if limit < 1 {
		limit = 100
	}
	args = append(args, limit)
	return collectRows(s.query(ctx, b.String(), args...))
}

// LatestSent finds the row a send produced: the newest is_from_me row with
// exactly text, dated no earlier than notBefore, in chatID when it is known
// (§1.4 send). ok is false when there is none yet.
func (s *Store) LatestSent(ctx context.Context, chatID int64, text string, notBefore time.Time) (id int64, guid string, ok bool, err error) {
	q := "SELECT m.ROWID, " + col(s.cols.reactions, "IFNULL(m.guid, '')", "''") + " FROM message m"
	args := []any{text, imsg.ToAppleNanos(notBefore)}
	if chatID != 0 {
		q += " JOIN chat_message_join cmj ON cmj.message_id = m.ROWID AND cmj.chat_id = ?3"
		args = append(args, chatID)
	}
	q += " WHERE m.is_from_me = 1 AND m.text = ?1 AND m.date >= ?2 ORDER BY m.date DESC, m.ROWID DESC LIMIT 1"
	st, err := s.stmt(ctx, q)
	if err != nil {
		return 0, "", false, err
	}
	err = st.QueryRowContext(ctx, args...).Scan(&id, &guid)
	if err == sql.ErrNoRows {
		return 0, "", false, nil
	}
	return id, guid, err == nil, err
}

// GhostRow is the macOS 26 check of §1.4: an empty, unjoined, outgoing row
// after afterID whose handle is the chat's GUID or identifier (or their
// any;… variants). It returns that row's id.
func (s *Store) GhostRow(ctx context.Context, afterID int64, chatGUID, chatIdentifier string) (int64, bool, error) {
	targets := ghostTargets(chatGUID, chatIdentifier)
	q := "SELECT m.ROWID FROM message m JOIN handle h ON h.ROWID = m.handle_id" +
		" LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID" +
		" WHERE m.ROWID > ?1 AND m.is_from_me = 1 AND IFNULL(m.text, '') = '' AND cmj.message_id IS NULL" +
		" AND h.id IN (SELECT value FROM json_each(?2)) ORDER BY m.ROWID DESC LIMIT 1"
	st, err := s.stmt(ctx, q)
	if err != nil {
		return 0, false, err
	}
	var id int64
	err = st.QueryRowContext(ctx, afterID, jsonStrings(targets)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// ghostTargets lists the handle spellings Messages may give a ghost row:
// the chat GUID, its identifier, and the GUID with the iMessage/SMS/any
// service prefixes swapped.
func ghostTargets(guid, identifier string) []string {
	var out []string
	add := func(v string) {
		if v == "" {
			return
		}
		for _, o := range out {
			if o == v {
				return
			}
		}
		out = append(out, v)
	}
	add(guid)
	add(identifier)
	if i := strings.IndexByte(guid, ';'); i >= 0 {
		for _, svc := range []string{"any", "iMessage", "SMS"} {
			add(svc + guid[i:])
		}
	}
	return out
}

// jsonStrings encodes a list for json_each, which keeps every statement
// with a variable-length IN list preparable once.
func jsonStrings(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonInts(v []int64) string {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}
