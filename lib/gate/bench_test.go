package gate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// mixedStream is a DM/group mix of ~500-byte records: allowed DMs, a
// stranger's repeats, mentioned and unmentioned group messages, the
// agent's own rows and other kinds passing through.
func mixedStream(n int) []byte {
	var b bytes.Buffer
	texts := []string{
		"hey claw, are we still climbing at the gym on saturday? bring the rope please",
		"lol that is so funny I can't even, send me the photo from last week again",
		"can you summarise the thread for me with all the details we discussed today?",
	}
	for i := range n {
		text := texts[i%len(texts)]
		switch i % 6 {
		case 0, 1: // a group, mentioned or not
			fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":7,"guid":"GUID-%08d-0000-4A4A-9B9B-123456789ABC","sender":"friend@example.com","is_from_me":false,"text":%q,"created_at":"2026-05-16T08:59:00.000Z","attachments":[],"reactions":[],"chat_identifier":"chat5551","chat_guid":"iMessage;+;chat5551","chat_name":"Crew","participants":["+15550001111","friend@example.com"],"is_group":true},"listen":{"received_at":"2026-05-16T09:00:00Z"}}`+"\n", i+1, i, text)
		case 2, 3: // the owner's DM
			fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":1,"guid":"GUID-%08d-0000-4A4A-9B9B-123456789ABC","sender":"+15550001111","is_from_me":false,"text":%q,"created_at":"2026-05-16T08:59:00.000Z","attachments":[],"reactions":[],"chat_identifier":"+15550001111","chat_guid":"iMessage;-;+15550001111","chat_name":"","participants":["+15550001111"],"is_group":false},"listen":{"received_at":"2026-05-16T09:00:00Z"}}`+"\n", i+1, i, text)
		case 4: // the agent's reply coming back
			fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":1,"guid":"GUID-%08d-0000-4A4A-9B9B-123456789ABC","sender":"+15550001111","is_from_me":true,"destination_caller_id":"me@icloud.com","text":%q,"created_at":"2026-05-16T08:59:00.000Z","attachments":[],"reactions":[],"chat_identifier":"+15550001111","chat_guid":"iMessage;-;+15550001111","chat_name":"","participants":["+15550001111"],"is_group":false},"listen":{"received_at":"2026-05-16T09:00:00Z"}}`+"\n", i+1, i, text)
		default: // a stranger who keeps writing
			fmt.Fprintf(&b, `{"kind":"message","account":"default","message":{"id":%d,"chat_id":3,"guid":"GUID-%08d-0000-4A4A-9B9B-123456789ABC","sender":"+15559998888","is_from_me":false,"text":%q,"created_at":"2026-05-16T08:59:00.000Z","attachments":[],"reactions":[],"chat_identifier":"+15559998888","chat_guid":"iMessage;-;+15559998888","chat_name":"","participants":["+15559998888"],"is_group":false},"listen":{"received_at":"2026-05-16T09:00:00Z"}}`+"\n", i+1, i, text)
		}
	}
	return b.Bytes()
}

// BenchmarkStream measures records per second through the whole stage:
// framing, validation, decoding, the decision, state writes and output.
func BenchmarkStream(b *testing.B) {
	input := mixedStream(20000)
	f, err := config.Parse("bench.json5", []byte(cfg(`allowFrom: ["+15550001111", "friend@example.com"]`, patterns)))
	if err != nil {
		b.Fatal(err)
	}
	acct, _ := f.Account("")
	g, _, err := New(f, acct, Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		st, err := state.Open(filepath.Join(b.TempDir(), fmt.Sprint(i)), "default")
		if err != nil {
			b.Fatal(err)
		}
		s := &Stream{Gate: g, Store: st, Log: tool.NewLog(io.Discard, "imsg-gate")}
		s.Out = ndjson.NewWriter(s.OutputWriter(io.Discard))
		b.StartTimer()
		if err := s.Run(context.Background(), bytes.NewReader(input)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "records/s")
}
