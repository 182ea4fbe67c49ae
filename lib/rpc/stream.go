package rpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// noiseCap is how many unexpected stdout lines are kept for one grouped
// log entry; the rest are only counted.
const noiseCap = 64

// noiseLineMax is how much of one unexpected line is shown.
const noiseLineMax = 500

// stream is the jsonrpc2.ObjectStream over imsg's stdin and stdout.
//
// jsonrpc2's NewPlainObjectStream is not used: its json.Decoder does not
// split on lines, and its errors are sticky, so one banner line on stdout
// would end the connection. Here only '\n' ends a frame (U+2028 and U+2029
// are content), bytes are reassembled before any UTF-8 decoding, each line
// is decoded on its own, and anything that is not a frame is reported and
// skipped. Notifications never reach jsonrpc2: they are routed here, on the
// read goroutine, so they stay in order and keep their exact bytes.
type stream struct {
	c   *Client
	r   *bufio.Reader
	max int

	wmu sync.Mutex
	w   io.Writer

	endOnce sync.Once

	// Owned by the read goroutine; read by others only after readerDone.
	buf        []byte
	err        error
	lineNo     int
	noise      []string
	noiseExtra int
	sawJSON    bool
	noRPCHint  bool
}

// envelope is what tells a response from a notification. A result can be
// huge and jsonrpc2 decodes it anyway, so only its presence is noted here.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Params json.RawMessage `json:"params"`
	Result present         `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// present records that a member exists (even as null) without copying it.
type present bool

func (p *present) UnmarshalJSON([]byte) error {
	*p = true
	return nil
}

// WriteObject writes one compact JSON object and its newline in a single
// Write, so requests never interleave on imsg's stdin.
func (s *stream) WriteObject(obj any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err = s.w.Write(b)
	return err
}

// ReadObject returns the next response frame. Everything else on stdout is
// handled on the way. At the end of stdout it flushes the grouped noise and
// returns io.EOF, whatever the cause, so jsonrpc2 does not log it again.
func (s *stream) ReadObject(v any) error {
	<-s.c.ready // the read loop starts inside NewConn, before conn is set
	for {
		line, err := s.readLine()
		if line != nil && s.handle(line, v) {
			return nil
		}
		if err != nil {
			s.flushNoise()
			s.endOnce.Do(func() { close(s.c.readerDone) })
			return io.EOF
		}
	}
}

// Close is called by jsonrpc2 when the connection closes: imsg is told to
// exit by closing its stdin.
func (s *stream) Close() error {
	s.c.stop()
	return nil
}

// readLine returns the next line with its newline, a final unterminated
// line with the error that ended it, or nil for a line over the cap, which
// is drained and reported so one huge line cannot wedge the client.
func (s *stream) readLine() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if cap(s.buf) > 1<<20 {
		s.buf = nil // do not keep a huge buffer after a huge line
	}
	s.buf = s.buf[:0]
	total, over := 0, false
	for {
		chunk, err := s.r.ReadSlice('\n')
		total += len(chunk)
		if err == nil && total == len(chunk) && total <= s.max {
			return chunk, nil // the whole line sits in bufio's buffer
		}
		if !over && total > s.max {
			over, s.buf = true, nil
		}
		if !over {
			s.buf = append(s.buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			s.err = err
		}
		if over {
			s.lineNo++
			s.c.logf("imsg rpc: skipped stdout line %d: %d bytes is over the %d-byte limit", s.lineNo, total, s.max)
			return nil, err
		}
		if len(s.buf) == 0 {
			return nil, err
		}
		return s.buf, err
	}
}

// handle classifies one line; it reports whether v now holds a response.
func (s *stream) handle(line []byte, v any) bool {
	s.lineNo++
	line = bytes.Trim(line, " \t\r\n\v\f")
	if len(line) == 0 {
		return false
	}
	if !utf8.Valid(line) {
		s.c.logf("imsg rpc: stdout line %d is not valid UTF-8; bad bytes replaced with U+FFFD", s.lineNo)
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	if line[0] == '{' {
		var env envelope
		if json.Unmarshal(line, &env) == nil {
			s.flushNoise()
			s.sawJSON = true
			return s.frame(line, &env, v)
		}
	}
	s.noiseLine(line)
	return false
}

func (s *stream) frame(line []byte, env *envelope, v any) bool {
	hasID := len(env.ID) > 0 && string(env.ID) != "null"
	switch {
	case env.Method != nil && !hasID:
		s.c.notification(*env.Method, env.Params)
		return false
	case env.Method != nil:
		s.c.logf("imsg rpc: ignoring a request from imsg (method %q)", cleanText(*env.Method))
		return false
	case !bool(env.Result) && len(env.Error) == 0:
		s.c.logf("imsg rpc: ignoring stdout line %d: a JSON object that is neither a response nor a notification", s.lineNo)
		return false
	case !hasID:
		// imsg answers a request it could not parse with id null.
		s.c.logf("imsg rpc: imsg reported an error for no request: %s", cut(cleanText(errorText(env.Error)), 500))
		return false
	}
	if err := json.Unmarshal(line, v); err != nil {
		reflect.ValueOf(v).Elem().SetZero()
		s.c.logf("imsg rpc: ignoring malformed response on stdout line %d: %v", s.lineNo, err)
		return false
	}
	return true
}

// noiseLine buffers a non-JSON line for the grouped log entry and, the
// first time one states a permission denial, marks the client broken.
func (s *stream) noiseLine(line []byte) {
	text := string(line)
	if permissionRe.MatchString(text) {
		s.c.breakWith(&PermissionError{Detail: cut(cleanText(text), noiseLineMax)})
	}
	if noRPCRe.MatchString(text) {
		s.noRPCHint = true
	}
	if len(s.noise) >= noiseCap {
		s.noiseExtra++
		return
	}
	s.noise = append(s.noise, cut(cleanText(text), noiseLineMax))
}

// flushNoise logs the buffered lines as one entry; an empty buffer logs
// nothing.
func (s *stream) flushNoise() {
	if len(s.noise) == 0 {
		return
	}
	var b strings.Builder
	n := len(s.noise) + s.noiseExtra
	if n == 1 {
		b.WriteString("imsg rpc: unexpected output on stdout: ")
		b.WriteString(s.noise[0])
	} else {
		fmt.Fprintf(&b, "imsg rpc: unexpected output on stdout (%d lines):", n)
		for _, l := range s.noise {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
		if s.noiseExtra > 0 {
			fmt.Fprintf(&b, "\n  … %d more lines", s.noiseExtra)
		}
	}
	s.noise, s.noiseExtra = s.noise[:0], 0
	s.c.logf("%s", b.String())
}

// errorText renders an error object as "message (code N): data".
func errorText(raw json.RawMessage) string {
	var e struct {
		Code    int64           `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return rawText(raw)
	}
	s := fmt.Sprintf("%s (code %d)", e.Message, e.Code)
	if d := rawText(e.Data); d != "" {
		s += ": " + d
	}
	return s
}
