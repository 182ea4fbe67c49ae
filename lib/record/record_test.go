package record

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestFieldAndString(t *testing.T) {
	obj := []byte(`{"kind":"message","account":"de\"fault","message":{"kind":"inner","a":[1,{"b":"}"}]},"n":12.5e3,"t":true,"z":null}`)
	if err := Validate(obj); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want string }{
		{"kind", `"message"`},
		{"message", `{"kind":"inner","a":[1,{"b":"}"}]}`},
		{"n", `12.5e3`},
		{"t", `true`},
		{"z", `null`},
	}
	for _, tt := range tests {
		got, ok := Field(obj, tt.key)
		if !ok || string(got) != tt.want {
			t.Errorf("Field(%q) = %q, %v; want %q", tt.key, got, ok, tt.want)
		}
	}
	if _, ok := Field(obj, "missing"); ok {
		t.Error("Field(missing) found something")
	}
	if s, ok := String(obj, "account"); !ok || s != `de"fault` {
		t.Errorf("String(account) = %q, %v", s, ok)
	}
	if _, ok := String(obj, "n"); ok {
		t.Error("String on a number succeeded")
	}
}

func TestSetKeepsOtherBytes(t *testing.T) {
	tests := []struct{ in, key, val, want string }{
		{`{}`, "gate", `{"a":1}`, `{"gate":{"a":1}}`},
		{`{ }`, "gate", `1`, `{"gate":1}`},
		{`{"kind":"message", "x" : [1, 2]}`, "gate", `true`, `{"kind":"message", "x" : [1, 2],"gate":true}`},
		{`{"kind":"message","gate":{"old":1},"y":2}`, "gate", `{"new":2}`, `{"kind":"message","gate":{"new":2},"y":2}`},
		{`{"k\u0069nd":"a"}`, "kind", `"b"`, `{"k\u0069nd":"b"}`},
		{`{"s":"a}\"b","n":1 }`, "m", `2`, `{"s":"a}\"b","n":1,"m":2}`},
	}
	for _, tt := range tests {
		got := Set([]byte(tt.in), tt.key, []byte(tt.val))
		if string(got) != tt.want {
			t.Errorf("Set(%s, %q, %s) = %s; want %s", tt.in, tt.key, tt.val, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("Set(%s) produced invalid JSON %s", tt.in, got)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []string{`[1]`, `"x"`, `{"a":`, "{\"a\":\"\xff\"}", `{"a":1} {"b":2}`, `12`}
	for _, b := range bad {
		if err := Validate([]byte(b)); err == nil {
			t.Errorf("Validate(%q) = nil; want an error", b)
		}
	}
	if err := Validate([]byte(` {"a":1} `)); err != nil {
		t.Errorf("Validate(object with spaces) = %v", err)
	}
}

func TestDrop(t *testing.T) {
	got := Drop([]byte(`{"kind":"message","account":"a"}`), "imsg-gate", "from me")
	want := `{"kind":"message","account":"a","dropped_by":"imsg-gate","reason":"from me"}`
	if string(got) != want {
		t.Errorf("Drop = %s; want %s", got, want)
	}
}

func FuzzSet(f *testing.F) {
	f.Add([]byte(`{"kind":"message","a":{"b":[1,"}"]}}`), "gate")
	f.Add([]byte(`{}`), "kind")
	f.Fuzz(func(t *testing.T, obj []byte, key string) {
		if Validate(obj) != nil || !utf8.ValidString(key) {
			return // keys are always the stages' own valid names
		}
		out := Set(obj, key, []byte(`{"x":1}`))
		if !json.Valid(out) {
			t.Fatalf("Set(%s, %q) = invalid %s", obj, key, out)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if string(m[key]) != `{"x":1}` {
			t.Fatalf("Set(%s, %q): key holds %s", obj, key, m[key])
		}
	})
}

// FuzzValidate checks Validate's fast scan against encoding/json.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{`{"kind":"message","message":{"id":1,"text":"h\u00e9"}}`, `{}`,
		`{"a":[1,-0.5e+3,true,false,null,"\u00e9\n"]}`, `{"a":01}`, `{"a":1.}`, `{"a":"\x01"}`, `{"a":"\q"}`,
		`{"a" 1}`, `{"a":1,}`, `[1]`, ` {"a":{}} `, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":tru}`, `{"a":-}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if fast, slow := wellFormed(line), validateSlow(line) == nil; fast != slow {
			t.Fatalf("wellFormed(%q) = %v; encoding/json says %v", line, fast, slow)
		}
	})
}
