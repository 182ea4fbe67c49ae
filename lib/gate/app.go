package gate

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-gate"

const description = `imsg-gate reads records (see **imsg-records**(7)) on standard input and decides, for every
**message** and **reaction**, whether it may reach the agent. Records of other kinds pass through byte for
byte. A message that passes is written out with a **gate** object added (the normalised sender, whether the
chat is a group, its chat key, mention and command flags, and the rule that admitted the sender). Any
other message is dropped: one line on standard error ends with the reason, the record goes to the
**--drops** file with **dropped_by** and **reason**, and the message is marked finished in the account's
journal, so imsg-listen never delivers it again. A message the journal already has as finished is
dropped as a **duplicate**.

The rules are the reference gateway's, in its order. Rows from me are dropped (**from me**), except in a
true chat with yourself (sender, chat identifier and destination caller id all the same handle). Direct
messages follow **dmPolicy**: **pairing** (the default) admits senders listed in **allowFrom** or approved
with **imsg-pair**(1), and answers a stranger once with a **reply** record carrying a pairing code (at most
3 pending per account; past that the stranger gets no reply and standard error says so); **allowlist**
admits only **allowFrom**; **open** admits everyone (it needs "*" in allowFrom); **disabled** nobody.
The gate's own replies (pairing codes, /config answers) go to the same chat (**chat_id:N**, else the
sender), with **in_reply_to** the message's guid and **key** **pair:GUID** or **config:GUID**, so
**imsg-send**(1) delivers each at most once; **--silent-pairing** records requests without replying.
Group messages follow **groupPolicy**: **allowlist** (the default) admits senders in **groupAllowFrom**
(which falls back to **allowFrom**; approved pairings never count in groups); **open** admits everyone;
**disabled** nobody. A **groups** map (keys: chat ids, chat targets, or "*") restricts groups to those
listed and sets **requireMention** (default true). Unlike the reference, **allowlist** with sender entries
and no groups map admits those senders; a configuration that admits nobody, or whose mention gating
cannot work, is reported at startup. Allowlist entries are handles in any spelling, **chat_id:N**,
**chat_guid:…**, **chat_identifier:…** or "*"; an entry that is none of these is a configuration error.

A thread imsg reports with is_group false is still a group when its chat is listed in **groups** or it
has more than one other participant. In groups that require a mention, a message must match a mention
pattern (the agent's **groupChat.mentionPatterns**, else **messages.groupChat.mentionPatterns**, else the
agent's identity name), case-insensitively, after zero-width and bidirectional characters are removed;
an unmentioned message is dropped (**no mention**) and kept as pending group history (up to
**historyLimit**, default 50, 0 disables) for **imsg-route**(1) to show with the next dispatched message.

Control commands (/status, /new, /reset, /stop, /config, …) from authorised senders — named in allowFrom
or groupAllowFrom, or approved by pairing in a DM, never through "*" — bypass mention gating; in groups an
unauthorised one is dropped. **/config set PATH VALUE** and **/config unset PATH** rewrite the config
file (JSON5 read, JSON written atomically, the old file kept as FILE.bak) when **commands.config** is
true, **configWrites** is not false and the sender is named by handle in **allowFrom**; the gate answers
with a reply and applies the change at once.

Echoes of the agent's own messages are dropped: by the guid **imsg-send**(1) remembered, else by the same
text within **--echo-ttl** (normalised for quotes, spacing, variation selectors and attributedBody
residue), in the chat's scope (chat_id:N) and, in DMs, the sender's. Text carrying assistant scaffolding
(thinking or final tags, role markers) is dropped as **reflected assistant content**. A conversation with
5 such echo drops within a minute is paused (**echo loop**); ordinary replies never count.

Tapbacks are gated like messages and written as **reaction** records only as
**reactionNotifications** asks: **off** none, **own** (the default) those on messages this account sent,
**all** every admitted one. SMS senders can be spoofed, so "open" policies, "*" entries and pairing do not
admit them unless **--trust-sms** is given; list an SMS sender in allowFrom to admit it without the flag.`

const examples = "Gate a live stream and keep the drops for review:\n\n" +
	"    imsg-listen | imsg-gate --drops drops.ndjson | imsg-route | ...\n\n" +
	"Replay a file of records against a new configuration:\n\n" +
	"    imsg-gate --config new.json5 --state-dir /tmp/st < records.ndjson > passed.ndjson\n\n" +
	"Only let group messages through:\n\n" +
	"    imsg-gate --where '.gate.is_group'\n\n" +
	"Why was something dropped?\n\n" +
	"    jq -r '\"\\(.reason): \\(.message.sender) \\(.message.text)\"' drops.ndjson"

// App is imsg-gate's command line.
func App() *cli.App {
	app := tool.NewApp(name, "decide which messages may reach the agent: policies, pairing, mentions, echoes")
	app.UsageText = name + " [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS] < records"
	app.Description = description
	app.Flags = append(tool.CommonFlags(),
		tool.DropsFlag(),
		&cli.StringFlag{Name: "where", Usage: "also require the jq expression `EXPR` to be true of a record (with its gate object) before it is dispatched; false drops it with reason \"where\""},
		&cli.StringFlag{Name: "agent", Usage: "use the mention patterns of agent `ID` (default: the default agent)"},
		&cli.BoolFlag{Name: "trust-sms", Usage: "let \"open\" policies, \"*\" entries and pairing admit SMS senders (their ids can be spoofed)"},
		&cli.BoolFlag{Name: "silent-pairing", Usage: "record pairing requests without replying to the stranger (approve from imsg-pair list)"},
		&cli.DurationFlag{Name: "echo-ttl", Value: state.DefaultEchoTTL, Usage: "treat a message with the text the agent sent within `DURATION` as its echo"},
	)
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**IMSG_NOW**\n: freeze the clock at this RFC 3339 time (for tests)."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database: journal, echo cache, pairing requests and approved senders, pending group history.\n\n" +
		"*FILE.bak*\n: the config file as it was before the last /config change."
	app.Metadata[tool.MetaExamples] = examples
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-pair**(1), **imsg-listen**(1), **imsg-route**(1), **imsg-send**(1), **jq**(1)"
	app.Action = run
	return app
}

// Main runs imsg-gate with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	errOut := NewLineBuffer(c.App.ErrWriter)
	defer errOut.Flush()
	log := tool.NewLog(errOut, name)
	clk, err := clock.FromEnv()
	if err != nil {
		return tool.WithCode(tool.ExitUsage, err)
	}
	file, err := config.LoadOrDefault(tool.ConfigPath(c))
	if err != nil {
		return configError(log, err)
	}
	for _, w := range file.Warnings {
		log.Warnf("%v", w)
	}
	acct, err := file.Account(c.String(tool.FlagAccount))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	var where *Where
	if expr := c.String("where"); expr != "" {
		if where, err = CompileWhere(expr); err != nil {
			return tool.WithCode(tool.ExitConfig, err)
		}
	}
	opts := Options{AgentID: c.String("agent"), TrustSMS: c.Bool("trust-sms"), SilentPairing: c.Bool("silent-pairing"),
		EchoTTL: c.Duration("echo-ttl"), Clock: clk}
	if opts.AgentID != "" && file.Agent(opts.AgentID) == nil && len(file.Agents) > 0 {
		return tool.Errorf(tool.ExitConfig, "--agent %q: no such agent in agents.list", opts.AgentID)
	}
	caches := NewCaches()
	g, warns, err := New(file, acct, opts, caches)
	if err != nil {
		return configError(log, err)
	}
	for _, w := range warns {
		log.Warnf("%s", w.Msg)
		if w.Hint != "" {
			log.Hintf("%s", w.Hint)
		}
	}
	errOut.Flush()
	store, err := state.Open(tool.ExpandHome(c.String(tool.FlagStateDir)), acct.ID, state.WithClock(clk))
	if err != nil {
		return err
	}
	defer store.Close()
	s := &Stream{Gate: g, Store: store, Log: log, Stderr: errOut, Where: where,
		Rebuild: func(f *config.File) (*Gate, []Warning, error) {
			a, err := f.Account(acct.ID)
			if err != nil {
				return nil, nil, err
			}
			return New(f, a, opts, caches)
		}}
	s.Out = ndjson.NewWriter(s.OutputWriter(c.App.Writer))
	if path := c.String(tool.FlagDrops); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		s.Drops = ndjson.NewWriter(f)
	}
	return s.Run(c.Context, c.App.Reader)
}

// configError reports every configuration problem, not only the first, and
// exits 3.
func configError(log *tool.Log, err error) error {
	var list config.Errors
	if errors.As(err, &list) && len(list) > 1 {
		for _, e := range list {
			log.Errorf("%v", e)
		}
		return tool.Errorf(tool.ExitConfig, "%d configuration problems", len(list))
	}
	return tool.WithCode(tool.ExitConfig, err)
}
