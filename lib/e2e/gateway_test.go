package e2e

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGatewayAttachment runs scripts/imsg-gateway on the simulator with
// attachments on, injects a photo, and checks that the echo agent was given
// it as a local file: its reply names a file in the state directory's media
// cache that holds the photo's bytes.
func TestGatewayAttachment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole gateway")
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	db := filepath.Join(dir, "chat.db")
	stateDir := filepath.Join(dir, "state")
	config := filepath.Join(dir, "config.json5")
	os.WriteFile(config, []byte(fmt.Sprintf(`{ channels: { imessage: {
  cliPath: "imsg-sim", dbPath: %q,
  dmPolicy: "allowlist", allowFrom: ["+15551234567"],
  includeAttachments: true,
  attachmentRoots: [%q],
} } }`, db, filepath.Join(home, "Library", "Messages", "Attachments"))), 0o600)
	env := append(os.Environ(), "HOME="+home, "IMSG_NOW=", "IMSG_SIM_POLL=5ms")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("imsg-sim", "init", "--db", db)

	script, _ := filepath.Abs(filepath.Join(root, "scripts", "imsg-gateway"))
	var stderr bytes.Buffer
	gw := exec.Command("sh", script, "--config", config, "--state-dir", stateDir, "--agent", "echo")
	gw.Env = env
	gw.Stderr = &stderr
	gw.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-gw.Process.Pid, syscall.SIGTERM)
		gw.Wait()
		if t.Failed() {
			t.Logf("gateway stderr:\n%s", stderr.String())
		}
	}()
	waitFor(t, 60*time.Second, "the gateway's first run", func() bool {
		_, err := os.Stat(filepath.Join(stateDir, "default.db"))
		return err == nil
	})
	time.Sleep(time.Second) // imsg-listen records where it starts

	photo := filepath.Join(dir, "beach.jpg")
	want := []byte("\xff\xd8\xff\xe0 a small jpeg from the beach")
	os.WriteFile(photo, want, 0o600)
	run("imsg-sim", "inject", "--db", db, "--from", "+15551234567", "--attachment", photo)

	var reply string
	waitFor(t, 60*time.Second, "the echo of the photo", func() bool {
		reply = sentText(db)
		return reply != ""
	})
	const marker = "[attachment: "
	i := strings.Index(reply, marker)
	if i < 0 {
		t.Fatalf("reply %q names no attachment", reply)
	}
	path := strings.TrimSuffix(reply[i+len(marker):], "]")
	path = strings.TrimSuffix(path, " (image/jpeg)")
	if !strings.HasPrefix(path, stateDir+string(filepath.Separator)) {
		t.Errorf("the agent was given %q, not a file in the state directory %s", path, stateDir)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the file the agent was given holds %q (%v); want the photo's bytes", got, err)
	}
	if !strings.HasPrefix(reply, "<media:image>") {
		t.Errorf("reply %q does not start with the placeholder <media:image>", reply)
	}
	t.Logf("reply: %q", reply)
}

// sentText returns the text of the newest row sent from this account.
func sentText(db string) string {
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return ""
	}
	defer conn.Close()
	var text sql.NullString
	conn.QueryRow(`SELECT text FROM message WHERE is_from_me = 1 ORDER BY ROWID DESC LIMIT 1`).Scan(&text)
	return text.String
}
