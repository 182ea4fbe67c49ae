package chatdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// BuildOptions say which optional lookups a payload gets.
type BuildOptions struct {
	Attachments bool // fill attachments (else [])
	Reactions   bool // fill reactions with the current tapbacks (else [])
}

// History returns messages.history: the chat's messages newest first with
// their current tapbacks, and attachments when asked for.
func (s *Store) History(ctx context.Context, q HistoryQuery, attachments bool) ([]imsg.Message, error) {
	rows, err := s.HistoryRows(ctx, q)
	if err != nil {
		return nil, err
	}
	msgs, err := s.Build(ctx, rows, BuildOptions{Attachments: attachments, Reactions: true})
	if msgs == nil && err == nil {
		msgs = []imsg.Message{}
	}
	return msgs, err
}

// attachmentBatch is how many message ids one attachment lookup takes, as
// in imsg.
const attachmentBatch = 500

// Build turns rows into imsg message payloads (§1.6). The chat rows,
// participants, attachments, tapbacks and reply parents of the whole batch
// are each loaded with one query, so a 100-row watch poll costs a handful
// of statements, not hundreds.
func (s *Store) Build(ctx context.Context, rows []Row, opt BuildOptions) ([]imsg.Message, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var chatIDs, msgIDs []int64
	var guids, parents []string
	seenChat := map[int64]bool{}
	for i := range rows {
		r := &rows[i]
		if r.ChatID != 0 && !seenChat[r.ChatID] {
			seenChat[r.ChatID] = true
			chatIDs = append(chatIDs, r.ChatID)
		}
		msgIDs = append(msgIDs, r.ID)
		if r.GUID != "" {
			guids = append(guids, r.GUID)
		}
		if t, p := replyGUIDs(r); t != "" || p != "" {
			parents = append(parents, t, p)
		}
	}
	chats, err := s.chats(ctx, chatIDs)
	if err != nil {
		return nil, err
	}
	parts, err := s.participants(ctx, chatIDs)
	if err != nil {
		return nil, err
	}
	var atts map[int64][]imsg.Attachment
	if opt.Attachments {
		if atts, err = s.attachments(ctx, msgIDs); err != nil {
			return nil, err
		}
	}
	var reacts map[string][]imsg.Reaction
	if opt.Reactions && s.cols.reactions {
		if reacts, err = s.reactions(ctx, guids); err != nil {
			return nil, err
		}
	}
	var parentRows map[string]parentRow
	if len(parents) > 0 && s.cols.reactions {
		if parentRows, err = s.parents(ctx, parents); err != nil {
			return nil, err
		}
	}
	out := make([]imsg.Message, len(rows))
	for i := range rows {
		r := &rows[i]
		m := &out[i]
		*m = imsg.Message{
			ID: r.ID, ChatID: r.ChatID, GUID: r.GUID, Sender: r.Sender, IsFromMe: r.IsFromMe,
			Text: r.Text, CreatedAt: imsg.FormatTime(r.Time()),
			Attachments: atts[r.ID], Reactions: reacts[r.GUID],
			DestinationCallerID:  r.DestinationCallerID,
			ThreadOriginatorGUID: r.ThreadOriginatorGUID,
			Participants:         []string{},
		}
		if m.Attachments == nil {
			m.Attachments = []imsg.Attachment{}
		}
		if m.Reactions == nil {
			m.Reactions = []imsg.Reaction{}
		}
		if c, ok := chats[r.ChatID]; ok {
			m.ChatIdentifier, m.ChatGUID, m.ChatName = c.Identifier, c.GUID, c.Name
			m.IsGroup = c.IsGroup()
			m.Participants = parts[r.ChatID]
		}
		if r.IsReaction() {
			setReactionFields(m, r)
			continue
		}
		if r.AssociatedGUID != "" {
			m.ReplyToGUID = imsg.NormalizeGUID(r.AssociatedGUID)
		}
		thread, reply := replyGUIDs(r)
		for _, g := range []string{thread, reply} {
			if p, ok := parentRows[g]; ok && g != "" {
				m.ReplyToText, m.ReplyToSender = p.text, p.sender
				break
			}
		}
	}
	return out, nil
}

// replyGUIDs are the parent candidates of a non-reaction row, in imsg's
// order: the thread originator, then the (normalized) reply GUID.
func replyGUIDs(r *Row) (thread, reply string) {
	if r.IsReaction() {
		return "", ""
	}
	if r.AssociatedGUID != "" {
		reply = imsg.NormalizeGUID(r.AssociatedGUID)
	}
	return r.ThreadOriginatorGUID, reply
}

// setReactionFields adds the tapback event keys to a reaction row.
func setReactionFields(m *imsg.Message, r *Row) {
	m.IsReaction = true
	m.ReactedToGUID = imsg.NormalizeGUID(r.AssociatedGUID)
	name, emoji, add, _ := imsg.ReactionKind(r.AssociatedType)
	if name == "custom" {
		emoji = CustomEmoji(r.Text)
		if emoji == "" {
			name = ""
		}
	}
	m.ReactionType, m.ReactionEmoji = name, emoji
	m.IsReactionAdd = &add
}

// attachments loads the attachments of many messages, in batches.
func (s *Store) attachments(ctx context.Context, ids []int64) (map[int64][]imsg.Attachment, error) {
	out := map[int64][]imsg.Attachment{}
	const q = "SELECT maj.message_id, IFNULL(a.filename, ''), IFNULL(a.transfer_name, ''), IFNULL(a.uti, '')," +
		" IFNULL(a.mime_type, ''), IFNULL(a.total_bytes, 0), IFNULL(a.is_sticker, 0)" +
		" FROM message_attachment_join maj JOIN attachment a ON a.ROWID = maj.attachment_id" +
		" WHERE maj.message_id IN (SELECT value FROM json_each(?1)) ORDER BY maj.message_id, a.ROWID"
	for len(ids) > 0 {
		n := min(len(ids), attachmentBatch)
		rows, err := s.query(ctx, q, jsonInts(ids[:n]))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var a imsg.Attachment
			if err := rows.Scan(&id, &a.Filename, &a.TransferName, &a.UTI, &a.MimeType, &a.TotalBytes, &a.IsSticker); err != nil {
				rows.Close()
				return nil, err
			}
			a.OriginalPath = s.ExpandHome(a.Filename)
			a.Missing = missing(a.OriginalPath)
			out[id] = append(out[id], a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// ExpandHome expands a leading "~" in an attachment filename to s.Home.
func (s *Store) ExpandHome(p string) string {
	if s.Home == "" || (p != "~" && !strings.HasPrefix(p, "~/")) {
		return p
	}
	return filepath.Join(s.Home, p[1:])
}

// missing is imsg's rule: no path, no file, or a directory.
func missing(path string) bool {
	if path == "" {
		return true
	}
	fi, err := os.Stat(path)
	return err != nil || fi.IsDir()
}

type parentRow struct{ text, sender string }

// parents loads reply parent rows by guid.
func (s *Store) parents(ctx context.Context, guids []string) (map[string]parentRow, error) {
	q := "SELECT IFNULL(m.guid, ''), IFNULL(m.text, ''), " +
		col(s.cols.body, "CASE WHEN IFNULL(m.text, '') = '' THEN m.attributedBody END", "NULL") + ", IFNULL(h.id, ''), " +
		col(s.cols.destCaller, "IFNULL(m.destination_caller_id, '')", "''") +
		" FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id WHERE m.guid IN (SELECT value FROM json_each(?1))"
	rows, err := s.query(ctx, q, jsonStrings(guids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]parentRow{}
	for rows.Next() {
		var g, text, handle, dest string
		var body []byte
		if err := rows.Scan(&g, &text, &body, &handle, &dest); err != nil {
			return nil, err
		}
		if text == "" && len(body) > 0 {
			text = DecodeAttributedBody(body)
		}
		out[g] = parentRow{text: text, sender: senderOf(handle, dest)}
	}
	return out, rows.Err()
}
