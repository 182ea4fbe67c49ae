package rpc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/imsg-toolkit/imsg/lib/tool"
)

// drainGrace is how long stdout and stderr are still read after the child
// exited. Only a grandchild that inherited them (the ssh behind a wrapper
// script) can keep them open that long; then reading is cut off.
const drainGrace = 2 * time.Second

// stderrLineMax is how much of one stderr line is logged.
const stderrLineMax = 4096

// process is the child and the parent's ends of its pipes.
type process struct {
	cmd        *exec.Cmd
	stdout     *os.File
	stderr     *os.File
	exited     chan struct{}
	stderrDone chan struct{}
	reaped     bool // guarded by Client.mu

	// Written by the stderr goroutine, read after stderrDone.
	permLine string
	noRPC    bool
}

// Start runs `CLIPath rpc [--db DBPath]` and returns its client. The child
// gets its own process group, so that shutting it down also reaches
// whatever a wrapper script started (ssh). It fails only when the child
// cannot be started; everything later is reported through Err and Done.
func Start(opts Options) (*Client, error) {
	opts = opts.withDefaults()
	path := strings.TrimSpace(opts.CLIPath)
	if path == "" {
		path = "imsg"
	}
	path = tool.ExpandHome(path) // the reference forgot this for wrappers in ~
	args := []string{"rpc"}
	if db := strings.TrimSpace(opts.DBPath); db != "" {
		args = append(args, "--db", tool.ExpandHome(db))
	}
	cmd := exec.Command(path, args...)
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	// Plain os.Pipe ends, not cmd.StdoutPipe: Wait then returns when the
	// child exits even if a grandchild holds the pipes, and the parent's
	// ends support read deadlines.
	var fds [6]*os.File
	closeAll := func() {
		for _, f := range fds {
			if f != nil {
				f.Close()
			}
		}
	}
	for i := 0; i < 6; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("start imsg rpc: %w", err)
		}
		fds[i], fds[i+1] = r, w
	}
	inR, inW, outR, outW, errR, errW := fds[0], fds[1], fds[2], fds[3], fds[4], fds[5]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start imsg rpc (%s): %w", path, err)
	}
	inR.Close()
	outW.Close()
	errW.Close()

	c := newClient(opts, outR, inW)
	c.closeW = inW.Close
	c.proc = &process{cmd: cmd, stdout: outR, stderr: errR,
		exited: make(chan struct{}), stderrDone: make(chan struct{})}
	c.run()
	go c.readStderr()
	go c.supervise()
	return c, nil
}

// supervise waits for the child, then for the rest of its output, and
// records how it ended.
func (c *Client) supervise() {
	p := c.proc
	_ = p.cmd.Wait() // the status is read from ProcessState
	c.mu.Lock()
	p.reaped = true
	c.mu.Unlock()
	close(p.exited)
	c.stop()

	deadline := time.Now().Add(drainGrace)
	_ = p.stdout.SetReadDeadline(deadline)
	_ = p.stderr.SetReadDeadline(deadline)
	<-c.readerDone
	<-p.stderrDone
	p.stdout.Close()
	p.stderr.Close()
	c.finish(c.processEnd())
}

// processEnd classifies the end of the child.
func (c *Client) processEnd() error {
	if b := c.brokenOr(nil); b != nil {
		return b
	}
	p := c.proc
	ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	ee := exitError(ws)
	if ee == nil {
		return ErrClosed
	}
	if ee.Signal == "" && !c.stream.sawJSON {
		if c.stream.noRPCHint || p.noRPC {
			return ErrNoRPC
		}
		if p.permLine != "" {
			err := &PermissionError{Detail: p.permLine}
			c.breakWith(err)
			return err
		}
	}
	return ee
}

// stop begins the shutdown, once: stdin is closed, and the child that does
// not exit in time gets SIGTERM, then SIGKILL.
func (c *Client) stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopping = true
		c.cond.Broadcast() // the read loop must drain freely now
		c.mu.Unlock()
		if c.closeW != nil {
			_ = c.closeW()
		}
		go c.escalate()
	})
}

func (c *Client) escalate() {
	if c.proc == nil {
		select {
		case <-c.readerDone:
		case <-time.After(c.opts.CloseGrace):
			if c.closeR != nil {
				_ = c.closeR()
			}
		}
		return
	}
	steps := []struct {
		wait time.Duration
		sig  syscall.Signal
	}{{c.opts.CloseGrace, syscall.SIGTERM}, {c.opts.KillGrace, syscall.SIGKILL}}
	for _, st := range steps {
		t := time.NewTimer(st.wait)
		select {
		case <-c.proc.exited:
			t.Stop()
			return
		case <-t.C:
		}
		c.signal(st.sig)
	}
}

// signal signals the child's process group, or the child alone if it left
// the group; never after the child was reaped, when its pid may be reused.
func (c *Client) signal(sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc.reaped {
		return
	}
	pid := c.proc.cmd.Process.Pid
	if syscall.Kill(-pid, sig) != nil {
		_ = c.proc.cmd.Process.Signal(sig)
	}
}

// readStderr logs the child's stderr line by line (CR?LF), apart from
// stdout, and notes lines that explain a failed start.
func (c *Client) readStderr() {
	p := c.proc
	defer close(p.stderrDone)
	br := bufio.NewReaderSize(p.stderr, 4096)
	var line []byte
	extra := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if room := stderrLineMax - len(line); len(chunk) > room {
			extra += len(chunk) - room
			chunk = chunk[:room]
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		c.stderrLine(line, extra)
		line, extra = line[:0], 0
		if err != nil {
			return
		}
	}
}

func (c *Client) stderrLine(line []byte, extra int) {
	line = bytes.Trim(line, " \t\r\n\v\f")
	if len(line) == 0 {
		return
	}
	text := cleanText(string(line))
	if permissionRe.Match(line) && c.proc.permLine == "" {
		c.proc.permLine = cut(text, noiseLineMax)
	}
	if noRPCRe.Match(line) {
		c.proc.noRPC = true
	}
	if extra > 0 {
		text += fmt.Sprintf(" … (%d more bytes)", extra)
	}
	c.logf("imsg rpc: %s", text)
}
