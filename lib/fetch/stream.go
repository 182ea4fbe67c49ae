package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// KeyMediaBody is the record key of the attachment-only placeholder; it
// belongs to imsg-fetch, beside "media".
const KeyMediaBody = "media_body"

// Options configure Stream.
type Options struct {
	// Fetcher resolves attachments; nil passes every record through
	// untouched (includeAttachments is off).
	Fetcher *Fetcher
	// Prune, when positive, removes files of Cache older than it, at
	// start and then hourly while records flow.
	Prune time.Duration
	Cache *Cache
	Log   *tool.Log
}

// pruneEvery is how often a long run prunes again.
const pruneEvery = time.Hour

// Stream adds "media" (and "media_body") to every message record from in
// and writes it to out; every other record, and every message when
// Options.Fetcher is nil, passes through byte for byte. A line that is not
// a JSON object is reported with its number and skipped; Stream then
// returns an exit-1 error at the end of input. It returns nil at EOF or
// when ctx is cancelled, after flushing what it wrote.
func Stream(ctx context.Context, in io.Reader, out io.Writer, opts Options) error {
	w := ndjson.NewWriter(out)
	s := &streamer{opts: opts, w: w, ctx: ctx}
	s.prune()
	done := make(chan error, 1)
	go func() { done <- s.run(in) }()
	select {
	case err := <-done:
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	case <-ctx.Done():
		// Stop intake: the reader may be blocked on a quiet pipe, or a copy
		// in flight; what was written is flushed, and the message being
		// fetched is delivered again by imsg-listen after a restart.
		w.Flush()
		return nil
	}
}

type streamer struct {
	opts      Options
	w         *ndjson.Writer
	ctx       context.Context
	lastPrune time.Time
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
		if s.opts.Fetcher != nil {
			line = s.media(line, r.Line())
		}
		if err := s.w.WriteRaw(line); err != nil {
			return err
		}
	}
	if rejected > 0 {
		return tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", rejected)
	}
	return nil
}

// message is what imsg-fetch reads of the imsg payload.
type message struct {
	ChatID         int64             `json:"chat_id"`
	ChatGUID       string            `json:"chat_guid"`
	ChatIdentifier string            `json:"chat_identifier"`
	Sender         string            `json:"sender"`
	Text           string            `json:"text"`
	Attachments    []imsg.Attachment `json:"attachments"`
}

// media returns line with its media added, or line itself when it is not
// a message.
func (s *streamer) media(line []byte, n int) []byte {
	if kind, _ := record.String(line, record.KeyKind); kind != record.KindMessage {
		return line
	}
	raw, ok := record.Field(line, record.KeyMessage)
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return line
	}
	if v, _ := record.Field(raw, "is_reaction"); string(v) == "true" {
		return line // a tapback carries no attachments to fetch
	}
	if atts, ok := record.Field(raw, "attachments"); !ok || isEmptyList(atts) {
		// The common case, without decoding the message.
		return record.Set(line, record.KeyMedia, []byte("[]"))
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			a := "a"
			if strings.ContainsAny(te.Value[:1], "aeiou") {
				a = "an"
			}
			err = fmt.Errorf("message.%s is %s %s, not what imsg sends", te.Field, a, te.Value)
		}
		s.opts.Log.Warnf("line %d: %v; passed on without media", n, err)
		return line
	}
	entries := make([]Entry, 0, len(m.Attachments))
	if len(m.Attachments) > 0 {
		// A copy may take a while: nothing already done waits for it.
		s.w.Flush()
		s.prune()
		chat := ChatDir(m.ChatID, m.ChatGUID, m.ChatIdentifier, m.Sender)
		for _, a := range m.Attachments {
			entries = append(entries, s.opts.Fetcher.Resolve(s.ctx, chat, a))
		}
	}
	out, err := record.SetJSON(line, record.KeyMedia, entries)
	if err != nil {
		return line
	}
	if body := Body(m.Text, entries); body != "" {
		out, _ = record.SetJSON(out, KeyMediaBody, body)
	}
	return out
}

// prune removes old cached files when it is time.
func (s *streamer) prune() {
	if s.opts.Prune <= 0 || s.opts.Cache == nil {
		return
	}
	now := time.Now()
	if !s.lastPrune.IsZero() && now.Sub(s.lastPrune) < pruneEvery {
		return
	}
	s.lastPrune = now
	n, err := s.opts.Cache.Prune(s.opts.Prune, now)
	if err != nil {
		s.opts.Log.Warnf("prune %s: %v", s.opts.Cache.Dir, err)
	} else if n > 0 {
		s.opts.Log.Infof("pruned %d cached file(s) unused for %s", n, formatAge(s.opts.Prune))
	}
}

// isEmptyList reports whether raw JSON is null or an empty array.
func isEmptyList(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return true
	}
	if len(raw) < 2 || raw[0] != '[' {
		return false
	}
	return len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0
}

// formatAge writes whole days as ParseAge reads them (30d), else as a
// duration.
func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
