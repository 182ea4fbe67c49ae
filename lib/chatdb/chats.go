package chatdb

import (
	"context"
	"database/sql"
	"sort"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// ChatInfo is one chat row as imsg reads it: identifier, guid and service
// default to "", and Name is IFNULL(display_name, chat_identifier), so an
// empty display name, as Apple stores for direct chats, gives an empty name.
type ChatInfo struct {
	ID                  int64
	Identifier          string
	GUID                string
	Name                string
	Service             string
	AccountID           string
	AccountLogin        string
	LastAddressedHandle string
}

// IsGroup is imsg's rule: the guid or identifier contains ";+;".
func (c ChatInfo) IsGroup() bool { return imsg.IsGroupChat(c.GUID, c.Identifier) }

// ChatSummary is an item of the chat list.
type ChatSummary struct {
	ChatInfo
	LastMessageAt string
	Participants  []string
}

// RPC returns the 0.9 chats.list item.
func (c ChatSummary) RPC() imsg.Chat {
	return imsg.Chat{
		ID: c.ID, Identifier: c.Identifier, GUID: c.GUID, Name: c.Name, Service: c.Service,
		LastMessageAt: c.LastMessageAt, Participants: c.Participants, IsGroup: c.IsGroup(),
	}
}

func (s *Store) chatColumns() string {
	return "c.ROWID, IFNULL(c.chat_identifier, ''), IFNULL(c.guid, ''), IFNULL(c.display_name, IFNULL(c.chat_identifier, ''))," +
		" IFNULL(c.service_name, ''), " +
		col(s.cols.accountID, "IFNULL(c.account_id, '')", "''") + ", " +
		col(s.cols.accountLogin, "IFNULL(c.account_login, '')", "''") + ", " +
		col(s.cols.lastAddressed, "IFNULL(c.last_addressed_handle, '')", "''")
}

func scanChat(sc interface{ Scan(...any) error }, extra ...any) (ChatInfo, error) {
	var c ChatInfo
	dest := append([]any{&c.ID, &c.Identifier, &c.GUID, &c.Name, &c.Service, &c.AccountID, &c.AccountLogin, &c.LastAddressedHandle}, extra...)
	return c, sc.Scan(dest...)
}

// ListChats returns the chats that have at least one joined message, most
// recent activity first (max chat_message_join.message_date, else max
// message.date when the join lacks that column), at most limit of them.
func (s *Store) ListChats(ctx context.Context, limit int) ([]ChatSummary, error) {
	last := "MAX(cmj.message_date)"
	join := ""
	if !s.cols.messageDate {
		last, join = "MAX(m.date)", " JOIN message m ON m.ROWID = cmj.message_id"
	}
	q := "SELECT " + s.chatColumns() + ", IFNULL(" + last + ", 0) AS last_date FROM chat c" +
		" JOIN chat_message_join cmj ON cmj.chat_id = c.ROWID" + join +
		" GROUP BY c.ROWID ORDER BY last_date DESC, c.ROWID DESC LIMIT ?1"
	rows, err := s.query(ctx, q, max(limit, 1))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChatSummary
	var ids []int64
	for rows.Next() {
		var last int64
		c, err := scanChat(rows, &last)
		if err != nil {
			return nil, err
		}
		out = append(out, ChatSummary{ChatInfo: c, LastMessageAt: imsg.FormatTime(imsg.FromAppleNanos(last))})
		ids = append(ids, c.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parts, err := s.participants(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Participants = parts[out[i].ID]
	}
	return out, nil
}

// Chat reads one chat by ROWID; ok is false when there is no such chat.
func (s *Store) Chat(ctx context.Context, id int64) (ChatInfo, bool, error) {
	return s.chatWhere(ctx, "c.ROWID = ?1", id)
}

// ChatByGUID reads one chat by guid.
func (s *Store) ChatByGUID(ctx context.Context, guid string) (ChatInfo, bool, error) {
	return s.chatWhere(ctx, "c.guid = ?1", guid)
}

// ChatByIdentifier reads the oldest chat with this chat_identifier.
func (s *Store) ChatByIdentifier(ctx context.Context, identifier string) (ChatInfo, bool, error) {
	return s.chatWhere(ctx, "c.chat_identifier = ?1", identifier)
}

func (s *Store) chatWhere(ctx context.Context, where string, arg any) (ChatInfo, bool, error) {
	st, err := s.stmt(ctx, "SELECT "+s.chatColumns()+" FROM chat c WHERE "+where+" ORDER BY c.ROWID LIMIT 1")
	if err != nil {
		return ChatInfo{}, false, err
	}
	c, err := scanChat(st.QueryRowContext(ctx, arg))
	if err == sql.ErrNoRows {
		return ChatInfo{}, false, nil
	}
	return c, err == nil, err
}

// Participants returns the handles joined to a chat: sorted, deduplicated,
// empty values dropped, never nil.
func (s *Store) Participants(ctx context.Context, chatID int64) ([]string, error) {
	m, err := s.participants(ctx, []int64{chatID})
	if err != nil {
		return nil, err
	}
	return m[chatID], nil
}

// participants loads the participant lists of several chats at once; every
// requested chat gets a non-nil list.
func (s *Store) participants(ctx context.Context, chatIDs []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(chatIDs))
	for _, id := range chatIDs {
		out[id] = []string{}
	}
	if len(chatIDs) == 0 {
		return out, nil
	}
	rows, err := s.query(ctx, "SELECT chj.chat_id, IFNULL(h.id, '') FROM chat_handle_join chj"+
		" JOIN handle h ON h.ROWID = chj.handle_id WHERE chj.chat_id IN (SELECT value FROM json_each(?1))", jsonInts(chatIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		if h != "" {
			out[id] = append(out[id], h)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id, list := range out {
		out[id] = sortDedup(list)
	}
	return out, nil
}

func sortDedup(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, v := range list {
		if i == 0 || v != list[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// chats loads several chat rows at once.
func (s *Store) chats(ctx context.Context, ids []int64) (map[int64]ChatInfo, error) {
	out := make(map[int64]ChatInfo, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.query(ctx, "SELECT "+s.chatColumns()+" FROM chat c WHERE c.ROWID IN (SELECT value FROM json_each(?1))", jsonInts(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}
