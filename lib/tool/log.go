package tool

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Log writes the project's stderr messages: "imsg-gate: error: …",
// "imsg-gate: warning: …", lowercase and without a trailing period, one
// write per line so lines from concurrent goroutines never interleave.
type Log struct {
	name string
	mu   sync.Mutex
	w    io.Writer
}

// NewLog returns a Log that prefixes each line with name.
func NewLog(w io.Writer, name string) *Log { return &Log{name: name, w: w} }

func (l *Log) write(level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = strings.TrimRight(msg, "\n")
	var b strings.Builder
	b.Grow(len(l.name) + len(level) + len(msg) + 4)
	b.WriteString(l.name)
	b.WriteString(": ")
	if level != "" {
		b.WriteString(level)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	b.WriteByte('\n')
	l.mu.Lock()
	io.WriteString(l.w, b.String())
	l.mu.Unlock()
}

// Errorf reports an error that the process survives (a skipped line, a
// failed delivery) or is about to exit on.
func (l *Log) Errorf(format string, args ...any) { l.write("error", format, args...) }

// Warnf reports something the user should fix but that does not stop work.
func (l *Log) Warnf(format string, args ...any) { l.write("warning", format, args...) }

// Hintf tells the user how to fix the error or warning just reported.
func (l *Log) Hintf(format string, args ...any) { l.write("hint", format, args...) }

// Infof reports progress: one line per notable event, never per record.
func (l *Log) Infof(format string, args ...any) { l.write("", format, args...) }
