package ndjson

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// Writer writes one JSON value per line. Records are buffered until Flush;
// a stage flushes when its input goes idle (Reader.OnIdle) and before it
// waits on anything else, so no record is ever held back while the pipeline
// waits. Writer is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	enc *json.Encoder
	tmp bytes.Buffer
	// autoFlush makes every record one Write of its own.
	autoFlush bool
	err       error
}

// NewWriter returns a Writer that batches until Flush.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w}
	wr.enc = json.NewEncoder(&wr.tmp)
	wr.enc.SetEscapeHTML(false)
	return wr
}

// NewUnbufferedWriter returns a Writer that writes each record at once, in
// one Write call: for sources whose records arrive one at a time.
func NewUnbufferedWriter(w io.Writer) *Writer {
	wr := NewWriter(w)
	wr.autoFlush = true
	return wr
}

// WriteRaw writes line (a complete JSON value without newline) and a newline.
func (w *Writer) WriteRaw(line []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf = append(w.buf, line...)
	w.buf = append(w.buf, '\n')
	return w.maybeFlush()
}

// Encode marshals v without HTML escaping and writes it as one line.
func (w *Writer) Encode(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.tmp.Reset()
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.buf = append(w.buf, w.tmp.Bytes()...)
	return w.maybeFlush()
}

func (w *Writer) maybeFlush() error {
	if w.autoFlush || len(w.buf) >= 64<<10 {
		return w.flushLocked()
	}
	return nil
}

// Flush writes everything buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}
