package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Init is `imsg-sim init`: an empty chat.db, never over an existing file
// unless force. seed "" picks a random GUID seed; me "" keeps the default
// local account.
func Init(db, seed, me string, force bool) error {
	if force {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return tool.WithCode(tool.ExitFailure, err)
			}
		}
	}
	if err := chatdb.Create(db, seed); err != nil {
		if errors.Is(err, chatdb.ErrExists) {
			return tool.Errorf(tool.ExitFailure, "%v (use --force to replace it)", err)
		}
		return tool.WithCode(tool.ExitFailure, err)
	}
	if me == "" {
		return nil
	}
	w, err := chatdb.OpenWriter(db)
	if err != nil {
		return tool.WithCode(tool.ExitFailure, err)
	}
	defer w.Close()
	return tool.WithCode(tool.ExitFailure, w.SetMe(me))
}

// Spec is one message to inject: the flags of `imsg-sim inject`, or one
// line of `inject -`.
type Spec struct {
	From                string   `json:"from"`
	Text                string   `json:"text"`
	Group               string   `json:"group"`
	Participants        list     `json:"participants"`
	ChatID              int64    `json:"chat_id"`
	Attachments         []string `json:"attachments"`
	ReplyTo             string   `json:"reply_to"`
	Tapback             string   `json:"tapback"`
	Target              string   `json:"target"`
	Remove              bool     `json:"remove"`
	FromMe              bool     `json:"from_me"`
	Service             string   `json:"service"`
	Date                string   `json:"date"`
	AttributedBody      bool     `json:"attributed_body"`
	Unjoined            bool     `json:"unjoined"`
	Repeat              int      `json:"repeat"`
	BalloonBundleID     string   `json:"balloon_bundle_id"`
	DestinationCallerID string   `json:"destination_caller_id"`
}

// list is a string list given as a JSON array or a comma-separated string.
type list []string

func (l *list) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = splitList(s)
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return errors.New("participants: want an array of strings or a comma-separated string")
	}
	*l = a
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Injector appends messages to a chat.db in one transaction, printing one
// {"id","guid","chat_id"} line per row once they are committed.
type Injector struct {
	tx    *chatdb.Tx
	w     *chatdb.Writer
	clock clock.Clock
	rows  []chatdb.Inserted
}

// Inject runs specs (from flags) or, with stdin, the NDJSON specs read
// from in; a bad line is reported on log with its number and skipped, and
// makes the command exit 1 after the good ones are committed.
func Inject(ctx context.Context, db string, specs []Spec, in io.Reader, clk clock.Clock, out io.Writer, log *tool.Log) error {
	w, err := chatdb.OpenWriter(db)
	if err != nil {
		return tool.WithCode(tool.ExitFailure, err)
	}
	defer w.Close()
	tx, err := w.Begin(ctx)
	if err != nil {
		return tool.WithCode(tool.ExitFailure, err)
	}
	defer tx.Rollback()
	inj := &Injector{tx: tx, w: w, clock: clk}
	bad := 0
	for _, s := range specs {
		if err := inj.Add(s); err != nil {
			return tool.Errorf(tool.ExitUsage, "%v", err)
		}
	}
	if in != nil {
		br := bufio.NewReader(in)
		for n := 1; ; n++ {
			line, rerr := br.ReadBytes('\n')
			if line = bytes.TrimSpace(line); len(line) > 0 {
				if err := inj.addLine(line); err != nil {
					log.Errorf("line %d: %v", n, err)
					bad++
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return tool.WithCode(tool.ExitFailure, rerr)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return tool.WithCode(tool.ExitFailure, err)
	}
	bw := bufio.NewWriter(out)
	enc := json.NewEncoder(bw)
	for _, r := range inj.rows {
		enc.Encode(r)
	}
	if err := bw.Flush(); err != nil {
		return tool.WithCode(tool.ExitFailure, err)
	}
	if bad > 0 {
		return tool.Errorf(tool.ExitFailure, "%d input line(s) rejected", bad)
	}
	return nil
}

func (inj *Injector) addLine(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the object")
	}
	return inj.Add(s)
}

// Add inserts the rows of one spec.
func (inj *Injector) Add(s Spec) error {
	service := "iMessage"
	switch strings.ToLower(s.Service) {
	case "", "imessage":
	case "sms":
		service = "SMS"
	default:
		return fmt.Errorf("bad service %q: want iMessage or SMS", s.Service)
	}
	date := inj.clock.Now()
	if s.Date != "" {
		t, err := time.Parse(time.RFC3339Nano, s.Date)
		if err != nil {
			return fmt.Errorf("bad date %q: want RFC 3339, e.g. 2026-05-16T09:00:00Z", s.Date)
		}
		date = t
	}
	m := chatdb.NewMessage{Text: s.Text, AttributedOnly: s.AttributedBody, IsFromMe: s.FromMe, Service: service,
		DestinationCallerID: s.DestinationCallerID, BalloonBundleID: s.BalloonBundleID}
	if s.FromMe && m.DestinationCallerID == "" {
		m.DestinationCallerID = inj.w.Me()
	}
	var parent chatdb.MessageRef
	if s.Tapback != "" {
		if s.Target == "" {
			return errors.New("a tapback needs a target guid")
		}
		name, emoji, err := parseTapback(s.Tapback)
		if err != nil {
			return err
		}
		if parent, _, err = inj.tx.MessageByGUID(s.Target); err != nil {
			return err
		}
		code, _ := imsg.ReactionTypeCode(name)
		if s.Remove {
			code += 1000
		}
		m.AssociatedGUID, m.AssociatedType = "p:0/"+s.Target, code
		if name == "custom" {
			m.AssociatedEmoji = emoji
		}
		if m.Text == "" {
			m.Text = chatdb.ReactionText(name, emoji, !s.Remove, parent.Text)
		}
	} else if s.ReplyTo != "" {
		var err error
		if parent, _, err = inj.tx.MessageByGUID(s.ReplyTo); err != nil {
			return err
		}
		m.ThreadOriginatorGUID, m.ReplyToGUID, m.AssociatedGUID = s.ReplyTo, s.ReplyTo, "p:0/"+s.ReplyTo
	}
	chat, handleID, err := inj.chat(s, service, parent.ChatID)
	if err != nil {
		return err
	}
	m.HandleID = handleID
	if !s.Unjoined {
		m.ChatID = chat.ID
	}
	for _, a := range s.Attachments {
		m.Attachments = append(m.Attachments, chatdb.NewAttachment{Source: a, IsOutgoing: s.FromMe})
	}
	if len(m.Attachments) > 0 {
		m.Text = strings.Repeat("\uFFFC", len(m.Attachments)) + m.Text
	}
	n := max(s.Repeat, 1)
	for i := 1; i <= n; i++ {
		row := m
		row.Date = date.Add(time.Duration(i-1) * time.Millisecond)
		if s.Repeat > 0 {
			row.Text = m.Text + " " + strconv.Itoa(i)
		}
		r, err := inj.tx.InsertMessage(row)
		if err != nil {
			return err
		}
		inj.rows = append(inj.rows, r)
	}
	return nil
}

// chat picks the chat of a spec: an explicit chat_id, a named group, the
// chat of the message reacted or replied to, else the direct chat with
// from. It returns the handle the row carries.
func (inj *Injector) chat(s Spec, service string, parentChat int64) (chatdb.ChatInfo, int64, error) {
	tx := inj.tx
	var chat chatdb.ChatInfo
	switch {
	case s.ChatID != 0 || (s.Group == "" && parentChat != 0):
		id := s.ChatID
		if id == 0 {
			id = parentChat
		}
		c, ok, err := tx.Chat(id)
		if err != nil {
			return c, 0, err
		}
		if !ok {
			return c, 0, fmt.Errorf("no chat %d", id)
		}
		chat = c
	case s.Group != "":
		members := append([]string{}, s.Participants...)
		if s.From != "" && !s.FromMe {
			members = append(members, s.From)
		}
		c, _, err := tx.EnsureGroup(s.Group, members, service)
		if err != nil {
			return c, 0, err
		}
		chat = c
	default:
		if s.From == "" {
			return chat, 0, errors.New("need --from (the sender, or the other party of a --from-me row), --group or --chat-id")
		}
		c, hid, err := tx.EnsureDM(s.From, service)
		return c, hid, err
	}
	who := s.From
	if s.FromMe {
		if chat.IsGroup() {
			return chat, 0, nil // outgoing group rows carry no handle
		}
		who = chat.Identifier
	}
	if who == "" {
		return chat, 0, errors.New("need --from: who sent the message")
	}
	hid, err := tx.EnsureHandle(who, service)
	if err == nil && !s.FromMe {
		err = tx.AddParticipant(chat.ID, hid)
	}
	return chat, hid, err
}

// parseTapback reads a tapback: a reaction name, "custom:<emoji>", or an
// emoji (one of the six standard ones, else a custom one).
func parseTapback(s string) (name, emoji string, err error) {
	if e, ok := strings.CutPrefix(s, "custom:"); ok && e != "" {
		return "custom", e, nil
	}
	if s == "custom" {
		return "", "", errors.New(`a custom tapback needs its emoji: --tapback "custom:🎉" or --tapback 🎉`)
	}
	for code := int64(2000); code <= 2005; code++ {
		n, e, _, _ := imsg.ReactionKind(code)
		if s == n || s == e || s == strings.TrimSuffix(e, "\uFE0F") {
			return n, e, nil
		}
	}
	for _, r := range s {
		if r > 0x2000 {
			return "custom", s, nil
		}
		break
	}
	return "", "", fmt.Errorf("bad tapback %q: want love, like, dislike, laugh, emphasis, question, or an emoji", s)
}
