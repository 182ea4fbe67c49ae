// Package fetch is the imsg-fetch stage: it resolves the attachments of
// each message record into files the agent can open (a "media" array and,
// for messages with nothing but attachments, a "media_body" placeholder),
// reading only below the attachment roots, locally or from the Mac over
// SSH (lib/remote), never more than the size cap, into a per-account cache.
package fetch

import (
	"path"
	"strings"
)

// Statuses of a media entry.
const (
	StatusOK       = "ok"        // path is a local copy the agent can open
	StatusMissing  = "missing"   // not on the Mac's disk (offloaded to iCloud, not downloaded, deleted)
	StatusBlocked  = "blocked"   // refused: outside the roots, an unsafe path, an untrusted host key
	StatusTooLarge = "too_large" // over mediaMaxMb; nothing was written
	StatusError    = "error"     // anything else; error says what
)

// Entry is one element of a record's "media" array: what became of one
// attachment of message.attachments, in the same order.
type Entry struct {
	Status string `json:"status"`
	// Kind is the placeholder kind: image, audio, video, document or
	// attachment.
	Kind string `json:"kind"`
	// Mime is the type of the file at Path (of the attachment when there
	// is no Path).
	Mime string `json:"mime"`
	// Size is the size in bytes of the file at Path; without a Path, the
	// size found on the Mac, else the size chat.db recorded.
	Size int64 `json:"size"`
	// Path is the local file, when Status is ok.
	Path string `json:"path,omitempty"`
	// Source is the attachment's path on the Mac, as imsg reported it.
	Source string `json:"source,omitempty"`
	// Host is the Mac it was copied from, when it was remote.
	Host string `json:"host,omitempty"`
	// Name is the file name the sender gave it.
	Name    string `json:"name,omitempty"`
	Sticker bool   `json:"sticker,omitempty"`
	// Error says why Status is not ok.
	Error string `json:"error,omitempty"`
	// Warning is a remark about an ok entry, e.g. a HEIC image that was
	// not converted.
	Warning string `json:"warning,omitempty"`
	// ConvertedFrom is the original when Path is a conversion (a JPEG made
	// from a HEIC image).
	ConvertedFrom *Original `json:"converted_from,omitempty"`
}

// Original is the file a conversion was made from.
type Original struct {
	Path string `json:"path"`
	Mime string `json:"mime"`
	Size int64  `json:"size"`
}

// Kind maps a MIME type to the reference's placeholder kind.
func Kind(mime string) string {
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
	case strings.HasPrefix(mime, "text/"), strings.HasPrefix(mime, "application/"):
		return "document"
	}
	return "attachment"
}

// Body is the "media_body" of a message: for a message whose text is empty
// (or only the U+FFFC Messages puts where an attachment sits) and that has
// attachments, the placeholder of the first usable one, "<media:image>";
// when none could be fetched, the first one's placeholder and why, so the
// agent learns a photo was sent that it cannot see:
// "<media:image> (unavailable: missing)". Otherwise "".
func Body(text string, entries []Entry) string {
	if strings.Trim(text, "\ufffc \t\r\n") != "" || len(entries) == 0 {
		return ""
	}
	for _, e := range entries {
		if e.Status == StatusOK {
			return "<media:" + e.Kind + ">"
		}
	}
	return "<media:" + entries[0].Kind + "> (unavailable: " + entries[0].Status + ")"
}

// mimeByExt is the fallback when chat.db has no MIME type: the formats
// Messages carries, fixed here so the output does not depend on the
// machine's mime.types.
var mimeByExt = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
	".heic": "image/heic", ".heif": "image/heif", ".webp": "image/webp", ".tif": "image/tiff",
	".tiff": "image/tiff", ".bmp": "image/bmp", ".svg": "image/svg+xml",
	".mov": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/x-m4v", ".3gp": "video/3gpp",
	".caf": "audio/x-caf", ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".aac": "audio/aac",
	".wav": "audio/wav", ".amr": "audio/amr", ".opus": "audio/ogg",
	".pdf": "application/pdf", ".txt": "text/plain", ".vcf": "text/vcard", ".ics": "text/calendar",
	".zip": "application/zip", ".json": "application/json", ".html": "text/html",
	".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls": "application/vnd.ms-excel", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pages": "application/x-iwork-pages-sffpages", ".key": "application/x-iwork-keynote-sffkey",
	".numbers": "application/x-iwork-numbers-sffnumbers", ".pluginpayloadattachment": "application/octet-stream",
}

// mimeOf is chat.db's MIME type, else one from the file name's extension,
// else application/octet-stream.
func mimeOf(mime, name string) string {
	if m := strings.TrimSpace(mime); m != "" {
		return m
	}
	if m, ok := mimeByExt[strings.ToLower(path.Ext(name))]; ok {
		return m
	}
	return "application/octet-stream"
}

// isHEIC reports whether a file is a HEIC/HEIF image by type or name.
func isHEIC(mime, name string) bool {
	m := strings.ToLower(mime)
	if m == "image/heic" || m == "image/heif" || m == "image/heic-sequence" || m == "image/heif-sequence" {
		return true
	}
	ext := strings.ToLower(path.Ext(name))
	return ext == ".heic" || ext == ".heif"
}
