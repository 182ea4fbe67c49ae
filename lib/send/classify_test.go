package send

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/rpc"
)

func TestClassify(t *testing.T) {
	data := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	rpcErr := func(code int64, d string) error {
		return &rpc.Error{Method: "send", Code: code, Message: "x", Data: data(d)}
	}
	tests := []struct {
		name    string
		err     error
		want    verdict
		restart bool
	}{
		{"invalid params", rpcErr(-32602, "unknown chat_id 9"), permanent, false},
		{"method not found", rpcErr(-32601, "send"), permanent, false},
		{"applescript", rpcErr(-32603, "AppleScript failed: Messages got an error: Can’t send"), transient, false},
		{"ghost row", rpcErr(-32603, "AppleScript failed: Messages accepted the chat send but wrote an unjoined empty outgoing row (6); delivery to the target chat was not confirmed"), ghost, false},
		{"linux", rpcErr(-32603, "AppleScript failed: Sending requires Messages.app automation and is only supported on macOS."), permanent, false},
		{"attachment gone", rpcErr(-32603, "AppleScript failed: Attachment not found at /x"), permanent, false},
		{"busy", rpcErr(-32000, "server is shutting down"), transient, false},
		{"outcome unknown", rpcErr(-32001, ""), unknown, false},
		{"lane blocked", rpcErr(-32004, ""), unknown, true},
		{"timeout", &rpc.TimeoutError{Method: "send"}, unknown, true},
		{"child killed", &rpc.ExitError{Code: -1, Signal: "KILL"}, unknown, false},
		{"child exited", fmt.Errorf("imsg rpc send: %w", rpc.ErrClosed), unknown, false},
		{"write failed", errors.New("imsg rpc send: write request: broken pipe"), unknown, true},
		{"no full disk access", &rpc.PermissionError{Detail: "x"}, fatal, false},
		{"database reopening", &rpc.PermissionError{Detail: "x", Retryable: true}, transient, false},
		{"no rpc", rpc.ErrNoRPC, fatal, false},
		{"no imsg", &exec.Error{Name: "imsg", Err: exec.ErrNotFound}, fatal, false},
	}
	for _, tt := range tests {
		v, restart := classify(tt.err)
		if v != tt.want || restart != tt.restart {
			t.Errorf("classify(%s) = %v, %v; want %v, %v", tt.name, v, restart, tt.want, tt.restart)
		}
	}
}
