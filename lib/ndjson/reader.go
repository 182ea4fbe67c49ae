// Package ndjson frames newline-delimited JSON: a Reader that splits lines
// without bufio.Scanner's fatal size limit and reports bad lines with their
// numbers, and a Writer that emits one record per line and never lets a
// record sit in a buffer while the pipeline waits for input.
package ndjson

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the longest line a Reader accepts by default. A message
// with a long text is legitimate; a runaway line past this is not.
const DefaultMaxLine = 16 << 20

// LineError is a problem with one input line. The stage reports it and goes
// on with the next line.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrTooLong is the cause of a LineError for a line over the limit.
var ErrTooLong = errors.New("line too long")

// Reader reads lines. It is not safe for concurrent use.
type Reader struct {
	br      *bufio.Reader
	line    int
	max     int
	acc     []byte
	idle    func()
	pending error
}

// NewReader returns a Reader over r with DefaultMaxLine.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: DefaultMaxLine}
}

// SetMaxLine sets the longest accepted line in bytes.
func (r *Reader) SetMaxLine(n int) { r.max = n }

// OnIdle registers f to run whenever the next read would wait for more
// input. Stages flush their Writer there: a burst of input is written in
// large batches, a single live record leaves at once.
func (r *Reader) OnIdle(f func()) { r.idle = f }

// Line is the number of the line Next returned last (1-based).
func (r *Reader) Line() int { return r.line }

// Next returns the next non-blank line without its line ending. The slice is
// valid until the following call. An oversized line is drained and reported
// as a *LineError; the caller reports it and calls Next again. At the end of
// input Next returns io.EOF; a final line without a newline is still returned.
func (r *Reader) Next() ([]byte, error) {
	for {
		b, err := r.readLine()
		if err != nil {
			return nil, err
		}
		b = bytes.TrimRight(b, "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		return b, nil
	}
}

func (r *Reader) readLine() ([]byte, error) {
	if r.pending != nil {
		err := r.pending
		r.pending = nil
		return nil, err
	}
	r.acc = r.acc[:0]
	tooLong := false
	for {
		if r.idle != nil && !r.lineBuffered() {
			r.idle()
		}
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			content := len(r.acc) + len(chunk)
			if err == nil {
				content-- // the newline is not part of the line
			}
			if content > r.max {
				tooLong = true
				r.acc = r.acc[:0]
			} else if err == nil && len(r.acc) == 0 {
				r.line++
				return chunk[:len(chunk)-1], nil // fast path: no copy
			} else {
				r.acc = append(r.acc, chunk...)
			}
		}
		switch {
		case err == nil:
			r.line++
			if tooLong {
				return nil, &LineError{Line: r.line, Err: fmt.Errorf("%w (over %d bytes); skipped", ErrTooLong, r.max)}
			}
			return r.acc[:len(r.acc)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.acc) == 0 && !tooLong {
				return nil, io.EOF
			}
			r.line++
			r.pending = io.EOF
			if tooLong {
				return nil, &LineError{Line: r.line, Err: fmt.Errorf("%w (over %d bytes); skipped", ErrTooLong, r.max)}
			}
			return r.acc, nil
		default:
			return nil, err
		}
	}
}

// lineBuffered reports whether a complete line is already in the buffer, so
// the next read will not block.
func (r *Reader) lineBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	buf, _ := r.br.Peek(n)
	return bytes.IndexByte(buf, '\n') >= 0
}
