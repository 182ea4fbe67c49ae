package chatdb

import (
	"database/sql"
	"strings"
)

// Chat styles (Apple's convention; imsg itself goes by ";+;" in the guid).
const (
	StyleGroup  = 43
	StyleDirect = 45
)

// NewChat describes a chat row to insert.
type NewChat struct {
	ID                  int64 // 0 = next ROWID
	GUID                string
	Identifier          string
	DisplayName         string
	NullDisplayName     bool // store NULL instead of DisplayName
	Style               int
	ServiceName         string
	AccountID           string
	AccountLogin        string
	LastAddressedHandle string
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertChat adds a chat row as given and returns it as a reader sees it.
func (t *Tx) InsertChat(c NewChat) (ChatInfo, error) {
	id, err := t.rowID("chat", c.ID)
	if err != nil {
		return ChatInfo{}, err
	}
	var name any = c.DisplayName
	if c.NullDisplayName {
		name = nil
	}
	err = t.exec(`INSERT INTO chat (ROWID, guid, style, state, account_id, chat_identifier, service_name,
		account_login, last_addressed_handle, display_name, successful_query, is_filtered)
		VALUES (?, ?, ?, 3, ?, ?, ?, ?, ?, ?, 1, 0)`,
		id, c.GUID, c.Style, nullIfEmpty(c.AccountID), c.Identifier, c.ServiceName,
		nullIfEmpty(c.AccountLogin), nullIfEmpty(c.LastAddressedHandle), name)
	if err != nil {
		return ChatInfo{}, err
	}
	info := ChatInfo{ID: id, Identifier: c.Identifier, GUID: c.GUID, Name: c.DisplayName, Service: c.ServiceName,
		AccountID: c.AccountID, AccountLogin: c.AccountLogin, LastAddressedHandle: c.LastAddressedHandle}
	if c.NullDisplayName {
		info.Name = c.Identifier
	}
	return info, nil
}

// AddParticipant joins a handle to a chat (chat_handle_join), once.
func (t *Tx) AddParticipant(chatID, handleID int64) error {
	return t.exec(`INSERT OR IGNORE INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)`, chatID, handleID)
}

// servicePrefix is the guid prefix Messages uses for a service.
func servicePrefix(service string) string {
	if strings.EqualFold(service, "SMS") {
		return "SMS"
	}
	return "iMessage"
}

// EnsureDM returns the direct chat with handle, creating it (guid
// "<service>;-;<handle>", identifier = handle, style 45, an empty display
// name as Apple stores for direct chats) and its participant row when new.
// It also returns the handle's ROWID.
func (t *Tx) EnsureDM(handle, service string) (ChatInfo, int64, error) {
	svc := servicePrefix(service)
	hid, err := t.EnsureHandle(handle, svc)
	if err != nil {
		return ChatInfo{}, 0, err
	}
	c, ok, err := t.chatWhere(`chat_identifier = ? AND style = ? ORDER BY service_name = ? DESC, ROWID`, handle, StyleDirect, svc)
	if err != nil {
		return ChatInfo{}, 0, err
	}
	if !ok {
		c, err = t.InsertChat(NewChat{
			GUID: svc + ";-;" + handle, Identifier: handle, Style: StyleDirect, ServiceName: svc,
			AccountLogin: t.w.me, LastAddressedHandle: t.w.me,
		})
		if err != nil {
			return ChatInfo{}, 0, err
		}
	}
	return c, hid, t.AddParticipant(c.ID, hid)
}

// EnsureGroup returns the group chat named name, creating it on first use
// (guid = identifier = "iMessage;+;chat<digits>" derived from the seed,
// style 43), and joins every participant to it. It returns the ROWIDs of
// the participants' handles by handle.
func (t *Tx) EnsureGroup(name string, participants []string, service string) (ChatInfo, map[string]int64, error) {
	svc := servicePrefix(service)
	c, ok, err := t.chatWhere(`display_name = ? AND style = ? ORDER BY ROWID`, name, StyleGroup)
	if err != nil {
		return ChatInfo{}, nil, err
	}
	if !ok {
		id, err := t.rowID("chat", 0)
		if err != nil {
			return ChatInfo{}, nil, err
		}
		ident := svc + ";+;" + DeriveGroupIdentifier(t.w.seed, id)
		c, err = t.InsertChat(NewChat{
			ID: id, GUID: ident, Identifier: ident, DisplayName: name, Style: StyleGroup, ServiceName: svc,
			AccountLogin: t.w.me, LastAddressedHandle: t.w.me,
		})
		if err != nil {
			return ChatInfo{}, nil, err
		}
	}
	handles := map[string]int64{}
	for _, p := range participants {
		if p == "" {
			continue
		}
		hid, err := t.EnsureHandle(p, svc)
		if err != nil {
			return ChatInfo{}, nil, err
		}
		if err := t.AddParticipant(c.ID, hid); err != nil {
			return ChatInfo{}, nil, err
		}
		handles[p] = hid
	}
	return c, handles, nil
}

// Chat reads a chat by ROWID inside the transaction.
func (t *Tx) Chat(id int64) (ChatInfo, bool, error) {
	return t.chatWhere(`ROWID = ?`, id)
}

// ChatByGUID reads a chat by guid inside the transaction.
func (t *Tx) ChatByGUID(guid string) (ChatInfo, bool, error) {
	return t.chatWhere(`guid = ? ORDER BY ROWID`, guid)
}

// ChatByIdentifier reads the oldest chat with this identifier.
func (t *Tx) ChatByIdentifier(identifier string) (ChatInfo, bool, error) {
	return t.chatWhere(`chat_identifier = ? ORDER BY ROWID`, identifier)
}

func (t *Tx) chatWhere(where string, args ...any) (ChatInfo, bool, error) {
	row := t.tx.QueryRowContext(t.ctx, `SELECT ROWID, IFNULL(chat_identifier, ''), IFNULL(guid, ''),
		IFNULL(display_name, IFNULL(chat_identifier, '')), IFNULL(service_name, ''), IFNULL(account_id, ''),
		IFNULL(account_login, ''), IFNULL(last_addressed_handle, '') FROM chat WHERE `+where+` LIMIT 1`, args...)
	c, err := scanChat(row)
	if err == sql.ErrNoRows {
		return ChatInfo{}, false, nil
	}
	return c, err == nil, err
}
