package send_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// BenchmarkSend measures the cost of one reply part end to end against the
// simulator: ledger before and after, the send RPC (the simulator writes
// and finds the row in its chat.db), the echo cache and the receipt. Pacing
// is off; the child is started once.
func BenchmarkSend(b *testing.B) {
	h := newHarness(b)
	var in strings.Builder
	for i := range b.N {
		in.WriteString(reply("chat_id:2", fmt.Sprintf("part %d", i), fmt.Sprintf("bench#%d", i)))
	}
	o := h.options(in.String(), "")
	o.Out = io.Discard
	o.Log = tool.NewLog(io.Discard, "imsg-send")
	b.ResetTimer()
	if err := send.Run(b.Context(), o); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/part")
}
