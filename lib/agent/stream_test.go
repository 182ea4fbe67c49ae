package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/tool"
)

func routedRecord(session, guid, text string) string {
	return fmt.Sprintf(`{"kind":"message","account":"default","message":{"id":1,"chat_id":3,"guid":%q,"sender":"+15550001111","text":%q},"route":{"agent_id":"main","session_key":%q,"to":"chat_id:3","chat_type":"direct","sender":"+15550001111","history_limit":5}}`, guid, text, session)
}

// runnerFunc adapts a function to Runner.
type runnerFunc func(ctx context.Context, j *Job) (string, error)

func (f runnerFunc) Answer(ctx context.Context, j *Job) (string, error) { return f(ctx, j) }

func TestStreamOneReplyPerMessage(t *testing.T) {
	pairing := `{"kind":"reply","account":"default","to":"chat_id:9", "text":"Pairing code: ABCD2345","key":"gate:pairing:x"}`
	reaction := `{"kind":"reaction","account":"default","message":{"id":2,"is_reaction":true}}`
	unrouted := `{"kind":"message","account":"default","message":{"id":3,"guid":"G3","text":"no route"}}`
	in := strings.Join([]string{
		pairing,
		routedRecord("s1", "G1", "ok"),
		reaction,
		routedRecord("s2", "G2", "fail"),
		unrouted,
		routedRecord("s3", "G4", "panic"),
		"[1,2]",
	}, "\n") + "\n"
	runner := runnerFunc(func(_ context.Context, j *Job) (string, error) {
		switch j.Text {
		case "fail":
			return "ignored", errors.New("model unavailable")
		case "panic":
			panic("oops")
		}
		return "echo: " + j.Text, nil
	})
	var out, errb bytes.Buffer
	err := Stream(context.Background(), strings.NewReader(in), &out, Options{Runner: runner, Jobs: 1, Log: tool.NewLog(&errb, "imsg-agent")})
	if tool.CodeOf(err) != tool.ExitFailure {
		t.Errorf("Stream = %v; want exit 1 for the line that is no object", err)
	}
	want := []string{
		pairing,
		`{"kind":"reply","account":"default","to":"chat_id:3","text":"echo: ok","in_reply_to":"G1","session_key":"s1","key":"agent:G1","agent_id":"main"}`,
		reaction,
		`{"kind":"reply","account":"default","to":"chat_id:3","text":"","in_reply_to":"G2","session_key":"s2","key":"agent:G2","agent_id":"main","error":"model unavailable"}`,
		unrouted,
		`{"kind":"reply","account":"default","to":"chat_id:3","text":"","in_reply_to":"G4","session_key":"s3","key":"agent:G4","agent_id":"main","error":"agent panicked: oops"}`,
	}
	// Records pass through at once and replies leave when answered:
	// compare each stream's own order.
	split := func(lines []string) (replies, others []string) {
		for _, l := range lines {
			if strings.Contains(l, `"key":"agent:`) {
				replies = append(replies, l)
			} else {
				others = append(others, l)
			}
		}
		return
	}
	gotR, gotO := split(strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"))
	wantR, wantO := split(want)
	if strings.Join(gotR, "\n") != strings.Join(wantR, "\n") || strings.Join(gotO, "\n") != strings.Join(wantO, "\n") {
		t.Errorf("out =\n%s\nwant (replies and pass-through each in this order)\n%s", out.String(), strings.Join(want, "\n"))
	}
	for _, msg := range []string{
		"imsg-agent: error: line 4: session s2: message G2: model unavailable; answered with no text",
		"imsg-agent: warning: line 5: message has no route (run imsg-route before imsg-agent); passed through unanswered",
		"imsg-agent: error: line 7: not a JSON object",
	} {
		if !strings.Contains(errb.String(), msg) {
			t.Errorf("stderr = %q; want %q", errb.String(), msg)
		}
	}
}

func TestStreamHungSessionDoesNotStallOthers(t *testing.T) {
	release := make(chan struct{})
	runner := runnerFunc(func(ctx context.Context, j *Job) (string, error) {
		if j.SessionKey == "stuck" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return j.Text, nil
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Stream(context.Background(), inR, outW, Options{Runner: runner, Jobs: 2, Log: tool.NewLog(io.Discard, "imsg-agent")})
		outW.Close()
	}()
	replies := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var r Reply
			json.Unmarshal(sc.Bytes(), &r)
			replies <- r.Text
		}
		close(replies)
	}()
	next := func() string {
		select {
		case r := <-replies:
			return r
		case <-time.After(guard):
			t.Fatal("no reply (stalled?)")
			return ""
		}
	}
	fmt.Fprintln(inW, routedRecord("stuck", "S1", "stuck 1"))
	fmt.Fprintln(inW, routedRecord("stuck", "S2", "stuck 2"))
	for i := range 3 {
		fmt.Fprintln(inW, routedRecord(fmt.Sprintf("live%d", i), fmt.Sprintf("L%d", i), fmt.Sprintf("live %d", i)))
		if got := next(); got != fmt.Sprintf("live %d", i) {
			t.Fatalf("reply %q; want live %d answered while another session hangs", got, i)
		}
	}
	close(release)
	inW.Close()
	if a, b := next(), next(); a != "stuck 1" || b != "stuck 2" {
		t.Errorf("stuck session replies %q, %q; want them in order once released", a, b)
	}
	if err := <-done; err != nil {
		t.Errorf("Stream = %v", err)
	}
}

func TestStreamExecEndToEnd(t *testing.T) {
	in := routedRecord("s1", "G1", "one") + "\n" + routedRecord("s1", "G2", "two") + "\n" + routedRecord("s2", "G3", "three") + "\n"
	var out, errb bytes.Buffer
	e := &Exec{Command: `echo "$IMSG_SESSION_KEY says $IMSG_TEXT"`, Timeout: guard}
	if err := Stream(context.Background(), strings.NewReader(in), &out, Options{Runner: e, Jobs: 1, Log: tool.NewLog(&errb, "imsg-agent")}); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r Reply
		json.Unmarshal([]byte(l), &r)
		texts = append(texts, r.Text)
	}
	if strings.Join(texts, "|") != "s1 says one|s1 says two|s2 says three" {
		t.Errorf("replies = %q", texts)
	}
}

func TestReplyKeyIsStable(t *testing.T) {
	a, _ := ParseJob([]byte(routedRecord("s", "G1", "x")), 1)
	b, _ := ParseJob([]byte(`{"kind":"message","listen":{"redelivery":true},"message":{"id":1,"guid":"G1","text":"x"},"route":{"session_key":"s","to":"chat_id:3"}}`), 9)
	if ReplyKey(a) != ReplyKey(b) || ReplyKey(a) != "agent:G1" {
		t.Errorf("keys %q, %q; want the same key for the same guid", ReplyKey(a), ReplyKey(b))
	}
	c, _ := ParseJob([]byte(`{"kind":"message","message":{"id":77,"guid":""},"route":{"session_key":"s","to":"x"}}`), 1)
	if ReplyKey(c) != "agent:rowid:77" {
		t.Errorf("key without guid = %q; want agent:rowid:77", ReplyKey(c))
	}
	d1, _ := ParseJob([]byte(`{"kind":"message","message":{"text":"a"},"route":{"session_key":"s","to":"x"}}`), 1)
	d2, _ := ParseJob([]byte(`{"kind":"message","message":{"text":"b"},"route":{"session_key":"s","to":"x"}}`), 1)
	if ReplyKey(d1) == ReplyKey(d2) || !strings.HasPrefix(ReplyKey(d1), "agent:sha256:") {
		t.Errorf("hand-fed keys %q, %q; want distinct hashes", ReplyKey(d1), ReplyKey(d2))
	}
}

func TestStreamOrderedKeepsInputOrder(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	runner := runnerFunc(func(ctx context.Context, j *Job) (string, error) {
		started <- struct{}{}
		if j.GUID == "slow" {
			<-release
		}
		return j.Text, nil
	})
	pass := `{"kind":"receipt","account":"default","key":"k","to":"x","ok":true,"attempts":1}`
	in := routedRecord("a", "slow", "first") + "\n" + pass + "\n" + routedRecord("b", "fast", "second") + "\n"
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Stream(context.Background(), strings.NewReader(in), &out, Options{Runner: runner, Jobs: 2, Ordered: true, Log: tool.NewLog(io.Discard, "imsg-agent")})
	}()
	// Both jobs run at once; the fast one finishes first but waits.
	for range 2 {
		select {
		case <-started:
		case <-time.After(guard):
			t.Fatal("jobs did not start in parallel")
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"text":"first"`) || lines[1] != pass || !strings.Contains(lines[2], `"text":"second"`) {
		t.Errorf("out =\n%s\nwant the first reply, the receipt, the second reply", out.String())
	}
}

func TestStreamStopsOnCancel(t *testing.T) {
	started := make(chan struct{})
	runner := runnerFunc(func(ctx context.Context, j *Job) (string, error) {
		close(started)
		<-ctx.Done() // an answer still running at shutdown
		return "late", nil
	})
	inR, inW := io.Pipe()
	defer inW.Close()
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Stream(ctx, inR, &out, Options{Runner: runner, Jobs: 1, Log: tool.NewLog(io.Discard, "imsg-agent")})
	}()
	fmt.Fprintln(inW, `{"kind":"receipt","account":"default","key":"k","ok":true}`)
	fmt.Fprintln(inW, routedRecord("s", "G1", "x"))
	<-started
	cancel() // the reader is blocked on a quiet pipe
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stream after cancel = %v; want nil (a clean shutdown)", err)
		}
	case <-time.After(guard):
		t.Fatal("Stream did not return after cancel")
	}
	if got := out.String(); got != `{"kind":"receipt","account":"default","key":"k","ok":true}`+"\n" {
		t.Errorf("out = %q; want the receipt flushed and no reply for the abandoned message", got)
	}
}
