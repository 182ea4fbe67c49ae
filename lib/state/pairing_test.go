package state

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPairingCodeShape(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	seen := map[string]bool{}
	for i := range 3 {
		code, created, err := s.RequestPairing("+1555000000"+string(rune('0'+i)), 0, nil)
		if err != nil || !created {
			t.Fatalf("RequestPairing = %q, %v, %v", code, created, err)
		}
		if len(code) != CodeLength {
			t.Errorf("code %q has length %d; want %d", code, len(code), CodeLength)
		}
		for _, c := range code {
			if !strings.ContainsRune(CodeAlphabet, c) || strings.ContainsRune("0O1I", c) {
				t.Errorf("code %q has character %q outside the alphabet", code, c)
			}
		}
		if seen[code] {
			t.Errorf("code %q issued twice", code)
		}
		seen[code] = true
	}
	if len(CodeAlphabet) != 32 || strings.ContainsAny(CodeAlphabet, "0O1I") {
		t.Errorf("CodeAlphabet = %q; want 32 characters without 0 O 1 I", CodeAlphabet)
	}
}

func TestPairingSameSenderNoExtension(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()
	code, created, err := s.RequestPairing("+15551234567", 9, map[string]string{"accountId": "default"})
	if err != nil || !created {
		t.Fatalf("RequestPairing = %v, %v", created, err)
	}
	clk.Advance(50 * time.Minute)
	again, created, err := s.RequestPairing("+15551234567", 9, nil)
	if err != nil || created || again != code {
		t.Errorf("RequestPairing again = %q, %v, %v; want %q, false", again, created, err, code)
	}
	p, err := s.ListPending()
	if err != nil || len(p) != 1 {
		t.Fatalf("ListPending = %+v, %v", p, err)
	}
	if !p[0].Created.Equal(t0) || !p[0].Expires.Equal(t0.Add(PairingTTL)) || !p[0].LastSeen.Equal(t0.Add(50*time.Minute)) {
		t.Errorf("request = %+v; want created t0, expiry t0+1h (not extended), last seen +50m", p[0])
	}
	if p[0].ChatID != 9 || p[0].Sender != "+15551234567" || p[0].Meta["accountId"] != "default" {
		t.Errorf("request = %+v", p[0])
	}
	// Past the hour the code is gone and a new one is issued.
	clk.Advance(10 * time.Minute)
	fresh, created, err := s.RequestPairing("+15551234567", 9, nil)
	if err != nil || !created || fresh == code {
		t.Errorf("RequestPairing after expiry = %q, %v, %v; want a new code", fresh, created, err)
	}
}

func TestPairingCap(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	for _, sender := range []string{"a@x.com", "b@x.com", "c@x.com"} {
		_, _, err := s.RequestPairing(sender, 0, nil)
		mustDo(t, err)
		clk.Advance(10 * time.Minute)
	}
	code, created, err := s.RequestPairing("d@x.com", 0, nil)
	if !errors.Is(err, ErrTooManyPending) || code != "" || created {
		t.Errorf("4th sender = %q, %v, %v; want ErrTooManyPending", code, created, err)
	}
	// A sender already pending still gets its code at the cap.
	if _, created, err := s.RequestPairing("b@x.com", 0, nil); err != nil || created {
		t.Errorf("pending sender at the cap = %v, %v; want its code", created, err)
	}
	// Once the first request expires it no longer counts, and is pruned.
	clk.Advance(31 * time.Minute) // a@ was made 61 min ago
	if _, created, err := s.RequestPairing("d@x.com", 0, nil); err != nil || !created {
		t.Errorf("4th sender after an expiry = %v, %v; want created", created, err)
	}
	p, _ := s.ListPending()
	var senders []string
	for _, r := range p {
		senders = append(senders, r.Sender)
	}
	if got := strings.Join(senders, " "); got != "b@x.com c@x.com d@x.com" {
		t.Errorf("pending senders = %q; want b c d", got)
	}
}

func TestPairingApprove(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	code, _, err := s.RequestPairing("+15551234567", 4, nil)
	mustDo(t, err)
	clk.Advance(time.Minute)
	req, err := s.Approve("  " + strings.ToLower(code) + " ")
	if err != nil || req.Sender != "+15551234567" || req.ChatID != 4 {
		t.Fatalf("Approve(lowercase code) = %+v, %v", req, err)
	}
	if ok, err := s.IsApproved("+15551234567"); err != nil || !ok {
		t.Errorf("IsApproved after Approve = %v, %v; want true", ok, err)
	}
	if ok, _ := s.IsApproved("+15550000000"); ok {
		t.Errorf("IsApproved of a stranger = true")
	}
	a, err := s.ListApproved()
	if err != nil || len(a) != 1 || a[0].Handle != "+15551234567" || a[0].Code != code || !a[0].Approved.Equal(clk.Now()) {
		t.Errorf("ListApproved = %+v, %v", a, err)
	}
	if p, _ := s.ListPending(); len(p) != 0 {
		t.Errorf("request still pending after Approve: %+v", p)
	}
	if _, err := s.Approve(code); !isNotFound(err) {
		t.Errorf("Approve of a used code = %v; want ErrNotFound", err)
	}
	if _, err := s.Approve(""); !isNotFound(err) {
		t.Errorf("Approve(\"\") = %v; want ErrNotFound", err)
	}

	mustDo(t, s.Revoke("+15551234567"))
	if ok, _ := s.IsApproved("+15551234567"); ok {
		t.Errorf("IsApproved after Revoke = true")
	}
	if err := s.Revoke("+15551234567"); !isNotFound(err) {
		t.Errorf("second Revoke = %v; want ErrNotFound", err)
	}
}

func TestPairingApproveExpired(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	code, _, err := s.RequestPairing("+15551234567", 0, nil)
	mustDo(t, err)
	clk.Advance(PairingTTL)
	if _, err := s.Approve(code); !errors.Is(err, ErrCodeExpired) {
		t.Errorf("Approve of an expired code = %v; want ErrCodeExpired", err)
	}
	if ok, _ := s.IsApproved("+15551234567"); ok {
		t.Errorf("an expired code approved its sender")
	}
	if _, err := s.Approve(code); !isNotFound(err) {
		t.Errorf("Approve of an expired code again = %v; want ErrNotFound (removed)", err)
	}
}

func TestPairingReject(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	code, _, err := s.RequestPairing("x@y.com", 0, nil)
	mustDo(t, err)
	req, err := s.Reject(strings.ToLower(code))
	if err != nil || req.Sender != "x@y.com" {
		t.Errorf("Reject = %+v, %v", req, err)
	}
	if ok, _ := s.IsApproved("x@y.com"); ok {
		t.Errorf("Reject approved the sender")
	}
	if _, err := s.Reject(code); !isNotFound(err) {
		t.Errorf("second Reject = %v; want ErrNotFound", err)
	}
	if _, _, err := s.RequestPairing(" ", 0, nil); err == nil {
		t.Errorf("RequestPairing without a sender succeeded")
	}
}

// Codes are redrawn on collision with a pending one, and a source that only
// ever collides ends in an error rather than a loop.
func TestPairingCodeUniqueness(t *testing.T) {
	old := codeRand
	defer func() { codeRand = old }()
	s := openTest(t, t.TempDir(), newFakeClock())

	codeRand = bytes.NewReader(bytes.Repeat([]byte{0}, CodeLength)) // "AAAAAAAA"
	first, _, err := s.RequestPairing("a@x.com", 0, nil)
	mustDo(t, err)
	if first != "AAAAAAAA" {
		t.Fatalf("first code = %q; want AAAAAAAA", first)
	}
	// The same draw again, then a different one: the second must be used.
	codeRand = bytes.NewReader(append(bytes.Repeat([]byte{0}, CodeLength), bytes.Repeat([]byte{33}, CodeLength)...))
	second, _, err := s.RequestPairing("b@x.com", 0, nil)
	if err != nil || second != "BBBBBBBB" {
		t.Errorf("code after a collision = %q, %v; want BBBBBBBB", second, err)
	}
	codeRand = bytes.NewReader(bytes.Repeat([]byte{0}, CodeLength*600))
	if _, _, err := s.RequestPairing("c@x.com", 0, nil); err == nil || !strings.Contains(err.Error(), "failed to generate unique pairing code") {
		t.Errorf("RequestPairing with a colliding source = %v; want a uniqueness error", err)
	}
}
