package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/tool"
)

func benchMessages(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintln(&b, routedRecord(fmt.Sprintf("agent:main:imessage:direct:+1555000%04d", i%50), fmt.Sprintf("G%d", i), "are we still on for dinner tonight?"))
	}
	return b.Bytes()
}

// benchAgent reports imsg-agent's own cost per message: reading, parsing,
// dispatching, running the agent and writing the reply.
func benchAgent(b *testing.B, r Runner, n int) {
	in := benchMessages(n)
	opts := Options{Runner: r, Jobs: 4, Log: tool.NewLog(io.Discard, "imsg-agent")}
	b.ResetTimer()
	for b.Loop() {
		if err := Stream(context.Background(), bytes.NewReader(in), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/msg")
}

func BenchmarkAgentEcho(b *testing.B) { benchAgent(b, Echo{}, 10000) }

func BenchmarkAgentExecTrue(b *testing.B) { benchAgent(b, &Exec{Command: "true", Timeout: guard}, 200) }
