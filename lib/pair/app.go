package pair

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-pair"

const description = `Under dmPolicy "pairing", **imsg-gate**(1) answers a stranger's first direct message with a reply
carrying an 8-character pairing code (letters and digits without 0, O, 1 and I) and records a request in
the account's state database. A code lives one hour from its first message (writing again does not extend
it), and an account holds at most 3 pending requests. **imsg-pair** is the owner's side: **list** the
requests, **approve** one by its code (in any case) so the sender's direct messages pass the gate from then
on, or **reject** it; **allowed** lists the senders approved so far and **revoke** takes one back.

Approved senders count for direct messages only, never in groups, and not under dmPolicy "allowlist".
The gate sees an approval or revocation within a millisecond, without a restart.

**approve --notify** writes a **reply** record telling the sender they are approved on standard output
(the confirmation line then goes to standard error), for **imsg-send**(1):
**imsg-pair approve --notify CODE | imsg-send**.

Flags go before arguments, after the subcommand or before it.`

const examples = "    imsg-pair list\n" +
	"    imsg-pair approve K7WQ2MZP\n" +
	"    imsg-pair approve --account work --notify k7wq2mzp | imsg-send --account work\n" +
	"    imsg-pair reject K7WQ2MZP\n" +
	"    imsg-pair allowed --json | jq -r '.allowFrom[]'\n" +
	"    imsg-pair revoke '+1 (555) 123-4567'"

// App is imsg-pair's command line.
func App() *cli.App {
	app := tool.NewApp(name, "list, approve and reject pairing requests; list and revoke approved senders")
	app.UsageText = name + " list|approve|reject|revoke|allowed [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS] [ARG]"
	app.Description = description
	app.Flags = tool.CommonFlags()
	jsonFlag := func() cli.Flag { return &cli.BoolFlag{Name: "json", Usage: "print one JSON object"} }
	app.Commands = []*cli.Command{
		{
			Name: "list", Usage: "list the pending pairing requests, oldest first",
			UsageText: name + " list [--account ID] [--json]",
			Flags:     append(tool.CommonFlags(), jsonFlag()),
			Action: withPairing(func(c *cli.Context, p *Pairing) error {
				if err := noArgs(c, 0); err != nil {
					return err
				}
				return p.List(c.Bool("json"))
			}),
		},
		{
			Name: "approve", Usage: "approve the request with a code: its sender may write from now on",
			UsageText: name + " approve [--account ID] [--notify] CODE",
			Flags: append(tool.CommonFlags(),
				&cli.BoolFlag{Name: "notify", Usage: "write a reply record telling the sender (pipe it to imsg-send)"}),
			Action: withPairing(func(c *cli.Context, p *Pairing) error {
				if err := noArgs(c, 1); err != nil {
					return err
				}
				return p.Approve(c.Args().First(), c.Bool("notify"))
			}),
		},
		{
			Name: "reject", Usage: "remove the request with a code without approving it",
			UsageText: name + " reject [--account ID] CODE",
			Flags:     tool.CommonFlags(),
			Action: withPairing(func(c *cli.Context, p *Pairing) error {
				if err := noArgs(c, 1); err != nil {
					return err
				}
				return p.Reject(c.Args().First())
			}),
		},
		{
			Name: "revoke", Usage: "take back the approval of a sender (phone number or email, any spelling)",
			UsageText: name + " revoke [--account ID] HANDLE",
			Flags:     tool.CommonFlags(),
			Action: withPairing(func(c *cli.Context, p *Pairing) error {
				if err := noArgs(c, 1); err != nil {
					return err
				}
				return p.Revoke(c.Args().First())
			}),
		},
		{
			Name: "allowed", Usage: "list the approved senders",
			UsageText: name + " allowed [--account ID] [--json]",
			Flags:     append(tool.CommonFlags(), jsonFlag()),
			Action: withPairing(func(c *cli.Context, p *Pairing) error {
				if err := noArgs(c, 0); err != nil {
					return err
				}
				return p.Allowed(c.Bool("json"))
			}),
		},
	}
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**IMSG_NOW**\n: freeze the clock at this RFC 3339 time (for tests)."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database, shared with imsg-gate."
	app.Metadata[tool.MetaExamples] = examples
	app.Metadata[tool.MetaSeeAlso] = "**imsg-gate**(1), **imsg-send**(1), **imsg-records**(7)"
	return app
}

// Main runs imsg-pair with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

// noArgs checks the number of positional arguments.
func noArgs(c *cli.Context, want int) error {
	n := c.Args().Len()
	switch {
	case n < want:
		return tool.Errorf(tool.ExitUsage, "Usage: %s", c.Command.UsageText)
	case n > want:
		return tool.Errorf(tool.ExitUsage, "Too many arguments. Use: %s (flags go before arguments)", c.Command.UsageText)
	}
	return nil
}

// flag returns a common flag's value from the subcommand if set there,
// else from before the subcommand, else the default.
func flag(c *cli.Context, name string) (string, bool) {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name), true
		}
	}
	return c.String(name), false
}

// withPairing opens the account's store for an action.
func withPairing(action func(*cli.Context, *Pairing) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		clk, err := clock.FromEnv()
		if err != nil {
			return tool.WithCode(tool.ExitUsage, err)
		}
		path, explicit := flag(c, tool.FlagConfig)
		file, err := config.LoadOrDefault(tool.ExpandHome(path), explicit)
		if err != nil {
			return tool.WithCode(tool.ExitConfig, err)
		}
		id, _ := flag(c, tool.FlagAccount)
		acct, err := file.Account(id)
		if err != nil {
			return tool.WithCode(tool.ExitConfig, err)
		}
		dir, _ := flag(c, tool.FlagStateDir)
		store, err := state.Open(tool.ExpandHome(dir), acct.ID, state.WithClock(clk))
		if err != nil {
			return err
		}
		defer store.Close()
		return action(c, &Pairing{Store: store, Account: acct.ID, Region: acct.Region,
			Out: c.App.Writer, Err: c.App.ErrWriter})
	}
}
