package remote

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The remote side of scp is a command line: sshd hands "scp -f PATH" to
// the login shell of the Mac's user, and go-scp writes PATH there as a Go
// double-quoted literal (fmt's %q). The user does not choose attachment
// names: the sender does (Messages keeps the sender's file name), so a name
// is hostile input that reaches a shell. Inside double quotes every shell
// a Mac user plausibly has (sh, bash, zsh, ksh, fish, csh, tcsh) takes the
// characters below literally, except:
//
//   - "$" and "`": parameter expansion and command substitution everywhere;
//   - "\" and `"`: Go escapes them as \\ and \", which sh, zsh and fish
//     read back correctly but csh and tcsh do not (a `\"` ends the string
//     there, and what follows runs as a command);
//   - "!": history substitution in csh and tcsh;
//   - control characters, which %q writes as escapes (\n) no shell decodes.
//
// Those are refused before any connection. Everything else printable is
// accepted and arrives as one literal argument: spaces, "'", "&", ";", "|",
// "<", ">", parentheses, brackets, "*", "?", "#", "~", and non-ASCII
// letters. (The reference refused "&" and quotes too, which lost ordinary
// names such as "Mom's photo.jpg", openclaw#144027.) A path segment ".."
// is refused as well: the Mac resolves ".." after following symlinks, so a
// lexically clean path would not name the file the root check approved.
//
// Printable-looking characters that %q escapes all the same (U+202F, the
// narrow no-break space macOS puts in screenshot names, and other
// non-printing code points) cannot be carried by the scp command at all;
// NeedsSFTP reports them and the client fetches those files over SFTP,
// which takes the path as data and involves no shell.

// PathError is a remote path refused before connecting.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("unsafe remote path %s: %s", strconv.Quote(e.Path), e.Reason)
}

// refused lists the printable characters CheckPath refuses, with why.
var refused = map[rune]string{
	'$':  `"$" (shell expansion)`,
	'`':  "a backtick (command substitution)",
	'\\': `"\" (read differently by csh and tcsh)`,
	'"':  `a double quote (read differently by csh and tcsh)`,
	'!':  `"!" (history substitution in csh and tcsh)`,
}

// CheckPath validates p as a file path on the Mac that may be named on the
// remote scp command line, and returns it cleaned of "." segments and
// doubled or trailing slashes. See the rules above.
func CheckPath(p string) (string, error) {
	bad := func(why string) (string, error) { return "", &PathError{Path: p, Reason: why} }
	if p == "" {
		return bad("empty")
	}
	if p[0] != '/' {
		return bad("not absolute")
	}
	if !utf8.ValidString(p) {
		return bad("not valid UTF-8")
	}
	for _, r := range p {
		if why, ok := refused[r]; ok {
			return bad("contains " + why)
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return bad(fmt.Sprintf("contains the control character %U", r))
		}
	}
	segs := strings.Split(p[1:], "/")
	kept := segs[:0]
	for _, s := range segs {
		switch s {
		case "..":
			return bad(`contains a ".." segment`)
		case "", ".":
			continue
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		return bad("names the root directory")
	}
	return "/" + strings.Join(kept, "/"), nil
}

// NeedsSFTP reports whether p, a path CheckPath accepted, has a character
// that go-scp's quoting would turn into an escape sequence the remote shell
// does not decode (so scp would look for another name).
func NeedsSFTP(p string) bool {
	for _, r := range p {
		if r >= 0x80 && !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
