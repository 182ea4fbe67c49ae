package config

import (
	"fmt"
	"testing"
)

func TestLocate(t *testing.T) {
	src := "// {not: 'a key'}\n" + // line 1
		"{\n" + // 2
		"  /* \"x\": { */ 'a': {\n" + // 3
		"    \"b\\\"q\": [1, /*c*/ {c: 'x//y'}, ],\n" + // 4
		"  },\n" +
		"}\n"
	root, end, ok := scanPositions([]byte(src))
	if !ok || end != len(src)-1 {
		t.Fatalf("scanPositions ok=%v end=%d; want ok, end %d", ok, end, len(src)-1)
	}
	tests := []struct {
		p     path
		value bool
		want  string
	}{
		{path{"a"}, false, "3:16"},
		{path{"a"}, true, "3:21"},
		{path{"a", `b"q`}, false, "4:5"},
		{path{"a", `b"q`, 0}, false, "4:14"},
		{path{"a", `b"q`, 1}, false, "4:23"},
		{path{"a", `b"q`, 1, "c"}, false, "4:24"},
		{path{"a", `b"q`, 1, "c"}, true, "4:27"},
		{path{"a", `b"q`, 2}, false, "4:5 inexact"}, // no third element: the array's key
		{path{"x"}, false, "2:1 inexact"},           // a key inside a comment does not count
		{path{"not"}, false, "2:1 inexact"},
	}
	for _, tt := range tests {
		off, exact := root.find(tt.p)
		if tt.value {
			off, exact = root.findValue(tt.p)
		}
		line, col := lineCol([]byte(src), off)
		got := fmt.Sprintf("%d:%d", line, col)
		if !exact {
			got += " inexact"
		}
		if got != tt.want {
			t.Errorf("find(%v, value=%v) = %s; want %s", tt.p, tt.value, got, tt.want)
		}
	}
}

func TestLocateKeys(t *testing.T) {
	tests := []struct{ src, key string }{
		{`{'it\'s': 1}`, "it's"},
		{`{"\u0041\u00e9": 1}`, "Aé"},
		{`{"\ud83e\udd9e": 1}`, "🦞"},
		{`{"a\
b": 1}`, "ab"},
		{`{"tab\there": 1}`, "tab\there"},
		{`{$_x9: 1}`, "$_x9"},
		{`{a: 1, a: {b: 2}}`, "a"}, // duplicate: the last one, like the decoder
	}
	for _, tt := range tests {
		root, _, ok := scanPositions([]byte(tt.src))
		if !ok {
			t.Errorf("scanPositions(%q) failed", tt.src)
			continue
		}
		if _, exact := root.find(path{tt.key}); !exact {
			t.Errorf("scanPositions(%q): key %q not found among %v", tt.src, tt.key, root.keys)
		}
	}
	root, _, _ := scanPositions([]byte(`{a: 1, a: {b: 2}}`))
	if _, exact := root.find(path{"a", "b"}); !exact {
		t.Errorf("duplicate key: the later value was not kept")
	}
}

func TestLocateRejects(t *testing.T) {
	for _, src := range []string{`{`, `{a 1}`, `{a: 1 b: 2}`, `[1 2]`, `{"a": "x`, `{/* x: 1}`, `{"a\q": 1}`, `{"\u12": 1}`, `{: 1}`, "{\n  d\u00e9: 1\n}"} {
		if _, _, ok := scanPositions([]byte(src)); ok {
			t.Errorf("scanPositions(%q) = ok; want failure", src)
		}
	}
	deep := make([]byte, 0, 2*maxDepth+4)
	for range maxDepth + 1 {
		deep = append(deep, '[')
	}
	if _, _, ok := scanPositions(deep); ok {
		t.Errorf("scanPositions accepted nesting deeper than %d", maxDepth)
	}
}

func TestLineCol(t *testing.T) {
	src := []byte("ab\ncé\r\nx\ry")
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 2, 2}, {6, 2, 3}, {8, 3, 1}, {10, 4, 1}, {99, 4, 2}, {-1, 1, 1},
	}
	for _, tt := range tests {
		if line, col := lineCol(src, tt.off); line != tt.line || col != tt.col {
			t.Errorf("lineCol(%d) = %d:%d; want %d:%d", tt.off, line, col, tt.line, tt.col)
		}
	}
}
