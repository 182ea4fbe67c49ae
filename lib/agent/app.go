package agent

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/route"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-agent"

// App is imsg-agent's command line.
func App() *cli.App {
	app := tool.NewApp(name, "answer each routed message with exactly one reply")
	app.UsageText = name + " (--echo | --exec CMD | --openai URL [--model NAME]) [--config FILE] [--account ID] [OPTIONS]"
	app.Description = `imsg-agent reads records on standard input (see **imsg-records**(7)), answers every **message** record
that **imsg-route** routed with exactly one **reply** record, and passes every other record through
unchanged, including the pairing replies and command answers **imsg-gate** wrote. A reply carries **to**
(the route's target: the chat the message came from), **text**, **in_reply_to** (the message guid),
**session_key**, **agent_id** and **key**, an idempotency key derived from the message guid, so a message
delivered again after a crash gets the same key and **imsg-send** sends its answer once.

A reply with empty text means "no answer" and still finishes the message. That is what a failing agent
gives, with the reason in the reply's **error** field and on standard error with the session key: a
timeout, a non-zero exit, an answer over **--max-output**, an HTTP error or a response that is no chat
completion. A message record without a route is passed through unanswered, with a warning.

Messages of one session are answered one at a time, in order; messages of different sessions are
answered in parallel, up to **--jobs** at once, so an agent that hangs in one session holds up no other.
Exactly one agent is chosen:

**--echo** answers with the message text, for demos and tests.

**--exec** *CMD* runs **sh -c** *CMD* for each message with the whole record on its standard input
and the essentials in its environment (see ENVIRONMENT); what it prints is the answer, without
surrounding blank lines. Its standard error goes to imsg-agent's. On **--timeout** the command and
everything it started are killed.

**--openai** *URL* asks an OpenAI-compatible chat-completions endpoint (the OpenAI API, or a local
llama.cpp, Ollama or vLLM server; a base URL such as **http://localhost:11434/v1** gets
**/chat/completions** added). The user message is the route's **body**: the text in the reference
gateway's envelope, with the quoted message and the group messages held back for lack of a mention. Each
session keeps its transcript in the account's state database, trimmed to the route's **history_limit**
user turns and their answers, so the model sees the conversation so far. The system prompt is
**--system**, then the routed agent's identity (**agents.list[].identity**), then for a group the chat's
**channels.imessage.groups.ID.systemPrompt** (else that of **"*"**). A 429, a 5xx or a failed connection
is retried **--retries** times with exponential backoff from **--retry-delay** (honouring
**Retry-After**). The answer is awaited whole; nothing is streamed. A message delivered again gets the
answer already recorded for it, without asking the model twice.`
	app.Flags = append(tool.CommonFlags(),
		&cli.BoolFlag{Name: "echo", Usage: "answer with the message text (a built-in agent for demos and tests)"},
		&cli.StringFlag{Name: "exec", Usage: "answer with what `CMD` prints, run by sh -c with the record on its stdin"},
		&cli.StringFlag{Name: "openai", Usage: "answer with the OpenAI-compatible chat-completions endpoint at `URL`"},
		&cli.StringFlag{Name: "model", Usage: "ask for model `NAME` (default: the agent's agents.list[].model)", EnvVars: []string{"IMSG_MODEL"}},
		&cli.StringFlag{Name: "api-key-file", Usage: "read the API key from `FILE` (default: $OPENAI_API_KEY)", TakesFile: true},
		&cli.StringFlag{Name: "system", Usage: "start every system prompt with `TEXT`"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 4, Usage: "answer up to `N` messages of different sessions at once"},
		&cli.BoolFlag{Name: "ordered", Usage: "write records in input order, each reply in place of its message (for batch runs; a slow answer then delays the records after it)"},
		&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "give up on one answer (one HTTP attempt) after `DURATION`"},
		&cli.IntFlag{Name: "max-output", Value: DefaultMaxOutput, Usage: "refuse answers longer than `BYTES`"},
		&cli.IntFlag{Name: "retries", Value: 4, Usage: "retry a 429, 5xx or failed connection `N` times (--openai)"},
		&cli.DurationFlag{Name: "retry-delay", Value: time.Second, Usage: "wait `DURATION` before the first retry, doubling each time (--openai)"},
	)
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**IMSG_MODEL**\n: as **--model**.\n\n" +
		"**OPENAI_API_KEY**\n: the API key for **--openai**, sent as a bearer token (**--api-key-file** wins).\n\n" +
		"**IMSG_TEXT**, **IMSG_BODY**, **IMSG_SENDER**, **IMSG_SENDER_ID**, **IMSG_SESSION_KEY**, **IMSG_AGENT_ID**, **IMSG_TO**, " +
		"**IMSG_CHAT_ID**, **IMSG_CHAT_NAME**, **IMSG_CHAT_TYPE**, **IMSG_IS_GROUP**, **IMSG_GUID**, **IMSG_ACCOUNT**, **IMSG_HISTORY_LIMIT**, **IMSG_MEDIA**\n" +
		": set for an **--exec** command: the message text, the route's body (the text with its context), the " +
		"normalised and the raw sender, the session key, the agent id, the reply target, the chat id, name and type " +
		"(direct or group), **true** or **false**, the message guid, the account, the transcript limit, and the " +
		"local files of the message's attachments from **imsg-fetch**(1), one per line."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT.db*\n: the account's state database, where **--openai** keeps each session's transcript."
	app.Metadata[tool.MetaExamples] = "Try a pipeline without a model:\n\n" +
		"    imsg-listen | imsg-gate | imsg-route | imsg-agent --echo | imsg-chunk | imsg-send\n\n" +
		"Answer with a script that reads the record on its stdin:\n\n" +
		"    imsg-agent --exec 'jq -r .route.body | my-bot' --timeout 30s\n\n" +
		"Answer with a local Ollama model:\n\n" +
		"    imsg-agent --openai http://localhost:11434/v1 --model llama3.2"
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-route**(1), **imsg-chunk**(1), **imsg-send**(1)"
	app.Action = run
	return app
}

// Main runs imsg-agent with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	log := tool.NewLog(c.App.ErrWriter, name)
	n := 0
	for _, f := range []string{"echo", "exec", "openai"} {
		if c.IsSet(f) {
			n++
		}
	}
	if n != 1 {
		return tool.Errorf(tool.ExitUsage, "choose exactly one agent: --echo, --exec CMD or --openai URL (see --help)")
	}
	if c.Int("jobs") < 1 {
		return tool.Errorf(tool.ExitUsage, "--jobs must be at least 1")
	}
	opts := Options{Jobs: c.Int("jobs"), Ordered: c.Bool("ordered"), Log: log}
	switch {
	case c.Bool("echo"):
		opts.Runner = Echo{}
	case c.IsSet("exec"):
		if strings.TrimSpace(c.String("exec")) == "" {
			return tool.Errorf(tool.ExitUsage, "--exec needs a command")
		}
		opts.Runner = &Exec{Command: c.String("exec"), Timeout: c.Duration("timeout"),
			MaxOutput: c.Int("max-output"), Stderr: c.App.ErrWriter}
	default:
		o, closeFn, err := openAI(c)
		if err != nil {
			return err
		}
		defer closeFn()
		opts.Runner = o
	}
	return Stream(c.Context, c.App.Reader, c.App.Writer, opts)
}

// openAI builds the --openai runner: config (identities, group prompts,
// the model), the API key and the transcript store.
func openAI(c *cli.Context) (*OpenAI, func(), error) {
	u, err := url.Parse(c.String("openai"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, tool.Errorf(tool.ExitUsage, "--openai %q: want an http:// or https:// URL", c.String("openai"))
	}
	clk, err := clock.FromEnv()
	if err != nil {
		return nil, nil, tool.WithCode(tool.ExitUsage, err)
	}
	file, err := config.LoadOrDefault(tool.ConfigPath(c))
	if err != nil {
		return nil, nil, tool.WithCode(tool.ExitConfig, err)
	}
	acct, err := file.Account(c.String(tool.FlagAccount))
	if err != nil {
		return nil, nil, tool.WithCode(tool.ExitConfig, err)
	}
	model := c.String("model")
	models := map[string]string{}
	if model == "" {
		model = agentModel(file.Agent(file.DefaultAgentID()))
		for i := range file.Agents {
			if m := agentModel(&file.Agents[i]); m != "" {
				models[route.NormalizeAgentID(file.Agents[i].ID)] = m
			}
		}
	}
	if model == "" && len(models) == 0 {
		return nil, nil, tool.Errorf(tool.ExitUsage, "--openai needs --model NAME (or a model in agents.list[])")
	}
	key := os.Getenv("OPENAI_API_KEY")
	if p := c.String("api-key-file"); p != "" {
		b, err := os.ReadFile(tool.ExpandHome(p))
		if err != nil {
			return nil, nil, tool.WithCode(tool.ExitConfig, fmt.Errorf("--api-key-file: %w", err))
		}
		key = strings.TrimSpace(string(b))
	}
	store, err := state.Open(tool.ExpandHome(c.String(tool.FlagStateDir)), acct.ID, state.WithClock(clk))
	if err != nil {
		return nil, nil, err
	}
	prompts := NewPrompts(c.String("system"), file, acct)
	o := &OpenAI{
		URL: u.String(), Model: model, Models: models, APIKey: key,
		Client:  &http.Client{},
		Timeout: c.Duration("timeout"), Retries: c.Int("retries"),
		Backoff: c.Duration("retry-delay"), MaxBackoff: 30 * time.Second,
		MaxAnswer: c.Int("max-output"), Store: store, System: prompts.For,
	}
	return o, func() { store.Close() }, nil
}

// agentModel is an agents.list[] entry's model: a string, or an object's
// "primary".
func agentModel(a *config.Agent) string {
	if a == nil {
		return ""
	}
	switch m := a.Raw["model"].(type) {
	case string:
		return strings.TrimSpace(m)
	case map[string]any:
		s, _ := m["primary"].(string)
		return strings.TrimSpace(s)
	}
	return ""
}
