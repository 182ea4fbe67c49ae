package route

import (
	"encoding/json"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/record"
)

// FuzzScan checks the one-pass reader against encoding/json: for any valid
// object, the fields routing reads must be what a full decode sees.
func FuzzScan(f *testing.F) {
	f.Add([]byte(dmLine))
	f.Add([]byte(groupLine(7, "a \"quoted\" \\ text \u2028 é")))
	f.Add([]byte(`{"kind":"message","message":{"sender":"a\u0062c","text":"x\ny","chat_id":12,"k\u0069nd":1},"kind":"reply"}`))
	f.Add([]byte(`{"message":{"attachments":[{"mime_type":"image/png"},{}],"reply_to_id":42}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		if record.Validate(line) != nil {
			return
		}
		// A map, not a struct: encoding/json matches struct fields
		// case-insensitively, records are case-sensitive.
		var want map[string]any
		if json.Unmarshal(line, &want) != nil {
			return
		}
		got := readRecord(line)
		if s, ok := want["kind"].(string); ok && got.kind != s {
			t.Fatalf("kind = %q; want %q in %s", got.kind, s, line)
		}
		msg, ok := want["message"].(map[string]any)
		if !ok {
			return
		}
		var m Message
		parseMessage(got, &m)
		for key, gotv := range map[string]string{"sender": m.Sender, "text": m.Text, "chat_name": m.ChatName, "guid": m.GUID} {
			if s, ok := msg[key].(string); ok && gotv != s {
				t.Fatalf("message.%s = %q; want %q in %s", key, gotv, s, line)
			}
		}
		if n, ok := msg["chat_id"].(float64); ok && n == float64(int64(n)) && n < 1e15 && n > -1e15 && float64(m.ChatID) != n {
			t.Fatalf("chat_id = %d; want %v in %s", m.ChatID, n, line)
		}
		if as, ok := msg["attachments"].([]any); ok && len(as) != m.Attachments {
			t.Fatalf("attachments = %d; want %d in %s", m.Attachments, len(as), line)
		}
	})
}

func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnl\nnul\x00\x1f", "\u2028\u2029", "émoji 👍🏽", "bad \xff utf8"} {
		want, _ := record.Marshal(s)
		if got := record.AppendString(nil, s); string(got) != string(want) {
			t.Errorf("record.AppendString(%q) = %s; want %s", s, got, want)
		}
	}
}
