package send

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"time"

	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// peer is the one long-lived `imsg rpc` child every send goes through. A
// child that dies is started again on the next call, after a backoff that
// grows while children keep dying and starts over after a call succeeds.
// Not safe for concurrent use: imsg-send delivers one part at a time.
type peer struct {
	opts       rpc.Options
	log        *tool.Log
	c          *rpc.Client
	backoffMin time.Duration
	backoffMax time.Duration
	backoff    time.Duration
}

func newPeer(opts rpc.Options, log *tool.Log, min, max time.Duration) *peer {
	if min <= 0 {
		min = 250 * time.Millisecond
	}
	if max < min {
		max = 10 * time.Second
	}
	return &peer{opts: opts, log: log, backoffMin: min, backoffMax: max, backoff: min}
}

// unavailableError marks errors after which no send can succeed until the
// user acts (no Full Disk Access, an imsg without rpc, no imsg at all):
// imsg-send exits 4 instead of failing every part.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// unusable reports errors that restarting the child will not cure.
func unusable(err error) bool {
	var execErr *exec.Error
	var perm *rpc.PermissionError
	if errors.As(err, &perm) && perm.Retryable {
		return false // newer imsg reopens the database by itself
	}
	return errors.Is(err, rpc.ErrPermissionDenied) || errors.Is(err, rpc.ErrNoRPC) ||
		errors.As(err, &execErr) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// client returns the running child, starting one when there is none or
// the last one ended. ctx only bounds the wait before a restart.
func (p *peer) client(ctx context.Context) (*rpc.Client, error) {
	if p.c != nil {
		select {
		case <-p.c.Done():
			err := p.c.Err()
			p.c = nil
			if unusable(err) {
				return nil, &unavailableError{err}
			}
			p.log.Warnf("imsg rpc stopped: %v; restarting in %s", err, p.backoff)
			if err := sleep(ctx, p.backoff); err != nil {
				return nil, err
			}
			p.backoff = min(p.backoff*2, p.backoffMax)
		default:
			if err := p.c.Err(); err != nil && unusable(err) {
				return nil, &unavailableError{err} // broken: imsg cannot read chat.db
			}
			return p.c, nil
		}
	}
	c, err := rpc.Start(p.opts)
	if err != nil {
		err = fmt.Errorf("start %s: %w", p.opts.CLIPath, err)
		if unusable(err) {
			return nil, &unavailableError{err}
		}
		return nil, err
	}
	p.c = c
	return c, nil
}

// healthy notes a call that worked: the restart backoff starts over.
func (p *peer) healthy() { p.backoff = p.backoffMin }

// restart ends the current child and waits until it is gone. After a send
// that timed out the child is wedged (an AppleScript that never returns,
// pain point #12) and, more importantly, while it lives the send may still
// complete: the outcome is only settled once it is gone.
func (p *peer) restart(why string) {
	if p.c == nil {
		return
	}
	p.log.Warnf("restarting imsg rpc: %s", why)
	p.c.Close()
	p.c = nil
}

// close ends the child, if any.
func (p *peer) close() {
	if p.c != nil {
		p.c.Close()
		p.c = nil
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
