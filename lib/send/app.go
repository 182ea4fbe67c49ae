package send

import (
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/rpc"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-send"

const description = `imsg-send reads records on standard input, delivers every **reply** of the account through
**imsg rpc send** and writes a **receipt** in its place; every other record passes through unchanged, byte
for byte (see **imsg-records**(7)). Replies usually come from **imsg-chunk**, one record per part with
**part**, **parts** and a key *KEY*#*N*; a reply without part numbers is sent as one part. A reply for
another account passes through too.

One **imsg rpc** child (channels.imessage.cliPath, default **imsg**, with **--db** dbPath; any stdio
wrapper such as an SSH script) serves every send for the life of the process; a child that dies is
started again, with backoff. Each send names the chat with exactly one of **chat_id**, **chat_guid**,
**chat_identifier** or **to**, from the reply's **to** (chat_id:*N*, chat_guid:*GUID*,
chat_identifier:*ID*, a phone number or an email, optionally after **imessage:**, **sms:** or **auto:**),
with **service** (the prefix's, else channels.imessage.service, else auto) and **region**
(channels.imessage.region, default US). A target that does not parse gets a failed receipt with the
reference gateway's message ("iMessage target is required", "Invalid chat_id: x", ...).

A part's text and each of its **files** are separate sends, in that order (a caption goes before its
file, as imsg sends it), and each gets its own receipt: the text under the part's key, file *N* under
*KEY*/file*N*. A file must exist and be a regular file no larger than channels.imessage.mediaMaxMb
(default 16 MB, **--media-max-mb**); it is sent by its absolute path. A file that fails gets a failed
receipt and does not hold back the text. A reply with no text and no files (the agent chose not to
answer) sends nothing and gets a receipt with **"ok": true** and a **note**.

**Exactly once.** Every send is recorded in the account's state database before the call (sending)
and after it (sent, with the guid imsg returns). A key already sent is never sent again: its receipt
says **"duplicate": true**. A send whose outcome is unknown (imsg-send killed between the two records,
a send that took longer than **--send-timeout**, a child that died under it) is settled first: the
target chat's **messages.history** is searched, for up to **--settle-wait**, for a row from us since the
first attempt whose normalised text matches (for a file, an attachment of that name). Found, it
counts as sent; only when it is not found is the part sent again. A timed-out send is never retried
blindly, and the wedged child is replaced first. A send that answers **{"ok":true}** without a guid
counts as sent; its guid is looked up in the chat's history for the echo cache.

**Failures.** imsg's AppleScript failures (-32603) and a child that dies are retried with backoff, up to
**--attempts** sends. Invalid params (-32602) are not retried. Neither is the macOS 26 "ghost row", a
chat send that Messages accepted but wrote as an empty row outside the chat: the text probably went to
a new chat or nowhere, retrying would only repeat that, and the receipt says so. When imsg cannot read
chat.db (no Full Disk Access), has no rpc command or cannot be run, imsg-send exits 4.

**Pacing.** Sends are paced by a token bucket per chat (**--chat-rate** 1/s after a burst of
**--chat-burst** 5), one over all chats (**--global-rate** 30/m after **--global-burst** 10) and a cap of
**--daily-cap** 1,000 sends in any 24 hours, counted from the state database so that it survives
restarts. A send that must wait, waits; a wait of 2 s or more is reported on standard error. At the cap
a part gets a failed receipt and is not sent. The defaults let a long answer out at once and a
conversation at a human pace, while a runaway agent is slowed to a bubble a second in one chat and
half a bubble a second overall. Accounts have been blocked for about 200 messages an hour to mostly
new recipients over three hours; replies in conversations people start are a different pattern, but
lower **--global-rate** if the agent may write to many people.

**Afterwards.** Every delivered part is remembered in the echo cache (its guid and text, under the
canonical target such as chat_id:7) so imsg-gate drops its echo. When the last part of a reply is
settled, the message it answers (**in_reply_to**) is finished in the journal: answered when anything
was delivered, now or before a restart (with reason "partly delivered: ..." when some part failed),
answered with reason "empty reply" for an empty reply, and dropped with reason "send failed: ..." when
nothing went out. A reply without a key is dropped (reported, and appended to the **--drops** file).

A line that is not a JSON object is reported with its number and skipped; the exit status is then 1.
On SIGINT or SIGTERM imsg-send stops reading, finishes the send in flight, writes its receipt and
exits 0; a part not yet sent is sent by the next run, when the journal delivers its message again.`

// App is imsg-send's command line.
func App() *cli.App {
	app := tool.NewApp(name, "deliver replies through imsg rpc exactly once, paced, with one receipt per send")
	app.UsageText = name + " [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS] < replies.ndjson"
	app.Description = description
	app.Flags = append(tool.CommonFlags(),
		&cli.StringFlag{Name: "cli-path", Usage: "run `PATH` as imsg (overrides channels.imessage.cliPath)", TakesFile: true},
		&cli.StringFlag{Name: "db", Usage: "pass --db `PATH` to imsg (overrides channels.imessage.dbPath)", TakesFile: true},
		&cli.DurationFlag{Name: "send-timeout", Value: 150 * time.Second, Usage: "give up waiting for a send after `DURATION` (its outcome is then settled from messages.history)"},
		&cli.IntFlag{Name: "attempts", Value: 4, Usage: "send a part at most `N` times before giving up"},
		&cli.DurationFlag{Name: "retry-delay", Value: time.Second, Usage: "wait `DURATION` after the first failed send, doubling up to 30s"},
		&cli.DurationFlag{Name: "settle-wait", Value: 5 * time.Second, Usage: "look for a send of unknown outcome in messages.history for `DURATION` before sending it again"},
		&cli.StringFlag{Name: "chat-rate", EnvVars: []string{"IMSG_SEND_CHAT_RATE"}, Value: DefaultLimits.ChatRate.String(), Usage: "send at most `RATE` (N/s, N/m, N/h, N/d; 0: no limit) to one chat"},
		&cli.IntFlag{Name: "chat-burst", EnvVars: []string{"IMSG_SEND_CHAT_BURST"}, Value: DefaultLimits.ChatBurst, Usage: "let `N` sends to a quiet chat go at once"},
		&cli.StringFlag{Name: "global-rate", EnvVars: []string{"IMSG_SEND_GLOBAL_RATE"}, Value: DefaultLimits.GlobalRate.String(), Usage: "send at most `RATE` over all chats (0: no limit)"},
		&cli.IntFlag{Name: "global-burst", EnvVars: []string{"IMSG_SEND_GLOBAL_BURST"}, Value: DefaultLimits.GlobalBurst, Usage: "let `N` sends go at once after a quiet spell"},
		&cli.IntFlag{Name: "daily-cap", EnvVars: []string{"IMSG_SEND_DAILY_CAP"}, Value: DefaultLimits.DailyCap, Usage: "refuse sends beyond `N` in any 24 hours (0: no cap)"},
		&cli.IntFlag{Name: "media-max-mb", Usage: "refuse attachments over `MB` (default: channels.imessage.mediaMaxMb, 16; 0: no limit)"},
		tool.DropsFlag(),
	)
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**IMSG_NOW**\n: freeze the clock of the state database at this RFC 3339 time (for tests); pacing still runs on real time."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database: the outbound ledger, the echo cache and the inbound journal."
	app.Metadata[tool.MetaExamples] = "Send one message by hand and see its receipt:\n\n" +
		"    echo '{\"kind\":\"reply\",\"account\":\"default\",\"to\":\"+15551234567\",\"text\":\"hi\",\"key\":\"manual-1\"}' | imsg-send\n\n" +
		"Run the same line again: nothing is sent, the receipt says \"duplicate\": true.\n\n" +
		"Deliver against the simulator, with a photo:\n\n" +
		"    echo '{\"kind\":\"reply\",\"account\":\"default\",\"to\":\"chat_id:1\",\"text\":\"look\",\"files\":[\"photo.jpg\"],\"key\":\"k\"}' |\n" +
		"        imsg-send --cli-path imsg-sim --db chat.db\n\n" +
		"The end of the gateway pipeline, failed receipts on the terminal:\n\n" +
		"    ... | imsg-chunk | imsg-send | jq -c 'select(.kind == \"receipt\" and (.ok | not))'"
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-chunk**(1), **imsg-gate**(1), **imsg-listen**(1), **imsg-sim**(1), **imsg**(1)"
	app.Action = run
	return app
}

// Main runs imsg-send with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	log := tool.NewLog(c.App.ErrWriter, name)
	clk, err := clock.FromEnv()
	if err != nil {
		return tool.WithCode(tool.ExitUsage, err)
	}
	lim := Limits{ChatBurst: c.Int("chat-burst"), GlobalBurst: c.Int("global-burst"), DailyCap: c.Int("daily-cap")}
	if lim.ChatRate, err = ParseRate(c.String("chat-rate")); err != nil {
		return tool.WithCode(tool.ExitUsage, err)
	}
	if lim.GlobalRate, err = ParseRate(c.String("global-rate")); err != nil {
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
		return tool.Errorf(tool.ExitConfig, "account %q is disabled in the config; not sending", acct.ID)
	}
	store, err := state.Open(tool.ExpandHome(c.String(tool.FlagStateDir)), acct.ID, state.WithClock(clk))
	if err != nil {
		return err
	}
	defer store.Close()

	o := Options{
		Account: acct.ID,
		RPC: rpc.Options{
			CLIPath:     acct.CLIPath,
			DBPath:      acct.DBPath,
			CallTimeout: acct.ProbeTimeout(),
			SendTimeout: c.Duration("send-timeout"),
			Log:         func(msg string) { log.Infof("%s", msg) },
		},
		Store: store, In: c.App.Reader, Out: c.App.Writer, Log: log, Clock: clk,
		Service: acct.Service, Region: acct.Region, MaxBytes: acct.MediaMaxBytes, Limits: lim,
		MaxAttempts: c.Int("attempts"), RetryDelay: c.Duration("retry-delay"), SettleWait: c.Duration("settle-wait"),
	}
	if c.IsSet("cli-path") {
		o.RPC.CLIPath = tool.ExpandHome(c.String("cli-path"))
	}
	if c.IsSet("db") {
		o.RPC.DBPath = tool.ExpandHome(c.String("db"))
	}
	if c.IsSet("media-max-mb") {
		o.MaxBytes = int64(c.Int("media-max-mb")) << 20
	}
	if o.RPC.SendTimeout <= 0 {
		return tool.Errorf(tool.ExitUsage, "--send-timeout must be positive: a send without a timeout can hang forever")
	}
	if path := c.String(tool.FlagDrops); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Drops = f
	}
	return Run(c.Context, o)
}
