// Package pair is the imsg-pair command: the owner's side of pairing. It
// lists the pending requests of strangers imsg-gate answered with a code,
// approves or rejects them by code, and lists and revokes approved senders,
// all in the account's state store (spec/channel-behaviour.md §9). The
// operations here take a store and writers; app.go is the command line.
package pair

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/imsg-toolkit/imsg/lib/gate"
	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Channel is the pairing channel this tool serves, as the reference names it.
const Channel = "imessage"

// Pairing runs the operations for one account.
type Pairing struct {
	Store   *state.Store
	Account string
	Region  string    // for reading handles given to Revoke
	Out     io.Writer // results (text, or JSON / records)
	Err     io.Writer // human lines when Out carries records
}

// requestJSON is a pending request in list --json.
type requestJSON struct {
	ID         string            `json:"id"`
	Code       string            `json:"code"`
	CreatedAt  string            `json:"createdAt"`
	LastSeenAt string            `json:"lastSeenAt"`
	ExpiresAt  string            `json:"expiresAt"`
	ChatID     int64             `json:"chatId,omitempty"`
	Meta       map[string]string `json:"meta"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// List prints the live requests, oldest first.
func (p *Pairing) List(asJSON bool) error {
	reqs, err := p.Store.ListPending()
	if err != nil {
		return err
	}
	if asJSON {
		out := struct {
			Channel  string        `json:"channel"`
			Account  string        `json:"account"`
			Requests []requestJSON `json:"requests"`
		}{Channel, p.Account, []requestJSON{}}
		for _, r := range reqs {
			out.Requests = append(out.Requests, requestJSON{ID: r.Sender, Code: r.Code, CreatedAt: stamp(r.Created),
				LastSeenAt: stamp(r.LastSeen), ExpiresAt: stamp(r.Expires), ChatID: r.ChatID, Meta: orEmpty(r.Meta)})
		}
		return writeJSON(p.Out, out)
	}
	if len(reqs) == 0 {
		_, err := fmt.Fprintf(p.Out, "No pending %s pairing requests.\n", Channel)
		return err
	}
	fmt.Fprintf(p.Out, "Pairing requests (%d)\n", len(reqs))
	tw := tabwriter.NewWriter(p.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Code\t%sSenderId\tMeta\tRequested\n", Channel)
	for _, r := range reqs {
		meta, _ := record.Marshal(orEmpty(r.Meta))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Code, r.Sender, meta, stamp(r.Created))
	}
	return tw.Flush()
}

// Approve approves the request with code; with notify it writes a reply
// record telling the sender (for imsg-send) instead of the text line, which
// then goes to Err.
func (p *Pairing) Approve(code string, notify bool) error {
	r, err := p.Store.Approve(code)
	switch {
	case errors.Is(err, state.ErrCodeExpired):
		return tool.Errorf(tool.ExitFailure, "Pairing code %s has expired; the sender gets a new one by writing again", r.Code)
	case errors.Is(err, state.ErrNotFound):
		return tool.Errorf(tool.ExitFailure, "No pending pairing request found for code: %s", code)
	case err != nil:
		return err
	}
	msg := fmt.Sprintf("Approved %s sender %s.\n", Channel, r.Sender)
	if !notify {
		_, err := io.WriteString(p.Out, msg)
		return err
	}
	io.WriteString(p.Err, msg)
	to := r.Sender
	if r.ChatID > 0 {
		to = handle.FormatChatTarget(r.ChatID)
	}
	w := ndjson.NewUnbufferedWriter(p.Out)
	return w.Encode(record.Reply{Kind: record.KindReply, Account: p.Account, To: to, Text: gate.ApprovedText,
		Key: "pair-approved:" + r.Code})
}

// Reject removes the request with code; the sender is not told.
func (p *Pairing) Reject(code string) error {
	r, err := p.Store.Reject(code)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return tool.Errorf(tool.ExitFailure, "No pending pairing request found for code: %s", code)
	case err != nil:
		return err
	}
	_, err = fmt.Fprintf(p.Out, "Rejected %s sender %s.\n", Channel, r.Sender)
	return err
}

// Revoke removes an approved sender, given in any spelling.
func (p *Pairing) Revoke(raw string) error {
	h, err := handle.Normalize(raw, p.Region)
	if err != nil || handle.IsChatTarget(raw) {
		return tool.Errorf(tool.ExitUsage, "invalid handle %q: give the sender's phone number or email", raw)
	}
	err = p.Store.Revoke(h)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return tool.Errorf(tool.ExitFailure, "No approved %s sender: %s", Channel, h)
	case err != nil:
		return err
	}
	_, err = fmt.Fprintf(p.Out, "Revoked %s sender %s.\n", Channel, h)
	return err
}

// Allowed prints the approved senders in approval order.
func (p *Pairing) Allowed(asJSON bool) error {
	list, err := p.Store.ListApproved()
	if err != nil {
		return err
	}
	if asJSON {
		type sender struct {
			ID         string `json:"id"`
			ApprovedAt string `json:"approvedAt"`
			Code       string `json:"code,omitempty"`
		}
		out := struct {
			Channel   string   `json:"channel"`
			Account   string   `json:"account"`
			AllowFrom []string `json:"allowFrom"`
			Senders   []sender `json:"senders"`
		}{Channel, p.Account, []string{}, []sender{}}
		for _, a := range list {
			out.AllowFrom = append(out.AllowFrom, a.Handle)
			out.Senders = append(out.Senders, sender{a.Handle, stamp(a.Approved), a.Code})
		}
		return writeJSON(p.Out, out)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintf(p.Out, "No approved %s senders.\n", Channel)
		return err
	}
	fmt.Fprintf(p.Out, "Approved senders (%d)\n", len(list))
	tw := tabwriter.NewWriter(p.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%sSenderId\tApproved\tCode\n", Channel)
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Handle, stamp(a.Approved), a.Code)
	}
	return tw.Flush()
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func writeJSON(w io.Writer, v any) error {
	b, err := record.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
