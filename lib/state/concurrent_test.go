package state

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// writerEnv makes the test binary act as one writer process (see TestMain).
const writerEnv = "IMSG_STATE_TEST_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(writerEnv); spec != "" {
		os.Exit(writerMain(spec))
	}
	os.Exit(m.Run())
}

// hammer runs rounds of the operations every pipeline process performs,
// against keys private to id and keys all writers share. It returns how
// many shared keys this writer journalled first.
func hammer(s *Store, id string, rounds int) (firsts int, err error) {
	for i := range rounds {
		own := fmt.Sprintf("%s-%d", id, i)
		shared := fmt.Sprintf("shared-%d", i)
		if _, err := s.Journal(own, int64(i+1), 1); err != nil {
			return firsts, err
		}
		prev, err := s.Journal(shared, int64(i+1), 1)
		if err != nil {
			return firsts, err
		}
		if prev == "" {
			firsts++
		}
		if err := s.MarkEmitted(own); err != nil {
			return firsts, err
		}
		if _, _, err := s.Begin("out-"+own, "chat_id:1", "reply "+own, own); err != nil {
			return firsts, err
		}
		if _, _, err := s.Begin("out-"+shared, "chat_id:1", "reply "+shared, shared); err != nil {
			return firsts, err
		}
		if err := s.MarkSent("out-"+own, "G-"+own, int64(i)); err != nil {
			return firsts, err
		}
		if err := s.RememberSent("chat_id:1", "G-"+own, "reply "+own); err != nil {
			return firsts, err
		}
		if _, err := s.SeenEcho("chat_id:1", "G-"+own, "", 0); err != nil {
			return firsts, err
		}
		if _, err := s.Finish(own, OutcomeAnswered, ""); err != nil {
			return firsts, err
		}
		if err := s.SetCursor(int64(i)); err != nil {
			return firsts, err
		}
		if _, err := s.ResumePoint(); err != nil {
			return firsts, err
		}
	}
	return firsts, nil
}

// checkHammered verifies the store after writers hammered it: every private
// key finished and sent, every shared key journalled once and begun once
// per writer.
func checkHammered(t *testing.T, s *Store, ids []string, rounds, firsts int) {
	t.Helper()
	if firsts != rounds {
		t.Errorf("shared keys journalled as new %d times; want %d (once each)", firsts, rounds)
	}
	counts, err := s.JournalCounts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[StatusFinished] != len(ids)*rounds || counts[StatusReceived] != rounds {
		t.Errorf("JournalCounts() = %v; want %d finished, %d received", counts, len(ids)*rounds, rounds)
	}
	for i := range rounds {
		d, err := s.Delivery(fmt.Sprintf("out-shared-%d", i))
		if err != nil || d.Attempts != len(ids) {
			t.Errorf("shared delivery %d = %+v, %v; want %d attempts", i, d, err, len(ids))
		}
	}
	dc, err := s.DeliveryCounts()
	if err != nil || dc[DeliverySent] != len(ids)*rounds {
		t.Errorf("DeliveryCounts() = %v, %v; want %d sent", dc, err, len(ids)*rounds)
	}
}

func TestConcurrentStores(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"w1", "w2", "w3", "w4"}
	const rounds = 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, id := range ids {
		s, err := Open(dir, "default") // one Store, one connection pool per writer
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := hammer(s, id, rounds)
			if err != nil {
				t.Errorf("writer %s: %v", id, err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	checkHammered(t, openTest(t, dir, newFakeClock()), ids, rounds, total)
}

// TestConcurrentProcesses runs the writers as separate processes, as the
// pipeline does: SQLite's locks, not Go's, keep them apart.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	ids := []string{"p1", "p2", "p3"}
	const rounds = 20
	cmds := make([]*exec.Cmd, len(ids))
	outs := make([]*strings.Builder, len(ids))
	for i, id := range ids {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d", writerEnv, dir, id, rounds))
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	total := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %s: %v: %s", ids[i], err, outs[i])
		}
		n, err := strconv.Atoi(strings.TrimSpace(outs[i].String()))
		if err != nil {
			t.Fatalf("writer %s printed %q", ids[i], outs[i])
		}
		total += n
	}
	checkHammered(t, openTest(t, dir, newFakeClock()), ids, rounds, total)
}

// writerMain is the body of a writer process: "dir|id|rounds".
func writerMain(spec string) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 3 {
		fmt.Fprintln(os.Stderr, "bad writer spec", spec)
		return 2
	}
	rounds, _ := strconv.Atoi(parts[2])
	s, err := Open(parts[0], "default")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	n, err := hammer(s, parts[1], rounds)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n)
	return 0
}
