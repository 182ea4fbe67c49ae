package fetch_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/fetch"
	"github.com/imsg-toolkit/imsg/lib/remote/sshdtest"
)

// The test binary doubles as imsg-fetch, so these tests run the real
// program, as a real process, against a real sshd.
func TestMain(m *testing.M) {
	if os.Getenv("IMSG_TEST_MAIN") == "imsg-fetch" {
		os.Exit(fetch.Main())
	}
	os.Exit(m.Run())
}

// rig is a "remote Mac" served by sshd on loopback (the same disk, reached
// only through SSH) and the files of one imsg-fetch setup.
type rig struct {
	t      *testing.T
	srv    *sshdtest.Server
	dir    string
	root   string // the remote attachment root
	state  string
	config string
}

func newRig(t *testing.T, srv *sshdtest.Server) *rig {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, srv: srv, dir: dir, root: filepath.Join(dir, "mac", "Attachments"),
		state: filepath.Join(dir, "state"), config: filepath.Join(dir, "config.json5")}
	os.MkdirAll(r.root, 0o700)
	r.writeConfig("{}")
	return r
}

func (r *rig) writeConfig(s string) {
	if err := os.WriteFile(r.config, []byte(s+"\n"), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// file writes an attachment below the root and returns its path.
func (r *rig) file(guid, name string, content []byte) string {
	r.t.Helper()
	p := filepath.Join(r.root, "ab", "cd", guid, name)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// record is a message record with attachments at paths.
func record(paths ...string) string {
	var atts []map[string]any
	for _, p := range paths {
		atts = append(atts, map[string]any{"transfer_name": filepath.Base(p), "original_path": p, "mime_type": "", "total_bytes": 0})
	}
	b, _ := json.Marshal(map[string]any{"kind": "message", "account": "default",
		"message": map[string]any{"id": 1, "chat_id": 7, "text": "", "attachments": atts}})
	return string(b) + "\n"
}

// sshArgs are the flags that reach the rig's sshd.
func (r *rig) sshArgs() []string {
	return []string{"--port", fmt.Sprint(r.srv.Port), "--identity", r.srv.UserKey, "--known-hosts", r.srv.KnownHosts}
}

// run runs imsg-fetch on stdin and returns stdout, stderr and the exit code.
func (r *rig) run(stdin string, args ...string) (string, string, int) {
	r.t.Helper()
	self, err := os.Executable()
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"--attachments", "--attempts", "1", "--root", r.root}, args...)...)
	cmd.Env = append(os.Environ(), "IMSG_TEST_MAIN=imsg-fetch", "HOME="+filepath.Join(r.dir, "home"),
		"SSH_AUTH_SOCK=", "IMSG_CONFIG="+r.config, "IMSG_STATE_DIR="+r.state)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// media runs imsg-fetch against the rig's Mac and decodes the entries.
func (r *rig) media(stdin string, args ...string) ([]fetch.Entry, string) {
	r.t.Helper()
	out, stderr, code := r.run(stdin, append(append([]string{"--remote-host", r.srv.User + "@127.0.0.1"}, r.sshArgs()...), args...)...)
	if code != 0 {
		r.t.Fatalf("imsg-fetch exited %d: %s", code, stderr)
	}
	var rec struct{ Media []fetch.Entry }
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		r.t.Fatalf("output %q: %v", out, err)
	}
	return rec.Media, stderr
}

func TestRemoteFetch(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	host := fmt.Sprintf("%s@127.0.0.1:%d", srv.User, srv.Port)
	marker := filepath.Join(r.dir, "pwned")
	a := r.file("GUID-R1", "IMG_0101.jpeg", []byte("jpeg from the mac"))
	b := r.file("GUID-R2", "Mom's photo & more; touch "+marker+" #1.png", []byte("png"))
	c := r.file("GUID-R3", "Screenshot 2026-05-16 at 9.00.00\u202fAM.png", []byte("shot"))
	before := srv.Logins()

	entries, stderr := r.media(record(a, b, c))
	if len(entries) != 3 {
		t.Fatalf("got %d entries; want 3", len(entries))
	}
	for i, want := range [][2]string{{a, "jpeg from the mac"}, {b, "png"}, {c, "shot"}} {
		e := entries[i]
		if e.Status != fetch.StatusOK || e.Source != want[0] || e.Host != host || !strings.HasPrefix(e.Path, filepath.Join(r.state, "default", "media", "chat-7")) {
			t.Errorf("entry %d = %+v; want ok from %s", i, e, host)
			continue
		}
		if got, _ := os.ReadFile(e.Path); string(got) != want[1] {
			t.Errorf("entry %d: cached %q; want %q", i, got, want[1])
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a command in a file name ran on the Mac")
	}
	if n := srv.Logins() - before; n != 1 {
		t.Errorf("imsg-fetch logged in %d times for 3 files; want once", n)
	}
	if want := "imsg-fetch: attachments come from " + host + " over SSH (--remote-host)\n"; stderr != want {
		t.Errorf("stderr = %q; want %q", stderr, want)
	}
}

func TestRemoteRefusalsBeforeConnecting(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	marker := filepath.Join(r.dir, "pwned")
	outside := filepath.Join(r.dir, "mac", "secret.txt")
	os.WriteFile(outside, []byte("secret"), 0o600)
	tests := []struct{ path, err string }{
		{outside, outside + " is outside the remote attachment roots"},
		{r.root + "/ab/../../secret.txt", `contains a ".." segment`},
		{r.root + "/ab/$(touch " + marker + ").jpg", `contains "$" (shell expansion)`},
		{r.root + "/ab/`touch " + marker + "`.jpg", "contains a backtick"},
		{r.root + "/ab/\"; touch " + marker + "; \".jpg", "contains a double quote"},
		{r.root + "/ab/a\nb.jpg", "control character U+000A"},
	}
	var paths []string
	for _, tt := range tests {
		paths = append(paths, tt.path)
	}
	before := srv.Connections()
	entries, _ := r.media(record(paths...))
	for i, tt := range tests {
		if e := entries[i]; e.Status != fetch.StatusBlocked || !strings.Contains(e.Error, tt.err) || e.Path != "" {
			t.Errorf("Resolve(%q) = %+v; want blocked with %q", tt.path, e, tt.err)
		}
	}
	if n := srv.Connections() - before; n != 0 {
		t.Errorf("imsg-fetch connected %d times for paths it refuses; want none", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a command in a refused path ran")
	}

	// An option smuggled in as the host is refused before anything runs.
	out, stderr, code := r.run(record(outside), append([]string{"--remote-host", "-oProxyCommand=touch " + marker}, r.sshArgs()...)...)
	if code != 3 || out != "" || !strings.Contains(stderr, "invalid --remote-host") {
		t.Errorf("--remote-host -oProxyCommand=…: exit %d, stdout %q, stderr %q; want exit 3", code, out, stderr)
	}
	r.writeConfig(`{channels: {imessage: {remoteHost: "-oProxyCommand=touch ` + marker + `"}}}`)
	if _, stderr, code := r.run(record(outside), r.sshArgs()...); code != 3 || !strings.Contains(stderr, "remoteHost") {
		t.Errorf("remoteHost -oProxyCommand=…: exit %d, stderr %q; want exit 3", code, stderr)
	}
	if _, err := os.Stat(marker); err == nil || srv.Connections() != before {
		t.Errorf("an option passed as the host ran or connected")
	}
}

func TestRemoteSymlinkEscape(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	secret := filepath.Join(r.dir, "mac", "secret.txt")
	os.WriteFile(secret, []byte("secret"), 0o600)
	link := filepath.Join(r.root, "ab", "cd", "GUID-L1", "photo.jpg")
	os.MkdirAll(filepath.Dir(link), 0o700)
	os.Symlink(secret, link)
	os.Symlink(filepath.Join(r.dir, "mac"), filepath.Join(r.root, "ab", "dirlink"))
	inside := r.file("GUID-L2", "real.jpg", []byte("real"))
	good := filepath.Join(r.root, "ab", "cd", "GUID-L3", "alias.jpg")
	os.MkdirAll(filepath.Dir(good), 0o700)
	os.Symlink(inside, good)

	entries, _ := r.media(record(link, filepath.Join(r.root, "ab", "dirlink", "secret.txt"), good))
	for i, p := range []string{link, filepath.Join(r.root, "ab", "dirlink", "secret.txt")} {
		if e := entries[i]; e.Status != fetch.StatusBlocked || e.Error != p+" leads to "+secret+", outside the remote attachment roots" {
			t.Errorf("Resolve(%s) = %+v; want blocked: leads outside", p, e)
		}
	}
	if e := entries[2]; e.Status != fetch.StatusOK || e.Size != 4 {
		t.Errorf("Resolve(symlink inside the roots) = %+v; want ok", e)
	}

	// Without SFTP nothing says where a path leads: blocked, unless the
	// operator accepts the risk.
	bare := sshdtest.StartWith(t, sshdtest.Config{NoSFTP: true})
	r.srv = bare
	entries, _ = r.media(record(inside))
	if e := entries[0]; e.Status != fetch.StatusBlocked || !strings.Contains(e.Error, "--trust-remote-symlinks") {
		t.Errorf("Resolve without sftp = %+v; want blocked with a hint", e)
	}
	entries, _ = r.media(record(inside), "--trust-remote-symlinks")
	if e := entries[0]; e.Status != fetch.StatusOK || e.Size != 4 {
		t.Errorf("Resolve with --trust-remote-symlinks = %+v; want ok", e)
	}
}

func TestRemoteHostKeys(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	a := r.file("GUID-K1", "k.jpg", []byte("k"))
	name := srv.Name()

	empty := filepath.Join(r.dir, "known_hosts_empty")
	os.WriteFile(empty, nil, 0o600)
	entries, stderr := r.media(record(a, a), "--known-hosts", empty)
	for _, e := range entries {
		if e.Status != fetch.StatusBlocked || !strings.Contains(e.Error, "host key of "+name+" is not in "+empty) ||
			!strings.Contains(e.Error, fmt.Sprintf("ssh-keyscan -H -p %d 127.0.0.1 >> %s", srv.Port, empty)) {
			t.Errorf("unknown host key: entry %+v; want blocked with the ssh-keyscan command", e)
		}
	}
	if n := strings.Count(stderr, "imsg-fetch: error: host key of"); n != 1 {
		t.Errorf("unknown host key reported %d times on stderr; want once:\n%s", n, stderr)
	}

	changed := filepath.Join(r.dir, "known_hosts_changed")
	srv.WriteKnownHosts(t, changed, sshdtest.NewKey(t, filepath.Join(r.dir, "old_host_key")))
	entries, _ = r.media(record(a), "--known-hosts", changed)
	if e := entries[0]; e.Status != fetch.StatusBlocked || !strings.Contains(e.Error, "host key of "+name+" has changed") ||
		!strings.Contains(e.Error, "ssh-keygen -R '"+name+"' -f "+changed) {
		t.Errorf("changed host key: entry %+v; want blocked with the ssh-keygen -R command", e)
	}
	if strings.Contains(srv.Log(), "Accepted publickey") {
		t.Errorf("imsg-fetch logged in to a host whose key it does not trust")
	}
}

func TestRemoteSizeAndMissing(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	big := r.file("GUID-B1", "big.mov", bytes.Repeat([]byte{7}, 1<<20+1))
	gone := filepath.Join(r.root, "ab", "cd", "GUID-GONE", "old.jpg")
	entries, _ := r.media(record(big, gone), "--max-mb", "1")
	if e := entries[0]; e.Status != fetch.StatusTooLarge || e.Size != 1<<20+1 || e.Path != "" ||
		e.Error != "1048577 bytes, over the limit of 1048576 bytes (mediaMaxMb 1)" {
		t.Errorf("file over the cap: %+v; want too_large", e)
	}
	if e := entries[1]; e.Status != fetch.StatusMissing || e.Error != "no such file on the Mac" {
		t.Errorf("missing file: %+v; want missing", e)
	}
	files, _ := filepath.Glob(filepath.Join(r.state, "default", "media", "*", "*"))
	if len(files) != 0 {
		t.Errorf("the cache holds %q; want nothing", files)
	}
}

func TestRemoteHostFromWrapper(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	a := r.file("GUID-W1", "w.jpg", []byte("via wrapper"))
	marker := filepath.Join(r.dir, "pwned")
	wrapper := filepath.Join(r.dir, "imsg-ssh")
	os.WriteFile(wrapper, []byte("#!/bin/sh\n# imsg on the Mac mini\nexec ssh -T "+srv.User+"@127.0.0.1 /opt/homebrew/bin/imsg \"$@\"\n"), 0o755)
	r.writeConfig(`{channels: {imessage: {cliPath: "` + wrapper + `"}}}`)
	out, stderr, code := r.run(record(a), r.sshArgs()...)
	var rec struct{ Media []fetch.Entry }
	json.Unmarshal([]byte(out), &rec)
	if code != 0 || len(rec.Media) != 1 || rec.Media[0].Status != fetch.StatusOK {
		t.Fatalf("with a plain wrapper: exit %d, %s, stderr %q; want the file fetched", code, out, stderr)
	}
	if want := fmt.Sprintf("imsg-fetch: attachments come from %s@127.0.0.1:%d over SSH (cliPath %s)\n", srv.User, srv.Port, wrapper); stderr != want {
		t.Errorf("stderr = %q; want %q", stderr, want)
	}

	os.WriteFile(wrapper, []byte("#!/bin/sh\nexec ssh -o ProxyCommand='touch "+marker+"' "+srv.User+"@127.0.0.1 imsg \"$@\"\n"), 0o755)
	before := srv.Connections()
	out, stderr, code = r.run(record(a), r.sshArgs()...)
	want := "imsg-fetch: error: cannot tell the Mac's host from cliPath " + wrapper + ":2: ssh option -o takes a value (ssh configuration imsg-fetch does not read); " +
		"set channels.imessage.remoteHost (or --remote-host), or --local if the attachments are on this machine\n"
	if code != 3 || out != "" || stderr != want {
		t.Errorf("with an ambiguous wrapper: exit %d, stdout %q, stderr %q; want exit 3 and %q", code, out, stderr, want)
	}
	if _, err := os.Stat(marker); err == nil || srv.Connections() != before {
		t.Errorf("an ambiguous wrapper led to a connection or ran its ProxyCommand")
	}
}

func TestRemoteHEIC(t *testing.T) {
	t.Parallel()
	srv := sshdtest.Start(t)
	r := newRig(t, srv)
	a := r.file("GUID-H1", "IMG_9.HEIC", []byte("heic"))
	sips := filepath.Join(r.dir, "mac", "bin", "sips")
	os.MkdirAll(filepath.Dir(sips), 0o700)
	// sips -s format jpeg IN --out OUT, as on macOS.
	os.WriteFile(sips, []byte("#!/bin/sh\n[ \"$1 $2 $3\" = '-s format jpeg' ] && [ \"$5\" = --out ] || exit 2\nprintf '\\377\\330\\377' > \"$6\" && cat \"$4\" >> \"$6\"\n"), 0o755)
	tmpBefore, _ := filepath.Glob("/tmp/imsg-fetch-*")
	entries, _ := r.media(record(a), "--convert-heic", "--sips", sips, "--heic-converter", "/bin/false")
	e := entries[0]
	if e.Status != fetch.StatusOK || e.Mime != "image/jpeg" || e.ConvertedFrom == nil || e.ConvertedFrom.Mime != "image/heic" || e.Warning != "" {
		t.Fatalf("HEIC with sips on the Mac = %+v; want a JPEG", e)
	}
	if got, _ := os.ReadFile(e.Path); string(got) != "\xff\xd8\xffheic" {
		t.Errorf("JPEG = %q", got)
	}
	if tmpAfter, _ := filepath.Glob("/tmp/imsg-fetch-*"); len(tmpAfter) != len(tmpBefore) {
		t.Errorf("sips's private directory was left on the Mac: %q", tmpAfter)
	}
}
