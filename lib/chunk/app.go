package chunk

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const description = `imsg-chunk reads records on standard input and writes them to standard output. Every record
that is not a **reply** passes through unchanged, byte for byte. Each reply becomes one or more reply
records, its parts, in order; each part keeps every field of the reply as it was, except **text** (the
part's text), **part** (its number, from 1), **parts** (how many there are) and **key**, which becomes
*KEY*#*N* (the reply's key, a hash sign and the part number, also for a reply of one part), so
**imsg-send** delivers every part exactly once. **files** stay on part 1; later parts carry an empty
list. A reply with empty text (no answer) still gives one part, with empty text, so its message is
finished. A reply that already has a **part** is passed through.

The text is prepared as the reference gateway prepares it, then split:

1. Assistant scaffolding is removed: thinking and reasoning blocks with their content (an unclosed one
   hides everything after it), relevant-memories blocks, final tags (their content is kept), internal
   separators (**#+#+**), role markers (**assistant to=functions.x**), directive tags such as
   **[[reply_to_current]]** and **[[audio_as_voice]]**, lines holding only **user:**, **system:** or
   **assistant:**, and runs of blank lines. Nothing inside a code block or inline code is touched.

2. Markdown tables are converted per **markdown.tables**: **code** (the default) re-aligns the table
   inside a code block, **bullets** writes each row as its first cell followed by "• Header: cell"
   lines, **off** leaves it; **block** means **code**.

3. **responsePrefix** (account, else channel, else **messages.responsePrefix**) is put in front of the
   first part, followed by a space (a newline when the text opens with a code block), unless the text
   already starts with it. **auto** means "[*name*]" with the agent's **identity.name** (the reply's
   **agent_id**, else the agent of its **session_key**, else the default agent), or nothing without a
   name. **{identity.name}**
   and **{identityName}** are replaced by that name; **{model}**, **{modelFull}**, **{provider}**,
   **{thinkingLevel}** and **{think}** are left as written, because a reply record does not say which
   model wrote it. The prefix counts towards the first part's limit and is never left alone in a part.

4. The text is split into parts of at most **textChunkLimit** (default 4000) UTF-16 code units, the
   unit the reference gateway counts in (JavaScript string length): an emoji outside the Basic
   Multilingual Plane counts 2. With **chunkMode** **length** each part is filled up to the limit and
   broken at the best boundary in reach: a blank line, else a line break, else the end of a sentence
   (one that would leave the part less than a quarter full gives way to a lower one), and a space
   inside a sentence only when none of these is in reach; outside parentheses and brackets when
   possible. With **newline** the text is split at blank lines and consecutive paragraphs are packed
   into one part while they fit; a longer paragraph is split as in **length** mode.

A break never falls inside a URL, a grapheme cluster (emoji with skin tones, ZWJ families, flags,
keycaps, combining accents) or a surrogate pair. A fenced code block is kept whole when a break
outside it exists; when it must be split, the part ends with a closing fence and the next one starts
by reopening it with the same info string. Only text with no usable break at all (a URL or a word
longer than the limit) is cut, at the last grapheme cluster boundary that fits.

Settings come from the configuration of the account named in each reply's **account** field, else of
**--account**; the flags override them. A line that is not a JSON object is reported with its number
and skipped, and the exit status is then 1. A reply without a **key**, or with a **text** that is not a
string, is dropped and reported (and appended to the **--drops** file).`

const examples = "```\n" + `imsg-agent --echo | imsg-chunk --limit 1000 | imsg-send
imsg-chunk --mode newline --prefix auto < replies.ndjson | jq -r 'select(.kind == "reply") | .text'
printf '%s\n' '{"kind":"reply","account":"default","to":"chat_id:1","key":"k1","text":"hi"}' | imsg-chunk
` + "```"

const seeAlso = `**imsg-agent**(1), **imsg-send**(1), **imsg-records**(7); the rules in spec/channel-behaviour.md §12–§13.`

// Flag names.
const (
	flagLimit  = "limit"
	flagMode   = "mode"
	flagPrefix = "prefix"
	flagTables = "tables"
)

// App is the imsg-chunk command line.
func App() *cli.App {
	app := tool.NewApp("imsg-chunk", "split agent replies into iMessage-sized parts")
	app.Description = description
	app.Metadata[tool.MetaExamples] = examples
	app.Metadata[tool.MetaSeeAlso] = seeAlso
	app.Flags = append(tool.CommonFlags(),
		&cli.IntFlag{Name: flagLimit, Usage: "split at `N` UTF-16 code units (default: textChunkLimit, else 4000)"},
		&cli.StringFlag{Name: flagMode, Usage: "chunk `MODE`: length or newline (default: chunkMode, else length)"},
		&cli.StringFlag{Name: flagPrefix, Usage: "put `TEXT` before each reply (\"auto\" and {templates} allowed; default: responsePrefix)"},
		&cli.StringFlag{Name: flagTables, Usage: "Markdown tables `MODE`: off, bullets, code or block (default: markdown.tables, else code)"},
		tool.DropsFlag(),
	)
	app.Action = run
	return app
}

// Main runs imsg-chunk with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	if c.NArg() > 0 {
		return tool.Errorf(tool.ExitUsage, "unexpected argument %q (see --help)", c.Args().First())
	}
	var o Overrides
	if c.IsSet(flagLimit) {
		n := c.Int(flagLimit)
		if n <= 0 {
			return tool.Errorf(tool.ExitUsage, "--limit must be a positive number, not %d", n)
		}
		o.Limit = &n
	}
	if c.IsSet(flagMode) {
		m, err := ParseMode(c.String(flagMode))
		if err != nil {
			return tool.WithCode(tool.ExitUsage, err)
		}
		o.Mode = &m
	}
	if c.IsSet(flagTables) {
		t, err := ParseTables(c.String(flagTables))
		if err != nil {
			return tool.WithCode(tool.ExitUsage, err)
		}
		o.Tables = &t
	}
	if c.IsSet(flagPrefix) {
		p := c.String(flagPrefix)
		o.Prefix = &p
	}
	f, err := config.LoadOrDefault(tool.ConfigPath(c))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	log := tool.NewLog(c.App.ErrWriter, "imsg-chunk")
	for _, w := range f.Warnings {
		log.Warnf("%v", w)
	}
	resolve, err := NewResolver(f, c.String(tool.FlagAccount), o)
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	var drops io.Writer
	if p := c.String(tool.FlagDrops); p != "" {
		df, err := os.OpenFile(tool.ExpandHome(p), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return tool.WithCode(tool.ExitFailure, err)
		}
		defer df.Close()
		drops = df
	}
	return Stream(c.Context, c.App.Reader, c.App.Writer, log, drops, resolve)
}
