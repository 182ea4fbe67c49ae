// Package sim is imsg-sim, an imsg-compatible simulator over a real SQLite
// chat.db: `rpc` serves imsg 0.9's JSON-RPC over stdio (with status and
// initialize from newer imsg), the chats, history and send subcommands
// mirror imsg's CLI, and init and inject build the database the way
// Messages would fill it. Fault switches act out the failures a real Mac
// produces, for the tests of the rest of the toolkit.
package sim

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// DefaultDB is where Messages keeps chat.db, and imsg's default --db.
const DefaultDB = "~/Library/Messages/chat.db"

const description = `imsg-sim behaves like **imsg** 0.9 (the macOS iMessage CLI) on any machine, over a real
SQLite chat.db with Apple's macOS 26 schema. **imsg-sim rpc** speaks imsg's JSON-RPC 2.0 over stdio: one
JSON object per line, requests answered strictly in arrival order, watch notifications from polling
chat.db, and imsg's exact error codes and texts, quirks included. **send** writes the outgoing row into
the target chat, so its echo comes back through watch as on a Mac.

**init** creates an empty chat.db; **inject** appends messages as if they arrived (or were sent from
another device): direct and group chats, attachments copied under ~/Library/Messages/Attachments,
tapbacks, replies, text kept only in attributedBody, unjoined rows, bulk loads. GUIDs derive from a
seed stored in the database, so the same seed gives the same output.

Like imsg, the chats, history and send subcommands print a failure as one plain line on stdout and
exit 1 (the line is repeated on stderr); init and inject follow the toolkit's conventions.`

const examples = "```\n" + `imsg-sim init --db chat.db --seed demo
imsg-sim inject --db chat.db --from +15551234567 --text "hello"
imsg-sim inject --db chat.db --group "Climbing crew" --participants +15550001111,friend@example.com \
    --from friend@example.com --text "saturday?"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"chats.list","params":{}}' | imsg-sim rpc --db chat.db
IMSG_SIM_FAULTS=crash-after=3 imsg-listen --rpc-cmd 'imsg-sim rpc --db chat.db --poll 5ms'
` + "```"

const environment = `**IMSG_SIM_SEED**
: GUID seed for **init** (same seed, same GUIDs).

**IMSG_SIM_POLL**
: poll interval of **rpc** subscriptions (Go duration, default 250ms).

**IMSG_SIM_TRACE**
: as **rpc --trace**: a file for timestamped notification and send events.

**IMSG_SIM_FAULTS**
: fault switches of **rpc**: ` + FaultNames + `.

**IMSG_NOW**
: pins the clock (RFC 3339) for the dates of injected and sent rows.

**HOME**
: "~" in --db and in attachment paths.`

const seeAlso = `**imsg-listen**(1), **imsg-send**(1), **imsg-probe**(1), **imsg-records**(7); imsg's JSON-RPC contract in
spec/imsg-protocol.md.`

// App is the imsg-sim command line.
func App() *cli.App {
	app := tool.NewApp("imsg-sim", "an imsg-compatible simulator over a real SQLite chat.db")
	app.UsageText = "imsg-sim command [options]"
	app.Description = description
	app.Metadata[tool.MetaExamples] = examples
	app.Metadata[tool.MetaEnvironment] = environment
	app.Metadata[tool.MetaSeeAlso] = seeAlso
	app.Commands = []*cli.Command{chatsCommand(), historyCommand(), sendCommand(), rpcCommand(), initCommand(), injectCommand()}
	return app
}

// Main runs imsg-sim with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func dbFlag() cli.Flag {
	return &cli.StringFlag{Name: "db", Usage: "use `PATH` as chat.db", Value: DefaultDB, TakesFile: true}
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Aliases: []string{"j"}, Usage: "print JSON, one object per line"}
}

func dbPath(c *cli.Context) string { return tool.ExpandHome(c.String("db")) }

func clockOf() (clock.Clock, error) {
	clk, err := clock.FromEnv()
	return clk, tool.WithCode(tool.ExitConfig, err)
}

func chatsCommand() *cli.Command {
	return &cli.Command{
		Name:  "chats",
		Usage: "list chats, most recent first",
		Flags: []cli.Flag{dbFlag(), jsonFlag(), &cli.IntFlag{Name: "limit", Value: 20, Usage: "show at most `N` chats"}},
		Action: func(c *cli.Context) error {
			return Chats(c.Context, dbPath(c), c.Int("limit"), c.Bool("json"), c.App.Writer)
		},
	}
}

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:  "history",
		Usage: "show a chat's messages, newest first",
		Flags: []cli.Flag{
			dbFlag(), jsonFlag(),
			&cli.Int64Flag{Name: "chat-id", Usage: "the chat's `ID` (required)"},
			&cli.IntFlag{Name: "limit", Value: 50, Usage: "show at most `N` messages"},
			&cli.StringSliceFlag{Name: "participants", Usage: "only messages from these `HANDLES` (comma list)"},
			&cli.StringFlag{Name: "start", Usage: "only messages at or after `ISO` time"},
			&cli.StringFlag{Name: "end", Usage: "only messages before `ISO` time"},
			&cli.BoolFlag{Name: "attachments", Usage: "describe each attachment in text output"},
			&cli.BoolFlag{Name: "convert-attachments", Usage: "accepted for compatibility; the simulator converts nothing"},
		},
		Action: func(c *cli.Context) error {
			return History(c.Context, HistoryArgs{
				DB: dbPath(c), ChatID: c.Int64("chat-id"), Limit: c.Int("limit"), Participants: c.StringSlice("participants"),
				Start: c.String("start"), End: c.String("end"), Attachments: c.Bool("attachments"), JSON: c.Bool("json"),
			}, c.App.Writer)
		},
	}
}

func sendCommand() *cli.Command {
	return &cli.Command{
		Name:  "send",
		Usage: "send a message: write it as sent into the target chat",
		Flags: []cli.Flag{
			dbFlag(), jsonFlag(),
			&cli.StringFlag{Name: "to", Usage: "recipient `HANDLE` (phone or email)"},
			&cli.Int64Flag{Name: "chat-id", Usage: "send to chat `ID`"},
			&cli.StringFlag{Name: "chat-identifier", Usage: "send to the chat with `IDENTIFIER`"},
			&cli.StringFlag{Name: "chat-guid", Usage: "send to the chat with `GUID`"},
			&cli.StringFlag{Name: "text", Usage: "message `TEXT`"},
			&cli.StringFlag{Name: "file", Usage: "attach `FILE`", TakesFile: true},
			&cli.StringFlag{Name: "service", Value: "auto", Usage: "`SERVICE`: imessage, sms or auto"},
			&cli.StringFlag{Name: "region", Value: "US", Usage: "`REGION` for phone numbers without a country code"},
		},
		Action: func(c *cli.Context) error {
			clk, err := clockOf()
			if err != nil {
				return err
			}
			return Send(c.Context, SendArgs{
				DB: dbPath(c), To: c.String("to"), ChatID: c.Int64("chat-id"), ChatIdentifier: c.String("chat-identifier"),
				ChatGUID: c.String("chat-guid"), Text: c.String("text"), File: c.String("file"),
				Service: c.String("service"), Region: c.String("region"), JSON: c.Bool("json"),
			}, clk, c.App.Writer)
		},
	}
}

func rpcCommand() *cli.Command {
	return &cli.Command{
		Name:  "rpc",
		Usage: "serve imsg's JSON-RPC over stdin and stdout until stdin ends",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.DurationFlag{Name: "poll", Value: DefaultPoll, EnvVars: []string{"IMSG_SIM_POLL"},
				Usage: "look for new rows every `DURATION`"},
			&cli.StringFlag{Name: "faults", EnvVars: []string{"IMSG_SIM_FAULTS"},
				Usage: "act out failures, a comma `LIST` of: " + FaultNames},
			&cli.StringFlag{Name: "trace", EnvVars: []string{"IMSG_SIM_TRACE"}, TakesFile: true,
				Usage: "append a timestamped line to `FILE` for each notification written and each send received (benchmarks)"},
		},
		Action: func(c *cli.Context) error {
			f, err := ParseFaults(c.String("faults"))
			if err != nil {
				return tool.WithCode(tool.ExitUsage, err)
			}
			clk, err := clockOf()
			if err != nil {
				return err
			}
			opt := Options{DB: dbPath(c), Poll: c.Duration("poll"), Faults: f, Clock: clk, Stderr: c.App.ErrWriter}
			if path := c.String("trace"); path != "" {
				tf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					return tool.WithCode(tool.ExitUsage, err)
				}
				defer tf.Close()
				opt.Trace = tf
			}
			return RPC(c.Context, opt,
				c.App.Reader, c.App.Writer)
		},
	}
}

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create an empty chat.db",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "seed", EnvVars: []string{"IMSG_SIM_SEED"}, Usage: "derive GUIDs from `SEED` (default: random)"},
			&cli.StringFlag{Name: "me", Usage: "the local account `HANDLE` (default: " + "me@icloud.com)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing database"},
		},
		Action: func(c *cli.Context) error {
			return Init(dbPath(c), c.String("seed"), c.String("me"), c.Bool("force"))
		},
	}
}

func injectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inject",
		Usage:     "append messages to chat.db as if they arrived",
		UsageText: "imsg-sim inject [options] [-]",
		Description: "Prints one {\"id\",\"guid\",\"chat_id\"} line per inserted row. With the argument -, reads one JSON " +
			"object per line from stdin with the fields from, text, group, participants, chat_id, attachments, reply_to, " +
			"tapback, target, remove, from_me, service, date, attributed_body, unjoined, repeat, balloon_bundle_id and " +
			"destination_caller_id; everything is inserted in one transaction.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "from", Usage: "sender `HANDLE` (with --from-me: the other party of the direct chat)"},
			&cli.StringFlag{Name: "text", Usage: "message `TEXT`"},
			&cli.StringFlag{Name: "group", Usage: "into the group chat `NAME`, created on first use"},
			&cli.StringSliceFlag{Name: "participants", Usage: "group members, a comma list of `HANDLES`"},
			&cli.Int64Flag{Name: "chat-id", Usage: "into the existing chat `ID`"},
			&cli.StringSliceFlag{Name: "attachment", Usage: "attach a copy of `FILE` (repeatable)", TakesFile: true},
			&cli.StringFlag{Name: "reply-to", Usage: "an inline reply to the message `GUID`"},
			&cli.StringFlag{Name: "tapback", Usage: "a tapback row of `TYPE` (love, like, dislike, laugh, emphasis, question, or an emoji)"},
			&cli.StringFlag{Name: "target", Usage: "the message `GUID` the tapback is on"},
			&cli.BoolFlag{Name: "remove", Usage: "the tapback is removed rather than added"},
			&cli.BoolFlag{Name: "from-me", Usage: "an outgoing row (sent from another device)"},
			&cli.StringFlag{Name: "service", Value: "iMessage", Usage: "`SERVICE`: iMessage or SMS"},
			&cli.StringFlag{Name: "date", Usage: "the message's `TIME` (RFC 3339; default: now)"},
			&cli.BoolFlag{Name: "attributed-body", Usage: "store the text only in attributedBody (text NULL)"},
			&cli.BoolFlag{Name: "unjoined", Usage: "leave the row out of chat_message_join"},
			&cli.IntFlag{Name: "repeat", Usage: "insert `N` messages, the text suffixed with a counter"},
			&cli.StringFlag{Name: "balloon-bundle-id", Usage: "set balloon_bundle_id to `ID` (link previews)"},
			&cli.StringFlag{Name: "destination-caller-id", Usage: "the local `HANDLE` the row went through"},
		},
		Action: injectAction,
	}
}

func injectAction(c *cli.Context) error {
	clk, err := clockOf()
	if err != nil {
		return err
	}
	log := tool.NewLog(c.App.ErrWriter, c.App.Name)
	switch {
	case c.NArg() == 1 && c.Args().First() == "-":
		return Inject(c.Context, dbPath(c), nil, c.App.Reader, clk, c.App.Writer, log)
	case c.NArg() > 0:
		return tool.Errorf(tool.ExitUsage, "unexpected argument %q: the only argument is - (specs on stdin); flags go first", c.Args().First())
	}
	s := Spec{
		From: c.String("from"), Text: c.String("text"), Group: c.String("group"), ChatID: c.Int64("chat-id"),
		Attachments: c.StringSlice("attachment"), ReplyTo: c.String("reply-to"), Tapback: c.String("tapback"),
		Target: c.String("target"), Remove: c.Bool("remove"), FromMe: c.Bool("from-me"), Service: c.String("service"),
		Date: c.String("date"), AttributedBody: c.Bool("attributed-body"), Unjoined: c.Bool("unjoined"),
		Repeat: c.Int("repeat"), BalloonBundleID: c.String("balloon-bundle-id"),
		DestinationCallerID: c.String("destination-caller-id"),
	}
	for _, p := range c.StringSlice("participants") {
		s.Participants = append(s.Participants, splitList(p)...)
	}
	return Inject(c.Context, dbPath(c), []Spec{s}, nil, clk, c.App.Writer, log)
}
