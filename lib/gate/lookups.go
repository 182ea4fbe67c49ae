package gate

import (
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// refreshEvery bounds how stale the in-memory view of the store may get
// while records stream in without a pause: an approval or revocation made
// by imsg-pair, or a sent message remembered by imsg-send, is seen within
// this much wall time (and at once whenever the input goes idle).
const refreshEvery = time.Millisecond

// storeLookups answers Lookups from the account's state store. A query per
// message would cap the stage at a few ten thousand records a second, so
// the approved senders and an index of the echo cache are kept in memory
// and reloaded only when the database changed (state.ChangeWatch). The
// echo index is a superset of the cache — rows are added as they appear and
// forgotten only once expired — so it can only say "maybe" too often,
// never "no" wrongly; a "maybe" is settled, and consumed, by the store.
type storeLookups struct {
	store *state.Store
	watch *state.ChangeWatch
	clock clock.Clock
	ttl   time.Duration

	approved   map[string]bool
	echo       map[string]*scopeIndex
	echoRows   int
	lastEchoID int64

	force     bool
	lastCheck time.Time // wall clock
	// pending is the live pairing requests: sender → expiry.
	pending map[string]time.Time
}

type scopeIndex struct {
	guids map[string]time.Time // guid → created
	texts map[string]time.Time // normalised text → newest created
}

func newStoreLookups(s *state.Store, clk clock.Clock, ttl time.Duration) (*storeLookups, error) {
	w, err := s.WatchChanges()
	if err != nil {
		return nil, err
	}
	return &storeLookups{store: s, watch: w, clock: clk, ttl: ttl, force: true,
		approved: map[string]bool{}, echo: map[string]*scopeIndex{}, pending: map[string]time.Time{}}, nil
}

func (l *storeLookups) close() error { return l.watch.Close() }

// invalidate makes the next lookup check the store for changes.
func (l *storeLookups) invalidate() { l.force = true }

// refresh reloads what changed, at most every refreshEvery unless forced.
// The stream calls it once per record, before the decision.
func (l *storeLookups) refresh() error {
	if !l.force && time.Since(l.lastCheck) < refreshEvery {
		return nil
	}
	l.force, l.lastCheck = false, time.Now()
	changed, err := l.watch.Changed()
	if err != nil || !changed {
		return err
	}
	list, err := l.store.ListApproved()
	if err != nil {
		return err
	}
	clear(l.approved)
	for _, a := range list {
		l.approved[a.Handle] = true
	}
	reqs, err := l.store.LivePairings()
	if err != nil {
		return err
	}
	clear(l.pending)
	for _, r := range reqs {
		l.pending[r.Sender] = r.Expires
	}
	rows, err := l.store.EchoRowsAfter(l.lastEchoID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		l.lastEchoID = r.ID
		ix := l.echo[r.Scope]
		if ix == nil {
			ix = &scopeIndex{guids: map[string]time.Time{}, texts: map[string]time.Time{}}
			l.echo[r.Scope] = ix
		}
		if r.GUID != "" {
			ix.guids[r.GUID] = r.Created
		}
		if r.Text != "" && r.Created.After(ix.texts[r.Text]) {
			ix.texts[r.Text] = r.Created
		}
		l.echoRows++
	}
	if l.echoRows > 2*state.EchoMaxRows {
		l.expireEcho()
	}
	return nil
}

// expireEcho forgets index entries too old to match.
func (l *storeLookups) expireEcho() {
	now := l.clock.Now()
	l.echoRows = 0
	for scope, ix := range l.echo {
		for g, t := range ix.guids {
			if now.Sub(t) > state.EchoRetention {
				delete(ix.guids, g)
			}
		}
		for s, t := range ix.texts {
			if now.Sub(t) > l.ttl {
				delete(ix.texts, s)
			}
		}
		if len(ix.guids)+len(ix.texts) == 0 {
			delete(l.echo, scope)
		}
		l.echoRows += len(ix.guids) + len(ix.texts)
	}
}

func (l *storeLookups) Approved(h string) (bool, error) {
	return l.approved[h], nil
}

func (l *storeLookups) Echo(scope, guid, text string) (bool, error) {
	ix := l.echo[scope]
	if ix == nil {
		return false, nil
	}
	_, maybe := ix.guids[strings.TrimSpace(guid)]
	if !maybe && text != "" {
		t, ok := ix.texts[state.NormalizeEchoText(text)]
		maybe = ok && l.clock.Now().Sub(t) <= l.ttl
	}
	if !maybe {
		return false, nil
	}
	return l.store.SeenEcho(scope, guid, text, l.ttl)
}

// pairing reports whether sender has a live pairing request, and whether
// the account holds as many live requests as it may.
func (l *storeLookups) pairing(sender string) (pending, full bool, err error) {
	now := l.clock.Now()
	live := 0
	for s, exp := range l.pending {
		if now.Before(exp) {
			live++
			pending = pending || s == sender
		}
	}
	return pending, live >= state.MaxPendingPairings, nil
}

func (l *storeLookups) SentGUID(guid string) (bool, error) {
	return l.store.IsSentGUID(guid)
}
