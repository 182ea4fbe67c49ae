package send_test

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/state"
)

// startSend runs imsg-send as a process reading the returned pipe.
func (h *harness) startSend(faults string, extra ...string) (*exec.Cmd, *os.File, *syncBuffer) {
	h.t.Helper()
	self, _ := os.Executable()
	args := append([]string{"--cli-path", h.wrapper, "--db", h.db, "--settle-wait", "500ms"}, extra...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(h.env, "IMSG_TEST_MAIN=imsg-send", "IMSG_SIM_FAULTS="+faults)
	r, w, err := os.Pipe()
	if err != nil {
		h.t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, out, logWriter{h.t}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	r.Close()
	h.t.Cleanup(func() { w.Close(); cmd.Process.Kill(); cmd.Wait() })
	return cmd, w, out
}

// waitSending waits until the ledger has key in sending, then a little
// longer, so the request has reached imsg.
func (h *harness) waitSending(key string) {
	h.t.Helper()
	waitFor(h.t, func() bool {
		d, err := h.store.Delivery(key)
		return err == nil && d.Status == state.DeliverySending
	})
	time.Sleep(150 * time.Millisecond)
}

// imsg-send killed with SIGKILL between the ledger's sending and sent: the
// next run settles the part from messages.history and never sends it twice,
// whether the killed send landed (imsg outlived imsg-send) or not (both
// were killed).
func TestSIGKILLBetweenSendingAndSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		killChild bool
		attempts  int
	}{
		{"send landed", false, 1},
		{"send lost", true, 2},
	} {
		h := newHarness(t)
		cmd, w, _ := h.startSend("send-delay=700ms")
		w.WriteString(reply("chat_id:2", "exactly once", "k", "in_reply_to", "IN"))
		h.waitSending("k")
		cmd.Process.Kill()
		cmd.Wait()
		child := h.simPids()[0]
		if tc.killChild {
			syscall.Kill(child, syscall.SIGKILL)
		}
		// The orphaned imsg rpc finishes its send (or is dead) and exits at
		// the end of its stdin.
		waitFor(t, func() bool { return syscall.Kill(child, 0) != nil })

		cmd, w, out := h.startSend("")
		w.WriteString(reply("chat_id:2", "exactly once", "k", "in_reply_to", "IN"))
		w.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s: second run: %v", tc.name, err)
		}
		rcs := parseReceipts(t, out.String())
		if len(rcs) != 1 || !rcs[0].OK || rcs[0].Attempts != tc.attempts {
			t.Errorf("%s: receipts %+v; want one, ok, %d attempt(s)", tc.name, rcs, tc.attempts)
		}
		if got := h.sent(2); !slices.Equal(got, []string{"exactly once"}) {
			t.Errorf("%s: rows = %q; want exactly one", tc.name, got)
		}
	}
}

// SIGTERM stops intake but finishes the send in flight and writes its
// receipt; exit status 0.
func TestSIGTERMFinishesInFlightSend(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cmd, w, out := h.startSend("send-delay=700ms")
	w.WriteString(reply("chat_id:2", "in flight", "k1"))
	h.waitSending("k1")
	cmd.Process.Signal(syscall.SIGTERM)
	w.WriteString(reply("chat_id:2", "too late", "k2"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("imsg-send after SIGTERM: %v; want exit 0", err)
	}
	rcs := parseReceipts(t, out.String())
	if len(rcs) != 1 || rcs[0].Key != "k1" || !rcs[0].OK {
		t.Errorf("receipts %+v; want only k1's, ok", rcs)
	}
	if got := h.sent(2); !slices.Equal(got, []string{"in flight"}) {
		t.Errorf("rows = %q; want the in-flight one only", got)
	}
	if !bytes.HasSuffix([]byte(out.String()), []byte("\n")) {
		t.Errorf("output %q not flushed whole", out.String())
	}
}
