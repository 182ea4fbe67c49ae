package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/state"
)

var t0 = time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)

// mutableClock is a clock tests move by hand.
type mutableClock struct{ t time.Time }

func (c *mutableClock) Now() time.Time          { return c.t }
func (c *mutableClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// newGate builds a gate from JSON5 config text.
func newGate(t testing.TB, cfg string, opts Options) *Gate {
	t.Helper()
	g, _, err := buildGate(cfg, opts)
	if err != nil {
		t.Fatalf("New(%s) = %v", cfg, err)
	}
	return g
}

func buildGate(cfg string, opts Options) (*Gate, []Warning, error) {
	f, err := config.Parse("test.json5", []byte(cfg))
	if err != nil {
		return nil, nil, err
	}
	acct, err := f.Account("")
	if err != nil {
		return nil, nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Frozen{T: t0}
	}
	return New(f, acct, opts, nil)
}

// echoRow is a sent message remembered in the fake echo cache.
type echoRow struct {
	scope, guid, text string
	used              bool
}

// fakeLookups is an in-memory Lookups with the store's echo semantics
// (guid first; text one-shot, not when both carry different real guids).
type fakeLookups struct {
	approved map[string]bool
	echo     []*echoRow
	sent     map[string]bool
	scopes   []string // every Echo scope asked, in order
	fail     error
}

func (f *fakeLookups) Approved(h string) (bool, error) { return f.approved[h], f.fail }

func (f *fakeLookups) Echo(scope, guid, text string) (bool, error) {
	if f.fail != nil {
		return false, f.fail
	}
	f.scopes = append(f.scopes, scope+"|"+text)
	for _, r := range f.echo {
		if r.scope == scope && guid != "" && r.guid == guid {
			r.used = true
			return true, nil
		}
	}
	t := state.NormalizeEchoText(text)
	if t == "" {
		return false, nil
	}
	for i := len(f.echo) - 1; i >= 0; i-- {
		r := f.echo[i]
		if r.scope == scope && !r.used && state.NormalizeEchoText(r.text) == t {
			if guid != "" && r.guid != "" {
				return false, nil
			}
			r.used = true
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeLookups) SentGUID(g string) (bool, error) { return f.sent[g], f.fail }

// Message builders.
func dm(sender, text string) *imsg.Message {
	return &imsg.Message{ID: 10, ChatID: 1, GUID: "G-10", Sender: sender, Text: text,
		CreatedAt: "2026-05-16T08:59:00.000Z", ChatIdentifier: sender, ChatGUID: "iMessage;-;" + sender,
		Participants: []string{sender}}
}

func group(chatID int64, sender, text string) *imsg.Message {
	return &imsg.Message{ID: 20, ChatID: chatID, GUID: "G-20", Sender: sender, Text: text,
		CreatedAt: "2026-05-16T08:59:00.000Z", ChatIdentifier: "chat5551", ChatGUID: "iMessage;+;chat5551",
		ChatName: "Crew", Participants: []string{"+15550001111", "friend@example.com"}, IsGroup: true}
}

func with(m *imsg.Message, f func(*imsg.Message)) *imsg.Message { f(m); return m }

// cfg builds a config file from channels.imessage keys and other sections.
func cfg(imessage string, rest ...string) string {
	return "{channels: {imessage: {" + imessage + "}}, " + strings.Join(rest, ", ") + "}"
}

const patterns = `messages: {groupChat: {mentionPatterns: ["\\bclaw\\b"]}}`
