package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// BenchmarkResolveLocal measures local-root resolution: each record's
// attachment is checked against the roots, resolved through its symlinks,
// checked again, opened through the root and found in the cache (the
// copy itself is a one-off per attachment), then written with its media.
func BenchmarkResolveLocal(b *testing.B) {
	m := newMac(b)
	const files = 64
	var lines bytes.Buffer
	for i := 0; i < files; i++ {
		a := m.file(fmt.Sprintf("GUID-%04d", i), "IMG.jpeg", bytes.Repeat([]byte{byte(i)}, 200<<10))
		rec, _ := json.Marshal(map[string]any{"kind": "message", "account": "default",
			"message": map[string]any{"id": i, "chat_id": 7, "text": "", "attachments": []imsg.Attachment{a}}})
		lines.Write(rec)
		lines.WriteByte('\n')
	}
	f := m.fetcher(nil)
	opts := Options{Fetcher: f, Log: tool.NewLog(io.Discard, "imsg-fetch")}
	// Warm the cache: every later pass resolves without copying.
	if err := Stream(context.Background(), bytes.NewReader(lines.Bytes()), io.Discard, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Stream(context.Background(), bytes.NewReader(lines.Bytes()), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*files)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPassThrough is the cost every message without attachments pays
// when attachments are on: ~500-byte records get an empty media array.
func BenchmarkPassThrough(b *testing.B) {
	var lines bytes.Buffer
	const n = 10000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&lines, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":7,"guid":"6F1C2D3E-0000-4A4A-9B9B-%012d","sender":"+15550001111","is_from_me":false,"text":"message number %d: are we still on for the climbing session on saturday morning?","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"iMessage;+;chat5551","chat_guid":"iMessage;+;chat5551","chat_name":"Climbing crew","participants":["+15550001111","friend@example.com"],"is_group":true},"listen":{"received_at":"2026-05-16T09:12:03.51Z"}}`+"\n", i, i, i)
	}
	m := newMac(b)
	opts := Options{Fetcher: m.fetcher(nil), Log: tool.NewLog(io.Discard, "imsg-fetch")}
	b.SetBytes(int64(lines.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Stream(context.Background(), bytes.NewReader(lines.Bytes()), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}
