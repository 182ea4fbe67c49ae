package route

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-route"

// App is imsg-route's command line.
func App() *cli.App {
	app := tool.NewApp(name, "pick the agent, session and reply target of each message")
	app.UsageText = name + " [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS]"
	app.Description = `imsg-route reads records on standard input (see **imsg-records**(7)) and adds a **route** object to
every **message** record; every other record, tapbacks included, passes through unchanged. Run it after **imsg-gate**, which
decides what may reach an agent.

The agent is chosen by the **bindings** of the configuration, as in the reference gateway: a binding whose
match names the chat or sender (**"peer": {"kind": "group", "id": "7"}** or **{"kind": "direct", "id":
"+15551234567"}**), then one for every peer of that kind (**"id": "*"**), then one for the account
(**"accountId"**; none means the default account), then one for every account (**"accountId": "*"**);
a binding for another channel is ignored. After those come predicate bindings, tried in file order:
**"match": {"jq": ".message.chat_name | test(\"family\")"}** matches when the jq expression's first
result, run on the whole record, is neither false nor null. Without a match the message goes to the
default agent (the **agents.list** entry marked default, else the first, else **main**). A predicate that
does not compile is exit 3 with its place in the file; one that fails on a record counts as no match.

The session key is the reference's: **agent:ID:imessage:group:CHAT_ID** for a group, and for a DM by
**session.dmScope**: **agent:ID:main** (main, the default; **session.mainKey** renames it),
**agent:ID:direct:HANDLE** (per-peer), **agent:ID:imessage:direct:HANDLE** (per-channel-peer) or
**agent:ID:imessage:ACCOUNT:direct:HANDLE** (per-account-channel-peer); agent ids are lower-cased with
other characters than letters, digits, "_" and "-" replaced, handles are normalised and lower-cased, and
**session.identityLinks** maps several handles of one person to one name. A thread is a group when
imsg-gate says so (**gate.is_group**), or without imsg-gate when imsg says is_group, the thread has
several other participants, or **channels.imessage.groups** lists the chat.

The reply goes back to the originating chat: **route.to** is **chat_id:N** whenever the chat id is known,
in groups and DMs alike, else the sender. The route also carries **from**, **chat_type**,
**conversation_label**, the normalised **sender**, the quoted message (**reply_to**), the group messages
imsg-gate held back for lack of a mention (**history**, the most recent **historyLimit**, taken from the
state database and then cleared), one **history_limit** for the agent's transcript, and **body**: the
message in the reference's envelope with all that context, ready for a model.

**history_limit** is **historyLimit** for groups; for a DM it is **dms.HANDLE.historyLimit**, else
**dmHistoryLimit**, else 50. Unlike the reference, the DM limits apply under every dmScope.`
	app.Flags = tool.CommonFlags()
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database, where imsg-gate keeps the held-back group messages."
	app.Metadata[tool.MetaExamples] = "See where each message would go:\n\n" +
		"    imsg-listen | imsg-gate | imsg-route | jq -c '.route | {agent_id, session_key, to}'\n\n" +
		"Send the family chat to its own agent (in the config file):\n\n" +
		"    bindings: [{agentId: \"family\", match: {jq: \".message.chat_name | test(\\\"family\\\"; \\\"i\\\")\"}}]\n\n" +
		"The middle of the gateway pipeline:\n\n" +
		"    ... | imsg-gate | imsg-route | imsg-agent --openai http://localhost:11434/v1 | imsg-chunk | ..."
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-gate**(1), **imsg-agent**(1), **jq**(1)"
	app.Action = run
	return app
}

// Main runs imsg-route with the process's arguments and stdio.
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
	router, err := New(file, acct)
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	for _, w := range router.Warnings() {
		log.Warnf("%s", w)
	}
	opts := Options{Router: router, Log: log}
	if acct.HistoryLimit > 0 {
		store, err := state.Open(tool.ExpandHome(c.String(tool.FlagStateDir)), acct.ID, state.WithClock(clk))
		if err != nil {
			return err
		}
		defer store.Close()
		watch, err := store.WatchChanges()
		if err != nil {
			return err
		}
		defer watch.Close()
		opts.History, opts.Changed = store, watch.Changed
	}
	return Stream(c.Context, c.App.Reader, c.App.Writer, opts)
}
