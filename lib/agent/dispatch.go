package agent

import (
	"container/heap"
	"sync"
)

// Dispatcher runs jobs on a fixed number of workers with one rule: the jobs
// of one session run one at a time, in the order they were submitted, while
// jobs of different sessions run side by side. A free worker takes the
// oldest job whose session is idle, so with one worker every job runs in
// submission order, and a session whose job hangs blocks only its own later
// jobs (and the one worker it holds).
type Dispatcher struct {
	mu       sync.Mutex
	cond     *sync.Cond
	sessions map[string]*session
	ready    readyHeap // sessions with jobs waiting and none running, oldest job first
	pending  int       // jobs queued or running
	seq      int64     // submission counter
	max      int
	closed   bool
	wg       sync.WaitGroup
}

type session struct {
	key     string
	jobs    []queued
	running bool
}

type queued struct {
	job *Job
	seq int64
}

// readyHeap orders idle sessions by the submission number of their next
// job.
type readyHeap []*session

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return h[i].jobs[0].seq < h[j].jobs[0].seq }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(*session)) }
func (h *readyHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// NewDispatcher starts workers goroutines that call run for each job.
// Submit blocks while maxPending jobs are queued or running, which stops
// the reader from taking in more than the agents can answer.
func NewDispatcher(workers, maxPending int, run func(*Job)) *Dispatcher {
	d := &Dispatcher{sessions: map[string]*session{}, max: max(maxPending, 1)}
	d.cond = sync.NewCond(&d.mu)
	for range max(workers, 1) {
		d.wg.Add(1)
		go d.work(run)
	}
	return d
}

// Submit queues j behind the earlier jobs of its session.
func (d *Dispatcher) Submit(j *Job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.pending >= d.max {
		d.cond.Wait()
	}
	s := d.sessions[j.SessionKey]
	if s == nil {
		s = &session{key: j.SessionKey}
		d.sessions[j.SessionKey] = s
	}
	d.seq++
	s.jobs = append(s.jobs, queued{job: j, seq: d.seq})
	d.pending++
	if !s.running && len(s.jobs) == 1 {
		heap.Push(&d.ready, s)
	}
	d.cond.Broadcast()
}

// Close stops intake and waits until every submitted job has run.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
	d.wg.Wait()
}

func (d *Dispatcher) work(run func(*Job)) {
	defer d.wg.Done()
	d.mu.Lock()
	for {
		for len(d.ready) == 0 && !(d.closed && d.pending == 0) {
			d.cond.Wait()
		}
		if len(d.ready) == 0 {
			d.mu.Unlock()
			return
		}
		s := heap.Pop(&d.ready).(*session)
		j := s.jobs[0].job
		s.jobs = s.jobs[1:]
		s.running = true
		d.mu.Unlock()

		run(j)

		d.mu.Lock()
		s.running = false
		d.pending--
		if len(s.jobs) > 0 {
			heap.Push(&d.ready, s)
		} else {
			delete(d.sessions, s.key)
		}
		d.cond.Broadcast()
	}
}
