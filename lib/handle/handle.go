// Package handle normalises iMessage handles (phone numbers and emails), send
// targets and allowlist entries, so that every stage compares the same
// canonical strings: E.164 phone numbers, lowercased emails, and the chat
// prefixes chat_id:, chat_guid: and chat_identifier: in one spelling.
//
// The rules follow the reference gateway (spec/channel-behaviour.md §6) with
// its known bugs fixed (§19): a handle that is neither a phone number nor an
// email is an error instead of the bare "+" the reference produced, national
// numbers get their country code from a region instead of a bare "+", and a
// chat prefix is always rewritten to its canonical spelling.
package handle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Canonical chat prefixes.
const (
	PrefixChatID         = "chat_id:"
	PrefixChatGUID       = "chat_guid:"
	PrefixChatIdentifier = "chat_identifier:"
)

// servicePrefixes are stripped from handles; in targets they pick the service.
var servicePrefixes = []Service{ServiceIMessage, ServiceSMS, ServiceAuto}

// chatAliases maps every accepted spelling (matched case-insensitively) of a
// chat prefix to its kind.
var chatAliases = []struct {
	alias string
	kind  Kind
}{
	{"chat_id:", KindChatID},
	{"chatid:", KindChatID},
	{"chat:", KindChatID},
	{"chat_guid:", KindChatGUID},
	{"chatguid:", KindChatGUID},
	{"guid:", KindChatGUID},
	{"chat_identifier:", KindChatIdentifier},
	{"chatidentifier:", KindChatIdentifier},
	{"chatident:", KindChatIdentifier},
}

// errEmpty is returned for blank input, after prefixes are stripped.
var errEmpty = errors.New("handle is empty")

// Normalize returns the canonical form of a handle: an E.164 phone number
// ("+15551234567") or a lowercased email. Surrounding space and any number
// of imessage:, sms: and auto: prefixes (any case) are removed first. A chat
// target ("ChatID: 7", "guid:iMessage;+;chat1") comes back in its canonical
// spelling ("chat_id:7"), its value trimmed and its case kept.
//
// National phone numbers take the calling code of region (an ISO country code
// such as "GB"; "" means "US"). Anything that is neither a phone number nor an
// email is an error: unlike the reference, "foo" never becomes "+".
//
// Normalize is idempotent: Normalize(Normalize(x)) == Normalize(x).
func Normalize(raw, region string) (string, error) {
	s, _ := stripService(raw)
	if s == "" {
		return "", errEmpty
	}
	if kind, value, ok := splitChatPrefix(s); ok {
		t, err := chatTarget(kind, value)
		if err != nil {
			return "", err
		}
		return t.String(), nil
	}
	if strings.Contains(s, "@") {
		return normalizeEmail(s)
	}
	return normalizePhone(s, region)
}

// stripService trims s and removes leading service prefixes, repeatedly, any
// case. It returns the rest and the outermost service found ("" for none).
func stripService(s string) (string, Service) {
	var first Service
	s = strings.TrimSpace(s)
	for {
		p, ok := servicePrefix(s)
		if !ok {
			return s, first
		}
		if first == "" {
			first = p
		}
		s = strings.TrimSpace(s[len(p)+1:])
	}
}

// servicePrefix reports which service prefix (with its colon) s starts with.
func servicePrefix(s string) (Service, bool) {
	for _, p := range servicePrefixes {
		if hasPrefixFold(s, string(p)+":") {
			return p, true
		}
	}
	return "", false
}

// splitChatPrefix recognises a chat prefix in any alias and capitalisation
// and returns its kind and the trimmed value (case kept).
func splitChatPrefix(s string) (Kind, string, bool) {
	for _, a := range chatAliases {
		if hasPrefixFold(s, a.alias) {
			return a.kind, strings.TrimSpace(s[len(a.alias):]), true
		}
	}
	return KindHandle, "", false
}

// IsChatTarget reports whether raw, after any service prefixes, starts with a
// chat prefix (chat_id:, chat_guid:, chat_identifier: or an alias, any case).
func IsChatTarget(raw string) bool {
	s, _ := stripService(raw)
	_, _, ok := splitChatPrefix(s)
	return ok
}

// parseChatID accepts only a positive base-10 integer. The reference parsed
// the leading digits ("12abc" → 12); a typo there would address the wrong
// chat, so this is deliberately stricter.
func parseChatID(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// chatTarget builds a chat target of kind from its trimmed value, with the
// reference's error messages.
func chatTarget(kind Kind, value string) (Target, error) {
	switch kind {
	case KindChatID:
		id, ok := parseChatID(value)
		if !ok {
			// The capitalised messages here are the reference's, kept verbatim
			// because users and scripts match on them.
			return Target{}, fmt.Errorf("Invalid chat_id: %s", value)
		}
		return Target{Kind: KindChatID, ChatID: id, Value: strconv.FormatInt(id, 10)}, nil
	case KindChatGUID:
		if value == "" {
			return Target{}, errors.New("chat_guid is required")
		}
	case KindChatIdentifier:
		if value == "" {
			return Target{}, errors.New("chat_identifier is required")
		}
	}
	return Target{Kind: kind, Value: value}, nil
}

// normalizeEmail lowercases an email after a sanity check: one "@", a
// non-empty local part, a dotted domain, no spaces or control characters.
func normalizeEmail(s string) (string, error) {
	if hasPrefixFold(s, "mailto:") {
		s = strings.TrimSpace(s[len("mailto:"):])
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("invalid email %q: %s", s, why)
	}
	if !utf8.ValidString(s) {
		return bad("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return bad("contains spaces or control characters")
		}
		if strings.ContainsRune(`,;:<>()[]\"`, r) {
			return bad(fmt.Sprintf("contains %q", r))
		}
	}
	local, domain, _ := strings.Cut(s, "@")
	switch {
	case strings.Contains(domain, "@"):
		return bad("more than one @")
	case local == "":
		return bad("nothing before @")
	case domain == "":
		return bad("nothing after @")
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return bad("domain is not a dotted name")
	}
	return strings.ToLower(s), nil
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII/Unicode case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
