// Package record defines the NDJSON records that flow between the stages
// (man/imsg-records.7) and the byte-preserving helpers stages use to read and
// extend them: a stage adds its own namespace and never re-encodes fields it
// does not own, so unknown fields pass through byte for byte.
package record

import (
	"encoding/json"
)

// Record kinds. Every record has "kind" and "account".
const (
	KindMessage  = "message"
	KindReaction = "reaction"
	KindReply    = "reply"
	KindReceipt  = "receipt"
)

// Top-level keys of the namespaces each stage owns.
const (
	KeyKind    = "kind"
	KeyAccount = "account"
	KeyMessage = "message"
	KeyListen  = "listen"
	KeyGate    = "gate"
	KeyMedia   = "media"
	KeyRoute   = "route"
	// Keys a drop record adds (see Drop).
	KeyDroppedBy = "dropped_by"
	KeyReason    = "reason"
)

// Message is a message or reaction record as imsg-listen emits it. Message
// holds the imsg payload exactly as received.
type Message struct {
	Kind    string          `json:"kind"`
	Account string          `json:"account"`
	Message json.RawMessage `json:"message"`
	Listen  *Listen         `json:"listen,omitempty"`
}

// Listen is imsg-listen's namespace on a message record.
type Listen struct {
	// ReceivedAt is when imsg-listen first journalled the message (RFC 3339).
	ReceivedAt string `json:"received_at"`
	// Redelivery marks a message emitted again after a restart because no
	// later stage had finished it; a consumer that already handled its guid
	// may skip it.
	Redelivery bool `json:"redelivery,omitempty"`
}

// Reply is an outbound message for imsg-chunk and imsg-send.
type Reply struct {
	Kind       string   `json:"kind"`
	Account    string   `json:"account"`
	To         string   `json:"to"`
	Text       string   `json:"text"`
	Files      []string `json:"files,omitempty"`
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	SessionKey string   `json:"session_key,omitempty"`
	Key        string   `json:"key"`
	Part       int      `json:"part,omitempty"`
	Parts      int      `json:"parts,omitempty"`
}

// Receipt is imsg-send's report of one send: a part's text, or one of its
// files (key "<part key>/file<N>").
type Receipt struct {
	Kind      string `json:"kind"`
	Account   string `json:"account"`
	Key       string `json:"key"`
	To        string `json:"to"`
	OK        bool   `json:"ok"`
	GUID      string `json:"guid,omitempty"`
	RowID     int64  `json:"rowid,omitempty"`
	Error     string `json:"error,omitempty"`
	Attempts  int    `json:"attempts"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Note is a remark for people, e.g. why nothing was sent when OK is true.
	Note string `json:"note,omitempty"`
}

// Drop returns the record as written to a --drops file: the original bytes
// plus "dropped_by" (the stage) and "reason" (the reason words).
func Drop(obj []byte, stage, reason string) []byte {
	s, _ := Marshal(stage)
	r, _ := Marshal(reason)
	return Set(Set(obj, KeyDroppedBy, s), KeyReason, r)
}
