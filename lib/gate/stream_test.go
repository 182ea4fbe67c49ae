package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// harness runs a Stream over a real state store, as imsg-gate does.
type harness struct {
	t      *testing.T
	dir    string
	clk    *mutableClock
	store  *state.Store // the gate's
	other  *state.Store // another process: imsg-pair, imsg-listen, imsg-send
	file   *config.File
	opts   Options
	stream *Stream
	out    *syncBuffer
	errs   *syncBuffer
	drops  *syncBuffer
}

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

func newHarness(t *testing.T, cfgText string, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clk: &mutableClock{t: t0}, out: &syncBuffer{}, errs: &syncBuffer{}, drops: &syncBuffer{}}
	path := filepath.Join(h.dir, "config.json5")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h.file = f
	opts.Clock = h.clk
	h.opts = opts
	acct, _ := f.Account("")
	g, _, err := New(f, acct, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []**state.Store{&h.store, &h.other} {
		st, err := state.Open(filepath.Join(h.dir, "state"), acct.ID, state.WithClock(h.clk))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	caches := NewCaches()
	errOut := NewLineBuffer(h.errs)
	h.stream = &Stream{Gate: g, Store: h.store, Log: tool.NewLog(errOut, "imsg-gate"), Stderr: errOut,
		Drops: ndjson.NewWriter(h.drops),
		Rebuild: func(f *config.File) (*Gate, []Warning, error) {
			a, err := f.Account(acct.ID)
			if err != nil {
				return nil, nil, err
			}
			return New(f, a, opts, caches)
		}}
	h.stream.Out = ndjson.NewWriter(h.stream.OutputWriter(h.out))
	return h
}

func (h *harness) run(input string) error {
	return h.stream.Run(context.Background(), strings.NewReader(input))
}

// rec renders a message record as imsg-listen writes it, journalling it in
// the store the way listen does.
func (h *harness) rec(m *imsg.Message, kind string) string {
	h.t.Helper()
	raw, _ := json.Marshal(m)
	if kind == "" {
		kind = record.KindMessage
	}
	if _, err := h.other.Journal(state.JournalKey(m.GUID, m.ID), m.ID, m.ChatID); err != nil {
		h.t.Fatal(err)
	}
	return fmt.Sprintf(`{"kind":%q,"account":"default","message":%s,"listen":{"received_at":"2026-05-16T09:00:00Z"}}`+"\n", kind, raw)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func field(t *testing.T, line, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		t.Fatalf("output %q: %v", line, err)
	}
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func TestStreamPassThroughAndDispatch(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`), Options{})
	other := `{"kind":"receipt","account":"default","key":"k",  "ok":true , "weird":[1,{"x":"}"}]}`
	in := other + "\n" + h.rec(dm(owner, "hello"), "")
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	out := lines(h.out.String())
	if len(out) != 2 || out[0] != other {
		t.Fatalf("out = %q; want the receipt byte for byte, then the message", out)
	}
	msgLine := strings.TrimSuffix(lines(in)[1], "}") + `,"gate":`
	if !strings.HasPrefix(out[1], msgLine) {
		t.Errorf("dispatched record does not keep the input bytes:\n%s\n%s", out[1], msgLine)
	}
	if field(t, out[1], "gate.sender") != owner || field(t, out[1], "gate.admitted_by") != AdmitAllowFrom {
		t.Errorf("gate object wrong: %s", out[1])
	}
	if st, _ := h.store.Status("G-10"); st != state.StatusReceived {
		t.Errorf("dispatched message status %q; the gate must not finish it", st)
	}
	if h.errs.String() != "" || h.drops.String() != "" {
		t.Errorf("stderr %q drops %q; want nothing", h.errs, h.drops)
	}
}

func TestStreamDropsAreReportedAndFinished(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`), Options{})
	m := dm(stranger, "let me in")
	if err := h.run(h.rec(m, "")); err != nil {
		t.Fatal(err)
	}
	if h.out.String() != "" {
		t.Errorf("out = %q; want nothing", h.out)
	}
	if want := "imsg-gate: dropped row 10 from +15559998888: dmPolicy blocked\n"; h.errs.String() != want {
		t.Errorf("stderr = %q; want %q", h.errs, want)
	}
	d := lines(h.drops.String())
	if len(d) != 1 || field(t, d[0], "dropped_by") != "imsg-gate" || field(t, d[0], "reason") != ReasonDMBlocked {
		t.Errorf("drops = %q", d)
	}
	e, err := h.store.Entry("G-10")
	if err != nil || e.Status != state.StatusFinished || e.Outcome != state.OutcomeDropped || e.Reason != ReasonDMBlocked {
		t.Errorf("journal = %+v, %v; want finished/dropped/%q", e, err, ReasonDMBlocked)
	}

	// A redelivery of the finished message is a duplicate; the reason in
	// the journal stays the first one.
	redelivered := strings.Replace(h.rec(m, ""), `"received_at"`, `"redelivery":true,"received_at"`, 1)
	h.errs.b.Reset()
	if err := h.run(redelivered); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(h.errs.String(), ": duplicate\n") {
		t.Errorf("stderr = %q; want a duplicate drop", h.errs)
	}
	if e, _ := h.store.Entry("G-10"); e.Reason != ReasonDMBlocked {
		t.Errorf("journal reason = %q; want the first outcome kept", e.Reason)
	}
}

func TestStreamMalformed(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "open", allowFrom: ["*"]`), Options{})
	in := strings.Join([]string{
		`not json`,
		`[1,2]`,
		`{"kind":"message","account":"default"}`,
		`{"kind":"message","account":"default","message":{"sender":{"evil":true},"text":"hi"}}`,
		"{\"kind\":\"message\",\"message\":{\"sender\":\"+15559998888\",\"text\":\"\xff\"}}",
		`{"kind":"message","account":"default","message":{"id":1,"chat_id":1,"sender":"+15559998888","text":"fine"}}`,
	}, "\n")
	err := h.run(in)
	if tool.CodeOf(err) != tool.ExitFailure || !strings.Contains(err.Error(), "5 input lines rejected") {
		t.Errorf("Run = %v; want exit 1 with 5 lines rejected", err)
	}
	for _, want := range []string{
		"imsg-gate: error: line 1: invalid JSON",
		"imsg-gate: error: line 2: not a JSON object",
		`imsg-gate: error: line 3: record has no "message"`,
		"imsg-gate: error: line 4: message.sender: expected string, got object",
		"imsg-gate: error: line 5: invalid UTF-8",
	} {
		if !strings.Contains(h.errs.String(), want+"\n") && !strings.Contains(h.errs.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, h.errs)
		}
	}
	if out := lines(h.out.String()); len(out) != 1 || field(t, out[0], "gate.body") != "fine" {
		t.Errorf("out = %q; want only the good record", out)
	}
	if d := lines(h.drops.String()); len(d) != 2 || field(t, d[0], "reason") != ReasonMalformed {
		t.Errorf("drops = %q; want the two well-formed but unusable records", d)
	}
}

func TestStreamAccountMismatch(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "open", allowFrom: ["*"]`), Options{})
	line := strings.Replace(h.rec(dm(stranger, "hi"), ""), `"account":"default"`, `"account":"work"`, 1)
	if err := h.run(line); err != nil {
		t.Fatal(err)
	}
	if h.out.String() != "" || !strings.Contains(h.errs.String(), `not "work"`) || !strings.Contains(h.errs.String(), ReasonOtherAccount) {
		t.Errorf("out %q stderr %q; want a drop for another account's message", h.out, h.errs)
	}
	if st, _ := h.store.Status("G-10"); st != state.StatusReceived {
		t.Errorf("another account's message finished in this account's journal (%q)", st)
	}
}

func TestStreamHistoryCommittedBeforeDispatch(t *testing.T) {
	h := newHarness(t, cfg(`groupAllowFrom: ["`+friend+`"], historyLimit: 2`, patterns), Options{})
	var seen []int
	h.stream.Out = ndjson.NewWriter(h.stream.OutputWriter(writerFunc(func(p []byte) (int, error) {
		hist, err := h.other.History("chat_id:7", 0)
		if err != nil {
			t.Error(err)
		}
		seen = append(seen, len(hist))
		return h.out.Write(p)
	})))
	in := ""
	for i, text := range []string{"one", "two", "three", "claw: summary?"} {
		in += h.rec(with(group(7, friend, text), func(m *imsg.Message) { m.ID, m.GUID = int64(i+1), fmt.Sprint("H-", i+1) }), "")
	}
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || seen[0] != 2 {
		t.Fatalf("history when the dispatched record left: %v; want 2 entries (historyLimit)", seen)
	}
	hist, _ := h.other.History("chat_id:7", 0)
	if len(hist) != 2 || hist[0].Body != "two" || hist[1].Body != "three" || hist[1].MessageID != "3" || hist[1].Sender != friend {
		t.Errorf("history = %+v; want two, three", hist)
	}
}

func TestStreamEchoWithStore(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "open", allowFrom: ["*"]`), Options{})
	if err := h.other.RememberSent("chat_id:1", "SENT-1", "Sure, on it"); err != nil {
		t.Fatal(err)
	}
	if err := h.other.RememberSent(stranger, "", "Done: “ok”"); err != nil {
		t.Fatal(err)
	}
	in := h.rec(with(dm(stranger, "whatever"), func(m *imsg.Message) { m.ID, m.GUID = 1, "SENT-1" }), "") +
		h.rec(with(dm(stranger, "\x93b\x02Done: \"ok\""), func(m *imsg.Message) { m.ID, m.GUID = 2, "IN-2" }), "") +
		h.rec(with(dm(stranger, "Done: \"ok\""), func(m *imsg.Message) { m.ID, m.GUID = 3, "IN-3" }), "") +
		h.rec(with(dm(stranger, "Sure, on it"), func(m *imsg.Message) { m.ID, m.GUID = 4, "IN-4" }), "")
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dropped row 1 from +15559998888: echo", "dropped row 2 from +15559998888: echo"} {
		if !strings.Contains(h.errs.String(), want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, h.errs)
		}
	}
	out := lines(h.out.String())
	if len(out) != 2 || !strings.Contains(out[0], `"IN-3"`) || !strings.Contains(out[1], `"IN-4"`) {
		t.Errorf("out = %q; want rows 3 (a text echo matches once) and 4 (real guids differ) dispatched", out)
	}
}

func TestStreamWhere(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open"`), Options{})
	w, err := CompileWhere(`.gate.is_group`)
	if err != nil {
		t.Fatal(err)
	}
	h.stream.Where = w
	in := h.rec(dm(stranger, "dm"), "") + h.rec(group(7, friend, "in a group"), "")
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	if out := lines(h.out.String()); len(out) != 1 || !strings.Contains(out[0], "in a group") {
		t.Errorf("out = %q; want only the group message", out)
	}
	if !strings.Contains(h.errs.String(), ": where\n") {
		t.Errorf("stderr = %q; want a where drop", h.errs)
	}
	if _, err := CompileWhere(`.gate | frob(`); err == nil {
		t.Errorf("CompileWhere of a broken expression succeeded")
	}
	w, _ = CompileWhere(`.message.text | error`)
	if ok, err := w.Match([]byte(`{"message":{"text":"x"}}`)); ok || err == nil {
		t.Errorf("a failing predicate = %v, %v; want false with an error", ok, err)
	}
}

func TestStreamStopsOnSignal(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "open", allowFrom: ["*"]`), Options{})
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.stream.Run(ctx, pr) }()
	fmt.Fprint(pw, h.rec(dm(stranger, "hi"), ""))
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(h.out.String(), "hi") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v; want nil (clean shutdown)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel while waiting for input")
	}
}

func TestStreamHostileInput(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"], groupPolicy: "open"`, patterns), Options{})
	huge := strings.Repeat("ä", 256<<10) + " claw"
	evil := "+1555\x1b[31mRED\x1b[0m\nimsg-gate: forged line"
	nested := `{"kind":"message","account":"default","message":{"id":5,"chat_id":1,"guid":"N","sender":"` + owner +
		`","text":"deep","x":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `}}`
	in := h.rec(with(group(7, friend, huge), nil2), "") +
		h.rec(with(dm(evil, "hi"), func(m *imsg.Message) { m.ID, m.GUID = 2, "E" }), "") +
		nested + "\n" +
		h.rec(with(dm(owner, "ctl \x00\x07\x1b chars"), func(m *imsg.Message) { m.ID, m.GUID = 6, "C" }), "")
	if err := h.run(in); err != nil {
		t.Fatal(err, h.errs.String())
	}
	out := lines(h.out.String())
	if len(out) != 3 {
		t.Fatalf("got %d records; want the huge group message, the nested one and the control characters", len(out))
	}
	if body, _ := field(t, out[0], "gate.body").(string); len(body) != len(huge) {
		t.Errorf("huge body cut to %d bytes", len(body))
	}
	errLines := lines(h.errs.String())
	if len(errLines) != 1 || strings.ContainsAny(errLines[0], "\x1b\x00") || !strings.Contains(errLines[0], `\x1b[31mRED`) {
		t.Errorf("stderr = %q; want one line with the hostile sender escaped", errLines)
	}
}
