package chunk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

func fixed(s Settings) Resolver { return func(string, string) Settings { return s } }

// runStream runs Stream over input and returns stdout, stderr, the drops
// file and the error.
func runStream(t *testing.T, input string, s Settings) (out, errs, drops string, err error) {
	t.Helper()
	var o, e, d bytes.Buffer
	err = Stream(context.Background(), strings.NewReader(input), &o, tool.NewLog(&e, "imsg-chunk"), &d, fixed(s))
	return o.String(), e.String(), d.String(), err
}

func TestStreamPassThrough(t *testing.T) {
	in := `{"kind":"message","account":"default","message":{"text":"hi \u00e9","x":[1, 2]}}
 {"kind" : "receipt",  "key":"k#1", "ok":true , "future":{"a":null}}
{"account":"default","no_kind":true}
{"kind":"reaction","account":"default","message":{}}
`
	out, errs, _, err := runStream(t, in, Settings{Limit: 10})
	if err != nil || errs != "" {
		t.Fatalf("Stream: err %v, stderr %q", err, errs)
	}
	// Byte for byte, apart from the surrounding blanks the reader trims.
	want := `{"kind":"message","account":"default","message":{"text":"hi \u00e9","x":[1, 2]}}
 {"kind" : "receipt",  "key":"k#1", "ok":true , "future":{"a":null}}
{"account":"default","no_kind":true}
{"kind":"reaction","account":"default","message":{}}
`
	if out != want {
		t.Errorf("pass-through changed records:\n got %q\nwant %q", out, want)
	}
}

func TestStreamReplies(t *testing.T) {
	s := Settings{Limit: 20, Mode: ModeLength, Tables: TablesCode}
	tests := []struct {
		name, in, want string
	}{
		{"one part keeps the text's bytes",
			`{"kind":"reply","account":"a","to" : "chat_id:1","text":"caf\u00e9","key":"k1","x":{"y":1}}`,
			`{"kind":"reply","account":"a","to" : "chat_id:1","text":"caf\u00e9","key":"k1#1","x":{"y":1},"part":1,"parts":1}`},
		{"parts, files on the first only",
			`{"kind":"reply","account":"a","to":"chat_id:1","text":"alpha beta gamma delta epsilon","files":["/tmp/a.png"],"key":"k2","in_reply_to":"G"}`,
			`{"kind":"reply","account":"a","to":"chat_id:1","text":"alpha beta gamma","files":["/tmp/a.png"],"key":"k2#1","in_reply_to":"G","part":1,"parts":2}` + "\n" +
				`{"kind":"reply","account":"a","to":"chat_id:1","text":"delta epsilon","files":[],"key":"k2#2","in_reply_to":"G","part":2,"parts":2}`},
		{"empty text is one empty part",
			`{"kind":"reply","account":"a","to":"x","text":"","key":"k3"}`,
			`{"kind":"reply","account":"a","to":"x","text":"","key":"k3#1","part":1,"parts":1}`},
		{"missing text becomes empty text",
			`{"kind":"reply","account":"a","to":"x","key":"k4","files":["/f"]}`,
			`{"kind":"reply","account":"a","to":"x","key":"k4#1","files":["/f"],"text":"","part":1,"parts":1}`},
		{"null text becomes empty text",
			`{"kind":"reply","account":"a","to":"x","text":null,"key":"k5"}`,
			`{"kind":"reply","account":"a","to":"x","text":"","key":"k5#1","part":1,"parts":1}`},
		{"sanitised text is re-encoded",
			`{"kind":"reply","account":"a","to":"x","text":"<think>x</think>a \"q\"\n\tb <&>","key":"k6"}`,
			`{"kind":"reply","account":"a","to":"x","text":"a \"q\"\n\tb <&>","key":"k6#1","part":1,"parts":1}`},
		{"only scaffolding leaves empty text",
			`{"kind":"reply","account":"a","to":"x","text":"  <think>x</think> ","key":"k7"}`,
			`{"kind":"reply","account":"a","to":"x","text":"","key":"k7#1","part":1,"parts":1}`},
		{"an already split reply passes",
			`{"kind":"reply","text":"alpha beta gamma delta epsilon","key":"k8#1","part":1,"parts":1}`,
			`{"kind":"reply","text":"alpha beta gamma delta epsilon","key":"k8#1","part":1,"parts":1}`},
		{"a stray parts field is replaced, not doubled",
			`{"kind":"reply","text":"hi","parts":9,"key":"k"}`,
			`{"kind":"reply","text":"hi","parts":1,"key":"k#1","part":1}`},
		{"escaped key",
			`{"kind":"reply","text":"hi","key":"a\"b\u00e9"}`,
			`{"kind":"reply","text":"hi","key":"a\"bé#1","part":1,"parts":1}`},
	}
	for _, tt := range tests {
		out, errs, _, err := runStream(t, tt.in+"\n", s)
		if err != nil || errs != "" {
			t.Errorf("%s: err %v, stderr %q", tt.name, err, errs)
		}
		if out != tt.want+"\n" {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, out, tt.want)
		}
	}
}

func TestStreamDropsAndBadLines(t *testing.T) {
	in := `{"kind":"reply","text":"hi"}
not json
{"kind":"reply","text":42,"key":"k"}
["an","array"]
{"kind":"message","ok":true}
`
	out, errs, drops, err := runStream(t, in, Settings{})
	if out != `{"kind":"message","ok":true}`+"\n" {
		t.Errorf("stdout = %q", out)
	}
	wantErrs := "imsg-chunk: warning: line 1: dropped: reply without key\n" +
		"imsg-chunk: error: line 2: invalid JSON: invalid character 'o' in literal null (expecting 'u')\n" +
		"imsg-chunk: warning: line 3: dropped: reply text is not a string\n" +
		"imsg-chunk: error: line 4: not a JSON object\n"
	if errs != wantErrs {
		t.Errorf("stderr =\n%s\nwant\n%s", errs, wantErrs)
	}
	wantDrops := `{"kind":"reply","text":"hi","dropped_by":"imsg-chunk","reason":"reply without key"}` + "\n" +
		`{"kind":"reply","text":42,"key":"k","dropped_by":"imsg-chunk","reason":"reply text is not a string"}` + "\n"
	if drops != wantDrops {
		t.Errorf("drops =\n%s\nwant\n%s", drops, wantDrops)
	}
	if tool.CodeOf(err) != tool.ExitFailure || err.Error() != "2 input line(s) rejected" {
		t.Errorf("err = %v (code %d); want 2 input line(s) rejected, code 1", err, tool.CodeOf(err))
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStreamLiveAndCancel checks that a record leaves as soon as input goes
// idle, and that cancelling (SIGINT/SIGTERM) stops a stream blocked on
// input with a nil error.
func TestStreamLiveAndCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Stream(ctx, pr, &out, tool.NewLog(&errs, "imsg-chunk"), nil, fixed(Settings{Limit: 100}))
	}()
	if _, err := io.WriteString(pw, `{"kind":"reply","text":"hi","key":"k"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"reply","text":"hi","key":"k#1","part":1,"parts":1}` + "\n"
	deadline := time.Now().Add(10 * time.Second) // a deadlock guard, not a timing check
	for out.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("record not flushed while input is idle; stdout %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stream after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
	if errs.String() != "" {
		t.Errorf("stderr %q", errs.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestStreamWriteError(t *testing.T) {
	var e bytes.Buffer
	err := Stream(context.Background(), strings.NewReader(`{"kind":"x"}`+"\n"), failWriter{}, tool.NewLog(&e, "imsg-chunk"), nil, fixed(Settings{}))
	if tool.CodeOf(err) != tool.ExitFailure {
		t.Errorf("Stream to a closed pipe = %v; want an exit-1 error", err)
	}
}

func TestAppendQuoted(t *testing.T) {
	tests := map[string]string{
		"":                   `""`,
		"plain":              `"plain"`,
		"a\"b\\c":            `"a\"b\\c"`,
		"<&>":                `"<&>"`,
		"\n\r\t\x00\x1f":     `"\n\r\t\u0000\u001f"`,
		"x\u2028y\u2029z":    `"x\u2028y\u2029z"`,
		"é👍🏽\u007f":          "\"é👍🏽\u007f\"",
		"\u2027\u202a\u2030": "\"\u2027\u202a\u2030\"",
		"a\x80b\xffc":        `"a\ufffdb\ufffdc"`,
	}
	for in, want := range tests {
		if got := string(record.AppendString(nil, in)); got != want {
			t.Errorf("record.AppendString(%q) = %s; want %s", in, got, want)
		}
	}
	// Any valid string round-trips through encoding/json.
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 2000; i++ {
		b := make([]rune, r.Intn(20))
		for j := range b {
			switch r.Intn(3) {
			case 0:
				b[j] = rune(r.Intn(0x80))
			case 1:
				b[j] = rune(0x2020 + r.Intn(16))
			default:
				b[j] = rune(r.Intn(0x10FFFF))
			}
			if !utf8.ValidRune(b[j]) {
				b[j] = 'x'
			}
		}
		s := string(b)
		var back string
		if err := json.Unmarshal(record.AppendString(nil, s), &back); err != nil || back != s {
			t.Fatalf("record.AppendString(%q) = %s does not round-trip: %q, %v", s, record.AppendString(nil, s), back, err)
		}
		// encoding/json's escaping (\u003c, \ufffd, …) decodes the same.
		enc, _ := json.Marshal(s)
		if got, ok := stringValue(enc); !ok || got != s {
			t.Fatalf("stringValue(%s) = %q, %v; want %q", enc, got, ok, s)
		}
	}
}

func TestStringValue(t *testing.T) {
	tests := []string{
		`""`, `"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"caf\u00e9 \u00E9"`, `"\ud83d\udc4d\ud83c\udffd"`,
		`"lone \ud83d here"`, `"lone low \udc4d"`, `"\ud83d\u0041"`, `"é👍 raw"`, `"\u2028\u0000"`,
	}
	for _, raw := range tests {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		if got, ok := stringValue([]byte(raw)); !ok || got != want {
			t.Errorf("stringValue(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`42`, `null`, `["x"]`, `{"a":1}`} {
		if _, ok := stringValue([]byte(raw)); ok {
			t.Errorf("stringValue(%s) succeeded; want not a string", raw)
		}
	}
}

func TestStreamPrefix(t *testing.T) {
	s := Settings{Limit: 20, Mode: ModeLength, Prefix: `"Bot"`}
	in := `{"kind":"reply","text":"hi","key":"a"}
{"kind":"reply","text":"` + "```" + `\nx\n` + "```" + `","key":"b"}
{"kind":"reply","text":"alpha beta gamma delta","key":"c"}
`
	want := `{"kind":"reply","text":"\"Bot\" hi","key":"a#1","part":1,"parts":1}
{"kind":"reply","text":"\"Bot\"\n` + "```" + `\nx\n` + "```" + `","key":"b#1","part":1,"parts":1}
{"kind":"reply","text":"\"Bot\" alpha beta","key":"c#1","part":1,"parts":2}
{"kind":"reply","text":"gamma delta","key":"c#2","part":2,"parts":2}
`
	out, errs, _, err := runStream(t, in, s)
	if err != nil || errs != "" || out != want {
		t.Errorf("Stream with a prefix:\n got %s\nwant %s\n(err %v, stderr %q)", out, want, err, errs)
	}
}

// TestStreamAgent checks which agent a reply is attributed to: agent_id,
// else the session key's agent, else the default ("").
func TestStreamAgent(t *testing.T) {
	var got []string
	resolve := func(account, agent string) Settings {
		got = append(got, account+"/"+agent)
		return Settings{}
	}
	in := `{"kind":"reply","account":"a","key":"1","agent_id":"helper","session_key":"agent:main:main"}
{"kind":"reply","account":"a","key":"2","session_key":"agent:Work:imessage:group:7"}
{"kind":"reply","account":"b","key":"3"}
{"kind":"reply","account":"b","key":"4","agent_id":"helper"}
`
	var o, e bytes.Buffer
	if err := Stream(context.Background(), strings.NewReader(in), &o, tool.NewLog(&e, "imsg-chunk"), nil, resolve); err != nil {
		t.Fatal(err)
	}
	want := []string{"a/helper", "a/work", "b/", "b/helper"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("agents = %q; want %q", got, want)
	}
}
