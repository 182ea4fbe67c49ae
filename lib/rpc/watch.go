package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// EventKind tells what an Event carries.
type EventKind int

const (
	// EventMessage is one `message` notification: a new row.
	EventMessage EventKind = iota + 1
	// EventError is an `error` notification; the subscription is dead.
	// Resubscribe from the last cursor handled.
	EventError
	// EventOverflow is newer imsg's `watch.overflow`: the subscription has
	// ended; resume after ResumeAfterRowID.
	EventOverflow
	// EventClosed ends the subscription because the client ended (Err is
	// Client.Err()) or Unsubscribe was called (Err is ErrUnsubscribed).
	EventClosed
)

func (k EventKind) String() string {
	switch k {
	case EventMessage:
		return "message"
	case EventError:
		return "error"
	case EventOverflow:
		return "overflow"
	case EventClosed:
		return "closed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one item of a Subscription, in the order imsg sent it.
//
// A message event carries Raw, the message object byte for byte as imsg
// wrote it (pass it on as is: it keeps the fields this package does not
// know), and Message, its decoding. When the payload is malformed, Err says
// why and Message is incomplete: report it and skip it; the subscription
// goes on. Every other kind is terminal: it is the last event, and the
// channel closes after it.
type Event struct {
	Kind             EventKind
	Raw              json.RawMessage
	Message          imsg.Message
	Err              error // *WatchError for EventError, *OverflowError for EventOverflow
	ResumeAfterRowID int64 // EventOverflow only; 0 when imsg did not say
}

// Terminal reports whether the subscription ends with this event.
func (e Event) Terminal() bool { return e.Kind != EventMessage }

// OverflowError is a watch.overflow notification: imsg's buffer for the
// subscription filled up and it gave up on it.
type OverflowError struct {
	ResumeAfterRowID int64
	Reason           string
}

func (e *OverflowError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "overflow"
	}
	return fmt.Sprintf("imsg rpc watch overflow (%s); resume after row %d", reason, e.ResumeAfterRowID)
}

// eventBuffer lets a consumer that handles events in batches find the next
// ones already waiting, so a catch-up burst is journalled in a few large
// transactions instead of one per row.
const eventBuffer = 256

// Subscription is one watch.subscribe. Read Events until it closes.
type Subscription struct {
	ID          int64
	BufferLimit int // reported by newer imsg; 0 from 0.9

	c     *Client
	ch    chan Event
	wake  chan struct{}
	queue []Event // guarded by c.mu
	over  bool    // a terminal event is queued; guarded by c.mu
}

// Events delivers the subscription's events in order. The last one is
// terminal, then the channel closes. Events wait in memory while the reader
// is slow; past Options.QueueLimit the client stops reading imsg's stdout
// (which slows imsg down), except while a call awaits its answer.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Unsubscribe ends the subscription; see Client.Unsubscribe.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	return s.c.Unsubscribe(ctx, s.ID)
}

func (s *Subscription) pump() {
	c := s.c
	for {
		c.mu.Lock()
		for len(s.queue) == 0 {
			c.mu.Unlock()
			<-s.wake
			c.mu.Lock()
		}
		ev := s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
		c.mu.Unlock()

		s.ch <- ev

		c.mu.Lock()
		c.queued--
		c.cond.Broadcast()
		c.mu.Unlock()
		if ev.Terminal() {
			close(s.ch)
			return
		}
	}
}

// enqueueLocked appends ev; a terminal event retires the subscription id so
// that stragglers for it are dropped.
func (c *Client) enqueueLocked(s *Subscription, ev Event) {
	if s.over {
		return
	}
	s.queue = append(s.queue, ev)
	c.queued++
	if ev.Terminal() {
		s.over = true
		delete(c.subs, s.ID)
		c.ended[s.ID] = true
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// noteParams keeps every member but the routing key raw, so that one odd
// member cannot make a notification unroutable.
type noteParams struct {
	Subscription *json.Number    `json:"subscription"`
	Message      json.RawMessage `json:"message"`
	Error        json.RawMessage `json:"error"`
	ResumeAfter  json.RawMessage `json:"resume_after_rowid"`
	Reason       json.RawMessage `json:"reason"`
}

type unclaimed struct {
	id int64
	ev Event
}

// notification routes one notification; it runs on the read goroutine, so
// events keep imsg's order.
func (c *Client) notification(method string, params json.RawMessage) {
	var p noteParams
	routed := method == "message" || method == "error" || method == "watch.overflow"
	if routed && (json.Unmarshal(params, &p) != nil || p.Subscription == nil) {
		routed = false
	}
	var id int64
	if routed {
		var err error
		if id, err = p.Subscription.Int64(); err != nil {
			routed = false
		}
	}
	if !routed {
		if c.opts.OnNotify != nil {
			c.opts.OnNotify(method, params)
		} else {
			c.logf("imsg rpc: ignoring notification %q", cleanText(method))
		}
		return
	}
	ev := makeEvent(method, params, &p)

	var warn string
	c.mu.Lock()
	switch s := c.subs[id]; {
	case s != nil:
		c.enqueueLocked(s, ev)
	case c.ended[id]:
		// a straggler after the end; the consumer has been told
	case c.subscribing > 0:
		// imsg 0.9 can write replayed rows before the subscribe response.
		c.early = append(c.early, unclaimed{id, ev})
		c.queued++
	case !c.warned[id]:
		c.warned[id] = true
		warn = fmt.Sprintf("imsg rpc: dropping notifications for unknown subscription %d", id)
	}
	for c.queued >= c.opts.QueueLimit && c.inflight == 0 && !c.stopping {
		c.cond.Wait()
	}
	c.mu.Unlock()
	if warn != "" {
		c.logf("%s", warn)
	}
}

func makeEvent(method string, params json.RawMessage, p *noteParams) Event {
	switch method {
	case "error":
		// imsg nests {"message":…} under "error"; some builds put code and
		// message beside the subscription id.
		payload := p.Error
		if payload == nil {
			payload = params
		}
		w := SanitizeWatchError(payload)
		return Event{Kind: EventError, Err: &w}
	case "watch.overflow":
		var resume int64
		_ = json.Unmarshal(p.ResumeAfter, &resume) // 0 (unknown) unless an integer
		return Event{Kind: EventOverflow, ResumeAfterRowID: resume,
			Err: &OverflowError{ResumeAfterRowID: resume, Reason: cut(cleanText(rawText(p.Reason)), 200)}}
	}
	ev := Event{Kind: EventMessage, Raw: p.Message}
	if len(p.Message) == 0 || p.Message[0] != '{' {
		ev.Err = errors.New("message notification without a message object")
		return ev
	}
	if err := json.Unmarshal(p.Message, &ev.Message); err != nil {
		ev.Err = fmt.Errorf("malformed message: %w", err)
	}
	return ev
}

// Subscribe calls watch.subscribe and returns the subscription. Messages
// imsg writes before its answer (0.9 does, when replaying) are kept and
// delivered first.
func (c *Client) Subscribe(ctx context.Context, p WatchParams) (*Subscription, error) {
	c.mu.Lock()
	c.subscribing++
	c.mu.Unlock()

	var res struct {
		Subscription json.Number `json:"subscription"`
		BufferLimit  int         `json:"buffer_limit"`
	}
	err := c.call(ctx, "watch.subscribe", p.wire(), &res, c.lateSubscribe)
	var id int64
	if err == nil {
		if id, err = res.Subscription.Int64(); err == nil && id <= 0 {
			err = errors.New("bad id")
		}
		if err != nil {
			err = fmt.Errorf("imsg rpc watch.subscribe: no subscription id in the answer (%q)", res.Subscription)
		}
	}

	c.mu.Lock()
	c.subscribing--
	var s *Subscription
	if err == nil {
		s = &Subscription{ID: id, BufferLimit: res.BufferLimit, c: c, ch: make(chan Event, eventBuffer), wake: make(chan struct{}, 1)}
		c.subs[id] = s
		keep := c.early[:0]
		for _, u := range c.early {
			if u.id == id {
				c.queued-- // enqueueLocked counts it again
				c.enqueueLocked(s, u.ev)
			} else {
				keep = append(keep, u)
			}
		}
		c.early = keep
		if c.finished {
			c.enqueueLocked(s, Event{Kind: EventClosed, Err: c.err})
		}
	}
	dropped := 0
	if c.subscribing == 0 {
		dropped = len(c.early)
		c.queued -= dropped
		c.early = nil
		c.cond.Broadcast()
	}
	c.mu.Unlock()

	if dropped > 0 {
		c.logf("imsg rpc: dropped %d notifications for subscriptions this client does not hold", dropped)
	}
	if err != nil {
		return nil, err
	}
	go s.pump()
	return s, nil
}

// lateSubscribe handles an answer to a watch.subscribe that timed out: the
// subscription exists in imsg but nobody holds it, so it is cancelled.
func (c *Client) lateSubscribe(result json.RawMessage) {
	var res struct {
		Subscription json.Number `json:"subscription"`
	}
	if json.Unmarshal(result, &res) != nil {
		return
	}
	id, err := res.Subscription.Int64()
	if err != nil {
		return
	}
	c.mu.Lock()
	c.ended[id] = true
	c.mu.Unlock()
	c.logf("imsg rpc: watch.subscribe answered after its timeout; cancelling subscription %d", id)
	_ = c.Unsubscribe(context.Background(), id)
}

// Unsubscribe calls watch.unsubscribe and ends the local subscription
// whatever imsg answers: events already received are still delivered, then
// a terminal EventClosed with ErrUnsubscribed; later stragglers are dropped.
func (c *Client) Unsubscribe(ctx context.Context, id int64) error {
	var res struct {
		OK bool `json:"ok"`
	}
	err := c.Call(ctx, "watch.unsubscribe", unsubscribeParams{Subscription: id}, &res)
	c.mu.Lock()
	if s := c.subs[id]; s != nil {
		c.enqueueLocked(s, Event{Kind: EventClosed, Err: ErrUnsubscribed})
	}
	c.ended[id] = true
	c.mu.Unlock()
	return err
}
