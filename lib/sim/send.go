package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// sendRequest is a validated send, from the rpc method or the CLI.
type sendRequest struct {
	To             string
	ChatID         int64
	ChatIdentifier string
	ChatGUID       string
	Text, File     string
	Service        string // imessage | sms | auto
	Region         string
}

// appleScriptError is a failed send as imsg reports it:
// "AppleScript failed: …" (-32603 over rpc, a plain line from the CLI).
type appleScriptError struct{ msg string }

func (e *appleScriptError) Error() string { return "AppleScript failed: " + e.msg }

func failSend(format string, args ...any) error {
	return &appleScriptError{fmt.Sprintf(format, args...)}
}

// sender plays Messages.app for send: it writes the outgoing row into the
// target chat — creating the direct chat for a new handle — so the echo
// comes back through watch as on a Mac, then finds the row the way imsg
// confirms a send.
type sender struct {
	path   string
	store  *chatdb.Store
	clock  clock.Clock
	faults *Faults

	mu    sync.Mutex
	w     *chatdb.Writer // opened on the first send
	sends int
}

func newSender(path string, store *chatdb.Store, c clock.Clock, f *Faults) *sender {
	if f == nil {
		f = &Faults{}
	}
	return &sender{path: path, store: store, clock: c, faults: f}
}

func (sd *sender) close() {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.w != nil {
		sd.w.Close()
		sd.w = nil
	}
}

// deliver performs a send. Errors are *appleScriptError for failures
// Messages would report, anything else for database trouble.
func (sd *sender) deliver(ctx context.Context, req sendRequest) (imsg.SendResult, error) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	file := ""
	if req.File != "" {
		file = tool.ExpandHome(req.File)
		if fi, err := os.Stat(file); err != nil || fi.IsDir() {
			return imsg.SendResult{}, failSend("Attachment not found at %s", file)
		}
	}
	if d := sd.faults.SendDelay; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return imsg.SendResult{}, ctx.Err()
		}
	}
	sd.sends++
	if n := sd.faults.SendFail; n < 0 || sd.sends <= n {
		return imsg.SendResult{}, failSend("Messages got an error: Can’t send the message (send-fail fault, send %d).", sd.sends)
	}
	if sd.w == nil {
		w, err := chatdb.OpenWriter(sd.path)
		if err != nil {
			return imsg.SendResult{}, err
		}
		sd.w = w
	}
	before, err := sd.store.MaxRowID(ctx)
	if err != nil {
		return imsg.SendResult{}, err
	}
	sentAt := sd.clock.Now()
	chat, direct, err := sd.write(ctx, req, file, sentAt)
	if err != nil {
		return imsg.SendResult{}, err
	}
	res := imsg.SendResult{OK: true, Transport: "applescript"}
	if sd.faults.SendNoID {
		return imsg.SendResult{OK: true}, nil
	}
	if req.Text == "" {
		return res, nil // attachment-only sends are not looked up
	}
	id, guid, ok, err := sd.store.LatestSent(ctx, chat.ID, req.Text, sentAt.Add(-2*time.Second))
	if err != nil {
		return imsg.SendResult{}, err
	}
	if ok {
		res.ID, res.GUID = id, guid
		return res, nil
	}
	if !direct {
		ghost, found, err := sd.store.GhostRow(ctx, before, chat.GUID, chat.Identifier)
		if err != nil {
			return imsg.SendResult{}, err
		}
		if found {
			return imsg.SendResult{}, failSend("Messages accepted the chat send but wrote an unjoined empty outgoing row (%d); delivery to the target chat was not confirmed", ghost)
		}
	}
	return res, nil
}

// write adds the outgoing rows in one transaction: the text, then the file
// as a separate message, as imsg's script sends them. With the ghost-row
// fault a chat send writes only macOS 26's empty unjoined row instead.
func (sd *sender) write(ctx context.Context, req sendRequest, file string, at time.Time) (chatdb.ChatInfo, bool, error) {
	tx, err := sd.w.Begin(ctx)
	if err != nil {
		return chatdb.ChatInfo{}, false, err
	}
	defer tx.Rollback()
	chat, handleID, direct, err := sd.target(tx, req)
	if err != nil {
		return chat, direct, err
	}
	service := chat.Service
	if req.Service == "sms" {
		service = "SMS"
	}
	if sd.faults.GhostRow && !direct {
		hid, err := tx.EnsureHandle(chat.GUID, "SMS")
		if err == nil {
			_, err = tx.InsertMessage(chatdb.NewMessage{HandleID: hid, IsFromMe: true, Service: "SMS", Date: at})
		}
		if err != nil {
			return chat, direct, err
		}
		return chat, direct, tx.Commit()
	}
	base := chatdb.NewMessage{ChatID: chat.ID, HandleID: handleID, IsFromMe: true, Service: service,
		Date: at, DestinationCallerID: sd.w.Me()}
	if req.Text != "" {
		m := base
		m.Text = req.Text
		if _, err := tx.InsertMessage(m); err != nil {
			return chat, direct, err
		}
	}
	if file != "" {
		m := base
		m.Text = "\uFFFC"
		m.Date = at.Add(time.Millisecond)
		m.Attachments = []chatdb.NewAttachment{{Source: file, IsOutgoing: true}}
		if _, err := tx.InsertMessage(m); err != nil {
			return chat, direct, err
		}
	}
	return chat, direct, tx.Commit()
}

// target resolves the chat a send goes to, and the handle outgoing rows
// carry (the other party in a direct chat, none in a group). A
// chat_identifier that is really a handle makes a direct send, as in imsg.
func (sd *sender) target(tx *chatdb.Tx, req sendRequest) (chatdb.ChatInfo, int64, bool, error) {
	to := req.To
	if to == "" && req.ChatID == 0 && req.ChatGUID == "" && looksLikeHandle(req.ChatIdentifier) {
		to = req.ChatIdentifier
	}
	if to != "" {
		handle, sms, ok := recipient(to, req.Region)
		if !ok {
			return chatdb.ChatInfo{}, 0, true, failSend("Messages got an error: Can’t get buddy id \"%s\".", to)
		}
		service := "iMessage"
		if sms || req.Service == "sms" {
			service = "SMS"
		}
		chat, hid, err := tx.EnsureDM(handle, service)
		return chat, hid, true, err
	}
	var chat chatdb.ChatInfo
	var ok bool
	var err error
	var name string
	switch {
	case req.ChatID != 0:
		chat, ok, err = tx.Chat(req.ChatID)
		name = fmt.Sprint(req.ChatID)
	case req.ChatGUID != "":
		chat, ok, err = tx.ChatByGUID(req.ChatGUID)
		name = req.ChatGUID
	default:
		chat, ok, err = tx.ChatByIdentifier(req.ChatIdentifier)
		name = req.ChatIdentifier
	}
	if err != nil {
		return chat, 0, false, err
	}
	if !ok {
		return chat, 0, false, failSend("Messages got an error: Can’t get chat id \"%s\".", name)
	}
	if chat.IsGroup() {
		return chat, 0, false, nil
	}
	hid, err := tx.EnsureHandle(chat.Identifier, chat.Service)
	return chat, hid, false, err
}

// checkService validates a service name: lower case only, as in 0.9.
func checkService(s string) bool { return s == "imessage" || s == "sms" || s == "auto" }

// sendRPC is the send method: 0.9's validation order and error strings
// (§1.4), then the delivery.
func (s *Server) sendRPC(ctx context.Context, p params) reply {
	if s.opt.Trace != nil {
		text, _ := p.str("text")
		s.trace("send", text, 0)
	}
	req := sendRequest{Service: "auto", Region: "US"}
	if p.has("service") {
		v, _ := p.str("service")
		if !checkService(v) {
			return reply{err: invalidParams("invalid service")}
		}
		req.Service = v
	}
	transport := "auto"
	if p.has("transport") {
		v, _ := p.str("transport")
		transport = strings.ToLower(v)
		if transport != "auto" && transport != "bridge" && transport != "applescript" {
			return reply{err: invalidParams("invalid transport")}
		}
	}
	req.To, _ = p.str("to")
	req.To = strings.TrimSpace(req.To)
	var hasChatID bool
	req.ChatID, hasChatID = p.int("chat_id")
	req.ChatIdentifier, _ = p.str("chat_identifier")
	req.ChatGUID, _ = p.str("chat_guid")
	hasChat := hasChatID || req.ChatIdentifier != "" || req.ChatGUID != ""
	if req.To != "" && hasChat {
		return reply{err: invalidParams("use to or chat_*; not both")}
	}
	if !hasChat {
		if transport == "bridge" {
			return reply{err: invalidParams("bridge transport requires an existing chat target")}
		}
		if req.To == "" {
			return reply{err: invalidParams("to is required for direct sends")}
		}
	}
	req.Text, _ = p.str("text")
	req.File, _ = p.str("file")
	if req.Text == "" && req.File == "" {
		return reply{err: invalidParams("text or file is required")}
	}
	if hasChatID {
		if _, ok, err := s.store.Chat(ctx, req.ChatID); err != nil {
			return reply{err: internalError(err.Error())}
		} else if !ok {
			return reply{err: invalidParams(fmt.Sprintf("unknown chat_id %d", req.ChatID))}
		}
	}
	if transport == "bridge" {
		return reply{err: internalError(bridgeError)}
	}
	if r, ok := p.str("region"); ok && r != "" {
		req.Region = r
	}
	if s.opt.Faults.SendHang {
		// Like an AppleScript that never returns: nothing after this
		// request is read until stdin ends.
		s.stream.halted.Store(true)
		select {
		case <-s.eof:
		case <-ctx.Done():
		}
		return reply{noReply: true}
	}
	res, err := s.send.deliver(ctx, req)
	if err != nil {
		return reply{err: internalError(err.Error())}
	}
	return reply{result: res}
}

// trace writes one event line for Options.Trace: one Write each, so lines
// from the two simulators of a pipeline (listen's and send's) never mix in
// a file opened for appending.
// rowAt is the row's own date (the message's created_at), when known.
func (s *Server) trace(event, text string, rowAt int64) {
	if s.opt.Trace == nil {
		return
	}
	b, _ := json.Marshal(struct {
		Event string `json:"event"`
		Text  string `json:"text"`
		At    int64  `json:"at"`
		RowAt int64  `json:"row_at,omitempty"`
	}{event, text, time.Now().UnixNano(), rowAt})
	s.opt.Trace.Write(append(b, '\n'))
}
