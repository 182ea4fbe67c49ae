package chunk

import "strings"

// HeartbeatToken is the answer an agent gives a heartbeat run when it has
// nothing to say; like the reference, such a text is never prefixed.
const HeartbeatToken = "HEARTBEAT_OK"

// PrefixVars are the values of responsePrefix's template variables. An
// empty value leaves its variable written literally, as the reference does
// for a value it does not know.
type PrefixVars struct {
	Model         string // {model}: the short model name, e.g. gpt-4o
	ModelFull     string // {modelFull}: provider/model
	Provider      string // {provider}
	ThinkingLevel string // {thinkingLevel} and {think}
	IdentityName  string // {identity.name} and {identityName}; also what "auto" shows
}

// ResolvePrefix turns a responsePrefix setting into the text to prepend.
// "auto" means "[<identity name>]", or no prefix when the agent has no
// name. Otherwise the template variables {model}, {modelFull}, {provider},
// {thinkingLevel} / {think} and {identity.name} / {identityName} (names
// case-insensitive) are replaced by their values; an unknown variable, or
// one without a value, stays as written.
func ResolvePrefix(raw string, v PrefixVars) string {
	if raw == "auto" {
		if name := strings.TrimSpace(v.IdentityName); name != "" {
			return "[" + name + "]"
		}
		return ""
	}
	if strings.IndexByte(raw, '{') < 0 {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); {
		if raw[i] != '{' {
			b.WriteByte(raw[i])
			i++
			continue
		}
		j := i + 1
		for j < len(raw) && isVarByte(raw[j], j == i+1) {
			j++
		}
		if j == i+1 || j >= len(raw) || raw[j] != '}' {
			b.WriteByte('{')
			i++
			continue
		}
		val := ""
		switch strings.ToLower(raw[i+1 : j]) {
		case "model":
			val = v.Model
		case "modelfull":
			val = v.ModelFull
		case "provider":
			val = v.Provider
		case "thinkinglevel", "think":
			val = v.ThinkingLevel
		case "identity.name", "identityname":
			val = v.IdentityName
		}
		if val == "" {
			val = raw[i : j+1]
		}
		b.WriteString(val)
		i = j + 1
	}
	return b.String()
}

// isVarByte accepts a variable name: a letter, then letters, digits, dots.
func isVarByte(c byte, first bool) bool {
	letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	if first {
		return letter
	}
	return letter || c >= '0' && c <= '9' || c == '.'
}

// ApplyPrefix prepends prefix to text unless one of them is empty, the
// text already starts with the prefix, or the text is the heartbeat token.
// The two are joined with a space, except when the text opens with a code
// block (a fence line must start its own line) or the prefix already ends
// in whitespace. The prefix is part of the first part and counts towards
// its limit.
func ApplyPrefix(text, prefix string) string { return prefixFor(text, prefix) + text }

// prefixFor returns what ApplyPrefix puts before text: the prefix and its
// separator, or "".
func prefixFor(text, prefix string) string {
	if prefix == "" || text == "" || strings.HasPrefix(text, prefix) || strings.TrimSpace(text) == HeartbeatToken {
		return ""
	}
	// A prefix from the command line may be any bytes; a part is text.
	prefix = strings.ToValidUTF8(prefix, "\uFFFD")
	first, _, _ := strings.Cut(text, "\n")
	if _, _, _, ok := fenceOpen(first); ok {
		return strings.TrimRight(prefix, " \t\n") + "\n"
	}
	if c := prefix[len(prefix)-1]; c == ' ' || c == '\t' || c == '\n' {
		return prefix
	}
	return prefix + " "
}
