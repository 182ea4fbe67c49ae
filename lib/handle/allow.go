package handle

import (
	"errors"
	"fmt"
	"strings"
)

// Wildcard is the allowlist entry that allows every sender.
const Wildcard = "*"

// AllowEntry is one parsed allowFrom entry.
type AllowEntry struct {
	Wildcard bool
	Kind     Kind
	ChatID   int64  // KindChatID
	Value    string // normalised handle, chat guid or chat identifier
}

// String gives the canonical spelling of the entry.
func (e AllowEntry) String() string {
	if e.Wildcard {
		return Wildcard
	}
	return Target{Kind: e.Kind, ChatID: e.ChatID, Value: e.Value, Service: ServiceAuto}.String()
}

// ParseAllowEntry parses an allowFrom entry (spec/channel-behaviour.md §6.3):
// "*", a chat prefix in any alias, or a handle with optional service
// prefixes. The reference accepted broken entries and turned them into junk
// handles that could match each other; here every bad entry is an error.
func ParseAllowEntry(entry, region string) (AllowEntry, error) {
	s, svc := stripService(entry)
	switch {
	case s == Wildcard && svc == "":
		return AllowEntry{Wildcard: true}, nil
	case s == "":
		return AllowEntry{}, fmt.Errorf("invalid allowlist entry %q: empty", entry)
	}
	if kind, value, ok := splitChatPrefix(s); ok {
		switch {
		case kind == KindChatID:
			id, ok := parseChatID(value)
			if !ok {
				return AllowEntry{}, fmt.Errorf("Invalid chat_id: %s", strings.TrimSpace(entry))
			}
			return AllowEntry{Kind: KindChatID, ChatID: id}, nil
		case value == "" && kind == KindChatGUID:
			return AllowEntry{}, errors.New("Invalid chat_guid entry")
		case value == "":
			return AllowEntry{}, errors.New("Invalid chat_identifier entry")
		}
		return AllowEntry{Kind: kind, Value: value}, nil
	}
	h, err := Normalize(s, region)
	if err != nil {
		return AllowEntry{}, err
	}
	return AllowEntry{Kind: KindHandle, Value: h}, nil
}

// Allowlist answers "may this sender, in this chat, get through?" for a
// fixed list of entries. Build it once per config; it is safe for
// concurrent use.
type Allowlist struct {
	region      string
	wildcard    bool
	n           int
	handles     map[string]bool
	chatIDs     map[int64]bool
	guids       map[string]bool
	identifiers map[string]bool
}

// NewAllowlist parses entries with region for national numbers. Bad entries
// are left out and reported, one error each, so a config loader can name
// them all at once; the good ones still work.
func NewAllowlist(entries []string, region string) (*Allowlist, []error) {
	a := &Allowlist{
		region:      region,
		handles:     map[string]bool{},
		chatIDs:     map[int64]bool{},
		guids:       map[string]bool{},
		identifiers: map[string]bool{},
	}
	var errs []error
	for _, raw := range entries {
		e, err := ParseAllowEntry(raw, region)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.n++
		switch {
		case e.Wildcard:
			a.wildcard = true
		case e.Kind == KindChatID:
			a.chatIDs[e.ChatID] = true
		case e.Kind == KindChatGUID:
			a.guids[e.Value] = true
		case e.Kind == KindChatIdentifier:
			a.identifiers[e.Value] = true
		default:
			a.handles[e.Value] = true
		}
	}
	return a, errs
}

// HasWildcard reports whether the list contains "*".
func (a *Allowlist) HasWildcard() bool { return a != nil && a.wildcard }

// Len is the number of valid entries.
func (a *Allowlist) Len() int {
	if a == nil {
		return 0
	}
	return a.n
}

// Allows reports whether a message from sender in the given chat passes the
// list (spec/channel-behaviour.md §6.4). An empty or nil list allows nobody;
// "*" allows everybody; a chat_id entry allows every sender in that chat,
// DMs included; chat_guid and chat_identifier entries match exactly (case
// sensitive); handle entries match the sender normalised with the list's
// region, so "+1 (555) 123-4567", "5551234567" and "+15551234567" are one
// person, and emails match case-insensitively.
func (a *Allowlist) Allows(sender string, chatID int64, chatGUID, chatIdentifier string) bool {
	if a == nil || a.n == 0 {
		return false
	}
	if a.wildcard {
		return true
	}
	if chatID > 0 && a.chatIDs[chatID] {
		return true
	}
	if g := strings.TrimSpace(chatGUID); g != "" && a.guids[g] {
		return true
	}
	if id := strings.TrimSpace(chatIdentifier); id != "" && a.identifiers[id] {
		return true
	}
	if len(a.handles) == 0 {
		return false
	}
	h, err := Normalize(sender, a.region)
	return err == nil && a.handles[h]
}
