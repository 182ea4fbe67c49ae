package rpc_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/rpc"
)

func TestSanitizeWatchError(t *testing.T) {
	x200 := strings.Repeat("x", 200)
	tests := []struct {
		payload string
		want    string // the sanitised payload as JSON
	}{
		{`{"message":"disk I/O error"}`, `{"message":"disk I/O error"}`},
		{`{"code":-32603,"message":"a\nb\tc","chat_id":7,"participants":["+1"],"data":{"path":"/x"}}`, `{"code":-32603,"message":"a\\nb\\tc"}`},
		{`{"message":"\u001b[1;31mred\u001b[0m \u001b]0;title\u0007bell\u0007"}`, `{"message":"red bell\\u0007"}`},
		{`{"code":"5","message":7}`, `{}`},
		{`"just a string"`, `{}`},
		{`[1,2]`, `{}`},
		{`null`, `{}`},
		{`{"code":1e999}`, `{}`},
		{`{"code":2.5}`, `{"code":2.5}`},
		{`{"message":"` + x200 + `"}`, `{"message":"` + x200 + `"}`},
		{`{"message":"` + x200 + `y"}`, `{"message":"` + x200[:199] + `…"}`},
	}
	for _, tt := range tests {
		w := rpc.SanitizeWatchError(json.RawMessage(tt.payload))
		got, err := json.Marshal(&w)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("SanitizeWatchError(%s) = %s; want %s", tt.payload, got, tt.want)
		}
	}
}

func TestSanitizeCountsCharactersNotBytes(t *testing.T) {
	w := rpc.SanitizeWatchError(json.RawMessage(`{"message":"` + strings.Repeat("😀", 300) + `"}`))
	if n := utf8.RuneCountInString(w.Message); n != 200 || !strings.HasSuffix(w.Message, "😀…") {
		t.Errorf("message has %d characters, ends %q; want 199 emoji and …", n, w.Message[len(w.Message)-8:])
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&rpc.ExitError{Code: 1}, "imsg rpc exited (code 1)"},
		{&rpc.ExitError{Code: -1, Signal: "KILL"}, "imsg rpc killed (signal KILL)"},
		{&rpc.TimeoutError{Method: "watch.subscribe"}, "imsg rpc timeout (watch.subscribe)"},
		{&rpc.Error{Method: "send", Code: -32603, Message: "Internal error", Data: json.RawMessage(`"AppleScript failed: x"`)},
			"imsg rpc send: Internal error (code -32603): AppleScript failed: x"},
		{&rpc.WatchError{Code: 5, HasCode: true, Message: "disk"}, "imsg rpc watch error: disk (code 5)"},
		{&rpc.OverflowError{ResumeAfterRowID: 9000, Reason: "buffer_limit_exceeded"},
			"imsg rpc watch overflow (buffer_limit_exceeded); resume after row 9000"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
}
