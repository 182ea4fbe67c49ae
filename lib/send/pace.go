package send

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a sustained send rate: N messages per Per. The zero Rate means
// no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Unlimited reports whether the rate imposes nothing.
func (r Rate) Unlimited() bool { return r.N <= 0 || r.Per <= 0 }

// String writes the rate as ParseRate reads it: "1/s", "30/m", "0".
func (r Rate) String() string {
	if r.Unlimited() {
		return "0"
	}
	unit := r.Per.String()
	switch r.Per {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	case 24 * time.Hour:
		unit = "d"
	}
	return strconv.Itoa(r.N) + "/" + unit
}

// interval is the time one token takes to come back.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.N) }

// ParseRate reads "N/UNIT" where UNIT is s, m, h, d (also sec, min, hour,
// day) or a Go duration ("100/1h30m"); "0", "off" and "" mean no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "0", "off", "none":
		return Rate{}, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n < 0 {
		return Rate{}, fmt.Errorf("bad rate %q: want N/UNIT, such as 1/s or 30/m", s)
	}
	unit = strings.ToLower(strings.TrimSpace(unit))
	var per time.Duration
	switch unit {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "d", "day":
		per = 24 * time.Hour
	default:
		if per, err = time.ParseDuration(unit); err != nil || per <= 0 {
			return Rate{}, fmt.Errorf("bad rate %q: unknown unit %q (s, m, h, d or a duration)", s, unit)
		}
	}
	if n == 0 {
		return Rate{}, nil
	}
	return Rate{N: n, Per: per}, nil
}

// Limits are the pacing settings.
type Limits struct {
	ChatRate    Rate // per target chat
	ChatBurst   int  // sends a quiet chat may take at once
	GlobalRate  Rate // over all chats
	GlobalBurst int
	DailyCap    int // sends in any 24 hours; 0: no cap
}

// DefaultLimits: a bubble a second per chat after a burst of five (a long
// answer split in parts goes out at once, a runaway loop in one chat is
// slowed to a human pace), 30 a minute over all chats after a burst of ten,
// and 1,000 in any 24 hours. See the man page for the reasoning.
var DefaultLimits = Limits{
	ChatRate: Rate{1, time.Second}, ChatBurst: 5,
	GlobalRate: Rate{30, time.Minute}, GlobalBurst: 10,
	DailyCap: 1000,
}

// capWindow is the span of the daily cap.
const capWindow = 24 * time.Hour

// ErrDailyCap matches the error of a send refused by the daily cap.
var ErrDailyCap = errors.New("daily send cap reached")

// CapError is a send refused by the daily cap.
type CapError struct {
	Cap  int
	Next time.Time // when the oldest counted send leaves the window
}

func (e *CapError) Error() string {
	return fmt.Sprintf("daily send cap reached: %d sent in the last 24 hours (--daily-cap); "+
		"not sent; sending may resume at %s", e.Cap, e.Next.UTC().Format(time.RFC3339))
}

func (e *CapError) Is(target error) bool { return target == ErrDailyCap }

// bucket is a token bucket. Tokens may go negative: a reservation taken
// now is paid back by waiting.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) refill(r Rate, burst int, now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens += float64(el) / float64(r.interval())
		b.last = now
	}
	if b.tokens > float64(burst) {
		b.tokens = float64(burst)
	}
}

// take removes one token and returns how long the caller must wait for it.
func (b *bucket) take(r Rate, burst int, now time.Time) time.Duration {
	b.refill(r, burst, now)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens * float64(r.interval()))
}

// Pacer decides when each send may go. It is pure logic: the caller passes
// the time and does the waiting. Buckets should run on a monotonic clock;
// the daily window runs on the clock the ledger's times come from. Not safe
// for concurrent use.
type Pacer struct {
	lim    Limits
	chats  map[string]*bucket
	global bucket
	sent   []time.Time // sends inside the daily window, oldest first
}

// NewPacer returns a Pacer whose daily window already holds the send
// times given (from the ledger, oldest first).
func NewPacer(lim Limits, sent []time.Time) *Pacer {
	if lim.ChatBurst < 1 {
		lim.ChatBurst = 1
	}
	if lim.GlobalBurst < 1 {
		lim.GlobalBurst = 1
	}
	return &Pacer{lim: lim, chats: map[string]*bucket{}, sent: append([]time.Time(nil), sent...)}
}

// Decision is when a send may go, and which limit held it back.
type Decision struct {
	Wait  time.Duration
	Limit string // "per-chat rate 1/s (burst 5)", "global rate 30/m (burst 10)", or "" when Wait is 0
}

// Reserve books a send to chat. now is the bucket clock, day the daily
// window's. It fails with a *CapError, booking nothing, when the daily cap
// is reached; otherwise the send counts against every limit at once and
// must wait Decision.Wait.
func (p *Pacer) Reserve(chat string, now, day time.Time) (Decision, error) {
	if p.lim.DailyCap > 0 {
		cut := day.Add(-capWindow)
		i := 0
		for i < len(p.sent) && !p.sent[i].After(cut) {
			i++
		}
		p.sent = p.sent[i:]
		if len(p.sent) >= p.lim.DailyCap {
			return Decision{}, &CapError{Cap: p.lim.DailyCap, Next: p.sent[0].Add(capWindow)}
		}
		p.sent = append(p.sent, day)
	}
	var d Decision
	if r := p.lim.ChatRate; !r.Unlimited() {
		b := p.chats[chat]
		if b == nil {
			p.prune(now)
			b = &bucket{tokens: float64(p.lim.ChatBurst), last: now}
			p.chats[chat] = b
		}
		if w := b.take(r, p.lim.ChatBurst, now); w > d.Wait {
			d = Decision{w, fmt.Sprintf("per-chat rate %s (burst %d)", r, p.lim.ChatBurst)}
		}
	}
	if r := p.lim.GlobalRate; !r.Unlimited() {
		if p.global.last.IsZero() {
			p.global = bucket{tokens: float64(p.lim.GlobalBurst), last: now}
		}
		if w := p.global.take(r, p.lim.GlobalBurst, now); w > d.Wait {
			d = Decision{w, fmt.Sprintf("global rate %s (burst %d)", r, p.lim.GlobalBurst)}
		}
	}
	return d, nil
}

// maxChats is how many per-chat buckets are kept before full ones are
// forgotten (a full bucket is the same as a new one).
const maxChats = 1024

func (p *Pacer) prune(now time.Time) {
	if len(p.chats) < maxChats {
		return
	}
	for k, b := range p.chats {
		b.refill(p.lim.ChatRate, p.lim.ChatBurst, now)
		if b.tokens >= float64(p.lim.ChatBurst) {
			delete(p.chats, k)
		}
	}
}

// Chats is how many per-chat buckets are held (for tests).
func (p *Pacer) Chats() int { return len(p.chats) }
