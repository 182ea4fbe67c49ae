package send

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// unit is one send call: the text of a part, or one of its files. Each is
// its own ledger entry, so an attachment that fails never sends the text
// again, and a text that went out is never repeated for a file's sake.
type unit struct {
	key  string // the part's key for the text; "<key>/fileN" for file N (from 1)
	text string // the text, for a text unit
	file string // the absolute path, for a file unit
	err  error  // a file that cannot be sent (missing, too large): fails without a send
}

// ledgerText is what the ledger hashes for the unit: the text, or a line
// naming the file, so a key reused for another file is caught.
func (u unit) ledgerText() string {
	if u.file != "" {
		return "file:" + u.file
	}
	return u.text
}

// what names the unit in messages.
func (u unit) what() string {
	if u.file != "" {
		return "attachment " + u.file
	}
	return "text"
}

// units splits a part into its sends, in the reference's order: the text
// first, then each file (imsg's script sends a caption before its file;
// §12.2, §12.3). Files are made absolute and checked here.
func units(key, text string, files []string, maxBytes int64) []unit {
	var out []unit
	if text != "" {
		out = append(out, unit{key: key, text: text})
	}
	for i, f := range files {
		u := unit{key: key + "/file" + strconv.Itoa(i+1)}
		u.file, u.err = checkFile(f, maxBytes)
		out = append(out, u)
	}
	return out
}

// checkFile makes path absolute ("~" expanded; relative to the working
// directory) and checks that it is a regular file no larger than max
// bytes. imsg resolves a relative path against its own directory and
// Messages cannot read most places anyway (pain point #8), so only an
// absolute path is ever sent.
func checkFile(path string, max int64) (string, error) {
	p := strings.TrimSpace(path)
	if p == "" {
		return "", fmt.Errorf("attachment path is empty")
	}
	abs, err := filepath.Abs(tool.ExpandHome(p))
	if err != nil {
		return p, fmt.Errorf("attachment %s: %v", p, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case os.IsNotExist(err):
		return abs, fmt.Errorf("attachment not found: %s", abs)
	case err != nil:
		return abs, fmt.Errorf("attachment %s: %v", abs, err)
	case fi.IsDir():
		return abs, fmt.Errorf("attachment is a directory: %s", abs)
	case !fi.Mode().IsRegular():
		return abs, fmt.Errorf("attachment is not a regular file: %s", abs)
	case max > 0 && fi.Size() > max:
		return abs, fmt.Errorf("attachment too large: %s is %d bytes (%s), over the %s limit (mediaMaxMb)",
			abs, fi.Size(), megabytes(fi.Size()), megabytes(max))
	}
	return abs, nil
}

// megabytes writes a size in MB of 2^20 bytes, the unit of mediaMaxMb.
func megabytes(n int64) string {
	mb := float64(n) / (1 << 20)
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
	return strconv.FormatFloat(mb, 'f', 1, 64) + " MB"
}

// explicitService reports whether raw starts with a service prefix, which
// then chooses the service over the account's (§12.3).
func explicitService(raw string) bool {
	s := strings.ToLower(strings.TrimSpace(raw))
	for _, p := range []string{"imessage:", "sms:", "auto:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// params builds the send params for a unit: exactly one of chat_id,
// chat_guid, chat_identifier and to from the target, then service,
// region, and text or file.
func params(t handle.Target, raw, service, region string, u unit) rpc.SendParams {
	p := rpc.SendParams{Service: service, Region: region, Text: u.text, File: u.file}
	if t.Kind == handle.KindHandle && explicitService(raw) {
		p.Service = string(t.Service)
	}
	switch t.Kind {
	case handle.KindChatID:
		p.ChatID = t.ChatID
	case handle.KindChatGUID:
		p.ChatGUID = t.Value
	case handle.KindChatIdentifier:
		p.ChatIdentifier = t.Value
	default:
		p.To = t.Value
	}
	if p.Service == "" {
		p.Service = string(handle.ServiceAuto)
	}
	if p.Region == "" {
		p.Region = "US"
	}
	return p
}
