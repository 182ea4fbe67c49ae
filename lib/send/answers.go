package send

import (
	"errors"

	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// Journal reasons imsg-send finishes inbound messages with.
const (
	// ReasonEmptyReply: the agent chose not to answer (a reply with no text
	// and no files). The message is finished as answered, since it was
	// handled, with this reason; nothing is sent.
	ReasonEmptyReply = "empty reply"
	// ReasonSendFailed starts the reason of a message none of whose reply
	// went out; the first error follows.
	ReasonSendFailed = "send failed: "
	// ReasonPartlyDelivered starts the reason of an answered message some
	// of whose reply failed; the first error follows.
	ReasonPartlyDelivered = "partly delivered: "
)

// answers follows the replies to each inbound message across their parts,
// and finishes the message in the journal once the last part is settled:
// answered if anything went out (now or before a restart), answered with
// ReasonEmptyReply for an empty reply, dropped when everything failed.
type answers struct {
	store *state.Store
	log   *tool.Log
	open  map[string]*answer
}

type answer struct {
	parts     map[int]bool // parts seen in this run
	delivered bool
	empty     bool
	failure   string // the first error
}

// maxOpen bounds the replies followed at once; one whose last part never
// comes (its stage died) is forgotten, and the journal redelivers it.
const maxOpen = 4096

func newAnswers(store *state.Store, log *tool.Log) *answers {
	return &answers{store: store, log: log, open: map[string]*answer{}}
}

// part records how part n of parts of the reply to inReplyTo ended, and
// finishes the message when it is the last part. Parts come in order, so
// the last part is the one numbered parts.
func (a *answers) part(inReplyTo string, n, parts int, delivered, empty bool, failure string) {
	if inReplyTo == "" {
		return // a send of our own, not an answer
	}
	x := a.open[inReplyTo]
	if x == nil {
		if len(a.open) >= maxOpen {
			for k := range a.open {
				delete(a.open, k)
				break
			}
		}
		x = &answer{parts: map[int]bool{}}
		a.open[inReplyTo] = x
	}
	x.parts[n] = true
	x.delivered = x.delivered || delivered
	x.empty = x.empty || empty
	if x.failure == "" {
		x.failure = failure
	}
	if n < parts {
		return
	}
	delete(a.open, inReplyTo)
	if !x.delivered && len(x.parts) < parts {
		// Earlier parts went by before a restart: ask the ledger.
		ds, err := a.store.DeliveriesFor(inReplyTo)
		if err != nil {
			a.log.Errorf("finish %s: %v", inReplyTo, err)
			return
		}
		for _, d := range ds {
			x.delivered = x.delivered || d.Status == state.DeliverySent
		}
	}
	outcome, reason := state.OutcomeAnswered, ""
	switch {
	case x.delivered && x.failure != "":
		reason = ReasonPartlyDelivered + x.failure
	case x.delivered:
	case x.failure != "":
		outcome, reason = state.OutcomeDropped, ReasonSendFailed+x.failure
	case x.empty:
		reason = ReasonEmptyReply
	}
	if _, err := a.store.Finish(inReplyTo, outcome, reason); err != nil && !errors.Is(err, state.ErrNotFound) {
		// Not journalled (imsg-send used on its own) is fine; anything else
		// means the message will be redelivered.
		a.log.Errorf("finish %s: %v", inReplyTo, err)
	}
}
