package remote

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// A minimal SFTP (version 3) client: the few requests imsg-fetch needs to
// learn, without a shell, where a path on the Mac really leads (REALPATH),
// what it is (STAT), and, for the names scp cannot carry, its content
// (OPEN/READ). Requests are sent one at a time; the connection is used by
// one goroutine at a time, under mu.

// SFTP packet types (draft-ietf-secsh-filexfer-02).
const (
	fxpInit     = 1
	fxpVersion  = 2
	fxpOpen     = 3
	fxpClose    = 4
	fxpRead     = 5
	fxpStat     = 17
	fxpRealpath = 16
	fxpMkdir    = 14
	fxpRmdir    = 15
	fxpRemove   = 13
	fxpStatus   = 101
	fxpHandle   = 102
	fxpData     = 103
	fxpName     = 104
	fxpAttrs    = 105
)

// SFTP status codes.
const (
	fxOK           = 0
	fxEOF          = 1
	fxNoSuchFile   = 2
	fxPermission   = 3
	attrSize       = 0x1
	attrUIDGID     = 0x2
	attrPerm       = 0x4
	attrTimes      = 0x8
	attrExtended   = 0x80000000
	maxPacket      = 1 << 18 // larger answers are refused, not allocated
	readChunk      = 32 << 10
	sftpReadPFlags = 0x1 // SSH_FXF_READ
)

// ErrNoSFTP is a Mac whose sshd does not offer the sftp subsystem.
var ErrNoSFTP = errors.New("the sftp subsystem is not available")

// StatusError is an SFTP request's failure as the server reported it.
type StatusError struct {
	Code uint32
	Msg  string
}

func (e *StatusError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("sftp status %d", e.Code)
}

// Is maps the status codes callers test to the fs errors.
func (e *StatusError) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return e.Code == fxNoSuchFile
	case fs.ErrPermission:
		return e.Code == fxPermission
	}
	return false
}

// FileInfo is what STAT tells about a file on the Mac.
type FileInfo struct {
	Size    int64
	Mode    fs.FileMode // type bits and permissions, when the server sent them
	ModTime time.Time
}

// IsRegular reports whether the server said the file is a regular file.
func (fi FileInfo) IsRegular() bool { return fi.Mode.IsRegular() }

type sftpConn struct {
	mu   sync.Mutex
	sess *ssh.Session
	w    io.WriteCloser
	r    *bufio.Reader
	id   uint32
	buf  []byte
}

// openSFTP starts the sftp subsystem on c and does the version handshake.
func openSFTP(c *ssh.Client) (*sftpConn, error) {
	sess, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	w, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	r, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		sess.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoSFTP, err)
	}
	s := &sftpConn{sess: sess, w: w, r: bufio.NewReaderSize(r, 64<<10)}
	if err := s.send(fxpInit, nil, u32(3)); err != nil {
		s.close()
		return nil, err
	}
	typ, _, err := s.recv()
	if err != nil || typ != fxpVersion {
		s.close()
		if err == nil {
			err = fmt.Errorf("unexpected packet %d", typ)
		}
		return nil, fmt.Errorf("sftp handshake: %w", err)
	}
	return s, nil
}

func (s *sftpConn) close() error {
	s.w.Close()
	return s.sess.Close()
}

// send writes one packet: type, then (unless idless) a fresh request id,
// then the fields.
func (s *sftpConn) send(typ byte, id *uint32, fields ...[]byte) error {
	body := []byte{typ}
	if id != nil {
		s.id++
		*id = s.id
		body = binary.BigEndian.AppendUint32(body, s.id)
	}
	for _, f := range fields {
		body = append(body, f...)
	}
	pkt := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	_, err := s.w.Write(append(pkt, body...))
	return err
}

// recv reads one packet and returns its type and payload (after the type).
func (s *sftpConn) recv() (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxPacket {
		return 0, nil, fmt.Errorf("sftp packet of %d bytes refused", n)
	}
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if _, err := io.ReadFull(s.r, b); err != nil {
		return 0, nil, err
	}
	return b[0], b[1:], nil
}

// call sends a request and returns the reply's type and payload after the id.
func (s *sftpConn) call(typ byte, fields ...[]byte) (byte, []byte, error) {
	var id uint32
	if err := s.send(typ, &id, fields...); err != nil {
		return 0, nil, err
	}
	rt, p, err := s.recv()
	if err != nil {
		return 0, nil, err
	}
	if len(p) < 4 || binary.BigEndian.Uint32(p) != id {
		return 0, nil, errors.New("sftp reply out of sequence")
	}
	p = p[4:]
	if rt == fxpStatus {
		return rt, p, statusOf(p)
	}
	return rt, p, nil
}

// statusOf decodes a STATUS payload; OK is nil.
func statusOf(p []byte) error {
	code, p, ok := takeU32(p)
	if !ok {
		return errors.New("short sftp status")
	}
	if code == fxOK {
		return nil
	}
	msg, _, _ := takeString(p)
	return &StatusError{Code: code, Msg: string(msg)}
}

func (s *sftpConn) realpath(p string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ, b, err := s.call(fxpRealpath, str(p))
	if err != nil {
		return "", err
	}
	if typ != fxpName {
		return "", fmt.Errorf("sftp realpath: unexpected packet %d", typ)
	}
	count, b, ok := takeU32(b)
	if !ok || count != 1 {
		return "", errors.New("sftp realpath: malformed answer")
	}
	name, _, ok := takeString(b)
	if !ok {
		return "", errors.New("sftp realpath: malformed answer")
	}
	return string(name), nil
}

func (s *sftpConn) stat(p string) (FileInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ, b, err := s.call(fxpStat, str(p))
	if err != nil {
		return FileInfo{}, err
	}
	if typ != fxpAttrs {
		return FileInfo{}, fmt.Errorf("sftp stat: unexpected packet %d", typ)
	}
	fi, ok := parseAttrs(b)
	if !ok {
		return FileInfo{}, errors.New("sftp stat: malformed attributes")
	}
	return fi, nil
}

// simple runs a request answered by a bare STATUS (mkdir, rmdir, remove).
func (s *sftpConn) simple(typ byte, fields ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, err := s.call(typ, fields...)
	return err
}

func (s *sftpConn) mkdir(p string, perm uint32) error {
	return s.simple(fxpMkdir, str(p), u32(attrPerm), u32(perm))
}

func (s *sftpConn) rmdir(p string) error  { return s.simple(fxpRmdir, str(p)) }
func (s *sftpConn) remove(p string) error { return s.simple(fxpRemove, str(p)) }

// readFile copies the file at p to w, refusing more than max bytes. A
// cancelled ctx stops it between chunks.
func (s *sftpConn) readFile(ctx context.Context, p string, w io.Writer, max int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ, b, err := s.call(fxpOpen, str(p), u32(sftpReadPFlags), u32(0))
	if err != nil {
		return 0, err
	}
	if typ != fxpHandle {
		return 0, fmt.Errorf("sftp open: unexpected packet %d", typ)
	}
	h, _, ok := takeString(b)
	if !ok {
		return 0, errors.New("sftp open: malformed handle")
	}
	handle := append([]byte(nil), h...)
	defer s.call(fxpClose, str(string(handle)))
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return off, err
		}
		typ, b, err := s.call(fxpRead, str(string(handle)), u64(uint64(off)), u32(readChunk))
		var se *StatusError
		if errors.As(err, &se) && se.Code == fxEOF {
			return off, nil
		}
		if err != nil {
			return off, err
		}
		if typ != fxpData {
			return off, fmt.Errorf("sftp read: unexpected packet %d", typ)
		}
		data, _, ok := takeString(b)
		if !ok {
			return off, errors.New("sftp read: malformed data")
		}
		if off+int64(len(data)) > max {
			return off, &TooLargeError{Size: off + int64(len(data)), Max: max, AtLeast: true}
		}
		if _, err := w.Write(data); err != nil {
			return off, err
		}
		off += int64(len(data))
	}
}

// parseAttrs decodes an ATTRS structure.
func parseAttrs(b []byte) (FileInfo, bool) {
	var fi FileInfo
	flags, b, ok := takeU32(b)
	if !ok {
		return fi, false
	}
	if flags&attrSize != 0 {
		var n uint64
		if n, b, ok = takeU64(b); !ok {
			return fi, false
		}
		fi.Size = int64(n)
	}
	if flags&attrUIDGID != 0 {
		if len(b) < 8 {
			return fi, false
		}
		b = b[8:]
	}
	if flags&attrPerm != 0 {
		var perm uint32
		if perm, b, ok = takeU32(b); !ok {
			return fi, false
		}
		fi.Mode = unixMode(perm)
	}
	if flags&attrTimes != 0 {
		var mtime uint32
		if _, b, ok = takeU32(b); !ok {
			return fi, false
		}
		if mtime, _, ok = takeU32(b); !ok {
			return fi, false
		}
		fi.ModTime = time.Unix(int64(mtime), 0)
	}
	return fi, true
}

// unixMode converts st_mode bits to an fs.FileMode.
func unixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	case 0o100000:
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append(u32(uint32(len(s))), s...) }

func takeU32(b []byte) (uint32, []byte, bool) {
	if len(b) < 4 {
		return 0, b, false
	}
	return binary.BigEndian.Uint32(b), b[4:], true
}

func takeU64(b []byte) (uint64, []byte, bool) {
	if len(b) < 8 {
		return 0, b, false
	}
	return binary.BigEndian.Uint64(b), b[8:], true
}

func takeString(b []byte) ([]byte, []byte, bool) {
	n, b, ok := takeU32(b)
	if !ok || uint64(n) > uint64(len(b)) {
		return nil, b, false
	}
	return b[:n], b[n:], true
}
