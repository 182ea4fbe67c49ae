package send

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// Settling: when a send's outcome is unknown (imsg-send was killed between
// the ledger's sending and sent, the call timed out, the child died under
// it), the row it would have written is looked for in messages.history of
// the target chat before anything is sent again.
const (
	// settleSlack is how far before the first attempt rows are looked at:
	// the Mac's clock (behind an SSH wrapper, another machine) may run a
	// little behind ours. imsg allows itself 2 s on one machine.
	settleSlack = 5 * time.Second
	// settleRows is how many rows of the chat are read per look; rows
	// are newest first and bounded by the start time, so this only has to
	// cover a busy group chat for the length of an outage.
	settleRows = 500
	// chatsToScan is how many chats (most recent first) are read to find
	// the chat of a target that is not a chat_id: one that got our message
	// is among the most recent.
	chatsToScan = 200
	// settlePoll is how often messages.history is asked again while a
	// send that may still land is awaited.
	settlePoll = 500 * time.Millisecond
	// settleTries is how many times a failing messages.history is asked,
	// however short the settle wait, before imsg counts as unavailable.
	settleTries = 3
)

// sentRow is the row a send wrote.
type sentRow struct {
	guid  string
	rowid int64
}

// matcher says whether a row from us is the unit's.
type matcher func(m *imsg.Message) bool

// matchText matches rows whose normalised text hashes to hash (the ledger's
// hash of the text), as in the ledger.
func matchText(hash string) matcher {
	return func(m *imsg.Message) bool { return state.HashText(m.Text) == hash }
}

// matchFile matches rows carrying an attachment of the file's name: imsg
// copies the file into Messages' folder under its own base name.
func matchFile(path string) matcher {
	base := filepath.Base(path)
	return func(m *imsg.Message) bool {
		for _, a := range m.Attachments {
			if a.TransferName == base || filepath.Base(a.Filename) == base || filepath.Base(a.OriginalPath) == base {
				return true
			}
		}
		return false
	}
}

func (dl *deliverer) matcherFor(u unit) matcher {
	if u.file != "" {
		return matchFile(u.file)
	}
	return matchText(state.HashText(u.text))
}

// chatIDs finds the chats a target's messages land in: the chat_id itself,
// or the chats.list entries with that guid or identifier, or the direct
// chats with that handle (iMessage and SMS may both exist). Found ids are
// cached; a target with no chat yet is asked again next time (a direct
// send creates its chat).
func (dl *deliverer) chatIDs(ctx context.Context, c *rpc.Client, t handle.Target) ([]int64, error) {
	if t.Kind == handle.KindChatID {
		return []int64{t.ChatID}, nil
	}
	key := t.Kind.String() + ":" + t.Value
	if ids, ok := dl.chats[key]; ok {
		return ids, nil
	}
	list, err := c.ChatsList(ctx, chatsToScan)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, ch := range list {
		if chatMatches(ch, t, dl.o.Region) {
			ids = append(ids, ch.ID)
		}
	}
	if len(ids) > 0 {
		dl.chats[key] = ids
	}
	return ids, nil
}

func chatMatches(ch imsg.Chat, t handle.Target, region string) bool {
	sameHandle := func(h string) bool {
		n, err := handle.Normalize(h, region)
		return err == nil && n == t.Value
	}
	switch t.Kind {
	case handle.KindChatGUID:
		return ch.GUID == t.Value
	case handle.KindChatIdentifier:
		// imsg sends to an identifier that looks like a handle as a
		// direct send to it.
		return ch.Identifier == t.Value || (!ch.IsGroup && sameHandle(t.Value) && sameHandle(ch.Identifier))
	default:
		if ch.IsGroup {
			return false
		}
		if sameHandle(ch.Identifier) {
			return true
		}
		return len(ch.Participants) == 1 && sameHandle(ch.Participants[0])
	}
}

// lookup reads the target's chats once and returns the oldest row from us
// since since that match accepts and that no other delivery already
// claimed. files asks imsg for attachment metadata.
func (dl *deliverer) lookup(ctx context.Context, t handle.Target, key string, match matcher, files bool, since time.Time) (sentRow, bool, error) {
	c, err := dl.peer.client(ctx)
	if err != nil {
		return sentRow{}, false, err
	}
	ids, err := dl.chatIDs(ctx, c, t)
	if err != nil {
		return sentRow{}, false, err
	}
	for _, id := range ids {
		msgs, err := c.History(ctx, rpc.HistoryParams{ChatID: id, Limit: settleRows,
			Start: since.Add(-settleSlack), Attachments: files})
		if err != nil {
			return sentRow{}, false, err
		}
		dl.peer.healthy()
		for i := len(msgs) - 1; i >= 0; i-- { // oldest first
			m := &msgs[i]
			if !m.IsFromMe || !match(m) {
				continue
			}
			if m.GUID != "" {
				owner, err := dl.store.DeliveryByGUID(m.GUID)
				if err == nil && owner.Key != key {
					continue // another delivery's row with the same text
				}
				if err != nil && !errors.Is(err, state.ErrNotFound) {
					return sentRow{}, false, err
				}
			}
			return sentRow{guid: m.GUID, rowid: m.ID}, true, nil
		}
	}
	return sentRow{}, false, nil
}

// settle looks for the unit's row, again and again for up to
// Options.SettleWait, because a send that may still be in flight can land
// late. It fails only when messages.history cannot be read at all for that
// long: then nothing may be sent (the outcome is unknown), and the caller
// stops with the peer unavailable.
func (dl *deliverer) settle(ctx context.Context, t handle.Target, key string, match matcher, files bool, since time.Time) (sentRow, bool, error) {
	deadline := time.Now().Add(dl.o.SettleWait)
	for tries := 1; ; tries++ {
		row, found, err := dl.lookup(ctx, t, key, match, files, since)
		if found {
			return row, true, nil
		}
		var ua *unavailableError
		over := !time.Now().Before(deadline)
		switch {
		case errors.As(err, &ua):
			return sentRow{}, false, err
		case ctx.Err() != nil:
			return sentRow{}, false, ctx.Err()
		case err == nil && over:
			return sentRow{}, false, nil
		case err != nil && over && tries >= settleTries:
			return sentRow{}, false, &unavailableError{errors.New("cannot tell whether " + key +
				" was sent: messages.history failed: " + err.Error())}
		case err != nil:
			dl.log.Warnf("%s: looking for the sent row: %v", key, err)
		}
		if err := sleep(ctx, max(min(settlePoll, time.Until(deadline)), 0)); err != nil {
			return sentRow{}, false, err
		}
	}
}
