package gate

import (
	"strings"
	"sync"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// PairCommand is the approve command named in pairing replies, with the
// flags the owner needs for account (none for the default account).
func PairCommand(code, account string) string {
	if account == "" || account == config.DefaultAccountID {
		return "imsg-pair approve " + code
	}
	return "imsg-pair approve --account " + account + " " + code
}

// PairingText is the reply to a stranger under dmPolicy "pairing" (spec
// §9.3): the reference's structure — access line, sender id, the code alone
// on a line inside a fence, the approve instruction plain and fenced — with
// this project's own command.
func PairingText(senderID, code, account string) string {
	cmd := PairCommand(code, account)
	return strings.Join([]string{
		"imsg: access not configured.",
		"",
		"Your iMessage sender id: " + senderID,
		"Pairing code:",
		"```",
		code,
		"```",
		"",
		"Ask the bot owner to approve with:",
		cmd,
		"```",
		cmd,
		"```",
	}, "\n")
}

// ApprovedText is the message imsg-pair approve --notify sends.
const ApprovedText = "✅ imsg access approved. Send a message to start chatting."

// LineBuffer collects stderr lines between flushes: one write per burst
// instead of one per dropped message. It is safe for concurrent use.
type LineBuffer struct {
	mu  sync.Mutex
	w   interface{ Write([]byte) (int, error) }
	buf []byte
}

// NewLineBuffer buffers writes to w.
func NewLineBuffer(w interface{ Write([]byte) (int, error) }) *LineBuffer {
	return &LineBuffer{w: w}
}

// Write buffers p; a large buffer is written at once.
func (b *LineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= 32<<10 {
		b.flushLocked()
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (b *LineBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *LineBuffer) flushLocked() {
	if len(b.buf) > 0 {
		b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}
