package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// Edited is the outcome of applying a /config edit.
type Edited struct {
	File    *config.File // the configuration after the edit
	Data    []byte       // the file's new contents (JSON)
	Changed bool         // false when the edit changed nothing (unset of a missing key)
	Reply   string       // the answer for the sender
}

// ApplyConfigEdit applies e to the configuration f was loaded from and
// checks the result with lib/config and with check (the gate's own rules).
// Nothing is written: WriteConfig does that. The file is read as JSON5 and
// will be written as JSON, so comments and key order are lost; the backup
// keeps the original.
func ApplyConfigEdit(f *config.File, e ConfigEdit, check func(*config.File) error) (*Edited, error) {
	tree, err := deepCopy(f.Raw)
	if err != nil {
		return nil, err
	}
	changed, err := editTree(tree, e)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	nf, err := config.Parse(f.Path, buf.Bytes())
	if err != nil {
		return nil, firstConfigError(err)
	}
	if check != nil {
		if err := check(nf); err != nil {
			return nil, firstConfigError(err)
		}
	}
	out := &Edited{File: nf, Data: buf.Bytes(), Changed: changed}
	switch {
	case !changed:
		out.Reply = fmt.Sprintf("Config unchanged: %s is not set.", e.PathString())
	case e.Unset:
		out.Reply = fmt.Sprintf("Config updated: %s removed.", e.PathString())
	default:
		v, _ := json.Marshal(lookup(tree, e.Path))
		out.Reply = fmt.Sprintf("Config updated: %s = %s", e.PathString(), v)
	}
	return out, nil
}

// firstConfigError keeps a reply short: the first problem, without the
// file name (the sender does not need the path of the owner's file).
func firstConfigError(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		c := *ce
		c.File, c.Line, c.Col = "", 0, 0
		return &c
	}
	return err
}

// editTree sets or removes the value at e.Path, creating objects on the
// way for a set.
func editTree(tree map[string]any, e ConfigEdit) (bool, error) {
	m := tree
	for i, k := range e.Path[:len(e.Path)-1] {
		next, ok := m[k]
		if !ok {
			if e.Unset {
				return false, nil
			}
			child := map[string]any{}
			m[k] = child
			m = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			return false, fmt.Errorf("%s is not an object", strings.Join(e.Path[:i+1], "."))
		}
		m = child
	}
	last := e.Path[len(e.Path)-1]
	if e.Unset {
		_, ok := m[last]
		delete(m, last)
		return ok, nil
	}
	m[last] = parseValue(e.Value)
	return true, nil
}

// parseValue reads a typed value as JSON (numbers kept exact), else as a
// string: `/config set channels.imessage.dmPolicy allowlist` needs no quotes.
func parseValue(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v, extra any
	if dec.Decode(&v) == nil && dec.Decode(&extra) == io.EOF {
		return v
	}
	return s
}

func lookup(tree map[string]any, p []string) any {
	var v any = tree
	for _, k := range p {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	out := map[string]any{}
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteConfig replaces the file at path with data atomically: the new
// contents go to a temporary file in the same directory, which is synced
// and renamed over the old one, so a reader sees the old file or the new,
// never half of one. The previous contents are kept in path+".bak" first.
// The file keeps its permission bits (0600 for a new file).
func WriteConfig(path string, data []byte) error {
	mode := fs.FileMode(0o600)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		if err := writeAtomic(path+".bak", old, mode); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return writeAtomic(path, data, mode)
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
