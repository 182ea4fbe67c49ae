package rpctest_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/rpc/rpctest"
)

func TestMain(m *testing.M) {
	rpctest.Intercept()
	os.Exit(m.Run())
}

// run plays script in a child fed stdin and returns its output and status.
func run(t *testing.T, script, stdin string, args ...string) (peer *rpctest.Peer, stdout, stderr string, code int) {
	t.Helper()
	peer = rpctest.New(t, script)
	cmd := exec.Command(peer.Path, args...)
	cmd.Env = append(os.Environ(), peer.Env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return peer, out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestScript(t *testing.T) {
	script := `# a comment

args rpc --db "/tmp/a b/chat.db"
read ping
read
reply 2 {"second":true}
error 1 {"code":-32601,"message":"Method not found","data":"ping"}
notify message {"subscription":1,"message":{"id":$ID1}}
line raw $ID text
write "a\n" bare "\xff"
chunks x "y\n"
repeat 3 ab
stderr oops
ewrite "e1" "\r\n"
exit 7
`
	stdin := "\n" + `{"jsonrpc":"2.0","id":5,"method":"ping"}` + "\n" + `{"jsonrpc":"2.0","id":"s","method":"pong"}` + "\n"
	peer, stdout, stderr, code := run(t, script, stdin, "rpc", "--db", "/tmp/a b/chat.db")
	want := `{"jsonrpc":"2.0","id":"s","result":{"second":true}}` + "\n" +
		`{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"Method not found","data":"ping"}}` + "\n" +
		`{"jsonrpc":"2.0","method":"message","params":{"subscription":1,"message":{"id":5}}}` + "\n" +
		`raw "s" text` + "\n" +
		"a\nbare\xffxy\nababab"
	if stdout != want {
		t.Errorf("stdout = %q\nwant     %q", stdout, want)
	}
	if stderr != "oops\ne1\r\n" || code != 7 {
		t.Errorf("stderr = %q, code %d; want \"oops\\ne1\\r\\n\", 7", stderr, code)
	}
	reqs := peer.Requests(t)
	if len(reqs) != 2 || !strings.Contains(reqs[1], `"pong"`) {
		t.Errorf("Requests() = %q", reqs)
	}
}

func TestFailedChecks(t *testing.T) {
	tests := []struct{ script, stdin, want string }{
		{"read other\n", `{"id":1,"method":"ping"}` + "\n", `rpctest: line 1: read method "ping"; want "other"`},
		{"args rpc\n", "", `rpctest: line 1: args ["x"]; want ["rpc"]`},
		{"\nread\n", "", "rpctest: line 2: stdin ended while waiting for a request (EOF)"},
		{"reply 1 {}\n", "", "rpctest: line 1: no request 1 has been read"},
		{"frobnicate\n", "", `rpctest: line 1: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		_, _, stderr, code := run(t, tt.script, tt.stdin, "x")
		if code != 99 || strings.TrimSpace(stderr) != tt.want {
			t.Errorf("%q: exit %d, stderr %q; want 99, %q", tt.script, code, stderr, tt.want)
		}
	}
}

func TestDefaultEndReadsToEOF(t *testing.T) {
	peer, stdout, _, code := run(t, "line hello\n", `{"id":1,"method":"a"}`+"\n"+`{"id":2,"method":"b"}`+"\n")
	if stdout != "hello\n" || code != 0 {
		t.Errorf("stdout %q, code %d; want hello, 0", stdout, code)
	}
	if got := peer.Requests(t); len(got) != 2 {
		t.Errorf("Requests() = %q; want both requests recorded", got)
	}
}
