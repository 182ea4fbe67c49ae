package ndjson

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, r *Reader) (lines []string, errs []string) {
	t.Helper()
	for {
		b, err := r.Next()
		if err == io.EOF {
			return
		}
		var le *LineError
		if errors.As(err, &le) {
			errs = append(errs, le.Error())
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		lines = append(lines, string(b))
	}
}

func TestReaderFraming(t *testing.T) {
	in := "{\"a\":1}\r\n\n   \n{\"b\":\"x\u2028y\"}\n{\"c\":3}"
	for name, src := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one-byte": iotest.OneByteReader(strings.NewReader(in)),
		"half":     iotest.HalfReader(strings.NewReader(in)),
	} {
		r := NewReader(src)
		lines, errs := readAll(t, r)
		want := []string{`{"a":1}`, "{\"b\":\"x\u2028y\"}", `{"c":3}`}
		if strings.Join(lines, "|") != strings.Join(want, "|") || len(errs) != 0 {
			t.Errorf("%s: lines %q errs %q; want %q", name, lines, errs, want)
		}
		if r.Line() != 5 {
			t.Errorf("%s: Line() = %d; want 5", name, r.Line())
		}
	}
}

func TestReaderSkipsOversizedLine(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	in := "{\"a\":1}\n" + big + "\n{\"b\":2}\n" + big
	r := NewReader(iotest.HalfReader(strings.NewReader(in)))
	r.SetMaxLine(100 << 10)
	lines, errs := readAll(t, r)
	if strings.Join(lines, "|") != `{"a":1}|{"b":2}` {
		t.Errorf("lines = %q", lines)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "line 2: line too long") || !strings.HasPrefix(errs[1], "line 4: ") {
		t.Errorf("errs = %q", errs)
	}
}

func TestReaderReadError(t *testing.T) {
	r := NewReader(iotest.TimeoutReader(strings.NewReader("{\"a\":1}\n{\"b\"")))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Next after a failing read = %v; want the read error", err)
	}
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return c.Buffer.Write(p) }

func TestWriterFlushesOnIdle(t *testing.T) {
	var out countingWriter
	w := NewWriter(&out)
	pr, pw := io.Pipe()
	r := NewReader(pr)
	r.OnIdle(func() { w.Flush() })
	go func() {
		pw.Write([]byte("{\"a\":1}\n{\"a\":2}\n"))
		pw.Write([]byte("{\"a\":3}\n"))
		pw.Close()
	}()
	for {
		b, err := r.Next()
		if err != nil {
			break
		}
		w.WriteRaw(b)
	}
	w.Flush()
	if out.String() != "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n" {
		t.Errorf("output %q", out.String())
	}
	if out.writes > 2 {
		t.Errorf("%d writes for two input bursts; want batching per burst", out.writes)
	}
}

func TestUnbufferedWriterWritesEachRecord(t *testing.T) {
	var out countingWriter
	w := NewUnbufferedWriter(&out)
	w.Encode(map[string]string{"t": "<a&b>"})
	w.WriteRaw([]byte(`{"x":1}`))
	if out.writes != 2 || out.String() != "{\"t\":\"<a&b>\"}\n{\"x\":1}\n" {
		t.Errorf("writes=%d out=%q", out.writes, out.String())
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\n"), 8)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		r := NewReader(bytes.NewReader(in))
		r.SetMaxLine(max)
		for i := 0; i < len(in)+2; i++ {
			b, err := r.Next()
			if err == io.EOF {
				return
			}
			if err == nil && (len(b) > max || bytes.IndexByte(b, '\n') >= 0) {
				t.Fatalf("line %q exceeds max %d or holds a newline", b, max)
			}
		}
		t.Fatal("reader did not reach EOF")
	})
}
