package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/titanous/json5"
)

// Load reads, parses and validates the config file at path ("~" expanded).
// Every error it returns is an Errors list whose entries carry the file,
// line and column; callers exit with tool.ExitConfig.
func Load(path string) (*File, error) {
	p := expandHome(path)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, Errors{readError(p, err)}
	}
	return Parse(p, data)
}

// LoadOrDefault is Load, except that a missing file yields the built-in
// defaults unless the user named the file explicitly (--config or
// $IMSG_CONFIG), in which case a missing file is an error too.
func LoadOrDefault(path string, explicit bool) (*File, error) {
	p := expandHome(path)
	if p == "" && !explicit {
		return Default(""), nil
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return Default(p), nil
	}
	if err != nil {
		return nil, Errors{readError(p, err)}
	}
	return Parse(p, data)
}

func readError(name string, err error) *Error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error() // the path is already in front
	}
	return &Error{File: name, Msg: "cannot read config: " + msg}
}

// Default returns the configuration of an empty file; path is recorded as
// File.Path, where /config set would create the file.
func Default(path string) *File {
	f, err := build(path, map[string]any{}, nil, nil)
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return f
}

var bom = []byte("\uFEFF")

// Parse validates data as the contents of the file called name (used in
// messages only). A file holding nothing but whitespace and comments is the
// same as {}.
func Parse(name string, data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, bom)
	if trailing(data, 0) < 0 {
		return build(name, map[string]any{}, nil, data)
	}
	plain, bad := blankComments(data)
	if bad >= 0 {
		line, col := lineCol(data, bad)
		return nil, Errors{{File: name, Line: line, Col: col, Msg: "unterminated comment"}}
	}
	dec := json5.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(name, data, err)
	}
	pos, end, ok := scanPositions(data)
	if !ok {
		pos = nil // the decoder accepted what the locator did not: no positions
	} else if t := trailing(data, end); t >= 0 {
		line, col := lineCol(data, t)
		return nil, Errors{{File: name, Line: line, Col: col,
			Msg: fmt.Sprintf("invalid character %q after top-level value", data[t])}}
	}
	top, isObj := plainNumbers(v).(map[string]any)
	if !isObj {
		c := &checker{file: name, src: data, pos: pos}
		c.report(nil, true, "expected an object at the top level, got "+typeName(v), "")
		return nil, c.errs
	}
	return build(name, top, pos, data)
}

// blankComments returns a copy of data with every comment replaced by
// spaces (line breaks kept, so offsets and lines do not move), or the offset
// of an unterminated block comment. The json5 decoder mishandles comments —
// inside a block comment, a "*" followed by anything ends the comment at the
// next "/" — so it is never shown any.
func blankComments(data []byte) (out []byte, bad int) {
	out = bytes.Clone(data)
	var quote byte
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++ // the escaped byte, or the line break of a continuation
				if i+1 < len(out) && out[i] == '\r' && out[i+1] == '\n' {
					i++
				}
			} else if c == quote || c == '\n' {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n' && out[i] != '\r'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			end := bytes.Index(out[i+2:], []byte("*/"))
			if end < 0 {
				return nil, i
			}
			for j := i; j < i+2+end+2; j++ {
				if out[j] != '\n' && out[j] != '\r' {
					out[j] = ' '
				}
			}
			i += 2 + end + 1
		}
	}
	return out, -1
}

func syntaxError(name string, data []byte, err error) error {
	off, msg := len(data), err.Error()
	var se *json5.SyntaxError
	switch {
	case errors.As(err, &se):
		off = int(se.Offset) - 1 // Offset counts the offending byte
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "unexpected end of file"
	}
	line, col := lineCol(data, off)
	return Errors{{File: name, Line: line, Col: col, Msg: msg}}
}
