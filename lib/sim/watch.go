package sim

import (
	"context"
	"strings"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// watchBatch is imsg's LIMIT per poll.
const watchBatch = 100

// urlBalloon is the balloon of a link-preview row, which Messages writes
// after the text row it previews.
const urlBalloon = "com.apple.messages.URLBalloonProvider"

// balloonWindow is how long after a row an identical link-preview row is
// treated as its duplicate.
const balloonWindow = 90 * time.Second

// subscription is one watch.subscribe: a cursor, imsg's filters, and the
// goroutine that polls for it.
type subscription struct {
	id           int64
	q            chatdb.AfterQuery
	participants map[string]bool // lower-cased; empty = everyone
	start, end   time.Time
	attachments  bool
	emitted      map[balloonKey]int64 // Apple-epoch date of the last emitted row per key
	pruneAt      int                  // emitted size that triggers forgetting old rows
	failed       bool                 // the error notification went out

	stop  chan struct{} // unsubscribe: stop now
	drain chan struct{} // stdin ended: catch up, then stop
	done  chan struct{}
}

type balloonKey struct {
	chatID int64
	fromMe bool
	sender string
	text   string
}

func (s *Server) subscribe(ctx context.Context, p params) reply {
	for _, k := range []string{"debounce_ms", "debounceMs"} {
		if p.has(k) {
			if v, ok := p.int(k); !ok || v < 0 {
				return reply{err: invalidParams("debounce_ms must be a non-negative integer")}
			}
		}
	}
	sub := &subscription{
		q:           chatdb.AfterQuery{Limit: watchBatch, IncludeReactions: p.flag("include_reactions")},
		attachments: p.flag("attachments"),
		emitted:     map[balloonKey]int64{},
		stop:        make(chan struct{}),
		drain:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	if v, ok := p.int("chat_id"); ok {
		sub.q.ChatID = v
	}
	for _, h := range p.strs("participants") {
		if sub.participants == nil {
			sub.participants = map[string]bool{}
		}
		sub.participants[strings.ToLower(h)] = true
	}
	var derr *jsonrpc2.Error
	if sub.start, derr = p.date("start"); derr != nil {
		return reply{err: derr}
	}
	if sub.end, derr = p.date("end"); derr != nil {
		return reply{err: derr}
	}
	// 0.9: omitted, null or 0 start at the tail; negative replays everything.
	since, _ := p.int("since_rowid")
	if since == 0 {
		tail, err := s.store.MaxRowID(ctx)
		if err != nil {
			return reply{err: internalError(err.Error())}
		}
		since = tail
	}
	sub.q.Cursor = since

	s.mu.Lock()
	s.nextSub++
	sub.id = s.nextSub
	s.subs[sub.id] = sub
	s.wg.Add(1)
	s.mu.Unlock()

	if s.opt.Faults.EarlyNotify {
		// The 0.9 race: the stream task starts before the response is
		// written, so replayed rows can arrive first.
		if _, err := s.poll(sub); err != nil {
			s.streamFailed(sub, err)
		}
	}
	result := struct {
		Subscription int64 `json:"subscription"`
	}{sub.id}
	return reply{result: result, after: func() { go s.follow(sub) }}
}

func (s *Server) unsubscribe(p params) reply {
	id, ok := p.int("subscription")
	if !ok {
		return reply{err: invalidParams("subscription is required")}
	}
	s.mu.Lock()
	sub := s.subs[id]
	delete(s.subs, id)
	s.mu.Unlock()
	if sub != nil {
		// Wait for the poller, so no notification follows the response.
		close(sub.stop)
		<-sub.done
	}
	return reply{result: struct {
		OK bool `json:"ok"`
	}{true}}
}

// follow polls for sub until it is stopped. A full batch is followed at
// once by the next poll; otherwise the next poll waits for the interval.
// (imsg 0.9 waits for its next file event or 5 s fallback poll even after
// a full batch; the simulator does not, so replaying 100k rows through
// watch takes seconds, not hours — clients must take bursts either way.)
func (s *Server) follow(sub *subscription) {
	defer s.wg.Done()
	defer close(sub.done)
	if sub.failed {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-sub.stop:
			return
		case <-sub.drain:
			// stdin ended: flush what chat.db holds now, as imsg drains.
			for {
				n, err := s.poll(sub)
				if err != nil {
					s.streamFailed(sub, err)
					return
				}
				if n < watchBatch {
					return
				}
			}
		case <-t.C:
		}
		n, err := s.poll(sub)
		if err != nil {
			s.streamFailed(sub, err)
			return
		}
		if n == watchBatch {
			t.Reset(0)
		} else {
			t.Reset(s.opt.Poll)
		}
	}
}

// poll runs one batch: the rows after the cursor, the cursor moved to the
// last of them, the filters, and one notification per remaining row. It
// returns how many rows the query gave.
func (s *Server) poll(sub *subscription) (int, error) {
	rows, err := s.store.RowsAfter(s.bg, sub.q)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	sub.q.Cursor = rows[len(rows)-1].ID
	keep := rows[:0:0]
	for i := range rows {
		if s.emit(sub, &rows[i]) {
			keep = append(keep, rows[i])
		}
	}
	msgs, err := s.store.Build(s.bg, keep, chatdb.BuildOptions{Attachments: sub.attachments, Reactions: sub.q.IncludeReactions})
	if err != nil {
		return 0, err
	}
	lines := make([][]byte, 0, len(msgs))
	for i := range msgs {
		if !sub.q.IncludeReactions {
			msgs[i].Reactions = []imsg.Reaction{}
		}
		b, err := marshal(notification{JSONRPC: "2.0", Method: "message",
			Params: messageParams{Subscription: sub.id, Message: &msgs[i]}})
		if err != nil {
			return 0, err
		}
		lines = append(lines, b)
	}
	if err := s.out.writeNotes(lines); err != nil {
		return 0, err
	}
	for i := range msgs {
		var rowAt int64
		if t, err := imsg.ParseTime(msgs[i].CreatedAt); err == nil {
			rowAt = t.UnixNano()
		}
		s.trace("notify", msgs[i].Text, rowAt)
	}
	return len(rows), nil
}

// emit applies the participant and date filters and the link-preview
// duplicate rule to a row, and remembers the rows it lets through.
func (s *Server) emit(sub *subscription, r *chatdb.Row) bool {
	if len(sub.participants) > 0 && !sub.participants[strings.ToLower(r.Sender)] {
		return false
	}
	t := r.Time()
	if !sub.start.IsZero() && t.Before(sub.start) {
		return false
	}
	if !sub.end.IsZero() && !t.Before(sub.end) {
		return false
	}
	key := balloonKey{chatID: r.ChatID, fromMe: r.IsFromMe, sender: r.Sender, text: r.Text}
	if r.BalloonBundleID == urlBalloon {
		if last, ok := sub.emitted[key]; ok && absDuration(r.Date-last) <= balloonWindow {
			return false
		}
	}
	if len(sub.emitted) >= sub.pruneAt {
		// Forget rows too old to matter; amortised, so a burst of rows
		// inside one window does not rescan the map on every row.
		for k, d := range sub.emitted {
			if absDuration(r.Date-d) > balloonWindow {
				delete(sub.emitted, k)
			}
		}
		sub.pruneAt = max(4096, 2*len(sub.emitted))
	}
	sub.emitted[key] = r.Date
	return true
}

func absDuration(ns int64) time.Duration {
	if ns < 0 {
		ns = -ns
	}
	return time.Duration(ns)
}

// streamFailed sends the error notification; the subscription is dead.
func (s *Server) streamFailed(sub *subscription, err error) {
	type errParams struct {
		Subscription int64 `json:"subscription"`
		Error        struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	var p errParams
	p.Subscription, p.Error.Message = sub.id, err.Error()
	b, _ := marshal(notification{JSONRPC: "2.0", Method: "error", Params: p})
	s.out.writeNotes([][]byte{b})
	sub.failed = true
	s.mu.Lock()
	delete(s.subs, sub.id)
	s.mu.Unlock()
}

type notification struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

type messageParams struct {
	Subscription int64         `json:"subscription"`
	Message      *imsg.Message `json:"message"`
}

// shutdown runs at EOF: every subscription catches up with chat.db and
// stops, then the server's queries are cancelled.
func (s *Server) shutdown() {
	s.mu.Lock()
	for id, sub := range s.subs {
		close(sub.drain)
		delete(s.subs, id)
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.cancel()
}
