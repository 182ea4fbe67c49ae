package chunk

import (
	"testing"

	"github.com/imsg-toolkit/imsg/lib/record"
)

var fieldObjects = []string{
	`{"kind":"reply","text":"hi","key":"k"}`,
	` { "kind" : "reply" , "text" : "a \"quoted\" \\ text}" ,"files":[ "/a" , "/b" ], "key":"k", "x":{"text":"nested"} }  `,
	`{"te\u0078t":"escaped key","key":"k","kind":"reply"}`,
	`{"text":"first","text":"last wins","key":"k"}`,
	`{"key":"k","account":"work","session_key":"agent:main:main","parts":3,"n":-1.5e3,"b":true,"z":null}`,
	`{}`,
	`{"kind":"reply","files":[],"text":"","key":"k\\\"#"}`,
}

func TestScanFieldsMatchesRecord(t *testing.T) {
	for _, obj := range fieldObjects {
		f := scanFields([]byte(obj))
		for key, got := range map[string]span{"kind": f.kind, "parts": f.parts, "key": f.key, "text": f.text,
			"files": f.files, "account": f.account, "session_key": f.session, "part": f.part} {
			want, ok := record.Field([]byte(obj), key)
			if got.ok() != ok || (ok && string(valueOf([]byte(obj), got)) != string(want)) {
				t.Errorf("scanFields(%s)[%s] = %q; record.Field = %q, %v", obj, key, valueOf([]byte(obj), got), want, ok)
			}
		}
	}
}

func TestAppendEditedMatchesRecordSet(t *testing.T) {
	for _, obj := range fieldObjects {
		b := []byte(obj)
		f := scanFields(b)
		got := appendEdited(nil, b, []edit{
			{at: f.key, key: KeyKey, val: []byte(`"new#1"`)},
			{at: f.text, key: KeyText, val: []byte(`"T"`)},
			{at: f.part, key: KeyPart, val: []byte(`1`)},
			{at: f.parts, key: KeyParts, val: []byte(`2`)},
		})
		want := record.Set(record.Set(record.Set(record.Set(b, KeyKey, []byte(`"new#1"`)), KeyText, []byte(`"T"`)),
			KeyPart, []byte(`1`)), KeyParts, []byte(`2`))
		if string(got) != string(want) {
			t.Errorf("appendEdited(%s) =\n%s\nrecord.Set gives\n%s", obj, got, want)
		}
	}
}
