package chunk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/tool"
)

// replyLine is a reply record of about 500 bytes, as imsg-agent writes them.
func replyLine(i int) []byte {
	text := "Sure! Here is what I found about your question. The café opens at 8:00 and closes at 18:00 on weekdays; " +
		"on weekends it opens later. 👍🏽 You can book a table at https://example.com/booking?id=42 or just walk in. " +
		"Parking is available behind the building.\n\nAnything else?"
	return fmt.Appendf(nil, `{"kind":"reply","account":"default","to":"chat_id:%d","text":%q,"in_reply_to":"p:0/9F1C2D3E-4B5A-6978-8A9B-%012d","session_key":"agent:main:main","key":"reply:%d"}`,
		i%50, text, i, i)
}

// BenchmarkChunkStream measures records per second through Stream for
// ~500-byte replies that fit in one part (the common case), with the
// default settings and a prefix.
func BenchmarkChunkStream(b *testing.B) {
	var in bytes.Buffer
	for i := 0; i < b.N; i++ {
		in.Write(replyLine(i))
		in.WriteByte('\n')
	}
	b.SetBytes(int64(in.Len() / max(b.N, 1)))
	s := Settings{Limit: DefaultLimit, Mode: ModeLength, Tables: TablesCode, Prefix: "[bot]"}
	b.ResetTimer()
	err := Stream(context.Background(), &in, io.Discard, tool.NewLog(io.Discard, "imsg-chunk"), nil, fixed(s))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkChunkSplit measures splitting a long reply (about 20 parts).
func BenchmarkChunkSplit(b *testing.B) {
	var text bytes.Buffer
	for text.Len() < 80000 {
		text.WriteString("A sentence of some length, with words in it. ")
		if text.Len()%700 < 50 {
			text.WriteString("\n\n```go\nfunc f() { return }\n```\n\n")
		}
	}
	t := text.String()
	b.SetBytes(int64(len(t)))
	for b.Loop() {
		Split(t, DefaultLimit, ModeLength)
	}
}
