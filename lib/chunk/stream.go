package chunk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Stage is the name imsg-chunk gives itself in drop records.
const Stage = "imsg-chunk"

// Fields imsg-chunk owns on a reply record.
const (
	KeyText  = "text"
	KeyFiles = "files"
	KeyKey   = "key"
	KeyPart  = "part"
	KeyParts = "parts"
)

// Drop reasons.
const (
	ReasonNoKey   = "reply without key"
	ReasonBadText = "reply text is not a string"
)

// Resolver gives the settings for a reply of an account, answered by an
// agent (whose identity an "auto" prefix shows): the reply's agent_id
// (added by imsg-agent), else the agent of its session_key
// ("agent:<id>:…"), else "" for the default agent. Stream calls it from
// one goroutine.
type Resolver func(account, agent string) Settings

// Stream copies records from in to out, splitting every reply into its
// parts and passing every other record through byte for byte. Each part
// is the reply with text, part (1-based), parts and key replaced, every
// other field kept as it was; its key is "<reply key>#<part>", also for a
// reply of one part, so keys are uniform and imsg-send's ledger can tell
// the parts apart. Files stay on part 1 only (later parts get "files": []).
// A reply that already has a part number is passed through, so running the
// stage twice changes nothing.
//
// A line that is not a JSON object is reported on log with its number and
// skipped; Stream then returns an exit-1 error at the end of input. A
// reply without a key, or whose text is not a string, is dropped: reported
// on log and, when drops is not nil, appended to it with its reason. When
// ctx is cancelled (SIGINT/SIGTERM) Stream stops reading, flushes what it
// has written and returns nil; a reply's parts are written together, so a
// stop never leaves half a reply.
func Stream(ctx context.Context, in io.Reader, out io.Writer, log *tool.Log, drops io.Writer, resolve Resolver) error {
	st := &streamer{w: ndjson.NewWriter(out), log: log, resolve: resolve}
	if drops != nil {
		st.drops = ndjson.NewUnbufferedWriter(drops)
	}
	r := ndjson.NewReader(in)
	r.OnIdle(func() { st.w.Flush() })

	var mu sync.Mutex // held while a record is being handled
	stopped := false
	done := make(chan error, 1)
	go func() {
		bad := 0
		for {
			line, err := r.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				if le := (*ndjson.LineError)(nil); errors.As(err, &le) {
					log.Errorf("%v", le)
					bad++
					continue
				}
				done <- tool.WithCode(tool.ExitFailure, err)
				return
			}
			mu.Lock()
			if stopped {
				mu.Unlock()
				done <- nil
				return
			}
			rejected, err := st.handle(line, r.Line())
			mu.Unlock()
			if err != nil {
				done <- tool.WithCode(tool.ExitFailure, err)
				return
			}
			if rejected {
				bad++
			}
		}
		if err := st.w.Flush(); err != nil {
			done <- tool.WithCode(tool.ExitFailure, err)
			return
		}
		if bad > 0 {
			done <- tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", bad)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		stopped = true
		mu.Unlock()
		return tool.WithCode(tool.ExitFailure, st.w.Flush())
	}
}

type streamer struct {
	w                       *ndjson.Writer
	drops                   *ndjson.Writer
	log                     *tool.Log
	resolve                 Resolver
	account, session, agent memo
	// Scratch space reused from record to record.
	buf                                []byte
	edits                              []edit
	tmpText, tmpKey, tmpPart, tmpTotal []byte
}

// handle processes input line n. It reports whether the line was
// rejected as malformed; only a write error is returned.
func (st *streamer) handle(line []byte, n int) (rejected bool, err error) {
	if err := record.Validate(line); err != nil {
		st.log.Errorf("line %d: %v", n, err)
		return true, nil
	}
	f := scanFields(line)
	if !isReply(valueOf(line, f.kind)) {
		return false, st.w.WriteRaw(line)
	}
	out, reason := st.reply(line, f)
	if reason != "" {
		st.log.Warnf("line %d: dropped: %s", n, reason)
		if st.drops != nil {
			return false, st.drops.WriteRaw(record.Drop(line, Stage, reason))
		}
		return false, nil
	}
	return false, st.w.WriteRaw(out)
}

// reply returns the parts of a reply record, one per line, without the
// final newline (so one WriteRaw writes the whole reply), or why the
// record is dropped.
func (st *streamer) reply(obj []byte, f replyFields) ([]byte, string) {
	if f.part.ok() {
		return obj, ""
	}
	keyRaw := valueOf(obj, f.key)
	if len(keyRaw) <= 2 || keyRaw[0] != '"' {
		return nil, ReasonNoKey // absent, not a string, or ""
	}
	text, textIsString := "", false
	if raw := valueOf(obj, f.text); raw != nil && string(raw) != "null" {
		if text, textIsString = stringValue(raw); !textIsString {
			return nil, ReasonBadText
		}
	}
	account := st.account.get(valueOf(obj, f.account))
	agent := st.agent.get(valueOf(obj, f.agent))
	if agent == "" {
		agent = agentOf(st.session.get(valueOf(obj, f.session)))
	}
	pre, parts := reply(text, st.resolve(account, agent))

	st.tmpTotal = strconv.AppendInt(st.tmpTotal[:0], int64(len(parts)), 10)
	st.buf = st.buf[:0]
	for i, p := range parts {
		if i > 0 {
			st.buf = append(st.buf, '\n')
		}
		edits := st.edits[:0]
		if i == 0 && pre != "" {
			// One JSON string of pre and p, without joining them first.
			st.tmpText = record.AppendString(st.tmpText[:0], pre)
			n := len(st.tmpText) - 1 // pre's closing quote, p's opening one
			st.tmpText = record.AppendString(st.tmpText[:n], p)
			st.tmpText = append(st.tmpText[:n], st.tmpText[n+1:]...)
			edits = append(edits, edit{at: f.text, key: KeyText, val: st.tmpText})
		} else if !textIsString || p != text {
			st.tmpText = record.AppendString(st.tmpText[:0], p)
			edits = append(edits, edit{at: f.text, key: KeyText, val: st.tmpText})
		}
		if i > 0 && f.files.ok() {
			edits = append(edits, edit{at: f.files, key: KeyFiles, val: emptyList})
		}
		st.tmpKey = appendKey(st.tmpKey[:0], keyRaw)
		st.tmpKey = append(st.tmpKey[:len(st.tmpKey)-1], '#')
		st.tmpKey = append(strconv.AppendInt(st.tmpKey, int64(i+1), 10), '"')
		st.tmpPart = strconv.AppendInt(st.tmpPart[:0], int64(i+1), 10)
		edits = append(edits,
			edit{at: f.key, key: KeyKey, val: st.tmpKey},
			edit{at: f.part, key: KeyPart, val: st.tmpPart},
			edit{at: f.parts, key: KeyParts, val: st.tmpTotal})
		st.buf = appendEdited(st.buf, obj, edits)
		st.edits = edits
	}
	return st.buf, ""
}

var emptyList = []byte("[]")

// appendKey appends the key as a JSON string, re-encoded if it was escaped
// (so that "#N" can go before its closing quote).
func appendKey(dst, raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw...)
	}
	s, _ := stringValue(raw)
	return record.AppendString(dst, s)
}

// memo decodes a string field, reusing the last result while the raw
// bytes repeat (the account, session key and agent of consecutive replies
// mostly do), so the common case allocates nothing.
type memo struct {
	raw []byte
	val string
}

func (m *memo) get(raw []byte) string {
	if raw != nil && bytes.Equal(raw, m.raw) {
		return m.val
	}
	m.raw = append(m.raw[:0], raw...)
	m.val, _ = stringValue(raw)
	return m.val
}

// isReply reports whether a kind value is "reply" (escaped or not).
func isReply(raw []byte) bool {
	if string(raw) == `"reply"` {
		return true
	}
	kind, _ := stringValue(raw)
	return len(raw) > 0 && raw[0] == '"' && kind == record.KindReply
}

// valueOf returns the raw value at v, or nil when absent.
func valueOf(obj []byte, v span) []byte {
	if !v.ok() {
		return nil
	}
	return obj[v.s:v.e]
}
