package record_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
)

// BenchmarkPassThrough is what every filter stage does with a record it
// does not own: frame the line, validate it, read its kind, write it out
// unchanged. Compare its records/s with `jq -c .` (scripts/bench).
func BenchmarkPassThrough(b *testing.B) {
	var in bytes.Buffer
	const n = 10000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":7,"guid":"6F1C2D3E-0000-4A4A-9B9B-%012d","sender":"+15550001111","is_from_me":false,"text":"message number %d: are we still on for the climbing session on saturday?","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"iMessage;+;chat5551","chat_guid":"iMessage;+;chat5551","chat_name":"Climbing crew","participants":["+15550001111","friend@example.com"],"is_group":true}}`+"\n", i, i, i)
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)) / n)
	b.ResetTimer()
	// Exactly b.N records, cycling through the file.
	for done := 0; done < b.N; {
		r := ndjson.NewReader(bytes.NewReader(data))
		w := ndjson.NewWriter(io.Discard)
		r.OnIdle(func() { w.Flush() })
		for ; done < b.N; done++ {
			line, err := r.Next()
			if err == io.EOF {
				break
			}
			if err := record.Validate(line); err != nil {
				b.Fatal(err)
			}
			if k, _ := record.String(line, record.KeyKind); k == record.KindReply {
				b.Fatal("unexpected reply")
			}
			w.WriteRaw(line)
		}
		w.Flush()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
