package chatdb

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// Reactions returns the current tapbacks on the message with guid.
func (s *Store) Reactions(ctx context.Context, guid string) ([]imsg.Reaction, error) {
	if !s.cols.reactions || guid == "" {
		return []imsg.Reaction{}, nil
	}
	m, err := s.reactions(ctx, []string{guid})
	if err != nil {
		return nil, err
	}
	if m[guid] == nil {
		return []imsg.Reaction{}, nil
	}
	return m[guid], nil
}

// reactions loads the tapback rows aimed at any of guids (their
// associated_message_guid is the guid itself or ends in "/"+guid) in date
// order and folds each message's rows into its current state.
func (s *Store) reactions(ctx context.Context, guids []string) (map[string][]imsg.Reaction, error) {
	out := map[string][]imsg.Reaction{}
	if len(guids) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(guids))
	for _, g := range guids {
		want[g] = true
	}
	// The substr expression matches the simulator's expression index; on
	// an Apple database without it the same query is a scan, still correct.
	q := "SELECT r.ROWID, IFNULL(r.associated_message_guid, ''), r.associated_message_type, IFNULL(r.text, ''), " +
		col(s.cols.body, "CASE WHEN IFNULL(r.text, '') = '' THEN r.attributedBody END", "NULL") +
		", IFNULL(r.date, 0), IFNULL(r.is_from_me, 0), IFNULL(h.id, ''), " +
		col(s.cols.destCaller, "IFNULL(r.destination_caller_id, '')", "''") +
		" FROM message r LEFT JOIN handle h ON h.ROWID = r.handle_id" +
		" WHERE substr(r.associated_message_guid, instr(r.associated_message_guid, '/') + 1) IN (SELECT value FROM json_each(?1))" +
		" AND r.associated_message_type BETWEEN 2000 AND 3006 ORDER BY r.date, r.ROWID"
	rows, err := s.query(ctx, q, jsonStrings(guids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	states := map[string]*reactionState{}
	for rows.Next() {
		var ev reactionEvent
		var assoc, text, handle, dest string
		var body []byte
		var date int64
		if err := rows.Scan(&ev.id, &assoc, &ev.typ, &text, &body, &date, &ev.fromMe, &handle, &dest); err != nil {
			return nil, err
		}
		target := imsg.NormalizeGUID(assoc)
		if !want[target] {
			continue
		}
		if text == "" && len(body) > 0 {
			text = DecodeAttributedBody(body)
		}
		ev.text, ev.sender = text, senderOf(handle, dest)
		ev.createdAt = imsg.FormatTime(imsg.FromAppleNanos(date))
		st := states[target]
		if st == nil {
			st = &reactionState{}
			states[target] = st
		}
		st.apply(ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for g, st := range states {
		out[g] = st.list
	}
	return out, nil
}

type reactionEvent struct {
	id, typ      int64
	text, sender string
	fromMe       bool
	createdAt    string
}

// reactionState folds tapback rows, oldest first, into what the message
// shows now (§1.6): an add from the same sender, direction and type
// replaces the earlier one in place, and a removal deletes it.
type reactionState struct{ list []imsg.Reaction }

func (st *reactionState) apply(ev reactionEvent) {
	name, emoji, add, ok := imsg.ReactionKind(ev.typ)
	if !ok {
		return
	}
	if name == "custom" {
		emoji = CustomEmoji(ev.text)
		if emoji == "" && add {
			return // undecodable custom tapback: nothing to show
		}
	}
	same := func(r imsg.Reaction) bool {
		if r.Sender != ev.sender || r.IsFromMe != ev.fromMe || r.Type != name {
			return false
		}
		return name != "custom" || emoji == "" || r.Emoji == emoji
	}
	if !add {
		kept := st.list[:0]
		for _, r := range st.list {
			if !same(r) {
				kept = append(kept, r)
			}
		}
		st.list = kept
		return
	}
	r := imsg.Reaction{ID: ev.id, Type: name, Emoji: emoji, Sender: ev.sender, IsFromMe: ev.fromMe, CreatedAt: ev.createdAt}
	for i := range st.list {
		if same(st.list[i]) {
			st.list[i] = r
			return
		}
	}
	st.list = append(st.list, r)
}

// CustomEmoji finds the emoji of a custom tapback row: the text between
// "Reacted " and " to ", else the first emoji in the text (§3.6).
func CustomEmoji(text string) string {
	if rest, ok := strings.CutPrefix(text, "Reacted "); ok {
		if i := strings.Index(rest, " to "); i > 0 {
			return rest[:i]
		}
	}
	for i, r := range text {
		if isEmojiBase(r) {
			return emojiCluster(text[i:])
		}
	}
	return ""
}

// isEmojiBase reports whether r starts an emoji (pictographs, symbols,
// dingbats and the few BMP symbols Apple renders as emoji).
func isEmojiBase(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF,
		r >= 0x23E9 && r <= 0x23F3, r >= 0x23F8 && r <= 0x23FA:
		return true
	}
	switch r {
	case 0x203C, 0x2049, 0x2122, 0x2139, 0x231A, 0x231B, 0x3030, 0x303D, 0x3297, 0x3299, 0x00A9, 0x00AE:
		return true
	}
	return false
}

// emojiCluster takes one emoji from the start of s: the base plus any
// variation selector, skin-tone modifier, keycap and zero-width-joined part.
func emojiCluster(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		switch {
		case r == 0xFE0F || r == 0x20E3 || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F):
			n += size
		case r == 0x200D && n+size < len(s):
			_, next := utf8.DecodeRuneInString(s[n+size:])
			n += size + next
		default:
			return s[:n]
		}
	}
	return s
}

// reactionVerbs are the English texts Messages writes for tapback rows.
var reactionVerbs = map[string][2]string{
	"love":     {"Loved", "Removed a heart from"},
	"like":     {"Liked", "Removed a like from"},
	"dislike":  {"Disliked", "Removed a dislike from"},
	"laugh":    {"Laughed at", "Removed a laugh from"},
	"emphasis": {"Emphasized", "Removed an exclamation from"},
	"question": {"Questioned", "Removed a question mark from"},
}

// ReactionText is the text Messages stores on a tapback row, for example
// `Loved “hello”` or, for a custom emoji, `Reacted 🎉 to “hello”`.
func ReactionText(name, emoji string, add bool, target string) string {
	quoted := "“" + target + "”"
	if name == "custom" {
		if add {
			return "Reacted " + emoji + " to " + quoted
		}
		return "Removed " + emoji + " from " + quoted
	}
	v, ok := reactionVerbs[name]
	if !ok {
		return quoted
	}
	if add {
		return v[0] + " " + quoted
	}
	return v[1] + " " + quoted
}
