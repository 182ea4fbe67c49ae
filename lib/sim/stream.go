package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// maxLine caps one request line; a longer line is answered as a parse
// error and skipped, and reading goes on with the next line.
const maxLine = 64 << 20

// output is stdout: every response and notification is one Write of one
// line under one mutex, so lines never interleave, and it counts
// notifications for the crash-after fault.
type output struct {
	mu         sync.Mutex
	w          io.Writer
	notes      int
	crashAfter int
	exit       func(int)
}

// writeLine writes one complete JSON line (b without its newline).
func (o *output) writeLine(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.w.Write(append(b, '\n'))
	return err
}

// writeNotes writes a batch of notification lines in one Write. With
// crash-after=N it stops right after the Nth notification and exits 137,
// like a process killed by SIGKILL.
func (o *output) writeNotes(lines [][]byte) error {
	if len(lines) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	crash := false
	if o.crashAfter > 0 && o.notes+len(lines) >= o.crashAfter {
		lines, crash = lines[:o.crashAfter-o.notes], true
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	o.notes += len(lines)
	_, err := o.w.Write(buf.Bytes())
	if crash {
		o.exit(137)
	}
	return err
}

// writeError writes an error response with a raw id ("null" when absent).
func (o *output) writeError(id json.RawMessage, code int64, data string) error {
	b, _ := marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{Code: code, Message: imsg.ErrorMessage(code), Data: data}})
	return o.writeLine(b)
}

type rpcError struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

var nullID = json.RawMessage("null")

// requestID remembers how a request spelled its id, since jsonrpc2's ID
// type holds only unsigned numbers and strings and cannot tell an absent
// id from an explicit null.
type requestID struct {
	raw     json.RawMessage
	present bool
}

// lineStream is the jsonrpc2.ObjectStream of imsg's NDJSON framing. It
// reads one line at a time (jsonrpc2's plain stream uses a json.Decoder,
// whose syntax errors are sticky: one bad line would end the session),
// answers parse errors and invalid envelopes itself in imsg's exact form
// and keeps going, and hands each well-formed request to jsonrpc2 under a
// sequence-number id. On the way out it puts the caller's own id back:
// jsonrpc2 cannot express imsg's id rules (any JSON id echoed as sent, an
// explicit null answered with null, an absent id answered only on error),
// so they live here.
type lineStream struct {
	ctx   context.Context
	lines <-chan []byte // closed at EOF
	out   *output
	// halted makes the stream end as if stdin had: after a send that
	// never returns, nothing more is read (set by the send-hang fault).
	halted atomic.Bool

	mu  sync.Mutex
	seq uint64
	ids map[uint64]requestID
}

// readLines feeds lines from r to a channel and closes it, and eof, at
// EOF or on a read error. Reading ahead lets a hung handler notice EOF.
func readLines(r io.Reader, eof chan<- struct{}) <-chan []byte {
	ch := make(chan []byte, 16)
	go func() {
		defer close(eof)
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := readLine(br)
			if len(line) > 0 || (err == nil) {
				ch <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// readLine returns the next line without its newline. A line longer than
// maxLine is drained and returned as a single invalid byte, which the
// stream reports as a parse error.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= maxLine {
			line = append(line, chunk...)
		} else {
			line = []byte{0xff}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
}

// ReadObject implements jsonrpc2.ObjectStream.
func (s *lineStream) ReadObject(v any) error {
	for {
		if s.halted.Load() {
			return io.EOF
		}
		var line []byte
		var ok bool
		select {
		case line, ok = <-s.lines:
			if !ok {
				return io.EOF
			}
		case <-s.ctx.Done():
			return io.EOF
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		req, eerr := s.accept(line)
		if eerr == nil {
			// The rewritten request always decodes; should it not, the
			// line is rejected rather than the session ended.
			err := json.Unmarshal(req, v)
			if err == nil {
				return nil
			}
			eerr = &envelopeError{nullID, imsg.CodeInvalidRequest, err.Error()}
		}
		if werr := s.out.writeError(eerr.id, eerr.code, eerr.data); werr != nil {
			return werr
		}
	}
}

type envelopeError struct {
	id   json.RawMessage
	code int64
	data string
}

// accept checks a line as imsg 0.9 does and rewrites a good request for
// jsonrpc2 with a sequence-number id.
func (s *lineStream) accept(line []byte) ([]byte, *envelopeError) {
	if !utf8.Valid(line) {
		return nil, &envelopeError{nullID, imsg.CodeParseError, "invalid utf8"}
	}
	var probe any
	if err := json.Unmarshal(line, &probe); err != nil {
		return nil, &envelopeError{nullID, imsg.CodeParseError, err.Error()}
	}
	if _, ok := probe.(map[string]any); !ok {
		return nil, &envelopeError{nullID, imsg.CodeInvalidRequest, "request must be an object"}
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(line, &env); err != nil {
		return nil, &envelopeError{nullID, imsg.CodeParseError, err.Error()}
	}
	id := requestID{raw: nullID}
	if raw, ok := env["id"]; ok {
		id = requestID{raw: compact(raw), present: true}
	}
	if raw, ok := env["jsonrpc"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil || v != "2.0" {
			return nil, &envelopeError{id.raw, imsg.CodeInvalidRequest, "jsonrpc must be 2.0"}
		}
	}
	var method string
	if json.Unmarshal(env["method"], &method) != nil || method == "" {
		return nil, &envelopeError{id.raw, imsg.CodeInvalidRequest, "method is required"}
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.ids[seq] = id
	s.mu.Unlock()
	req := map[string]json.RawMessage{"id": json.RawMessage(strconv.FormatUint(seq, 10)), "method": env["method"]}
	if p, ok := env["params"]; ok {
		req["params"] = p
	}
	b, _ := json.Marshal(req)
	return b, nil
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// WriteObject implements jsonrpc2.ObjectStream: responses get their
// caller's id back; a success for a request without an id is dropped.
func (s *lineStream) WriteObject(obj any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return s.out.writeLine([]byte(`{"jsonrpc":"2.0","error":{"code":-32603,"message":"write failed"}}`))
	}
	var env struct {
		ID     *json.RawMessage `json:"id"`
		Method *string          `json:"method"`
		Result json.RawMessage  `json:"result"`
		Error  json.RawMessage  `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Method != nil || env.ID == nil {
		return s.out.writeLine(b)
	}
	seq, _ := strconv.ParseUint(string(*env.ID), 10, 64)
	s.mu.Lock()
	id, ok := s.ids[seq]
	delete(s.ids, seq)
	s.mu.Unlock()
	if !ok {
		return errors.New("response to an unknown request")
	}
	if !id.present && env.Error == nil {
		return nil
	}
	var buf bytes.Buffer
	buf.WriteString(`{"jsonrpc":"2.0","id":`)
	buf.Write(id.raw)
	if env.Error != nil {
		buf.WriteString(`,"error":`)
		buf.Write(unescapeHTML(env.Error))
	} else {
		buf.WriteString(`,"result":`)
		buf.Write(unescapeHTML(env.Result))
	}
	buf.WriteByte('}')
	return s.out.writeLine(buf.Bytes())
}

// Close implements jsonrpc2.ObjectStream. stdout stays open: the
// subscriptions still drain into it after stdin ends.
func (s *lineStream) Close() error { return nil }

// marshal is json.Marshal without HTML escaping: imsg writes "&", "<" and
// ">" as they are, and so does the simulator.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

// unescapeHTML undoes the \u003c, \u003e and \u0026 escapes encoding/json
// puts in what jsonrpc2 marshals. Escapes come in pairs (\X), so an escaped
// backslash followed by "u003c" in the text is left alone.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' {
			if r, ok := htmlEscapes[string(b[i+4:i+6])]; ok {
				out = append(out, r)
				i += 5
				continue
			}
		}
		out = append(out, c)
		if i+1 < len(b) {
			out = append(out, b[i+1])
			i++
		}
	}
	return out
}

var htmlEscapes = map[string]byte{"3c": '<', "3e": '>', "26": '&'}
