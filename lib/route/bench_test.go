package route

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// benchInput is n records of about 500 bytes, as imsg-gate writes them:
// half DMs, half group messages over a few chats.
func benchInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":3,"guid":"6F1C2D3E-0000-4A4A-9B9B-%012d","sender":"+15550001111","is_from_me":false,"text":"are we still on for dinner tonight?","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"+15550001111","chat_guid":"iMessage;-;+15550001111","chat_name":"","participants":["+15550001111"],"is_group":false},"listen":{"received_at":"2026-05-16T09:12:03.600Z"},"gate":{"sender":"+15550001111","is_group":false,"chat_key":"chat_id:3","body":"are we still on for dinner tonight?","was_mentioned":true,"command_authorized":true,"admitted_by":"allow_from"}}`+"\n", i, i)
			continue
		}
		chat := 7 + i%5
		fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":%d,"guid":"6F1C2D3E-0000-4A4A-9B9B-%012d","sender":"friend@example.com","is_from_me":false,"text":"@bot look at this","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"chat5551","chat_guid":"iMessage;+;chat5551","chat_name":"Climbing crew","participants":["+15550001111","friend@example.com"],"is_group":true},"listen":{"received_at":"2026-05-16T09:12:03.600Z"},"gate":{"sender":"friend@example.com","is_group":true,"chat_key":"chat_id:%d","body":"@bot look at this","was_mentioned":true,"command_authorized":false,"admitted_by":"group_allow_from"}}`+"\n", i, chat, i, chat)
	}
	return b.Bytes()
}

// BenchmarkRoute measures imsg-route's stream on ~500-byte records with a
// real state store (nothing pending), reporting records/s; make bench
// compares it with jq -c . on the same records.
func BenchmarkRoute(b *testing.B) {
	const n = 20000
	in := benchInput(n)
	r := newRouter(b, `{session: {dmScope: "per-channel-peer"}}`)
	s, err := state.Open(b.TempDir(), "default")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w, err := s.WatchChanges()
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	opts := Options{Router: r, History: s, Changed: w.Changed, Log: tool.NewLog(io.Discard, "imsg-route")}
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if err := Stream(context.Background(), bytes.NewReader(in), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
