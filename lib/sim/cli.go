package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// The subcommands imsg has (chats, history, send) behave like imsg 0.9's:
// a failure is one plain line on stdout (or the permission banner) and
// exit status 1. The line is repeated on stderr in the project's form.

// imsgFail prints msg on stdout as imsg does and returns the exit-1 error.
func imsgFail(out io.Writer, msg string) error {
	fmt.Fprintln(out, msg)
	first := strings.SplitN(msg, "\n", 2)[0]
	r := []rune(first)
	if len(r) > 0 && unicode.IsUpper(r[0]) && (len(r) < 2 || !unicode.IsUpper(r[1])) {
		r[0] = unicode.ToLower(r[0])
	}
	return tool.Errorf(tool.ExitFailure, "%s", string(r))
}

// openStore opens chat.db or prints imsg's permission banner.
func openStore(db string, out io.Writer) (*chatdb.Store, error) {
	st, err := chatdb.Open(db)
	if err != nil {
		fmt.Fprintln(out, fmt.Sprintf(imsg.PermissionBanner, db))
		return nil, tool.Errorf(tool.ExitFailure, "cannot open %s: %v", db, err)
	}
	return st, nil
}

// newJSONEncoder writes one compact object per line.
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// cliChat is the `imsg chats --json` shape (§2.3).
type cliChat struct {
	ID                  int64    `json:"id"`
	Name                string   `json:"name"`
	Identifier          string   `json:"identifier"`
	Service             string   `json:"service"`
	LastMessageAt       string   `json:"last_message_at"`
	GUID                string   `json:"guid,omitempty"`
	DisplayName         string   `json:"display_name"`
	IsGroup             bool     `json:"is_group"`
	Participants        []string `json:"participants"`
	AccountID           string   `json:"account_id,omitempty"`
	AccountLogin        string   `json:"account_login,omitempty"`
	LastAddressedHandle string   `json:"last_addressed_handle,omitempty"`
}

// Chats is `imsg chats`.
func Chats(ctx context.Context, db string, limit int, asJSON bool, out io.Writer) error {
	st, err := openStore(db, out)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.ListChats(ctx, limit)
	if err != nil {
		return imsgFail(out, err.Error())
	}
	enc := newJSONEncoder(out)
	for _, c := range list {
		if !asJSON {
			fmt.Fprintf(out, "[%d] %s (%s) last=%s\n", c.ID, c.Name, c.Identifier, c.LastMessageAt)
			continue
		}
		enc.Encode(cliChat{
			ID: c.ID, Name: c.Name, Identifier: c.Identifier, Service: c.Service, LastMessageAt: c.LastMessageAt,
			GUID: c.GUID, DisplayName: c.Name, IsGroup: c.IsGroup(), Participants: c.Participants,
			AccountID: c.AccountID, AccountLogin: c.AccountLogin, LastAddressedHandle: c.LastAddressedHandle,
		})
	}
	return nil
}

// HistoryArgs are the options of `imsg history`.
type HistoryArgs struct {
	DB           string
	ChatID       int64 // 0 = missing
	Limit        int
	Participants []string
	Start, End   string
	Attachments  bool
	JSON         bool
}

// History is `imsg history`. JSON output always carries the attachments;
// the flag only changes the text form.
func History(ctx context.Context, a HistoryArgs, out io.Writer) error {
	if a.ChatID == 0 {
		return imsgFail(out, "Missing required option: --chat-id")
	}
	q := chatdb.HistoryQuery{ChatID: a.ChatID, Limit: a.Limit}
	for _, p := range a.Participants {
		for _, h := range strings.Split(p, ",") {
			if h = strings.TrimSpace(h); h != "" {
				q.Participants = append(q.Participants, h)
			}
		}
	}
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{a.Start, &q.Start}, {a.End, &q.End}} {
		if d.s == "" {
			continue
		}
		t, err := parseISO(d.s)
		if err != nil {
			return imsgFail(out, "Invalid ISO8601 date: "+d.s)
		}
		*d.dst = t
	}
	st, err := openStore(a.DB, out)
	if err != nil {
		return err
	}
	defer st.Close()
	msgs, err := st.History(ctx, q, true)
	if err != nil {
		return imsgFail(out, err.Error())
	}
	enc := newJSONEncoder(out)
	for i := range msgs {
		m := &msgs[i]
		if a.JSON {
			enc.Encode(m)
			continue
		}
		dir := "recv"
		if m.IsFromMe {
			dir = "sent"
		}
		fmt.Fprintf(out, "%s [%s] %s: %s\n", m.CreatedAt, dir, m.Sender, m.Text)
		if len(m.Attachments) == 0 {
			continue
		}
		if !a.Attachments {
			fmt.Fprintf(out, "  (%d attachments)\n", len(m.Attachments))
			continue
		}
		for _, at := range m.Attachments {
			fmt.Fprintf(out, "  attachment: name=%s mime=%s missing=%t path=%s\n", at.TransferName, at.MimeType, at.Missing, at.OriginalPath)
		}
	}
	return nil
}

// SendArgs are the options of `imsg send`.
type SendArgs struct {
	DB             string
	To             string
	ChatID         int64
	ChatIdentifier string
	ChatGUID       string
	Text, File     string
	Service        string
	Region         string
	JSON           bool
}

// Send is `imsg send`: the same write as the rpc send, with the CLI's
// validation messages.
func Send(ctx context.Context, a SendArgs, clk clock.Clock, out io.Writer) error {
	if a.Service == "" {
		a.Service = "auto"
	}
	if !checkService(a.Service) {
		return imsgFail(out, "Invalid service: "+a.Service)
	}
	hasChat := a.ChatID != 0 || a.ChatIdentifier != "" || a.ChatGUID != ""
	switch {
	case a.To == "" && !hasChat:
		return imsgFail(out, "Missing required option: --to")
	case a.To != "" && hasChat:
		return imsgFail(out, "Invalid value for option: --to")
	case a.Text == "" && a.File == "":
		return imsgFail(out, "Missing required option: --text or file")
	}
	st, err := openStore(a.DB, out)
	if err != nil {
		return err
	}
	defer st.Close()
	if a.ChatID != 0 {
		if _, ok, err := st.Chat(ctx, a.ChatID); err != nil {
			return imsgFail(out, err.Error())
		} else if !ok {
			return imsgFail(out, fmt.Sprintf("Invalid chat target: Unknown chat id %d", a.ChatID))
		}
	}
	if a.Region == "" {
		a.Region = "US"
	}
	if clk == nil {
		clk = clock.Real{}
	}
	sd := newSender(a.DB, st, clk, nil)
	defer sd.close()
	req := sendRequest{To: a.To, ChatID: a.ChatID, ChatIdentifier: a.ChatIdentifier, ChatGUID: a.ChatGUID,
		Text: a.Text, File: a.File, Service: a.Service, Region: a.Region}
	if _, err := sd.deliver(ctx, req); err != nil {
		return imsgFail(out, err.Error())
	}
	if a.JSON {
		fmt.Fprintln(out, `{"status":"sent"}`)
	} else {
		fmt.Fprintln(out, "sent")
	}
	return nil
}
