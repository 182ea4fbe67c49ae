package chatdb

import (
	"database/sql"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// NewMessage describes a message row to insert.
type NewMessage struct {
	ID       int64  // 0 = next ROWID
	GUID     string // "" = derived from the seed and the ROWID
	ChatID   int64  // the chat to join; 0 leaves the row unjoined
	HandleID int64  // the other party (0 for outgoing group rows)
	Text     string
	// AttributedOnly stores the text only in attributedBody (text NULL), as
	// recent macOS versions often do.
	AttributedOnly bool
	IsFromMe       bool
	Service        string    // "iMessage" by default
	Date           time.Time // zero stores NULL
	// DestinationCallerID is the local account the row went through.
	DestinationCallerID string
	// Tapbacks: "p:0/<guid>" and 2000–2006 (add) or 3000–3006 (remove).
	// Non-tapback rows may carry an associated guid too (imsg reads it as
	// the reply target).
	AssociatedGUID  string
	AssociatedType  int64
	AssociatedEmoji string
	// Inline replies: the thread's first message and the message replied to.
	ThreadOriginatorGUID string
	ReplyToGUID          string
	BalloonBundleID      string
	Attachments          []NewAttachment
}

// NewAttachment describes an attachment of a new message. With Source set,
// the file is copied where Messages keeps attachments and described from
// the copy; otherwise Filename and the other fields are stored as given.
type NewAttachment struct {
	Source     string // a file to copy in
	Name       string // transfer name; default: base name of Source or Filename
	Filename   string // stored path, "~/Library/Messages/Attachments/…"
	UTI        string // default from the extension
	MimeType   string // default from the extension
	TotalBytes int64
	IsSticker  bool
	IsOutgoing bool
	GUID       string // "" = derived
}

// Inserted identifies a new message row.
type Inserted struct {
	ID     int64  `json:"id"`
	GUID   string `json:"guid"`
	ChatID int64  `json:"chat_id"`
}

// InsertMessage adds a message row, joins it to its chat with
// message_date = date (no trigger does it for a fixture), and adds its
// attachments. Rows with text also carry a real-format attributedBody.
func (t *Tx) InsertMessage(m NewMessage) (Inserted, error) {
	id, err := t.rowID("message", m.ID)
	if err != nil {
		return Inserted{}, err
	}
	guid := m.GUID
	if guid == "" {
		guid = DeriveGUID(t.w.seed, "message", id)
	}
	service := m.Service
	if service == "" {
		service = "iMessage"
	}
	var text, body any
	if m.Text != "" {
		body = EncodeAttributedBody(m.Text)
	}
	if !m.AttributedOnly {
		text = m.Text
	}
	var date, delivered any
	var joinDate int64
	if !m.Date.IsZero() {
		joinDate = imsg.ToAppleNanos(m.Date)
		date = joinDate
		delivered = int64(0)
		if m.IsFromMe {
			delivered = joinDate
		}
	}
	var threadPart any
	if m.ThreadOriginatorGUID != "" {
		threadPart = "0:0:" + fmt.Sprint(utf8.RuneCountInString(m.Text))
	}
	empty := m.Text == "" && len(m.Attachments) == 0
	err = t.exec(`INSERT INTO message (ROWID, guid, text, handle_id, service, attributedBody, version, type,
		date, date_read, date_delivered, is_delivered, is_finished, is_from_me, is_read, is_sent, is_empty,
		cache_has_attachments, associated_message_guid, associated_message_type, associated_message_emoji,
		balloon_bundle_id, thread_originator_guid, thread_originator_part, reply_to_guid,
		destination_caller_id, part_count)
		VALUES (?, ?, ?, ?, ?, ?, 10, 0, ?, 0, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		id, guid, text, m.HandleID, service, body,
		date, delivered, m.IsFromMe, m.IsFromMe, m.IsFromMe, empty,
		len(m.Attachments) > 0, nullIfEmpty(m.AssociatedGUID), m.AssociatedType, nullIfEmpty(m.AssociatedEmoji),
		nullIfEmpty(m.BalloonBundleID), nullIfEmpty(m.ThreadOriginatorGUID), threadPart, nullIfEmpty(m.ReplyToGUID),
		nullIfEmpty(m.DestinationCallerID))
	if err != nil {
		return Inserted{}, fmt.Errorf("insert message: %w", err)
	}
	if m.ChatID != 0 {
		if err := t.Join(m.ChatID, id, joinDate); err != nil {
			return Inserted{}, err
		}
	}
	for _, a := range m.Attachments {
		if _, err := t.insertAttachment(id, a, m.Date); err != nil {
			return Inserted{}, err
		}
	}
	return Inserted{ID: id, GUID: guid, ChatID: m.ChatID}, nil
}

// Join adds a chat_message_join row; date is the message's date (Apple
// keeps message_date equal to message.date with a trigger a fixture lacks).
func (t *Tx) Join(chatID, messageID, date int64) error {
	return t.exec(`INSERT OR IGNORE INTO chat_message_join (chat_id, message_id, message_date) VALUES (?, ?, ?)`,
		chatID, messageID, date)
}

// insertAttachment adds one attachment row, copying its file in first.
func (t *Tx) insertAttachment(messageID int64, a NewAttachment, date time.Time) (int64, error) {
	id, err := t.rowID("attachment", 0)
	if err != nil {
		return 0, err
	}
	guid := a.GUID
	if guid == "" {
		guid = DeriveGUID(t.w.seed, "attachment", id)
	}
	if a.Name == "" {
		a.Name = filepath.Base(a.Source)
		if a.Source == "" {
			a.Name = filepath.Base(a.Filename)
		}
	}
	if a.Source != "" {
		xx, yy := attachmentDirs(guid)
		a.Filename = "~/Library/Messages/Attachments/" + xx + "/" + yy + "/" + guid + "/" + a.Name
		n, err := copyFile(a.Source, filepath.Join(t.w.Home, a.Filename[2:]))
		if err != nil {
			return 0, err
		}
		a.TotalBytes = n
	}
	if a.UTI == "" || a.MimeType == "" {
		uti, mt := TypeOf(a.Name)
		if a.UTI == "" {
			a.UTI = uti
		}
		if a.MimeType == "" {
			a.MimeType = mt
		}
	}
	var created any
	if !date.IsZero() {
		created = date.Unix() - 978307200 // attachment dates are Apple-epoch seconds
	}
	err = t.exec(`INSERT INTO attachment (ROWID, guid, created_date, start_date, filename, uti, mime_type,
		transfer_state, is_outgoing, transfer_name, total_bytes, is_sticker, original_guid)
		VALUES (?, ?, ?, ?, ?, ?, ?, 5, ?, ?, ?, ?, ?)`,
		id, guid, created, created, a.Filename, a.UTI, nullIfEmpty(a.MimeType), a.IsOutgoing, a.Name,
		a.TotalBytes, a.IsSticker, guid)
	if err != nil {
		return 0, fmt.Errorf("insert attachment: %w", err)
	}
	return id, t.exec(`INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?, ?)`, messageID, id)
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil {
		return 0, err
	} else if fi.IsDir() {
		return 0, fmt.Errorf("%s: is a directory", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// utis are the uniform type identifiers Messages records for common files.
var utis = map[string][2]string{
	".jpg": {"public.jpeg", "image/jpeg"}, ".jpeg": {"public.jpeg", "image/jpeg"},
	".png": {"public.png", "image/png"}, ".heic": {"public.heic", "image/heic"},
	".gif": {"com.compuserve.gif", "image/gif"}, ".webp": {"org.webmproject.webp", "image/webp"},
	".mov": {"com.apple.quicktime-movie", "video/quicktime"}, ".mp4": {"public.mpeg-4", "video/mp4"},
	".caf": {"com.apple.coreaudio-format", "audio/x-caf"}, ".m4a": {"com.apple.m4a-audio", "audio/x-m4a"},
	".mp3": {"public.mp3", "audio/mpeg"}, ".pdf": {"com.adobe.pdf", "application/pdf"},
	".txt": {"public.plain-text", "text/plain"}, ".vcf": {"public.vcard", "text/vcard"},
	".zip": {"public.zip-archive", "application/zip"},
}

// TypeOf returns the UTI and MIME type Messages would record for a file
// name, falling back to public.data and the system MIME table.
func TypeOf(name string) (uti, mimeType string) {
	ext := strings.ToLower(filepath.Ext(name))
	if t, ok := utis[ext]; ok {
		return t[0], t[1]
	}
	mt := mime.TypeByExtension(ext)
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	return "public.data", mt
}

// MessageRef is what a tapback or reply needs to know about its target.
type MessageRef struct {
	ID     int64
	GUID   string
	ChatID int64 // the first chat it is joined to; 0 if none
	Text   string
}

// MessageByGUID reads a message inside the transaction; ok is false when
// there is no such guid.
func (t *Tx) MessageByGUID(guid string) (MessageRef, bool, error) {
	var r MessageRef
	var body []byte
	err := t.tx.QueryRowContext(t.ctx, `SELECT m.ROWID, m.guid, IFNULL(m.text, ''), m.attributedBody,
		IFNULL((SELECT chat_id FROM chat_message_join WHERE message_id = m.ROWID ORDER BY chat_id LIMIT 1), 0)
		FROM message m WHERE m.guid = ?`, guid).Scan(&r.ID, &r.GUID, &r.Text, &body, &r.ChatID)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if r.Text == "" && len(body) > 0 {
		r.Text = DecodeAttributedBody(body)
	}
	return r, true, nil
}
