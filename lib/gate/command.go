package gate

import (
	"errors"
	"strings"
	"unicode"
)

// ControlCommands are the text commands the gate recognises (without the
// slash). A recognised command from an authorised sender bypasses mention
// gating in groups; one from an unauthorised sender in a group is dropped.
// /config is answered by the gate itself; the others are flagged in
// gate.command for the stages after it.
var ControlCommands = []string{
	"activation", "compact", "config", "help", "model", "new", "queue", "reasoning", "reset",
	"status", "stop", "think", "usage", "verbose", "whoami",
}

// maxCommandName bounds the scan for a command word.
const maxCommandName = 16

// DetectCommand returns the control command text starts with ("status" for
// "/status now"), or "". The command word is matched case-insensitively and
// must be followed by whitespace or the end of the text.
func DetectCommand(text string) string {
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	if len(t) < 2 || t[0] != '/' {
		return ""
	}
	end := 1
	for end < len(t) && end <= maxCommandName && isCommandByte(t[end]) {
		end++
	}
	if end < len(t) {
		r := rune(t[end])
		if r >= 0x80 || !unicode.IsSpace(r) {
			return ""
		}
	}
	name := strings.ToLower(t[1:end])
	for _, c := range ControlCommands {
		if c == name {
			return c
		}
	}
	return ""
}

func isCommandByte(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// ConfigEdit is one parsed /config command.
type ConfigEdit struct {
	Unset bool
	Path  []string // keys from the top of the file
	Value string   // the value as typed (set only)
}

// PathString renders the key path as typed.
func (e ConfigEdit) PathString() string { return strings.Join(e.Path, ".") }

// ConfigUsage is the answer to a /config command that does not parse.
const ConfigUsage = "Usage: /config set <path> <value> | /config unset <path> (path like channels.imessage.dmPolicy)"

// ParseConfigCommand parses "/config set a.b.c VALUE", "/config set
// a.b.c=VALUE" and "/config unset a.b.c".
func ParseConfigCommand(text string) (ConfigEdit, error) {
	t := strings.TrimSpace(text)
	if DetectCommand(t) != "config" {
		return ConfigEdit{}, errors.New(ConfigUsage)
	}
	rest := strings.TrimSpace(t[len("/config"):])
	verb, args, _ := strings.Cut(rest, " ")
	args = strings.TrimSpace(args)
	var e ConfigEdit
	var path string
	switch strings.ToLower(verb) {
	case "set":
		i := strings.IndexAny(args, " =")
		if i < 0 {
			return ConfigEdit{}, errors.New(ConfigUsage)
		}
		path, e.Value = args[:i], strings.TrimSpace(args[i+1:])
		if args[i] == ' ' && strings.HasPrefix(e.Value, "=") { // "path = value"
			e.Value = strings.TrimSpace(e.Value[1:])
		}
		if e.Value == "" {
			return ConfigEdit{}, errors.New(ConfigUsage)
		}
	case "unset":
		path = args
		e.Unset = true
	default:
		return ConfigEdit{}, errors.New(ConfigUsage)
	}
	path = strings.TrimSpace(path)
	if path == "" || strings.ContainsAny(path, " \t\r\n") {
		return ConfigEdit{}, errors.New(ConfigUsage)
	}
	for _, k := range strings.Split(path, ".") {
		if k == "" {
			return ConfigEdit{}, errors.New("config path " + quote(path) + " has an empty key")
		}
		e.Path = append(e.Path, k)
	}
	return e, nil
}
