package route

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// History is where imsg-gate keeps the group messages it held back for
// lack of a mention; *state.Store implements it.
type History interface {
	History(chatKey string, limit int) ([]state.HistoryEntry, error)
	ClearHistory(chatKey string, throughID int64) (int64, error)
}

// Options configure Stream.
type Options struct {
	Router *Router
	// History is the pending group history; nil attaches none.
	History History
	// Changed, when set, reports whether the store may have changed since
	// the last call (state.ChangeWatch): while it has not, a chat found
	// without pending history is not looked up again. It is asked at most
	// once per read from the input, which keeps the common case free of
	// queries: imsg-gate commits a chat's history before it writes the
	// chat's next record, so every record a read returns was written after
	// the commits it depends on, and one check after the read sees them
	// all.
	Changed func() (bool, error)
	Log     *tool.Log
}

// Stream routes every message record from in to out and passes every
// other record through unchanged. A line that is not a JSON object is
// reported with its number and skipped; Stream then returns an exit-1 error
// at the end of input. It returns nil at EOF or when ctx is cancelled,
// after flushing what it wrote.
func Stream(ctx context.Context, in io.Reader, out io.Writer, opts Options) error {
	w := ndjson.NewWriter(out)
	done := make(chan error, 1)
	s := &streamer{opts: opts, w: w, ctx: ctx}
	go func() { done <- s.run(&readMark{r: in, fresh: &s.fresh}) }()
	select {
	case err := <-done:
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	case <-ctx.Done():
		// Stop intake: the reader may be blocked on a quiet pipe. What was
		// routed is flushed; the goroutine dies with the process.
		w.Flush()
		return nil
	}
}

type streamer struct {
	opts Options
	w    *ndjson.Writer
	ctx  context.Context
	// noHistory holds chats found without pending history since the store
	// last changed.
	noHistory map[string]bool
	jqFailed  map[int]bool
	// otherAccount holds the foreign account ids already warned about.
	otherAccount map[string]bool
	// fresh is set by each read from the input; the next history lookup
	// then asks Changed.
	fresh bool
	buf   []byte
	out   []byte
	msg   Message
}

// readMark notes every read from the input.
type readMark struct {
	r     io.Reader
	fresh *bool
}

func (m *readMark) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		*m.fresh = true
	}
	return n, err
}

func (s *streamer) run(in io.Reader) error {
	r := ndjson.NewReader(in)
	r.OnIdle(func() { s.w.Flush() })
	log := s.opts.Log
	rejected := 0
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *ndjson.LineError
		if errors.As(err, &le) {
			log.Errorf("%v", le)
			rejected++
			continue
		}
		if err != nil {
			return err
		}
		if s.ctx.Err() != nil {
			return nil
		}
		if err := record.Validate(line); err != nil {
			log.Errorf("line %d: %v", r.Line(), err)
			rejected++
			continue
		}
		if err := s.w.WriteRaw(s.route(line, r.Line())); err != nil {
			return err
		}
	}
	if rejected > 0 {
		return tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", rejected)
	}
	return nil
}

// route returns line with its route added, or line itself when it is not
// a message.
func (s *streamer) route(line []byte, n int) []byte {
	f := readRecord(line)
	if f.kind != record.KindMessage || isNull(f.message) || f.message[0] != '{' {
		return line
	}
	m := &s.msg
	parseMessage(f, m)
	if m.IsReaction {
		return line // a tapback is never answered as text
	}
	if acct := s.opts.Router.acct.ID; m.Account != "" && m.Account != acct && !s.otherAccount[m.Account] {
		if s.otherAccount == nil {
			s.otherAccount = map[string]bool{}
		}
		s.otherAccount[m.Account] = true
		s.opts.Log.Warnf("line %d: record of account %q routed with the settings of account %q (run one pipeline per account, with --account)", n, m.Account, acct)
	}
	var pred func(*Predicate) bool
	if s.opts.Router.hasPredicates {
		var decoded any
		pred = func(p *Predicate) bool {
			if decoded == nil {
				d := json.NewDecoder(bytes.NewReader(line))
				d.UseNumber()
				if err := d.Decode(&decoded); err != nil {
					return false
				}
			}
			return s.eval(p, decoded, n)
		}
	}
	res := s.opts.Router.Route(m, pred)
	if res.ChatType == PeerGroup && res.ChatKey != "" {
		if err := s.attachHistory(res); err != nil {
			// The held-back messages are context, not the message: route
			// it without them rather than stop the pipeline.
			s.opts.Log.Warnf("line %d: pending history of %s: %v; routed without it", n, res.ChatKey, err)
		}
	}
	Compose(m, res)
	s.buf = res.JSON(s.buf)
	return s.setRoute(line, f.hasRoute)
}

// setRoute adds s.buf to line as "route", into a buffer reused from record
// to record (record.Set allocates; the writer copies the line anyway). A
// record that already has a route gets it replaced by record.Set.
func (s *streamer) setRoute(line []byte, replace bool) []byte {
	if replace {
		return record.Set(line, record.KeyRoute, s.buf)
	}
	end := bytes.LastIndexByte(line, '}')
	body := bytes.TrimRight(line[:end], " \t\r\n")
	s.out = append(s.out[:0], body...)
	if body[len(body)-1] != '{' {
		s.out = append(s.out, ',')
	}
	s.out = append(s.out, `"route":`...)
	s.out = append(s.out, s.buf...)
	return append(s.out, '}')
}

// eval runs a predicate binding. A runtime error (a test on a missing
// field, say) counts as no match and is reported once per binding.
func (s *streamer) eval(p *Predicate, v any, line int) bool {
	iter := p.Code.RunWithContext(s.ctx, v)
	x, ok := iter.Next()
	if !ok {
		return false
	}
	if err, isErr := x.(error); isErr {
		if s.jqFailed == nil {
			s.jqFailed = map[int]bool{}
		}
		if !s.jqFailed[p.Index] {
			s.jqFailed[p.Index] = true
			s.opts.Log.Warnf("line %d: bindings[%d]: jq: %v; counted as no match (further errors of this binding are not reported)", line, p.Index, err)
		}
		return false
	}
	return x != nil && x != false
}

// attachHistory moves the chat's pending history onto the route: the most
// recent historyLimit entries, which are then cleared, as the reference
// clears a chat's history once a message of it is dispatched.
func (s *streamer) attachHistory(res *Result) error {
	limit := s.opts.Router.GroupHistoryLimit()
	if s.opts.History == nil || limit <= 0 {
		return nil
	}
	if s.opts.Changed != nil {
		if s.fresh || s.noHistory == nil {
			s.fresh = false
			changed, err := s.opts.Changed()
			if err != nil {
				return err
			}
			if changed || s.noHistory == nil {
				s.noHistory = map[string]bool{}
			}
		}
		if s.noHistory[res.ChatKey] {
			return nil
		}
	}
	entries, err := s.opts.History.History(res.ChatKey, limit)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		if s.noHistory != nil {
			s.noHistory[res.ChatKey] = true
		}
		return nil
	}
	res.History = entries
	if _, err := s.opts.History.ClearHistory(res.ChatKey, entries[len(entries)-1].ID); err != nil {
		return fmt.Errorf("clear: %w", err)
	}
	return nil
}
