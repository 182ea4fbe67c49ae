package fetch

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/imsg-toolkit/imsg/lib/config"
)

// When imsg runs on another Mac, cliPath is usually a small script such as
//
//	#!/bin/sh
//	exec ssh -T me@mac-mini /opt/homebrew/bin/imsg "$@"
//
// and the attachments live on that Mac. DetectHost reads the host from such
// a script, but only from the plain form: one line that runs ssh (after an
// optional exec) with options that take no value, the destination, an imsg
// command and "$@". Anything that could make the host mean something else
// to ssh than to us (a -p port, -l user, -o option, -F config or -J jump, a
// variable, a pipeline, two ssh lines) is refused, and the user is asked
// for an explicit remoteHost: guessing wrong would mean connecting to the
// wrong machine. The reference matched the first user@host-looking word,
// which an option value can be (openclaw#121037).

// sshFlags are ssh's options that take no value.
const sshFlags = "46AaCfGgKkMNnqsTtVvXxYy"

// sshValued are ssh's options that take a value.
const sshValued = "BbcDEeFIiJLlmOoPpQRSWw"

// WrapperError is a cliPath script that runs ssh in a form DetectHost will
// not guess from.
type WrapperError struct {
	File   string
	Line   int
	Reason string
}

func (e *WrapperError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("cannot tell the Mac's host from cliPath %s: %s; set channels.imessage.remoteHost (or --remote-host), or --local if the attachments are on this machine", where, e.Reason)
}

// DetectHost finds the SSH destination in the text of a cliPath wrapper.
// It returns "" and no error when the script does not run ssh at all (a
// local imsg, or a binary), and a *WrapperError (without File) when it runs
// ssh in any other than the plain form.
func DetectHost(script []byte) (string, error) {
	head := script[:min(len(script), 8000)]
	if bytes.IndexByte(head, 0) >= 0 {
		return "", nil // a binary: imsg itself
	}
	host, hostLine := "", 0
	lines := strings.Split(string(script), "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimRight(lines[i], "\r")
		}
		if n == 1 && strings.HasPrefix(line, "#!") {
			continue
		}
		words := lex(line)
		if !mentionsSSH(words) {
			continue
		}
		if hostLine > 0 {
			return "", &WrapperError{Line: n, Reason: fmt.Sprintf("ssh runs on line %d and again on line %d", hostLine, n)}
		}
		h, reason := plainSSH(words)
		if reason != "" {
			return "", &WrapperError{Line: n, Reason: reason}
		}
		host, hostLine = h, n
	}
	return host, nil
}

// word is one shell word of a line.
type word struct {
	val    string // the value after quote removal
	raw    string // as written
	expand bool   // has a $ or ` expansion outside single quotes
	op     bool   // an unquoted operator: | & ; < > ( )
}

// lex splits a line into shell words, well enough to recognise the plain
// form; constructs it does not model make words that plainSSH refuses.
func lex(line string) []word {
	var out []word
	var cur word
	in := false
	flush := func() {
		if in {
			out = append(out, cur)
		}
		cur, in = word{}, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			continue
		case c == '#' && !in:
			flush()
			return out
		case strings.IndexByte("|&;<>()", c) >= 0:
			flush()
			out = append(out, word{val: string(c), raw: string(c), op: true})
			continue
		}
		in = true
		start := i
		switch c {
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.val += line[i+1 : i+1+j]
			i += j + 1
		case '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				} else if line[i] == '$' || line[i] == '`' {
					cur.expand = true
				}
				cur.val += line[i : i+1]
			}
		case '\\':
			if i+1 < len(line) {
				i++
				cur.val += line[i : i+1]
			}
		case '$', '`':
			cur.expand = true
			cur.val += line[i : i+1]
		default:
			cur.val += line[i : i+1]
		}
		cur.raw += line[start:min(i+1, len(line))]
	}
	flush()
	return out
}

func isSSH(w word) bool { return !w.op && path.Base(w.val) == "ssh" }

func mentionsSSH(words []word) bool {
	for _, w := range words {
		if isSSH(w) {
			return true
		}
	}
	return false
}

// plainSSH returns the destination of a plain ssh line, or why the line
// is not plain.
func plainSSH(words []word) (string, string) {
	for _, w := range words {
		if w.op {
			return "", fmt.Sprintf("the ssh line uses the shell operator %q", w.val)
		}
	}
	if len(words) > 0 && words[0].val == "exec" && !words[0].expand {
		words = words[1:]
	}
	if len(words) == 0 || !isSSH(words[0]) || words[0].expand {
		return "", "ssh is not the command the line runs"
	}
	words = words[1:]
	for len(words) > 0 && strings.HasPrefix(words[0].val, "-") {
		w := words[0]
		words = words[1:]
		if w.val == "--" {
			break
		}
		for _, c := range w.val[1:] {
			switch {
			case strings.ContainsRune(sshValued, c):
				return "", fmt.Sprintf("ssh option -%c takes a value (%s)", c, valuedHint(c))
			case !strings.ContainsRune(sshFlags, c) || w.expand:
				return "", fmt.Sprintf("unknown ssh option %q", w.raw)
			}
		}
	}
	if len(words) == 0 {
		return "", "ssh has no destination"
	}
	dest := words[0]
	host, ok := config.SSHHost(dest.val)
	if dest.expand || !ok {
		return "", fmt.Sprintf("the ssh destination %q is not a plain host or user@host", dest.raw)
	}
	if len(words) < 2 || words[1].expand || path.Base(words[1].val) != "imsg" {
		return "", "the remote command is not imsg"
	}
	for _, w := range words[2:] {
		switch w.raw {
		case `"$@"`, `$@`, `"${@}"`, `${@}`:
		default:
			return "", fmt.Sprintf("the remote command has the extra argument %q", w.raw)
		}
	}
	return host, ""
}

// valuedHint says what a valued ssh option changes and what to use instead.
func valuedHint(c rune) string {
	switch c {
	case 'p':
		return "a port: use --port"
	case 'l':
		return "a user: write user@host"
	case 'i':
		return "a key: use --identity"
	case 'o', 'F':
		return "ssh configuration imsg-fetch does not read"
	case 'J':
		return "a jump host imsg-fetch does not use"
	}
	return "imsg-fetch cannot reproduce it"
}
