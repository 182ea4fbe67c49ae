// Package agent is the imsg-agent stage: it turns every routed message
// into exactly one reply record, and passes every other record (reactions,
// the pairing replies and command answers imsg-gate wrote, receipts)
// through untouched.
//
// The answer comes from a Runner: Echo (for demos and tests), Exec (a shell
// command per message, the record on its stdin) or OpenAI (any
// OpenAI-compatible chat-completions endpoint, with each session's
// transcript in the state store). A failing runner — a timeout, a non-zero
// exit, an oversized answer, an HTTP error or garbage — is reported with
// the session key and answered with no text, which still finishes the
// message. Messages of one session are answered in order; different
// sessions run in parallel (dispatch.go), so a session whose agent hangs
// holds up no other. Stream (stream.go) does the I/O; app.go is the
// command line.
package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// DefaultHistoryLimit is the transcript length (in user turns) for a
// route without history_limit, imsg-route's default.
const DefaultHistoryLimit = 50

// Job is one routed message to answer.
type Job struct {
	Line     []byte // the record as read, for runners that want all of it
	LineNo   int
	seq      int64 // output position (Options.Ordered)
	Account  string
	GUID     string
	RowID    int64
	Text     string // the message text as imsg sent it
	ChatID   int64
	ChatName string

	AgentID      string
	SessionKey   string
	To           string
	ChatType     string // direct or group
	Sender       string // normalised
	SenderID     string // as imsg sent it
	Body         string // route.body: the text with its context, for a model
	HistoryLimit int

	// Media are the attachments imsg-fetch made available as local files
	// (its media entries with status ok); MediaBody is its placeholder for
	// an attachment-only message ("<media:image>").
	Media     []Media
	MediaBody string
}

// Media is one attachment the agent can open.
type Media struct {
	Path string `json:"path"`
	Mime string `json:"mime"`
}

// mediaNote lists the attachments for a text-only agent, one line each.
func (j *Job) mediaNote() string {
	var b strings.Builder
	for _, m := range j.Media {
		b.WriteString("\n[attachment: " + m.Path)
		if m.Mime != "" {
			b.WriteString(" (" + m.Mime + ")")
		}
		b.WriteString("]")
	}
	return b.String()
}

// IsGroup reports whether the message came from a group chat.
func (j *Job) IsGroup() bool { return j.ChatType == "group" }

// Prompt is what a model is asked: the routed body, else the text, with
// the local paths of its attachments.
func (j *Job) Prompt() string {
	p := j.Body
	if p == "" {
		p = j.Text
	}
	return p + j.mediaNote()
}

// Runner answers messages. Answer returns the reply text ("" for no
// answer) or an error; it must honour ctx.
type Runner interface {
	Answer(ctx context.Context, j *Job) (string, error)
}

// Echo is the built-in agent for demos and tests: it answers with what it
// was sent.
type Echo struct{}

// Answer returns the message text, and for each attachment the local file
// the agent was given. The object replacement characters Messages puts in
// the text where attachments sit are left out.
func (Echo) Answer(_ context.Context, j *Job) (string, error) {
	if len(j.Media) == 0 && j.MediaBody == "" {
		return j.Text, nil
	}
	text := strings.TrimSpace(strings.ReplaceAll(j.Text, "\uFFFC", ""))
	if text == "" {
		text = j.MediaBody
	}
	return strings.TrimSpace(text + j.mediaNote()), nil
}

// Reply is the reply record imsg-agent writes (record.Reply plus the
// agent's own fields).
type Reply struct {
	Kind       string `json:"kind"`
	Account    string `json:"account"`
	To         string `json:"to"`
	Text       string `json:"text"`
	InReplyTo  string `json:"in_reply_to,omitempty"`
	SessionKey string `json:"session_key"`
	Key        string `json:"key"`
	AgentID    string `json:"agent_id,omitempty"`
	// Error says why the agent gave no answer; the text is then empty.
	Error string `json:"error,omitempty"`
}

// NewReply builds the reply to j.
func NewReply(j *Job, text string, err error) Reply {
	r := Reply{
		Kind: record.KindReply, Account: j.Account, To: j.To, Text: text,
		InReplyTo: j.GUID, SessionKey: j.SessionKey, Key: ReplyKey(j), AgentID: j.AgentID,
	}
	if err != nil {
		r.Text, r.Error = "", err.Error()
	}
	return r
}

// ReplyKey is the reply's idempotency key. It depends only on the inbound
// message — its guid, else its rowid, as the journal keys it — so a message
// delivered again after a crash gets the same key and imsg-send delivers
// its answer once. A record fed by hand with neither gets a hash of its
// message object.
func ReplyKey(j *Job) string {
	if j.GUID != "" || j.RowID > 0 {
		return "agent:" + state.JournalKey(j.GUID, j.RowID)
	}
	msg, _ := record.Field(j.Line, record.KeyMessage)
	sum := sha256.Sum256(msg)
	return "agent:sha256:" + hex.EncodeToString(sum[:12])
}

// routed is the part of a routed message record a job needs.
type routed struct {
	Account string `json:"account"`
	Message struct {
		ID       json.Number `json:"id"`
		GUID     string      `json:"guid"`
		ChatID   json.Number `json:"chat_id"`
		ChatName string      `json:"chat_name"`
		Text     string      `json:"text"`
	} `json:"message"`
	Media []struct {
		Path   string `json:"path"`
		Mime   string `json:"mime"`
		Status string `json:"status"`
	} `json:"media"`
	MediaBody string `json:"media_body"`
	Route     *struct {
		AgentID      string      `json:"agent_id"`
		SessionKey   string      `json:"session_key"`
		To           string      `json:"to"`
		ChatType     string      `json:"chat_type"`
		Sender       string      `json:"sender"`
		SenderID     string      `json:"sender_id"`
		Body         string      `json:"body"`
		HistoryLimit json.Number `json:"history_limit"`
	} `json:"route"`
}

// ParseJob reads a message record. It fails when the record has no route
// (or a route without a session key or target): such a message was not
// through imsg-route and cannot be answered.
func ParseJob(line []byte, n int) (*Job, error) {
	var r routed
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, err
	}
	if r.Route == nil {
		return nil, fmt.Errorf("message has no route (run imsg-route before imsg-agent)")
	}
	if r.Route.SessionKey == "" || r.Route.To == "" {
		return nil, fmt.Errorf("route has no session_key or no to")
	}
	j := &Job{
		Line: line, LineNo: n, Account: r.Account,
		GUID: r.Message.GUID, RowID: intOf(r.Message.ID), Text: r.Message.Text,
		ChatID: intOf(r.Message.ChatID), ChatName: r.Message.ChatName,
		AgentID: r.Route.AgentID, SessionKey: r.Route.SessionKey, To: r.Route.To,
		ChatType: r.Route.ChatType, Sender: r.Route.Sender, SenderID: r.Route.SenderID,
		Body: r.Route.Body, HistoryLimit: DefaultHistoryLimit,
	}
	for _, m := range r.Media {
		if m.Status == "ok" && m.Path != "" {
			j.Media = append(j.Media, Media{Path: m.Path, Mime: m.Mime})
		}
	}
	j.MediaBody = r.MediaBody
	if r.Route.HistoryLimit != "" {
		j.HistoryLimit = max(int(intOf(r.Route.HistoryLimit)), 0)
	}
	return j, nil
}

func intOf(n json.Number) int64 {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0
	}
	return v
}
