package tool

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

// Metadata keys an App sets for the extra man page sections (markdown).
const (
	MetaExamples    = "examples"
	MetaEnvironment = "environment"
	MetaFiles       = "files"
	MetaSeeAlso     = "see-also"
)

// manTemplate is the page layout: NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
// COMMANDS, then the conventional trailing sections. urfave's default puts
// GLOBAL OPTIONS and a Usage block in an order odd for single-command tools.
const manTemplate = `% {{ .App.Name }} {{ .Section }}

# NAME

{{ .App.Name }} - {{ .App.Usage }}

# SYNOPSIS

{{ .Synopsis }}

# DESCRIPTION

{{ .App.Description }}
{{ if .Options }}
# OPTIONS
{{ range .Options }}
{{ . }}
{{ end }}{{ end }}{{ if .Commands }}
# COMMANDS
{{ range .Commands }}
{{ . }}
{{ end }}{{ end }}
# EXIT STATUS

{{ .ExitStatus }}
{{ with index .App.Metadata "environment" }}
# ENVIRONMENT

{{ . }}
{{ end }}{{ with index .App.Metadata "files" }}
# FILES

{{ . }}
{{ end }}{{ with index .App.Metadata "examples" }}
# EXAMPLES

{{ . }}
{{ end }}{{ with index .App.Metadata "see-also" }}
# SEE ALSO

{{ . }}
{{ end }}`

var manTmpl = template.Must(template.New("man").Parse(manTemplate))

// ManMarkdown renders the app's man page source (section 1) as markdown.
func ManMarkdown(app *cli.App) (string, error) {
	data := struct {
		App        *cli.App
		Section    int
		Synopsis   string
		Options    []string
		Commands   []string
		ExitStatus string
	}{App: app, Section: 1, ExitStatus: ExitStatusSection}
	data.Synopsis = synopsis(app)
	data.Options = flagDocs(app.VisibleFlags())
	for _, c := range app.VisibleCommands() {
		data.Commands = append(data.Commands, commandDoc(c))
	}
	var b bytes.Buffer
	if err := manTmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Man renders the app's man page in roff, section 1.
func Man(app *cli.App) (string, error) {
	md, err := ManMarkdown(app)
	if err != nil {
		return "", err
	}
	return string(md2man.Render([]byte(md))), nil
}

// RenderMarkdownPage renders a hand-written markdown man page to roff.
func RenderMarkdownPage(md []byte) []byte { return md2man.Render(md) }

func synopsis(app *cli.App) string {
	if app.UsageText != "" {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(app.UsageText), "\n") {
			lines = append(lines, "**"+strings.TrimSpace(l)+"**")
		}
		return strings.Join(lines, "  \n")
	}
	return "**" + app.Name + "** [*OPTIONS*]"
}

// flagDocs renders flags as definition-list entries, in a stable order.
func flagDocs(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		var names []string
		for _, n := range f.Names() {
			if len(n) == 1 {
				names = append(names, "**-"+n+"**")
			} else {
				names = append(names, "**--"+n+"**")
			}
		}
		usage, arg := splitPlaceholder(df.GetUsage())
		head := strings.Join(names, ", ")
		if df.TakesValue() {
			if arg == "" {
				arg = "VALUE"
			}
			head += " *" + arg + "*"
		}
		var extra []string
		// A zero default says nothing the usage text does not say better.
		if v := strings.Trim(df.GetDefaultText(), `"`); df.TakesValue() && v != "" && v != "0" && v != "0s" {
			extra = append(extra, "default: "+v)
		}
		if env := df.GetEnvVars(); len(env) > 0 {
			extra = append(extra, "env: $"+strings.Join(env, ", $"))
		}
		if len(extra) > 0 {
			usage += " (" + strings.Join(extra, "; ") + ")"
		}
		out = append(out, head+"\n: "+usage)
	}
	return out
}

// splitPlaceholder turns urfave's "read from `FILE`" convention into the
// text and the placeholder name.
func splitPlaceholder(usage string) (string, string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return usage, ""
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return usage, ""
	}
	name := usage[i+1 : i+1+j]
	return usage[:i] + "*" + name + "*" + usage[i+2+j:], name
}

func commandDoc(c *cli.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", strings.Join(c.Names(), ", "))
	if c.UsageText != "" {
		fmt.Fprintf(&b, "**%s**\n\n", strings.TrimSpace(c.UsageText))
	}
	b.WriteString(c.Usage)
	if c.Description != "" {
		b.WriteString("\n\n" + strings.TrimSpace(c.Description))
	}
	b.WriteString("\n")
	for _, f := range flagDocs(c.VisibleFlags()) {
		b.WriteString("\n" + f + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

var fishMu sync.Mutex

// FishCompletion renders the fish completion script for app.
func FishCompletion(app *cli.App) (string, error) {
	fishMu.Lock()
	defer fishMu.Unlock()
	return app.ToFishCompletion()
}

// flagWords lists a flag set as completion words and those taking a value.
func flagWords(flags []cli.Flag) (words, valued []string) {
	for _, f := range flags {
		df, ok := f.(cli.DocGenerationFlag)
		for _, n := range f.Names() {
			w := "--" + n
			if len(n) == 1 {
				w = "-" + n
			}
			words = append(words, w)
			if ok && df.TakesValue() {
				valued = append(valued, w)
			}
		}
	}
	sort.Strings(words)
	sort.Strings(valued)
	return words, valued
}
