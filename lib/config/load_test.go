package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustParse parses src as c.json5 and fails the test on any error.
func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("c.json5", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return f
}

// parseErrors parses src as c.json5 and returns its problems, failing the
// test when there are none.
func parseErrors(t *testing.T, src string) Errors {
	t.Helper()
	_, err := Parse("c.json5", []byte(src))
	var list Errors
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("Parse(%q) = %v; want Errors", src, err)
	}
	return list
}

func TestSyntaxErrorPositions(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"double comma", "{\n  channels: {\n    imessage: {\n      dmPolicy: \"open\",,\n    },\n  },\n}\n",
			"c.json5:4:24: invalid character ',' looking for beginning of object key"},
		{"missing value", "{\n  a: ,\n}", "c.json5:2:6: invalid character ',' looking for beginning of value"},
		{"truncated", "{a: 1", "c.json5:1:6: unexpected end of file"},
		{"truncated after newline", "{\n  a: [1,\n", "c.json5:3:1: unexpected end of file"},
		{"newline in string", "{\n  a: \"x\n}", `c.json5:2:8: invalid character '\n' in string literal`},
		{"columns count characters", `{"é": 1, b: ,}`, "c.json5:1:13: invalid character ',' looking for beginning of value"},
		{"crlf", "{\r\n  a: ,\r\n}", "c.json5:2:6: invalid character ',' looking for beginning of value"},
		{"non-ascii bare key", "{\n  é: 1\n}", "c.json5:2:3: invalid character 'Ã' looking for beginning of object key"},
		{"trailing garbage", "{} x", "c.json5:1:4: invalid character 'x' after top-level value"},
		{"two values", "{}\n{}", "c.json5:2:1: invalid character '{' after top-level value"},
		{"unterminated trailing comment", "{} /* x", "c.json5:1:4: unterminated comment"},
		{"unterminated leading comment", "\n  /* {}", "c.json5:2:3: unterminated comment"},
		{"star then slash is no comment end", "/**0/0", "c.json5:1:1: unterminated comment"},
		{"lone slash", "{a: 1 / 2}", "c.json5:1:8: invalid character ' ' potentially starting comment"},
		{"not an object", "\n [1, 2]", "c.json5:2:2: expected an object at the top level, got array"},
		{"null document", "null", "c.json5:1:1: expected an object at the top level, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.src)
			if got := errs.Error(); got != tt.want {
				t.Errorf("Parse(%q) error = %q; want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestSyntaxErrorFile(t *testing.T) {
	_, err := Load("testdata/syntax.json5")
	want := "testdata/syntax.json5:4:24: invalid character ',' looking for beginning of object key"
	if err == nil || err.Error() != want {
		t.Fatalf("Load(syntax.json5) = %v; want %q", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 4 || e.Col != 24 || e.Path != "" {
		t.Errorf("errors.As(*Error) = %+v; want line 4 col 24, no path", e)
	}
}

func TestJSON5Features(t *testing.T) {
	src := `// leading comment
{
  /* block
     comment */
  channels: {
    'imessage': {            // single-quoted key
      "name": 'it\'s "mine"', // single-quoted string with escapes
      allowFrom: [0x10, +15551234567, 'a\
b',],                          // hex, plus sign, line continuation, trailing comma
      textChunkLimit: 1e3,
      /* a * b / c */ region: "http://example.com/*x*/", // the decoder alone ends this comment at "b /"
      defaultTo: 'it\'s\
//not a comment',
    },
  },
}
// trailing comment`
	f := mustParse(t, src)
	a, err := f.Account("")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != `it's "mine"` {
		t.Errorf("Name = %q; want %q", a.Name, `it's "mine"`)
	}
	if got, want := strings.Join(a.AllowFrom, ","), "16,15551234567,ab"; got != want {
		t.Errorf("AllowFrom = %q; want %q", got, want)
	}
	if a.Region != "http://example.com/*x*/" || a.DefaultTo != "it's//not a comment" {
		t.Errorf("Region, DefaultTo = %q, %q; want comment-like text inside strings kept", a.Region, a.DefaultTo)
	}
	if a.TextChunkLimit != 1000 {
		t.Errorf("TextChunkLimit = %d; want 1000", a.TextChunkLimit)
	}
}

// A CRLF line continuation inside a string must not end the string for the
// comment blanker, or the // on the next line would be taken for a comment.
func TestCRLFContinuation(t *testing.T) {
	a, err := mustParse(t, "{channels: {imessage: {name: 'a\\\r\n//b', region: 'x'}}}").Account("")
	if err != nil || a.Name != "a//b" || a.Region != "x" {
		t.Errorf("Name, Region = %q, %q (%v); want a//b, x", a.Name, a.Region, err)
	}
}

func TestEmptyFilesAreDefaults(t *testing.T) {
	for _, src := range []string{"", "{}", "  \n", "// nothing\n/* at all */", "\uFEFF{}"} {
		f := mustParse(t, src)
		a, err := f.Account("")
		if err != nil {
			t.Fatalf("Parse(%q).Account: %v", src, err)
		}
		if a.ID != "default" || a.DMPolicy != "pairing" || a.GroupPolicy != "allowlist" {
			t.Errorf("Parse(%q) account = %s %s %s; want default pairing allowlist", src, a.ID, a.DMPolicy, a.GroupPolicy)
		}
	}
	for _, name := range []string{"empty", "comments_only"} {
		if _, err := Load("testdata/" + name + ".json5"); err != nil {
			t.Errorf("Load(%s): %v", name, err)
		}
	}
}

func TestLoadOrDefault(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.json5")

	f, err := LoadOrDefault(missing, false)
	if err != nil {
		t.Fatalf("LoadOrDefault(missing, false): %v", err)
	}
	if f.Path != missing || len(f.Raw) != 0 {
		t.Errorf("defaults: Path=%q Raw=%v; want %q, empty", f.Path, f.Raw, missing)
	}
	if a, err := f.Account(""); err != nil || a.CLIPath != "imsg" {
		t.Errorf("defaults: Account = %+v, %v", a, err)
	}

	_, err = LoadOrDefault(missing, true)
	want := missing + ": cannot read config: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("LoadOrDefault(missing, true) = %v; want %q", err, want)
	}
	if _, err := Load(missing); err == nil || err.Error() != want {
		t.Errorf("Load(missing) = %v; want %q", err, want)
	}
	if _, err := LoadOrDefault("", false); err != nil {
		t.Errorf(`LoadOrDefault("", false) = %v; want defaults`, err)
	}
	// A file that exists but cannot be read is an error even by default.
	if _, err := LoadOrDefault(dir, false); err == nil {
		t.Errorf("LoadOrDefault(directory, false) = nil error; want a read error")
	}

	// "~" is expanded, and a present file is read either way.
	t.Setenv("HOME", dir)
	if err := os.WriteFile(filepath.Join(dir, "c.json5"), []byte(`{channels: {imessage: {name: "x"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, explicit := range []bool{false, true} {
		f, err := LoadOrDefault("~/c.json5", explicit)
		if err != nil {
			t.Fatalf("LoadOrDefault(~/c.json5, %v): %v", explicit, err)
		}
		if f.Path != filepath.Join(dir, "c.json5") {
			t.Errorf("Path = %q; want %q", f.Path, filepath.Join(dir, "c.json5"))
		}
		if a, _ := f.Account(""); a.Name != "x" {
			t.Errorf("Name = %q; want x", a.Name)
		}
	}
}

func TestErrorsAreSortedAndAllReported(t *testing.T) {
	src := `{
  commands: { text: "yes" },
  channels: {
    imessage: {
      service: "imsg",
      accounts: { b: { mediaMaxMb: 0 }, a: { chunkMode: "words" } },
      allowfrom: [],
    },
  },
}`
	errs := parseErrors(t, src)
	want := []string{
		`c.json5:2:21: commands.text: expected boolean, got string "yes"`,
		`c.json5:5:16: channels.imessage.service: invalid value "imsg"; expected one of "imessage", "sms", "auto"`,
		`c.json5:6:36: channels.imessage.accounts.b.mediaMaxMb: expected a positive integer, got number 0`,
		`c.json5:6:57: channels.imessage.accounts.a.chunkMode: invalid value "words"; expected one of "length", "newline"`,
		`c.json5:7:7: channels.imessage.allowfrom: unknown key "allowfrom"; did you mean "allowFrom"?`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors:\n%v\nwant %d", len(errs), errs, len(want))
	}
	for i, e := range errs {
		if e.Error() != want[i] {
			t.Errorf("error %d = %q; want %q", i, e.Error(), want[i])
		}
	}
	if got, w := errs.Error(), want[0]+" (and 4 more problems)"; got != w {
		t.Errorf("Errors.Error() = %q; want %q", got, w)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "f", Line: 1, Col: 2, Path: "a.b", Msg: "bad", Hint: "fix it"}, "f:1:2: a.b: bad; fix it"},
		{Error{File: "f", Path: "a", Msg: "bad"}, "f: a: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
	}
	if got := (Errors{{Msg: "a"}, {Msg: "b"}}).Error(); got != "a (and 1 more problem)" {
		t.Errorf("two errors = %q", got)
	}
}
