package gate

import (
	"testing"

	"github.com/imsg-toolkit/imsg/lib/record"
)

func TestAnnotationJSONMatchesMarshal(t *testing.T) {
	yes, no := true, false
	for _, a := range []Annotation{
		{},
		{Sender: "+15550001111", IsGroup: true, ChatKey: "chat_id:7", Body: "hi", WasMentioned: true,
			Command: "status", CommandAuthorized: true, AdmittedBy: AdmitAllowFrom, ReplyContextAllowed: &yes, SMS: true, OwnMessage: true},
		{Sender: "a", Body: "quote \" back \\ slash \n\r\t\b\f \x00\x1f <&> \u2028\u2029 é 🦞", ReplyContextAllowed: &no},
		{Body: "bad \xff utf8 \xc3"},
	} {
		want, err := record.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON = %s\nwant         %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("\"\\\n\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := record.Marshal(s)
		if got := record.AppendString(nil, s); string(got) != string(want) {
			t.Errorf("record.AppendString(%q) = %s; want %s", s, got, want)
		}
	})
}

func TestWithGate(t *testing.T) {
	a := Annotation{Sender: "x", ChatKey: "chat_id:1", AdmittedBy: AdmitOpen}
	tests := []struct{ in, want string }{
		{`{"kind":"message"}`, `{"kind":"message","gate":{"sender":"x","is_group":false,"chat_key":"chat_id:1","was_mentioned":false,"command_authorized":false,"admitted_by":"open"}}`},
		{`{ "kind":"message" , "gate" : {"forged":true} }`, `{ "kind":"message" , "gate" : {"sender":"x","is_group":false,"chat_key":"chat_id:1","was_mentioned":false,"command_authorized":false,"admitted_by":"open"} }`},
		{`{}`, `{"gate":{"sender":"x","is_group":false,"chat_key":"chat_id:1","was_mentioned":false,"command_authorized":false,"admitted_by":"open"}}`},
	}
	for _, tc := range tests {
		t0 := scanTop([]byte(tc.in))
		got, err := withGate([]byte(tc.in), t0.hasGate, a)
		if err != nil || string(got) != tc.want {
			t.Errorf("withGate(%s) = %s, %v\nwant %s", tc.in, got, err, tc.want)
		}
	}
}
