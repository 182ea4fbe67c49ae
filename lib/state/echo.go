package state

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Echo cache tuning.
const (
	// DefaultEchoTTL is how long a sent text matches its echo. The
	// reference's 4 s leaked duplicates on slow machines and long polls
	// (spec §19); a text match is also one-shot here, so a longer window
	// costs little.
	DefaultEchoTTL = 30 * time.Second
	// EchoRetention is how long a sent guid keeps matching, and the age at
	// which rows are pruned.
	EchoRetention = 24 * time.Hour
	// EchoMaxRows caps the table; the oldest rows go first.
	EchoMaxRows = 2000
)

// echoGUID cleans a message guid for the echo cache; "", "ok" and "unknown"
// are what imsg send answers when it has no real guid, and never match.
func echoGUID(g string) string {
	g = strings.TrimSpace(g)
	switch strings.ToLower(g) {
	case "", "ok", "unknown":
		return ""
	}
	return g
}

// RememberSent records a message the agent sent in scope (for example the
// canonical reply target), so its echo coming back through watch can be
// recognised. Call it after each sent part, with the guid imsg returned
// when it returned one. Old rows are pruned here.
func (s *Store) RememberSent(scope, guid, text string) error {
	g, t := echoGUID(guid), NormalizeEchoText(text)
	if g == "" && t == "" {
		return nil
	}
	now := s.now()
	err := s.write(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO echo (scope, guid, text, created) VALUES (?, ?, ?, ?)`,
			scope, g, t, now); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM echo WHERE created < ?`, now-EchoRetention.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM echo WHERE id <= (SELECT id FROM echo ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			EchoMaxRows)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: remember sent message: %w", err)
	}
	return nil
}

// SeenEcho reports whether an inbound message in scope is the echo of one
// the agent sent. Rules, in order:
//
//  1. A guid remembered in scope within EchoRetention is an echo, whatever
//     the text.
//  2. Otherwise the most recent unconsumed remembered text equal to text
//     (after NormalizeEchoText), remembered within ttl (DefaultEchoTTL when
//     ttl <= 0), is an echo, unless both it and the inbound message carry
//     real guids: those differ (rule 1 failed), so the message is a user
//     typing the same words, not the echo.
//
// A hit consumes the remembered text: one sent message swallows at most
// one inbound copy of its text, so a user who sends the same text right
// after is not dropped.
func (s *Store) SeenEcho(scope, guid, text string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		ttl = DefaultEchoTTL
	}
	g, t := echoGUID(guid), NormalizeEchoText(text)
	if g == "" && t == "" {
		return false, nil
	}
	now := s.now()
	var hit bool
	err := s.write(func(tx *sql.Tx) error {
		var id int64
		var rowGUID string
		if g != "" {
			err := tx.QueryRow(`SELECT id FROM echo WHERE scope = ? AND guid = ? AND created >= ?
				ORDER BY id DESC LIMIT 1`, scope, g, now-EchoRetention.Milliseconds()).Scan(&id)
			if err == nil {
				hit = true
				return consumeEcho(tx, id)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if t == "" {
			return nil
		}
		err := tx.QueryRow(`SELECT id, guid FROM echo WHERE scope = ? AND text = ? AND text_used = 0
			AND created >= ? ORDER BY created DESC, id DESC LIMIT 1`, scope, t, now-ttl.Milliseconds()).Scan(&id, &rowGUID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case g != "" && rowGUID != "":
			return nil
		}
		hit = true
		return consumeEcho(tx, id)
	})
	if err != nil {
		return false, fmt.Errorf("state: echo lookup: %w", err)
	}
	return hit, nil
}

// consumeEcho marks a row's text as matched. A guid hit consumes it too:
// the echo has arrived, so its text must not catch a later message.
func consumeEcho(tx *sql.Tx, id int64) error {
	_, err := tx.Exec(`UPDATE echo SET text_used = 1 WHERE id = ?`, id)
	return err
}

// NormalizeEchoText is the text key of the echo cache and of HashText. It
// removes the marker that attributedBody decoding can leave in front of a
// reflected message (#64309, #59973): a run of control characters,
// U+FFFD/U+FFFC/U+FFFE/U+FFFF/BOM or invalid bytes, possibly followed by
// one length byte that happens to be printable and more control characters
// ("\x93b\x02Confirmed" → "Confirmed"). It then removes zero-width
// characters and variation selectors, folds curly quotes to straight ones,
// and collapses every run of whitespace (newlines included) to one space,
// trimmed.
func NormalizeEchoText(s string) string {
	s = stripLeadingMarker(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case isInvisible(r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r {
		case '\u2018', '\u2019', '\u201a', '\u201b', '\u2032':
			r = '\''
		case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033':
			r = '"'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stripLeadingMarker drops leading whitespace, invisible characters and junk, and the
// "junk, one printable length byte, junk" shape of a typedstream length
// prefix. The middle byte is only dropped when junk (not mere whitespace)
// surrounds it, so "\nA\nB" keeps its A.
func stripLeadingMarker(s string) string {
	sawJunk := false
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isJunk(r) && !isBlank(r) {
			break
		}
		sawJunk = sawJunk || isJunk(r)
		i += size
	}
	if !sawJunk || i == len(s) {
		return s[i:]
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	j := i + size
	next, _ := utf8.DecodeRuneInString(s[j:])
	if j >= len(s) || !isJunk(next) {
		return s[i:]
	}
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isJunk(r) && !isBlank(r) {
			break
		}
		j += size
	}
	return s[j:]
}

// isInvisible reports zero-width characters and variation selectors, which
// change nothing a reader sees.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\ufeff', '\ufe0e', '\ufe0f':
		return true
	}
	return false
}

func isBlank(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }

// isJunk reports control characters other than whitespace, and the
// replacement, object-replacement, BOM and non-characters that stand in for
// undecodable bytes (invalid UTF-8 decodes as utf8.RuneError).
func isJunk(r rune) bool {
	switch r {
	case utf8.RuneError, '\ufffc', '\ufffe', '\uffff', '\ufeff':
		return true
	}
	return unicode.IsControl(r) && !unicode.IsSpace(r)
}
