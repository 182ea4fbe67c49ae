package fetch

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCachePutIsAllOrNothing(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	dst := c.Path("chat-1", "G-photo.jpg")
	if _, err := c.Put(dst, func(w io.Writer) (int64, error) {
		w.Write([]byte("half a fi"))
		return 9, errors.New("connection lost")
	}); err == nil {
		t.Fatal("Put reported success for a failed fill")
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 0 {
		t.Errorf("a failed Put left %v behind", entries)
	}
	if _, err := c.Put(dst, func(w io.Writer) (int64, error) { n, err := w.Write([]byte("whole")); return int64(n), err }); err != nil {
		t.Fatal(err)
	}
	// A failed rewrite leaves the good copy in place.
	c.Put(dst, func(w io.Writer) (int64, error) { w.Write([]byte("x")); return 1, errors.New("boom") })
	if got, _ := os.ReadFile(dst); string(got) != "whole" {
		t.Errorf("after a failed rewrite the file holds %q; want %q", got, "whole")
	}
	dirFi, _ := os.Stat(filepath.Dir(dst))
	if dirFi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode = %v; want 0700", dirFi.Mode().Perm())
	}
	if !c.Have(dst, 5) || c.Have(dst, 4) || c.Have(dst+"x", 5) {
		t.Errorf("Have misjudges the cached file")
	}
}

// Concurrent writers of the same file, and a reader watching it: the
// reader only ever sees no file or a whole one.
func TestCacheConcurrentPuts(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	dst := c.Path("chat-1", "G-big.bin")
	whole := bytes.Repeat([]byte("0123456789"), 50_000)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan int, 1)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if got, err := os.ReadFile(dst); err == nil && len(got) != len(whole) {
				select {
				case bad <- len(got):
				default:
				}
			}
		}
	}()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := c.Put(dst, func(w io.Writer) (int64, error) {
					for k := 0; k < len(whole); k += 4096 {
						w.Write(whole[k:min(k+4096, len(whole))])
					}
					return int64(len(whole)), nil
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	select {
	case n := <-bad:
		t.Errorf("a reader saw a file of %d bytes; want none or %d", n, len(whole))
	default:
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 1 {
		t.Errorf("cache directory holds %d entries; want 1", len(entries))
	}
}

func TestCachePrune(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	now := time.Now()
	write := func(rel string, age time.Duration) string {
		p := filepath.Join(c.Dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
		return p
	}
	old := write("chat-1/G1-old.jpg", 40*24*time.Hour)
	fresh := write("chat-1/G2-new.jpg", time.Hour)
	lonely := write("chat-2/G3-old.jpg", 31*24*time.Hour)
	staleTmp := write("chat-3/.tmp-abc-G4.jpg", 2*time.Hour)
	liveTmp := write("chat-3/.tmp-def-G5.jpg", time.Minute)
	n, err := c.Prune(30*24*time.Hour, now)
	if err != nil || n != 3 {
		t.Errorf("Prune = %d, %v; want 3 removed", n, err)
	}
	for p, want := range map[string]bool{old: false, fresh: true, lonely: false, staleTmp: false, liveTmp: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("after Prune %s exists = %v; want %v", p, err == nil, want)
		}
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "chat-2")); err == nil {
		t.Errorf("Prune left the emptied chat directory")
	}
	if _, err := os.Stat(c.Dir); err != nil {
		t.Errorf("Prune removed the cache directory itself: %v", err)
	}
	// Using a cached file keeps it.
	c.Have(fresh, 1)
	if n, _ := c.Prune(30*time.Minute, time.Now()); n != 0 {
		t.Errorf("Prune removed %d files just used", n)
	}
	if n, err := (&Cache{Dir: filepath.Join(c.Dir, "none")}).Prune(time.Hour, now); n != 0 || err != nil {
		t.Errorf("Prune of a missing cache = %d, %v; want 0, nil", n, err)
	}
}
