package listen

import (
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/ndjson"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-listen"

// App is imsg-listen's command line.
func App() *cli.App {
	app := tool.NewApp(name, "emit one record per iMessage from imsg rpc, resuming after any crash")
	app.UsageText = name + " [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS]"
	app.Description = `imsg-listen starts **imsg rpc** (channels.imessage.cliPath, default **imsg**, with **--db** dbPath;
cliPath may be any stdio wrapper, such as an SSH script), subscribes to new messages and writes one
**message** record per chat.db row on standard output, as NDJSON (see **imsg-records**(7)). Tapbacks are
written as **reaction** records unless channels.imessage.reactionNotifications is "off".

Every row is journalled in the account's state database before its record is written. On start,
imsg-listen resumes after the oldest row that no later stage has marked finished, so nothing is lost
across crashes and restarts; a row written again is flagged with **"redelivery": true**, and a row the
journal has as finished is never written again. On its very first run it starts after the newest row,
so old history is not answered.

Rows older than **--max-age** when they first arrive (old messages replayed by an iCloud sync, or
written while the gateway was down for long) are journalled as stale and reported, not emitted as live.

If imsg rpc dies, imsg-listen restarts it with backoff and resubscribes from the journal; an **error**
notification or a **watch.overflow** resubscribes on the same child. It probes imsg every
**--check-interval** for a hung peer and for a replaced chat.db (a database whose newest row is below
the cursor and unknown to the journal) and then follows the new file instead of going silent. When
imsg cannot read chat.db (no Full Disk Access) or has no rpc command, it exits 4 with one message.`
	app.Flags = append(tool.CommonFlags(),
		&cli.StringFlag{Name: "cli-path", Usage: "run `PATH` as imsg (overrides channels.imessage.cliPath)", TakesFile: true},
		&cli.StringFlag{Name: "db", Usage: "pass --db `PATH` to imsg (overrides channels.imessage.dbPath)", TakesFile: true},
		&cli.DurationFlag{Name: "max-age", Value: 10 * time.Minute, Usage: "journal rows older than `AGE` as stale instead of emitting them; 0 turns the fence off"},
		&cli.Int64Flag{Name: "since-rowid", Usage: "start after row `N` this time, whatever the journal says (-1 replays every row, 0 starts at the newest)"},
		&cli.IntFlag{Name: "max-redeliveries", Value: 5, Usage: "give up on a message emitted `N` times that no stage finished, once --give-up-after has passed (0: never)"},
		&cli.DurationFlag{Name: "give-up-after", Value: 10 * time.Minute, Usage: "never give up on a message pending for less than `DURATION`, however often the pipeline restarts"},
		&cli.DurationFlag{Name: "check-interval", Value: 30 * time.Second, Usage: "probe imsg every `DURATION` for a hung peer or a replaced chat.db (0: never)"},
		&cli.DurationFlag{Name: "restart-delay", Value: 500 * time.Millisecond, Usage: "wait `DURATION` before restarting a dead imsg rpc; doubles while it keeps dying"},
		&cli.DurationFlag{Name: "restart-max-delay", Value: 30 * time.Second, Usage: "never wait longer than `DURATION` between restarts"},
		&cli.DurationFlag{Name: "idle-exit", Usage: "exit 0 after `DURATION` without a message (for backfills and tests; default: never)"},
		&cli.BoolFlag{Name: "attachments", Usage: "ask imsg for attachment metadata (default: channels.imessage.includeAttachments)"},
		&cli.BoolFlag{Name: "reactions", Usage: "ask imsg for tapbacks (default: on unless reactionNotifications is \"off\")"},
		tool.DropsFlag(),
	)
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**IMSG_NOW**\n: freeze the clock at this RFC 3339 time (for tests)."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database: watch cursor and inbound journal."
	app.Metadata[tool.MetaExamples] = "Follow the default account and show who wrote what:\n\n" +
		"    imsg-listen | jq -c '.message | {sender, text}'\n\n" +
		"Replay every row of a simulated database once, then exit:\n\n" +
		"    imsg-listen --cli-path imsg-sim --db chat.db --since-rowid -1 --max-age 0 --idle-exit 2s\n\n" +
		"The start of the gateway pipeline:\n\n" +
		"    imsg-listen --drops drops.ndjson | imsg-gate | imsg-route | ..."
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-gate**(1), **imsg-sim**(1), **imsg**(1)"
	app.Action = run
	return app
}

// Main runs imsg-listen with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	log := tool.NewLog(c.App.ErrWriter, name)
	clk, err := clock.FromEnv()
	if err != nil {
		return tool.WithCode(tool.ExitUsage, err)
	}
	file, err := config.LoadOrDefault(tool.ConfigPath(c))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	acct, err := file.Account(c.String(tool.FlagAccount))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	if !acct.Enabled {
		log.Infof("account %q is disabled in the config; nothing to do", acct.ID)
		return nil
	}
	store, err := state.Open(tool.ExpandHome(c.String(tool.FlagStateDir)), acct.ID, state.WithClock(clk))
	if err != nil {
		return err
	}
	defer store.Close()

	var drops *ndjson.Writer
	if path := c.String(tool.FlagDrops); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		drops = ndjson.NewWriter(f)
	}

	opts := Options{
		Account: acct.ID,
		RPC: rpc.Options{
			CLIPath:     acct.CLIPath,
			DBPath:      acct.DBPath,
			CallTimeout: acct.ProbeTimeout(),
			Log:         func(msg string) { log.Infof("%s", msg) },
		},
		Store: store, Out: ndjson.NewWriter(c.App.Writer), Drops: drops, Log: log, Clock: clk,
		MaxAge:      c.Duration("max-age"),
		MaxEmits:    c.Int("max-redeliveries"),
		GiveUpAfter: c.Duration("give-up-after"),
		Attachments: acct.IncludeAttachments,
		Reactions:   acct.ReactionNotifications != "off",
		CheckEvery:  c.Duration("check-interval"),
		IdleExit:    c.Duration("idle-exit"),
		BackoffMin:  c.Duration("restart-delay"),
		BackoffMax:  c.Duration("restart-max-delay"),
	}
	if c.IsSet("cli-path") {
		opts.RPC.CLIPath = tool.ExpandHome(c.String("cli-path"))
	}
	if c.IsSet("db") {
		opts.RPC.DBPath = tool.ExpandHome(c.String("db"))
	}
	if c.IsSet("attachments") {
		opts.Attachments = c.Bool("attachments")
	}
	if c.IsSet("reactions") {
		opts.Reactions = c.Bool("reactions")
	}
	if c.IsSet("since-rowid") {
		n := c.Int64("since-rowid")
		opts.Since = &n
	}
	return Run(c.Context, opts)
}
