package gate

import (
	"errors"
	"strconv"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// The stage's own answers: pairing codes for strangers and replies to
// /config. Both go out as reply records on stdout, for imsg-send.

// reply writes a reply record to the chat of m.
func (s *Stream) reply(m *imsg.Message, to, text, key string) error {
	return s.Out.Encode(record.Reply{Kind: record.KindReply, Account: s.Gate.account, To: to, Text: text,
		InReplyTo: m.GUID, Key: key})
}

// replyTarget is where an answer to m goes: its chat when the chat id is
// known, else the sender.
func replyTarget(m *imsg.Message, senderNorm string) string {
	if m.ChatID > 0 {
		return "chat_id:" + strconv.FormatInt(m.ChatID, 10)
	}
	return senderNorm
}

// pair handles a stranger under dmPolicy "pairing": one reply per request
// (not per message), and none past the pending cap. The live requests are
// read from the lookups' view, so a stranger who floods the number costs
// no store write per message.
func (s *Stream) pair(line []byte, m *imsg.Message, key string, d Decision) error {
	id := d.PairingID
	if err := s.look.refresh(); err != nil { // after a pairing write just before
		return err
	}
	pending, full, err := s.look.pairing(id)
	switch {
	case err != nil:
		return err
	case pending:
		s.drop(line, m, key, ReasonPairingRepeat, "")
		return nil
	case full:
		s.pairingFull(line, m, key, id)
		return nil
	}
	meta := map[string]string{"accountId": s.Gate.account, "sender": id}
	if m.ChatID > 0 {
		meta["chatId"] = strconv.FormatInt(m.ChatID, 10)
	}
	code, created, err := s.Store.RequestPairing(id, m.ChatID, meta)
	s.look.invalidate() // the view is stale now
	switch {
	case errors.Is(err, state.ErrTooManyPending):
		s.pairingFull(line, m, key, id)
		return nil
	case err != nil:
		return err
	case !created:
		s.drop(line, m, key, ReasonPairingRepeat, "")
		return nil
	}
	delete(s.warned, id)
	if s.Gate.opts.SilentPairing {
		s.Log.Infof("pairing request from %s: code %s (silent: no reply sent)", id, code)
	} else {
		to := replyTarget(m, id)
		if err := s.reply(m, to, PairingText(id, code, s.Gate.account), "pair:"+key); err != nil {
			return err
		}
		s.Log.Infof("pairing request from %s: code %s sent to %s", id, code, to)
	}
	s.drop(line, m, key, ReasonPairing, "")
	return nil
}

// pairingFull drops a stranger's message when the account has the most
// pending requests it may hold. The reference stayed silent here; the
// owner is told once per sender.
func (s *Stream) pairingFull(line []byte, m *imsg.Message, key, id string) {
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	if !s.warned[id] {
		s.warned[id] = true
		s.Log.Warnf("pairing request from %s refused: %d requests are already pending, so no code was sent",
			id, state.MaxPendingPairings)
		s.Log.Hintf("approve or reject them with imsg-pair list / approve / reject")
	}
	s.drop(line, m, key, ReasonPairingFull, "")
}

// configure answers a /config command from an authorised sender, applying
// it when allowed. The gate is rebuilt from the new file, so the change
// takes effect with the next message.
func (s *Stream) configure(line []byte, m *imsg.Message, key string, d Decision) error {
	text := d.ConfigRefusal
	if d.ConfigEdit != nil {
		text = s.applyConfig(*d.ConfigEdit, d.Gate.Sender)
	} else {
		s.Log.Infof("/config from %s refused: %s", d.Gate.Sender, text)
	}
	if err := s.reply(m, replyTarget(m, d.Gate.Sender), text, "config:"+key); err != nil {
		return err
	}
	if key != "" {
		s.batch.Finish(key, state.OutcomeAnswered, ReasonConfigCommand)
	}
	return nil
}

func (s *Stream) applyConfig(e ConfigEdit, sender string) string {
	var next *Gate
	var warns []Warning
	check := func(f *config.File) error {
		var err error
		next, warns, err = s.Rebuild(f)
		return err
	}
	ed, err := ApplyConfigEdit(s.Gate.file, e, check)
	if err != nil {
		s.Log.Infof("/config from %s not applied: %v", sender, err)
		return "Config unchanged: " + err.Error()
	}
	if !ed.Changed {
		return ed.Reply
	}
	if err := WriteConfig(ed.File.Path, ed.Data); err != nil {
		s.Log.Errorf("/config from %s: cannot write %s: %v", sender, ed.File.Path, err)
		return "Config unchanged: the file could not be written"
	}
	s.Log.Infof("/config from %s: %s (previous file kept as %s.bak)", sender, ed.Reply, ed.File.Path)
	// Report only what the change brought: the rest was said at startup.
	old := map[string]bool{}
	for _, w := range s.Gate.warnings(s.Gate.mentionSource) {
		old[w.Msg] = true
	}
	for _, w := range warns {
		if old[w.Msg] {
			continue
		}
		s.Log.Warnf("%s", w.Msg)
		if w.Hint != "" {
			s.Log.Hintf("%s", w.Hint)
		}
	}
	s.Gate = next
	return ed.Reply
}
