package chatdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// now anchors every fixture date, as imsg's fixtures use "now plus an offset".
var now = time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

var ctx = context.Background()

// fx builds a database in one write transaction and opens it read-only.
type fx struct {
	t    *testing.T
	path string
	w    *Writer
	tx   *Tx
}

func newFx(t *testing.T) *fx {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chat.db")
	if err := Create(path, "fixture"); err != nil {
		t.Fatal(err)
	}
	w, err := OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	w.Home = t.TempDir()
	tx, err := w.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &fx{t: t, path: path, w: w, tx: tx}
}

func (f *fx) handle(id string) int64 {
	f.t.Helper()
	h, err := f.tx.EnsureHandle(id, "iMessage")
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *fx) chat(c NewChat, members ...int64) ChatInfo {
	f.t.Helper()
	info, err := f.tx.InsertChat(c)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, h := range members {
		if err := f.tx.AddParticipant(info.ID, h); err != nil {
			f.t.Fatal(err)
		}
	}
	return info
}

func (f *fx) msg(m NewMessage) Inserted {
	f.t.Helper()
	r, err := f.tx.InsertMessage(m)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fx) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.tx.tx.Exec(q, args...); err != nil {
		f.t.Fatal(err)
	}
}

// open commits and returns a read-only store whose "~" is the writer's home.
func (f *fx) open() *Store {
	f.t.Helper()
	if err := f.tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
	s, err := Open(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	s.Home = f.w.Home
	f.t.Cleanup(func() { s.Close() })
	return s
}

// fixtureA is §5.3 A, the core store.
func fixtureA(t *testing.T) (*fx, *Store) {
	f := newFx(t)
	h1, h2 := f.handle("+123"), f.handle("Me")
	f.chat(NewChat{ID: 1, Identifier: "+123", GUID: "iMessage;+;chat123", DisplayName: "Test Chat",
		ServiceName: "iMessage", AccountID: "iMessage;+;me@icloud.com", AccountLogin: "me@icloud.com",
		LastAddressedHandle: "+15551234567"}, h1, h2)
	f.msg(NewMessage{ID: 1, ChatID: 1, HandleID: h1, Text: "hello", Date: ago(600 * time.Second)})
	f.msg(NewMessage{ID: 2, ChatID: 1, HandleID: h2, Text: "hi back", IsFromMe: true, Date: ago(500 * time.Second),
		Attachments: []NewAttachment{{Filename: "~/Library/Messages/Attachments/test.dat", Name: "test.dat",
			UTI: "public.data", MimeType: "application/octet-stream", TotalBytes: 123}}})
	f.msg(NewMessage{ID: 3, ChatID: 1, HandleID: h1, Text: "photo", Date: ago(60 * time.Second)})
	return f, f.open()
}

// fixtureC is §5.3 C, the RPC store; withReaction adds D's tapback row.
func fixtureC(t *testing.T, withReaction bool) (*fx, *Store) {
	f := newFx(t)
	h1, h2 := f.handle("+123"), f.handle("me@icloud.com")
	f.chat(NewChat{ID: 1, Identifier: "iMessage;+;chat123", GUID: "iMessage;+;chat123", DisplayName: "Group Chat",
		ServiceName: "iMessage", AccountLogin: "me@icloud.com", LastAddressedHandle: "me@icloud.com"}, h1, h2)
	f.msg(NewMessage{ID: 5, GUID: "msg-guid-5", ChatID: 1, HandleID: h1, Text: "hello", Date: now})
	if withReaction {
		f.msg(NewMessage{ID: 6, GUID: "reaction-guid-6", ChatID: 1, HandleID: h2, AssociatedGUID: "p:0/msg-guid-5",
			AssociatedType: 2001, Date: now.Add(time.Second)})
	}
	return f, f.open()
}

// fixtureReactions is §5.3's reactions fixture plus later changes to it.
func fixtureReactions(t *testing.T, more ...NewMessage) *Store {
	f := newFx(t)
	h123, h456 := f.handle("+123"), f.handle("+456")
	c := f.chat(NewChat{GUID: "iMessage;-;+123", Identifier: "+123", ServiceName: "iMessage"}, h123, h456)
	f.msg(NewMessage{ID: 1, GUID: "msg-guid-1", ChatID: c.ID, HandleID: h123, Text: "Hello world", Date: ago(600 * time.Second)})
	add := func(id, handle int64, typ int64, text string, fromMe bool, at time.Duration) {
		f.msg(NewMessage{ID: id, ChatID: c.ID, HandleID: handle, Text: text, IsFromMe: fromMe,
			AssociatedGUID: "p:0/msg-guid-1", AssociatedType: typ, Date: ago(at)})
	}
	add(2, h456, 2000, "Loved “Hello world”", false, 500*time.Second)
	add(3, 0, 2001, "Liked “Hello world”", true, 400*time.Second)
	add(4, h456, 2003, "Laughed at “Hello world”", false, 300*time.Second)
	add(5, h123, 2006, `Reacted 🎉 to "Hello world"`, false, 200*time.Second)
	for _, m := range more {
		m.ChatID = c.ID
		if m.HandleID == -1 {
			m.HandleID = h456
		}
		f.msg(m)
	}
	return f.open()
}
