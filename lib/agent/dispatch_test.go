package agent

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// guard is a deadlock guard, never a performance check.
const guard = 20 * time.Second

func job(session, id string) *Job { return &Job{SessionKey: session, GUID: id} }

func waitFor(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("event %q; want %q", got, want)
		}
	case <-time.After(guard):
		t.Fatalf("no event; want %q (deadlock?)", want)
	}
}

func TestDispatcherSessionsInOrderAndInParallel(t *testing.T) {
	started := make(chan string, 10)
	release := map[string]chan struct{}{}
	for _, id := range []string{"a1", "a2", "b1", "c1"} {
		release[id] = make(chan struct{})
	}
	d := NewDispatcher(3, 100, func(j *Job) {
		started <- j.GUID
		<-release[j.GUID]
	})
	d.Submit(job("A", "a1"))
	waitFor(t, started, "a1")
	d.Submit(job("A", "a2"))
	d.Submit(job("B", "b1"))
	// a1 holds session A: b1 starts beside it, a2 waits.
	waitFor(t, started, "b1")
	d.Submit(job("C", "c1"))
	waitFor(t, started, "c1")
	select {
	case id := <-started:
		t.Fatalf("%s started while a1 was still running", id)
	default:
	}
	close(release["a1"])
	waitFor(t, started, "a2")
	close(release["a2"])
	close(release["b1"])
	close(release["c1"])
	d.Close()
}

func TestDispatcherOneWorkerKeepsInputOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	d := NewDispatcher(1, 2, func(j *Job) {
		mu.Lock()
		order = append(order, j.GUID)
		mu.Unlock()
	})
	var want []string
	for i := range 30 {
		id := fmt.Sprintf("%c%d", 'a'+i%3, i)
		want = append(want, id)
		d.Submit(job(id[:1], id)) // blocks at 2 pending: backpressure
	}
	d.Close()
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("order = %v; want %v", order, want)
	}
}

func TestDispatcherHangHoldsOnlyItsSession(t *testing.T) {
	hang := make(chan struct{})
	done := make(chan string, 10)
	d := NewDispatcher(2, 100, func(j *Job) {
		if j.GUID == "stuck" {
			<-hang
		}
		done <- j.GUID
	})
	d.Submit(job("A", "stuck"))
	d.Submit(job("A", "after-stuck"))
	for i := range 5 {
		d.Submit(job(fmt.Sprintf("S%d", i), fmt.Sprintf("s%d", i)))
	}
	seen := map[string]bool{}
	for range 5 {
		select {
		case id := <-done:
			seen[id] = true
		case <-time.After(guard):
			t.Fatalf("other sessions stalled behind a hung one; done so far %v", seen)
		}
	}
	if seen["after-stuck"] {
		t.Error("a job ran before the earlier job of its session finished")
	}
	close(hang)
	waitFor(t, done, "stuck")
	waitFor(t, done, "after-stuck")
	d.Close()
}
