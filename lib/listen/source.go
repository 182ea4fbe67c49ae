package listen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// A replaced chat.db (restored from a backup, rebuilt by an iCloud re-sync)
// numbers its rows anew. A cursor from the old file is then above every
// row, and imsg's watch would stay silent for ever. imsg gives no file
// identity over RPC, so the check uses what it does give: the newest
// message by date. In the database listen has been following, that message
// is either the one listen started after or one it has journalled; a newest
// message at or below the cursor that the journal has never seen can only
// come from a different file.

// checkSource probes imsg and, when the database was replaced, moves the
// watch to the new file's numbering. A probe that fails (a hung peer)
// ends the session, which restarts the child.
func (s *session) checkSource(ctx context.Context, client *rpc.Client, sub **rpc.Subscription) error {
	newest, found, err := newestMessage(ctx, client)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if !found {
		return nil
	}
	replaced, err := s.replaced(newest)
	if err != nil || !replaced {
		return err
	}
	cursor, _ := s.o.Store.Cursor()
	from, err := s.reseedPoint(ctx, client, newest)
	if err != nil {
		return err
	}
	s.o.Log.Warnf("chat.db looks replaced: its newest message (row %d) is at or below the cursor (row %d) "+
		"and was never seen; following the new database from row %d", newest.ID, max(cursor, s.e.lastRowID), from)
	if err := s.o.Store.ForgetPositions(from); err != nil {
		return err
	}
	if err := s.o.Store.SetSourceIdentity(identityOf(newest, true)); err != nil {
		return err
	}
	s.e.lastRowID = from
	stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_ = (*sub).Unsubscribe(stopCtx)
	cancel()
	next, err := s.subscribe(ctx, client, from)
	if err != nil {
		return err
	}
	*sub = next
	return nil
}

func (s *session) replaced(newest imsg.Message) (bool, error) {
	cursor, err := s.o.Store.Cursor()
	if err != nil {
		return false, err
	}
	cursor = max(cursor, s.e.lastRowID)
	if newest.ID > cursor {
		return false, nil // not reached yet: the watch will deliver it
	}
	key := state.JournalKey(newest.GUID, newest.ID)
	identity, err := s.o.Store.SourceIdentity()
	if err != nil || key == identity {
		return false, err
	}
	if _, err := s.o.Store.Status(key); !errors.Is(err, state.ErrNotFound) {
		return false, err // journalled (or the lookup failed): same database
	}
	return true, nil
}

// reseedPoint finds where to follow a new database from: before the oldest
// message of the recent window (the age fence, or ten minutes), so messages
// that arrived since the switch are not lost and old history is not
// replayed. It looks at the most recently active chats.
func (s *session) reseedPoint(ctx context.Context, client *rpc.Client, newest imsg.Message) (int64, error) {
	window := s.o.MaxAge
	if window <= 0 {
		window = 10 * time.Minute
	}
	created, err := imsg.ParseTime(newest.CreatedAt)
	if err != nil {
		return newest.ID - 1, nil
	}
	chats, err := client.ChatsList(ctx, 20)
	if err != nil {
		return 0, err
	}
	from := newest.ID
	for _, c := range chats {
		msgs, err := client.History(ctx, rpc.HistoryParams{ChatID: c.ID, Limit: 100, Start: created.Add(-window)})
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			from = min(from, m.ID)
		}
	}
	return from - 1, nil
}
