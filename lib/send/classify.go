package send

import (
	"errors"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
)

// verdict is what a failed send call means for the message.
type verdict int

const (
	// transient: imsg reported that the send failed (an AppleScript error,
	// a busy server); nothing went out, so a later attempt is safe.
	transient verdict = iota
	// permanent: imsg refused the request (-32602) or the failure cannot go
	// away by retrying; nothing went out.
	permanent
	// ghost: the macOS 26 ghost row. Messages accepted the send but wrote an
	// empty, unjoined outgoing row instead of a message in the chat: the text
	// probably went to a new chat or nowhere (pain point #7). It is not
	// retried: the same chat send hits the same bug every time, and each
	// retry may put one more stray message in front of the wrong people.
	ghost
	// unknown: the message may or may not have gone out — the call timed
	// out, the child died under it, or newer imsg said so (-32001, -32004).
	// It is never retried before messages.history shows it did not go out.
	unknown
	// fatal: no send can work until the user acts (Full Disk Access, an imsg
	// without rpc, no imsg at all).
	fatal
)

// ghostMarker is in the -32603 data imsg sends for a ghost row.
const ghostMarker = "unjoined empty outgoing row"

// classify reads a send error. restart is set when the child must be
// replaced before anything else is asked of it: after a timeout it is
// wedged, and newer imsg's -32004 poisons its mutation lane until restart.
func classify(err error) (v verdict, restart bool) {
	var re *rpc.Error
	var exit *rpc.ExitError
	var perm *rpc.PermissionError
	switch {
	case errors.As(err, &perm):
		if perm.Retryable {
			return transient, false
		}
		return fatal, false
	case unusable(err):
		return fatal, false
	case errors.Is(err, rpc.ErrTimeout):
		return unknown, true
	case errors.As(err, &re):
		switch re.Code {
		case imsg.CodeInvalidParams, imsg.CodeInvalidRequest, imsg.CodeParseError, imsg.CodeMethodNotFound:
			return permanent, false
		case imsg.CodeDeliveryUnknown:
			return unknown, false
		case imsg.CodeMutationBlocked:
			return unknown, true
		case imsg.CodeInternalError:
			d := re.DataString()
			switch {
			case strings.Contains(d, ghostMarker):
				return ghost, false
			case strings.Contains(d, "only supported on macOS"),
				strings.Contains(d, "Attachment not found"):
				// imsg on Linux, or a file that vanished: the same
				// request fails the same way every time.
				return permanent, false
			}
		}
		return transient, false
	case errors.As(err, &exit), errors.Is(err, rpc.ErrClosed):
		return unknown, false // the child died with the call in flight
	}
	// Anything else (a request that could not be written, a result that
	// did not decode) may have reached imsg: settle before resending.
	return unknown, true
}
