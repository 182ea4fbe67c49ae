package gate

import (
	"path"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// body is what the agent would read (spec §4.4): the trimmed text, or for
// a message with only attachments a placeholder naming the first usable
// one ("<media:image>"). Attachments count only with includeAttachments,
// when present on disk and inside the attachment roots. Text made only of
// U+FFFC (the object replacement character Messages puts where an
// attachment sits) counts as no text.
func (g *Gate) body(m *imsg.Message, text string) string {
	if strings.Trim(text, "\ufffc \t\r\n") != "" {
		return text
	}
	if !g.includeAttachments {
		return ""
	}
	any := false
	for _, a := range m.Attachments {
		p := strings.TrimSpace(a.OriginalPath)
		if p == "" || a.Missing || !inRoots(p, g.roots) {
			continue
		}
		if kind := mediaKind(a.MimeType); kind != "" {
			return "<media:" + kind + ">"
		}
		any = true
	}
	if any {
		return "<media:attachment>"
	}
	return ""
}

// mediaKind maps a MIME type to a placeholder kind ("" when unknown).
func mediaKind(mime string) string {
	mime = strings.ToLower(strings.TrimSpace(mime))
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = strings.TrimSpace(mime[:i])
	}
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case mime == "application/pdf", strings.HasPrefix(mime, "text/"), strings.HasPrefix(mime, "application/"):
		return "document"
	}
	return ""
}

// inRoots reports whether p lies under one of the root patterns (spec
// §14.1): p is cleaned first (so ".." cannot climb out), and a "*" segment
// of a root matches exactly one segment.
func inRoots(p string, roots []string) bool {
	p = strings.ReplaceAll(p, `\`, "/")
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	for _, r := range roots {
		rs := strings.Split(strings.TrimPrefix(r, "/"), "/")
		if len(rs) > len(segs) {
			continue
		}
		ok := true
		for i, s := range rs {
			if s != "*" && s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
