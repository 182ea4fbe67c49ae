package gate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

const samplePayload = `{"id":4242,"chat_id":7,"guid":"6F1C","sender":"+15550001111","is_from_me":false,"text":"look \"at\" this\\ \u00e9 \ud83e\udd9e","created_at":"2026-05-16T09:12:03.500Z","attachments":[{"filename":"~/a.jpeg","transfer_name":"a.jpeg","uti":"public.jpeg","mime_type":"image/jpeg","total_bytes":204800,"is_sticker":false,"original_path":"/Users/me/a.jpeg","missing":false}],"reactions":[{"id":1,"type":"love"}],"chat_identifier":"iMessage;+;chat5551","chat_guid":"iMessage;+;chat5551","chat_name":"Climbing crew","participants":["+15550001111","friend@example.com"],"is_group":true,"reply_to_text":"x","reply_to_sender":"y","destination_caller_id":"me@icloud.com","unknown":{"nested":[1,{"a":"}"}]},"is_reaction":false,"reacted_to_guid":"R"}`

func TestDecodePayloadMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		samplePayload,
		`{}`,
		`{"sender":null,"text":null,"id":null,"participants":null,"attachments":null,"is_group":null}`,
		` { "text" : "a" , "text" : "b" } `,
	} {
		got, err := decodePayload([]byte(raw), true)
		if err != nil {
			t.Fatalf("decodePayload(%s) = %v", raw, err)
		}
		var want imsg.Message
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		want.Reactions, want.ChatName = nil, got.ChatName // reactions are not decoded
		if want.Participants == nil && got.Participants != nil && len(got.Participants) == 0 {
			got.Participants = nil
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("decodePayload(%s)\n got  %+v\n want %+v", raw, *got, want)
		}
	}
}

func TestDecodePayloadTypeErrors(t *testing.T) {
	tests := map[string]string{
		`{"sender":{"x":1}}`:                 "message.sender: expected string, got object",
		`{"id":"5"}`:                         "message.id: expected integer, got string",
		`{"id":1.5}`:                         "message.id: expected integer, got number 1.5",
		`{"is_from_me":"true"}`:              "message.is_from_me: expected boolean, got string",
		`{"participants":"a"}`:               "message.participants: expected array, got string",
		`{"participants":["a",1]}`:           "message.participants: expected array of strings, got number in it",
		`{"participants":[null]}`:            "message.participants: expected array of strings, got null in it",
		`{"attachments":{}}`:                 "message.attachments: expected array, got object",
		`{"attachments":[{"missing":"no"}]}`: "message.attachments: missing: expected bool",
		`{"chat_id":true}`:                   "message.chat_id: expected integer, got boolean",
		`[]`:                                 `"message" is not an object`,
		`"text"`:                             `"message" is not an object`,
	}
	for raw, want := range tests {
		_, err := decodePayload([]byte(raw), true)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("decodePayload(%s) = %v; want %q", raw, err, want)
		}
	}
	// Without attachments wanted, their contents are not examined.
	if _, err := decodePayload([]byte(`{"attachments":[{"missing":"no"}]}`), false); err != nil {
		t.Errorf("attachments decoded although not wanted: %v", err)
	}
}

func TestScanTopMatchesRecordField(t *testing.T) {
	for _, line := range []string{
		`{"kind":"message","account":"default","message":{"text":"}\"{"},"listen":{"redelivery":true}}`,
		`{"message":{},"kind":"reaction","gate":{"forged":true}}`,
		`{"kind":"message","kind":"reply"}`,
		`{"\u006bind":"message","acc\u006funt":"x","message":{"id":1}}`,
		`{"kind":"mess\u0061ge","account":5}`,
		`{}`,
	} {
		b := []byte(line)
		if err := record.Validate(b); err != nil {
			t.Fatal(err)
		}
		got := scanTop(b)
		for key, v := range map[string][]byte{"kind": got.kind, "account": got.account, "message": got.message, "listen": got.listen} {
			want, _ := record.Field(b, key)
			if string(v) != string(want) {
				t.Errorf("scanTop(%s).%s = %s; record.Field says %s", line, key, v, want)
			}
		}
		_, hasGate := record.Field(b, "gate")
		_, hasAccount := record.Field(b, "account")
		if got.hasGate != hasGate || got.hasAccount != hasAccount {
			t.Errorf("scanTop(%s) gate %v account %v", line, got.hasGate, got.hasAccount)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(samplePayload))
	f.Add([]byte(`{"id":1,"text":"\\\"","participants":["a"]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if record.Validate(raw) != nil {
			return
		}
		m, err := decodePayload(raw, true)
		var want imsg.Message
		jerr := json.Unmarshal(raw, &want)
		if err == nil && m == nil {
			t.Fatal("nil message without error")
		}
		// Where encoding/json (which folds key case) and the decoder both
		// succeed, the fields the gate reads must agree.
		if err == nil && jerr == nil && exactKeys(raw) {
			if m.Sender != want.Sender || m.Text != want.Text || m.ID != want.ID || m.IsFromMe != want.IsFromMe ||
				m.ChatID != want.ChatID || m.IsGroup != want.IsGroup {
				t.Errorf("decodePayload(%s) = %+v; encoding/json %+v", raw, m, want)
			}
		}
	})
}

// exactKeys reports that no key of the top-level object differs from a
// field name only in case (where encoding/json and the decoder differ on
// purpose).
func exactKeys(raw []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	seen := map[string]string{}
	for k := range m {
		l := strings.ToLower(k)
		if prev, ok := seen[l]; ok && prev != k {
			return false
		}
		seen[l] = k
		if l != k {
			return false
		}
	}
	return true
}
