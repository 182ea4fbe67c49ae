package route

import (
	"slices"
	"strings"
)

// Fields of a record this stage reads.
type fields struct {
	kind    string
	account string
	message []byte
	gate    []byte
	// hasRoute: the record already has a route (it went through
	// imsg-route before).
	hasRoute bool
}

// readRecord picks the top-level fields routing needs out of a validated
// record.
func readRecord(line []byte) fields {
	var f fields
	eachField(line, func(k, v []byte) bool {
		key := string(k)
		if hasEscape(k) {
			key = keyName(k)
		}
		switch key {
		case "kind":
			f.kind = str(v)
		case "account":
			f.account = str(v)
		case "message":
			f.message = v
		case "gate":
			f.gate = v
		case "route":
			f.hasRoute = true
		}
		return true
	})
	return f
}

func hasEscape(k []byte) bool {
	for _, c := range k {
		if c == '\\' {
			return true
		}
	}
	return false
}

// parseMessage reads the imsg payload and the gate namespace into m.
func parseMessage(f fields, m *Message) {
	*m = Message{Account: f.account}
	eachField(f.message, func(k, v []byte) bool {
		key := string(k)
		if hasEscape(k) {
			key = keyName(k)
		}
		switch key {
		case "id":
			m.ID = num(v)
		case "guid":
			m.GUID = str(v)
		case "chat_id":
			m.ChatID = num(v)
		case "chat_guid":
			m.ChatGUID = str(v)
		case "chat_identifier":
			m.ChatIdentifier = str(v)
		case "chat_name":
			m.ChatName = str(v)
		case "sender":
			m.Sender = str(v)
		case "sender_name":
			m.SenderName = str(v)
		case "text":
			m.Text = str(v)
		case "created_at":
			m.CreatedAt = str(v)
		case "is_group":
			m.IsGroup = boolean(v)
		case "is_reaction":
			m.IsReaction = boolean(v)
		case "reply_to_guid":
			if s := str(v); s != "" {
				m.ReplyToID = s
			}
		case "reply_to_id":
			// Older imsg (and the reference) name it reply_to_id; the
			// guid wins when both are there.
			if m.ReplyToID == "" {
				m.ReplyToID = str(v)
			}
		case "reply_to_text":
			m.ReplyToText = str(v)
		case "reply_to_sender":
			m.ReplyToSender = str(v)
		case "participants":
			m.Participants = distinctParticipants(v)
		case "attachments":
			eachElement(v, func(a []byte) bool {
				if m.Attachments == 0 {
					eachField(a, func(k, v []byte) bool {
						if string(k) == "mime_type" {
							m.AttachmentMIME = str(v)
							return false
						}
						return true
					})
				}
				m.Attachments++
				return true
			})
		}
		return true
	})
	if isNull(f.gate) {
		return
	}
	eachField(f.gate, func(k, v []byte) bool {
		key := string(k)
		if hasEscape(k) {
			key = keyName(k)
		}
		switch key {
		case "sender":
			m.GateSender = str(v)
		case "is_group":
			if !isNull(v) {
				b := boolean(v)
				m.GateIsGroup = &b
			}
		case "chat_key":
			m.GateChatKey = str(v)
		case "body":
			m.GateBody = str(v)
		case "reply_context_allowed":
			// contextVisibility: the gate says whether the quote may
			// reach the agent.
			m.GateNoReplyContext = string(v) == "false"
		}
		return true
	})
}

// distinctParticipants counts the different handles of a participants
// array (trimmed, case-insensitively), as imsg-gate does.
func distinctParticipants(arr []byte) int {
	var seen []string
	eachElement(arr, func(v []byte) bool {
		p := strings.ToLower(strings.TrimSpace(str(v)))
		if p != "" && !slices.Contains(seen, p) {
			seen = append(seen, p)
		}
		return true
	})
	return len(seen)
}
