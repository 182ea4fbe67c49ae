package remote_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/remote"
	"github.com/imsg-toolkit/imsg/lib/remote/sshdtest"
)

// BenchmarkSCP copies 1 MB and 16 MB files from a loopback sshd: with
// go-scp over the one connection imsg-fetch keeps (go-scp), with go-scp
// dialling for every file (go-scp+dial), and with the system scp binary
// (a new process and connection per file, as a script would do). MB/s is
// per copy.
func BenchmarkSCP(b *testing.B) {
	srv := sshdtest.Start(b)
	dir := b.TempDir()
	target, err := remote.ParseTarget(srv.User+"@127.0.0.1", srv.Port)
	if err != nil {
		b.Fatal(err)
	}
	opts := remote.Options{Target: target, KnownHosts: srv.KnownHosts, Identities: []string{srv.UserKey}}
	scpBin, scpErr := exec.LookPath("scp")
	for _, size := range []int{1 << 20, 16 << 20} {
		name := fmt.Sprintf("%dMB", size>>20)
		src := filepath.Join(dir, name+".bin")
		data := make([]byte, size)
		rand.Read(data)
		if err := os.WriteFile(src, data, 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run("go-scp/"+name, func(b *testing.B) {
			c, err := remote.Dial(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				if n, err := c.Copy(context.Background(), src, io.Discard, int64(size)); err != nil || n != int64(size) {
					b.Fatalf("Copy = %d, %v", n, err)
				}
			}
		})
		b.Run("go-scp+dial/"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				c, err := remote.Dial(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := c.Copy(context.Background(), src, io.Discard, int64(size)); err != nil || n != int64(size) {
					b.Fatalf("Copy = %d, %v", n, err)
				}
				c.Close()
			}
		})
		b.Run("system-scp/"+name, func(b *testing.B) {
			if scpErr != nil {
				b.Skipf("no scp binary: %v", scpErr)
			}
			dst := filepath.Join(dir, "dst-"+name)
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(scpBin, "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
					"-o", "UserKnownHostsFile="+srv.KnownHosts, "-i", srv.UserKey, "-P", strconv.Itoa(srv.Port),
					"--", srv.User+"@127.0.0.1:"+src, dst)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("scp: %v: %s", err, out)
				}
			}
		})
	}
}
