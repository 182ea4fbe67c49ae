package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// iPhones send photos as HEIC, which many model APIs refuse. With
// --convert-heic a JPEG is made beside the cached original, by sips on the
// Mac when the Mac is remote, else by the first local converter that
// works; the entry then points at the JPEG and names the original in
// converted_from. Without a conversion the entry says which type the
// agent gets.

// DefaultConverters are the local HEIC converters looked for on PATH, in
// order: sips (macOS), heif-convert (libheif), ImageMagick 7 and 6.
var DefaultConverters = []string{"sips", "heif-convert", "magick", "convert"}

// convertTimeout bounds one conversion.
const convertTimeout = time.Minute

// FindConverters returns the DefaultConverters found on PATH.
func FindConverters() []string {
	var out []string
	for _, c := range DefaultConverters {
		if p, err := exec.LookPath(c); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// converterArgs is how each converter is told to write a JPEG.
func converterArgs(conv, in, out string) []string {
	switch filepath.Base(conv) {
	case "sips":
		return []string{"-s", "format", "jpeg", in, "--out", out}
	case "heif-convert":
		return []string{"-q", "90", in, out}
	}
	return []string{in, out}
}

// heic adds a JPEG conversion to an ok entry of a HEIC image, or a warning
// saying the agent gets HEIC.
func (f *Fetcher) heic(ctx context.Context, loc *located, e *Entry) {
	if !f.cfg.ConvertHEIC {
		e.Warning = e.Mime + ": the agent gets the image as sent (imsg-fetch --convert-heic adds a JPEG)"
		return
	}
	jpg := e.Path + ".jpg"
	var errs []string
	done := func(size int64) {
		e.ConvertedFrom = &Original{Path: e.Path, Mime: e.Mime, Size: e.Size}
		e.Path, e.Mime, e.Size = jpg, "image/jpeg", size
	}
	if fi, err := os.Stat(jpg); err == nil && fi.Size() > 0 {
		done(fi.Size()) // converted before
		return
	}
	if rs, ok := f.src.(*remoteSource); ok && rs.sips != "" {
		n, err := f.putJPEG(jpg, func(w io.Writer) error { return rs.convert(ctx, loc, w, f.cfg.MaxBytes) })
		if err == nil {
			done(n)
			return
		}
		errs = append(errs, err.Error())
	}
	for _, conv := range f.cfg.Converters {
		n, err := f.putJPEG(jpg, func(w io.Writer) error { return runConverter(ctx, conv, e.Path, w, f.cfg.MaxBytes) })
		if err == nil {
			done(n)
			return
		}
		errs = append(errs, err.Error())
	}
	if len(errs) == 0 {
		errs = append(errs, "no converter found (sips, heif-convert, magick or convert)")
	}
	e.Warning = fmt.Sprintf("%s not converted to JPEG (%s): the agent gets the image as sent", e.Mime, strings.Join(errs, "; "))
	if f.once("heic") {
		f.cfg.Log.Warnf("HEIC image not converted: %s", strings.Join(errs, "; "))
	}
}

var jpegMagic = []byte{0xff, 0xd8, 0xff}

// putJPEG caches what fill writes as jpg, provided it is a JPEG.
func (f *Fetcher) putJPEG(jpg string, fill func(w io.Writer) error) (int64, error) {
	return f.cache.Put(jpg, func(w io.Writer) (int64, error) {
		cw := &headWriter{w: w}
		if err := fill(cw); err != nil {
			return cw.n, err
		}
		if !bytes.HasPrefix(cw.head, jpegMagic) {
			return cw.n, errors.New("the converter's output is not a JPEG")
		}
		return cw.n, nil
	})
}

// runConverter runs a local converter on in and copies its JPEG to w.
func runConverter(ctx context.Context, conv, in string, w io.Writer, max int64) error {
	ctx, cancel := context.WithTimeout(ctx, convertTimeout)
	defer cancel()
	var rnd [8]byte
	rand.Read(rnd[:])
	out := filepath.Join(filepath.Dir(in), tempPrefix+hex.EncodeToString(rnd[:])+"-convert.jpg")
	defer os.Remove(out)
	cmd := exec.CommandContext(ctx, conv, converterArgs(conv, in, out)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(conv), err, firstLine(stderr.Bytes()))
	}
	r, err := os.Open(out)
	if err != nil {
		return fmt.Errorf("%s wrote no output: %v", filepath.Base(conv), err)
	}
	defer r.Close()
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = fmt.Errorf("%s: the JPEG is over the limit of %d bytes", filepath.Base(conv), max)
	}
	return err
}

// headWriter counts bytes and keeps the first few.
type headWriter struct {
	w    io.Writer
	n    int64
	head []byte
}

func (h *headWriter) Write(p []byte) (int, error) {
	if len(h.head) < len(jpegMagic) {
		h.head = append(h.head, p[:min(len(p), len(jpegMagic)-len(h.head))]...)
	}
	n, err := h.w.Write(p)
	h.n += int64(n)
	return n, err
}
