package rpc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
)

// short makes shutdown escalate quickly in tests of the escalation.
var short = rpc.Options{CloseGrace: 200 * time.Millisecond, KillGrace: 200 * time.Millisecond}

func TestStartExpandsTildeAndPassesDB(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	script := fmt.Sprintf("args rpc --db %s\nread chats.list\nreply 1 {\"chats\":[{\"id\":7,\"name\":\"Crew\",\"future\":1}]}\n",
		filepath.Join(home, "chat.db"))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(home, "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(home, "bin", "imsg-ssh")); err != nil {
		t.Fatal(err)
	}
	c, _, rec := start(t, script, rpc.Options{CLIPath: " ~/bin/imsg-ssh ", DBPath: "~/chat.db"})
	chats, err := c.ChatsList(ctx(t), 0)
	if err != nil {
		t.Fatalf("ChatsList: %v (log %q)", err, rec.all())
	}
	if len(chats) != 1 || chats[0].ID != 7 || chats[0].Name != "Crew" {
		t.Errorf("chats = %+v", chats)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	if err := c.Err(); !errors.Is(err, rpc.ErrClosed) || err.Error() != "imsg rpc closed" {
		t.Errorf("Err() = %v; want imsg rpc closed", err)
	}
}

func TestStartFailure(t *testing.T) {
	_, err := rpc.Start(rpc.Options{CLIPath: filepath.Join(t.TempDir(), "no-imsg")})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start = %v; want a not-exist error", err)
	}
}

func TestStderrIsLoggedApart(t *testing.T) {
	script := `read
stderr {"jsonrpc":"2.0","id":1,"result":{"from":"stderr"}}
ewrite "warn: crlf line\r\n" "\r\n" "\x1b[31mred\x1b[0m\n"
reply 1 {"from":"stdout"}
eof
`
	c, _, rec := start(t, script, rpc.Options{})
	var res struct{ From string }
	if err := c.Call(ctx(t), "chats.list", nil, &res); err != nil || res.From != "stdout" {
		t.Fatalf("Call = %+v, %v; want the stdout answer", res, err)
	}
	c.Close()
	want := []string{
		`imsg rpc: {"jsonrpc":"2.0","id":1,"result":{"from":"stderr"}}`,
		"imsg rpc: warn: crlf line",
		"imsg rpc: red",
	}
	if got := rec.all(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log = %q; want %q", got, want)
	}
}

func TestAnswersOutOfOrderFromAProcess(t *testing.T) {
	c, _, _ := start(t, "read\nread\nreply 2 {\"n\":2}\nreply 1 {\"n\":1}\n", rpc.Options{})
	cx := ctx(t)
	r1 := call(c, cx, "a", nil)
	r2 := call(c, cx, "b", nil)
	got := map[string]bool{}
	for _, ch := range []<-chan callResult{r1, r2} {
		r := wait(t, ch)
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[string(r.result)] = true
	}
	// Each call gets the answer to its own id, whichever was sent first.
	if len(got) != 2 || !got[`{"n":1}`] || !got[`{"n":2}`] {
		t.Errorf("results = %v; want both answers", got)
	}
}

func TestPermissionBannerFromAProcess(t *testing.T) {
	var script strings.Builder
	for _, l := range strings.Split(fmt.Sprintf(imsg.PermissionBanner, "/Users/me/Library/Messages/chat.db"), "\n") {
		fmt.Fprintf(&script, "line %s\n", l)
	}
	script.WriteString("eof\nexit 1\n")
	broken := 0
	c, _, rec := start(t, script.String(), rpc.Options{OnBroken: func(error) { broken++ }})
	err := c.Call(ctx(t), "chats.list", nil, nil)
	if !errors.Is(err, rpc.ErrPermissionDenied) {
		t.Errorf("Call = %v; want %v", err, rpc.ErrPermissionDenied)
	}
	waitDone(t, c)
	if !errors.Is(c.Err(), rpc.ErrPermissionDenied) {
		t.Errorf("Err() = %v; want %v", c.Err(), rpc.ErrPermissionDenied)
	}
	if broken != 1 || rec.count("Permission Error") != 1 || len(rec.all()) != 1 {
		t.Errorf("OnBroken ×%d, log %q; want one call and one grouped entry", broken, rec.all())
	}
	if msg := c.Err().Error(); !strings.Contains(msg, "Full Disk Access") || !strings.Contains(msg, "restart") {
		t.Errorf("message %q should tell the user to grant Full Disk Access and restart", msg)
	}
}

func TestPermissionErrorAnswer(t *testing.T) {
	data, _ := json.Marshal(fmt.Sprintf(imsg.PermissionBanner, "/Users/me/Library/Messages/chat.db"))
	script := fmt.Sprintf("read chats.list\nerror 1 {\"code\":-32603,\"message\":\"Internal error\",\"data\":%s}\neof\nexit 1\n", data)
	c, _, _ := start(t, script, rpc.Options{})
	_, err := c.ChatsList(ctx(t), 5)
	var pe *rpc.Error
	if !errors.Is(err, rpc.ErrPermissionDenied) || !errors.As(err, &pe) || pe.Code != imsg.CodeInternalError {
		t.Fatalf("ChatsList = %v; want a permission error wrapping the -32603 answer", err)
	}
	if err := c.Call(ctx(t), "chats.list", nil, nil); !errors.Is(err, rpc.ErrPermissionDenied) {
		t.Errorf("next Call = %v; want the client broken", err)
	}
	waitDone(t, c)
	if !errors.Is(c.Err(), rpc.ErrPermissionDenied) {
		t.Errorf("Err() = %v; want %v rather than the exit code", c.Err(), rpc.ErrPermissionDenied)
	}
}

func TestDatabaseUnavailableIsRetryable(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	res := call(c, ctx(t), "chats.list", nil)
	req := p.request()
	p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"error":{"code":-32002,"message":"Database unavailable","data":{"path":"/x","detail":"authorization denied","retryable":true}}}` + "\n")
	r := wait(t, res)
	var pe *rpc.PermissionError
	if !errors.As(r.err, &pe) || !pe.Retryable {
		t.Fatalf("Call = %v; want a retryable permission error", r.err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err() = %v; want nil: -32002 does not break the client", err)
	}
	res = call(c, ctx(t), "status", nil)
	req = p.request()
	p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{}}` + "\n")
	if r := wait(t, res); r.err != nil {
		t.Errorf("next Call = %v; want success", r.err)
	}
}

func TestNoRPCCommand(t *testing.T) {
	tests := map[string]string{
		"stdout": "line Error: Unknown command 'rpc'\nline Usage: imsg <command> [options]\nexit 1\n",
		"stderr": "stderr error: unknown subcommand \"rpc\"\nexit 64\n",
	}
	for name, script := range tests {
		t.Run(name, func(t *testing.T) {
			c, _, _ := start(t, script, rpc.Options{})
			waitDone(t, c)
			if c.Err() != rpc.ErrNoRPC {
				t.Errorf("Err() = %v; want %v", c.Err(), rpc.ErrNoRPC)
			}
			if err := c.Call(ctx(t), "chats.list", nil, nil); err != rpc.ErrNoRPC {
				t.Errorf("Call = %v; want %v", err, rpc.ErrNoRPC)
			}
		})
	}
}

func TestChildEnds(t *testing.T) {
	tests := []struct {
		script, want string
	}{
		{"read\nkill KILL\n", "imsg rpc killed (signal KILL)"},
		{"read\nkill HUP\n", "imsg rpc killed (signal HUP)"},
		{"read\nexit 3\n", "imsg rpc exited (code 3)"},
		{"read\nclose-stdout\nexit 0\n", "imsg rpc closed"},
	}
	for _, tt := range tests {
		c, _, _ := start(t, tt.script, rpc.Options{})
		err := c.Call(ctx(t), "chats.list", nil, nil) // pending when the child ends
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: Call = %v; want %s", tt.script, err, tt.want)
		}
		waitDone(t, c)
		if got := c.Err(); got == nil || got.Error() != tt.want {
			t.Errorf("%q: Err() = %v; want %s", tt.script, got, tt.want)
		}
		if err := c.Call(ctx(t), "chats.list", nil, nil); err == nil || err.Error() != tt.want {
			t.Errorf("%q: Call after the end = %v; want %s", tt.script, err, tt.want)
		}
	}
}

func TestWriteToAChildThatClosedStdin(t *testing.T) {
	ready := make(chan struct{}, 1)
	c, _, _ := start(t, "close-stdin\nnotify ready {}\nhang\n", rpc.Options{
		CloseGrace: short.CloseGrace, KillGrace: short.KillGrace,
		OnNotify: func(string, json.RawMessage) { ready <- struct{}{} },
	})
	wait(t, ready)
	err := c.Call(ctx(t), "chats.list", nil, nil)
	if !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Call = %v; want EPIPE", err)
	}
	if err := c.Close(); err == nil || err.Error() != "imsg rpc killed (signal TERM)" {
		t.Errorf("Close() = %v; want imsg rpc killed (signal TERM)", err)
	}
}

func TestCallsRacingAChildThatDies(t *testing.T) {
	c, _, _ := start(t, "exit 2\n", rpc.Options{})
	for c.Err() == nil {
		if err := c.Call(ctx(t), "chats.list", nil, nil); err == nil {
			t.Fatal("Call to a dead child succeeded")
		}
	}
	waitDone(t, c)
	if err := c.Call(ctx(t), "chats.list", nil, nil); err == nil || err.Error() != "imsg rpc exited (code 2)" {
		t.Errorf("Call = %v; want imsg rpc exited (code 2)", err)
	}
}

func TestTimeouts(t *testing.T) {
	opts := short
	opts.CallTimeout = 100 * time.Millisecond
	opts.SendTimeout = 300 * time.Millisecond
	c, _, _ := start(t, "read chats.list\nread send\nhang\n", opts)
	err := c.Call(ctx(t), "chats.list", nil, nil)
	var te *rpc.TimeoutError
	if !errors.Is(err, rpc.ErrTimeout) || !errors.As(err, &te) || te.After != opts.CallTimeout {
		t.Errorf("Call = %#v; want a timeout after %v", err, opts.CallTimeout)
	}
	if err == nil || err.Error() != "imsg rpc timeout (chats.list)" {
		t.Errorf("message = %v", err)
	}
	_, err = c.Send(ctx(t), rpc.SendParams{ChatID: 7, Text: "hi"})
	if !errors.As(err, &te) || te.Method != "send" || te.After != opts.SendTimeout {
		t.Errorf("Send = %v; want a timeout after the send timeout", err)
	}
}

func TestCloseEscalates(t *testing.T) {
	// Each child says when it is ready, so that a slow start does not count
	// against the grace periods.
	tests := []struct{ script, want string }{
		{"notify ready {}\neof\nexit 0\n", ""},
		{"notify ready {}\neof\nexit 1\n", "imsg rpc exited (code 1)"},
		{"notify ready {}\nhang\n", "imsg rpc killed (signal TERM)"},
		{"ignore TERM\nnotify ready {}\nhang\n", "imsg rpc killed (signal KILL)"},
	}
	for _, tt := range tests {
		ready := make(chan struct{}, 1)
		opts := short
		opts.OnNotify = func(string, json.RawMessage) { ready <- struct{}{} }
		c, _, _ := start(t, tt.script, opts)
		wait(t, ready)
		err := c.Close()
		if got := fmt.Sprint(err); (tt.want == "" && err != nil) || (tt.want != "" && got != tt.want) {
			t.Errorf("%q: Close() = %v; want %q", tt.script, err, tt.want)
		}
	}
}

func TestTenMegabyteLine(t *testing.T) {
	script := `read
write "{\"jsonrpc\":\"2.0\",\"id\":" $ID ",\"result\":{\"blob\":\""
repeat 10000000 a
write "\"}}\n"
read
reply 2 {"after":true}
`
	// The timeout only guards against a hang: 10 MB through a race-
	// instrumented peer on a busy machine can take many seconds.
	c, _, rec := start(t, script, rpc.Options{CallTimeout: 5 * time.Minute})
	var big struct{ Blob string }
	if err := c.Call(ctx(t), "messages.history", nil, &big); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if len(big.Blob) != 10_000_000 || strings.Trim(big.Blob, "a") != "" {
		t.Errorf("blob has %d bytes; want 10000000 a's", len(big.Blob))
	}
	var after struct{ After bool }
	if err := c.Call(ctx(t), "chats.list", nil, &after); err != nil || !after.After {
		t.Errorf("Call after the big line = %v, %v", after, err)
	}
	if e := rec.all(); len(e) != 0 {
		t.Errorf("log = %q; want nothing", e)
	}
}
