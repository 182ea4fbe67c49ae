package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Options configure Stream.
type Options struct {
	Runner Runner
	// Jobs is how many messages are answered at once (different sessions
	// only); at least 1.
	Jobs int
	// MaxPending bounds the messages read ahead of the answers (0: 1000).
	MaxPending int
	Log        *tool.Log
	// Ordered writes every record in input order: a reply, and the
	// records after it, wait until the replies before it are written. For
	// batch runs and goldens; live, it lets a slow session delay the
	// output of others.
	Ordered bool
	// OnReply, when set, is called after each reply is written (tests and
	// benchmarks count them).
	OnReply func(Reply)
}

// Stream answers every routed message from in with one reply record on out
// and passes every other record through. It returns at EOF once every
// message has its reply, or when ctx is cancelled: then answers still
// running are abandoned (imsg-listen delivers their messages again) and
// what was written is flushed. Lines that are not JSON objects are
// reported and skipped, and make Stream return an exit-1 error at EOF.
func Stream(ctx context.Context, in io.Reader, out io.Writer, opts Options) error {
	w := ndjson.NewWriter(out)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s := &streamer{opts: opts, w: w, ctx: runCtx}
	done := make(chan error, 1)
	go func() { done <- s.run(in) }()
	select {
	case err := <-done:
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	case <-ctx.Done():
		w.Flush()
		return nil
	}
}

type streamer struct {
	opts Options
	w    *ndjson.Writer
	ctx  context.Context

	// With Ordered: the next sequence number to write, and what waits.
	mu      sync.Mutex
	next    int64
	waiting map[int64][]byte
}

// emit writes the record with sequence number seq: at once, or with
// Ordered once every earlier record is written. A nil line is a message
// that gets no record (a shutdown abandoned it) and only frees its slot.
func (s *streamer) emit(seq int64, line []byte) error {
	if !s.opts.Ordered {
		if line == nil {
			return nil
		}
		return s.w.WriteRaw(line)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting == nil {
		s.waiting = map[int64][]byte{}
	}
	s.waiting[seq] = line
	for {
		l, ok := s.waiting[s.next]
		if !ok {
			return nil
		}
		delete(s.waiting, s.next)
		s.next++
		if l != nil {
			if err := s.w.WriteRaw(l); err != nil {
				return err
			}
		}
	}
}

func (s *streamer) run(in io.Reader) error {
	log := s.opts.Log
	pending := s.opts.MaxPending
	if pending <= 0 {
		pending = 1000
	}
	d := NewDispatcher(s.opts.Jobs, pending, s.answer)
	r := ndjson.NewReader(in)
	r.OnIdle(func() { s.w.Flush() })
	rejected := 0
	var failed error
	var seq int64
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
			failed = err
			break
		}
		if s.ctx.Err() != nil {
			break
		}
		if err := record.Validate(line); err != nil {
			log.Errorf("line %d: %v", r.Line(), err)
			rejected++
			continue
		}
		if kind, _ := record.String(line, record.KeyKind); kind != record.KindMessage {
			seq++
			if err := s.emit(seq-1, copyIf(s.opts.Ordered, line)); err != nil {
				failed = err
				break
			}
			continue
		}
		// The reader reuses its buffer; a job outlives this iteration.
		line = append([]byte(nil), line...)
		j, err := ParseJob(line, r.Line())
		if err != nil {
			log.Warnf("line %d: %v; passed through unanswered", r.Line(), err)
			seq++
			if err := s.emit(seq-1, line); err != nil {
				failed = err
				break
			}
			continue
		}
		j.seq = seq
		seq++
		// What was read so far leaves before we may block on a full queue.
		s.w.Flush()
		d.Submit(j)
	}
	d.Close()
	if failed != nil {
		return failed
	}
	if rejected > 0 {
		return tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", rejected)
	}
	return nil
}

// answer runs the agent for j and writes its one reply. A failure is
// reported with the session key and answered with no text; only a
// shutdown leaves a message unanswered, for imsg-listen to deliver again.
func (s *streamer) answer(j *Job) {
	text, err := s.run1(j)
	if s.ctx.Err() != nil {
		s.emit(j.seq, nil)
		return
	}
	if err != nil {
		s.opts.Log.Errorf("line %d: session %s: message %s: %v; answered with no text", j.LineNo, j.SessionKey, state.JournalKey(j.GUID, j.RowID), err)
	}
	rep := NewReply(j, text, err)
	line, merr := record.Marshal(rep)
	if merr != nil {
		s.opts.Log.Errorf("line %d: %v", j.LineNo, merr)
	}
	if werr := s.emit(j.seq, line); werr == nil {
		s.w.Flush()
	}
	if s.opts.OnReply != nil {
		s.opts.OnReply(rep)
	}
}

// copyIf copies line when it must outlive the reader's buffer.
func copyIf(cond bool, line []byte) []byte {
	if cond {
		return append([]byte(nil), line...)
	}
	return line
}

// run1 calls the runner, turning a panic into an error so that the
// message is still answered.
func (s *streamer) run1(j *Job) (text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("agent panicked: %v", p)
		}
	}()
	return s.opts.Runner.Answer(s.ctx, j)
}
