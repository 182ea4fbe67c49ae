package fetch

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/remote"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const name = "imsg-fetch"

// DefaultSips is where macOS keeps sips.
const DefaultSips = "/usr/bin/sips"

// App is imsg-fetch's command line.
func App() *cli.App {
	app := tool.NewApp(name, "turn message attachments into local files the agent can open")
	app.UsageText = name + " [--config FILE] [--account ID] [--state-dir DIR] [OPTIONS]"
	app.Description = `imsg-fetch reads records on standard input (see **imsg-records**(7)) and, when
channels.imessage.includeAttachments is true (or with **--attachments**), adds to every **message** record a
**media** array: for each attachment, in order, its **status** (**ok**, **missing**, **blocked**, **too_large** or
**error**), the local **path** of a copy the agent can open, its **mime** type and **size**, the **source** path on
the Mac, and **error** saying why when it is not ok. A message made only of attachments also gets **media_body**,
its placeholder (` + "`<media:image>`, `<media:audio>`, `<media:video>`, `<media:document>` or\n`<media:attachment>`" + `). Every other record, and every field, passes through byte for byte. Run it between
**imsg-gate** and **imsg-route**.

Only files below the attachment roots are read, ever: channels.imessage.attachmentRoots (locally) or
remoteAttachmentRoots (from a remote Mac), plus **--root**, plus **/Users/*/Library/Messages/Attachments**, which is
always allowed; a "*" stands for exactly one path segment. A path is normalised before it is matched, so ".."
cannot climb out. A local file is resolved through its symlinks and matched again, then opened through a handle
on the root that refuses to leave it, even if a link is swapped in meanwhile.

When imsg runs on another Mac, the files are copied over SSH: from channels.imessage.remoteHost (or
**--remote-host**), or from the host of a plain cliPath wrapper (a script whose one ssh line is **exec ssh
[FLAGS] HOST imsg "$@"**; a wrapper with ssh options that take values, variables or pipelines is refused with a
request for an explicit remoteHost). One connection is reused for every file. The host key must be in
known_hosts: an unknown or changed key makes the entries **blocked**, with the commands that trust the host after
checking its fingerprint. Keys come from the SSH agent ($SSH_AUTH_SOCK) and from ~/.ssh/id_ed25519, id_ecdsa
and id_rsa (or the **--identity** files instead). ~/.ssh/config is not read: give its port and user here.

A remote path is checked before any connection. The Mac's scp runs the path through the user's login shell
inside double quotes, so paths with a dollar sign, a backtick, a double quote, a backslash, an exclamation
mark, a control character or a ".." segment are blocked (some shell would read them); spaces, apostrophes,
ampersands, semicolons, pipes, parentheses and other printable characters are passed safely, and
names with characters the scp command cannot carry (such as the narrow no-break space of macOS screenshot names)
are read over SFTP. Over SFTP, which runs no shell, the Mac also says where the path really leads (all symlinks
resolved); that path must pass the same checks, and it is the one copied. Without the sftp subsystem on the Mac,
paths are blocked unless **--trust-remote-symlinks** accepts that a symlink below the roots may lead elsewhere.

A file over channels.imessage.mediaMaxMb (default 16) is **too_large** and nothing of it is written. A file
that is missing, or shorter than chat.db records (Messages may still be writing it), is tried again
(**--attempts**, **--retry-delay**); one that stays missing, such as an attachment offloaded to iCloud, is
**missing** with the reason, never silently dropped. Copies land in *STATE-DIR/ACCOUNT/media/chat-ID/*, named by
the attachment's guid, written under a temporary name and renamed, so no reader ever sees half a file;
**--prune** removes old ones.

HEIC and HEIF images are kept as sent, with a **warning** saying so; with **--convert-heic** a JPEG is added
beside the original (by sips on the Mac, or by sips, heif-convert, magick or convert here) and the entry points
at it, naming the original in **converted_from**.`
	app.Flags = append(tool.CommonFlags(),
		&cli.BoolFlag{Name: "attachments", Usage: "resolve attachments whatever channels.imessage.includeAttachments says (--attachments=false: pass everything through)"},
		&cli.StringSliceFlag{Name: "root", Usage: "also read files below `PATTERN` (\"*\" is one path segment); repeatable"},
		&cli.IntFlag{Name: "max-mb", Usage: "refuse files over `N` MiB (default: channels.imessage.mediaMaxMb, else 16)"},
		&cli.StringFlag{Name: "remote-host", Usage: "copy attachments from `HOST` (host or user@host) over SSH (overrides channels.imessage.remoteHost)"},
		&cli.BoolFlag{Name: "local", Usage: "the attachments are on this machine: ignore remoteHost and the cliPath wrapper"},
		&cli.IntFlag{Name: "port", Value: remote.DefaultPort, Usage: "connect to SSH `PORT` on the Mac"},
		&cli.StringSliceFlag{Name: "identity", Usage: "log in with the private key in `FILE` (repeatable; default: the SSH agent and ~/.ssh/id_*)", TakesFile: true},
		&cli.StringFlag{Name: "known-hosts", Value: "~/.ssh/known_hosts", Usage: "check the Mac's host key against `FILE`", TakesFile: true},
		&cli.DurationFlag{Name: "connect-timeout", Value: remote.DefaultTimeout, Usage: "give up connecting to the Mac after `DURATION`"},
		&cli.BoolFlag{Name: "trust-remote-symlinks", Usage: "copy remote paths as checked, without asking the Mac where they lead (for a Mac without the sftp subsystem)"},
		&cli.IntFlag{Name: "attempts", Value: DefaultAttempts, Usage: "try a missing or incomplete file `N` times"},
		&cli.DurationFlag{Name: "retry-delay", Value: DefaultRetryDelay, Usage: "wait `DURATION` before trying a file again, doubling each time"},
		&cli.BoolFlag{Name: "convert-heic", Usage: "add a JPEG of every HEIC or HEIF image"},
		&cli.StringSliceFlag{Name: "heic-converter", Usage: "convert with `COMMAND` (run as COMMAND IN OUT; repeatable; default: sips, heif-convert, magick, convert on PATH)", TakesFile: true},
		&cli.StringFlag{Name: "sips", Value: DefaultSips, Usage: "run sips at `PATH` on a remote Mac for --convert-heic (\"\": never)"},
		&cli.StringFlag{Name: "prune", Usage: "remove cached files unused for `AGE` (30d, 12h, 90m), at start and hourly"},
	)
	app.Metadata[tool.MetaEnvironment] = "**IMSG_CONFIG**, **IMSG_ACCOUNT**, **IMSG_STATE_DIR**\n: as **--config**, **--account**, **--state-dir**.\n\n" +
		"**SSH_AUTH_SOCK**\n: the SSH agent whose keys are offered to a remote Mac.\n\n" +
		"**HOME**\n: the home directory, whose *.ssh* holds the default known_hosts file and keys."
	app.Metadata[tool.MetaFiles] = "*~/.local/state/imsg/ACCOUNT/media/*\n: the fetched attachments, one directory per chat.\n\n" +
		"*~/.ssh/known_hosts*\n: the host keys a remote Mac must match.\n\n" +
		"*~/.ssh/id_ed25519*, *~/.ssh/id_ecdsa*, *~/.ssh/id_rsa*\n: keys offered to a remote Mac (passphrase-protected ones only through the agent)."
	app.Metadata[tool.MetaExamples] = "See what became of each attachment:\n\n" +
		"    imsg-listen | imsg-gate | imsg-fetch | jq -c '.media[]? | {status, path, error}'\n\n" +
		"Copy from a Mac mini, trusting its host key first (check the fingerprint on the Mac):\n\n" +
		"    ssh-keyscan -H mac-mini >> ~/.ssh/known_hosts\n" +
		"    imsg-fetch --remote-host me@mac-mini --convert-heic\n\n" +
		"Clean the cache from cron:\n\n" +
		"    imsg-fetch --prune 30d </dev/null"
	app.Metadata[tool.MetaSeeAlso] = "**imsg-records**(7), **imsg-gate**(1), **imsg-route**(1), **ssh-keyscan**(1), **sips**(1)"
	app.Action = run
	return app
}

// Main runs imsg-fetch with the process's arguments and stdio.
func Main() int { return tool.Run(App(), os.Args, os.Stdin, os.Stdout, os.Stderr) }

func run(c *cli.Context) error {
	log := tool.NewLog(c.App.ErrWriter, name)
	file, err := config.LoadOrDefault(tool.ConfigPath(c))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	acct, err := file.Account(c.String(tool.FlagAccount))
	if err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	if err := state.ValidateAccount(acct.ID); err != nil {
		return tool.WithCode(tool.ExitConfig, err)
	}
	// Absolute: the paths in media entries are read by other processes,
	// from other directories.
	stateDir, err := filepath.Abs(tool.ExpandHome(c.String(tool.FlagStateDir)))
	if err != nil {
		return err
	}
	cache := &Cache{Dir: filepath.Join(stateDir, acct.ID, "media")}
	opts := Options{Cache: cache, Log: log}
	if s := c.String("prune"); s != "" {
		if opts.Prune, err = ParseAge(s); err != nil {
			return tool.WithCode(tool.ExitUsage, err)
		}
	}
	enabled := acct.IncludeAttachments
	if c.IsSet("attachments") {
		enabled = c.Bool("attachments")
	}
	if enabled {
		cfg, err := fetchConfig(c, acct, cache.Dir, log)
		if err != nil {
			return err
		}
		opts.Fetcher = New(cfg)
		defer opts.Fetcher.Close()
	}
	return Stream(c.Context, c.App.Reader, c.App.Writer, opts)
}

// fetchConfig turns the account and the flags into a Config: where the
// files are, the roots that apply there, the cap and the HEIC settings.
func fetchConfig(c *cli.Context, acct *config.Account, cacheDir string, log *tool.Log) (Config, error) {
	cfg := Config{
		CacheDir:            cacheDir,
		MaxBytes:            acct.MediaMaxBytes,
		Attempts:            c.Int("attempts"),
		RetryDelay:          c.Duration("retry-delay"),
		ConvertHEIC:         c.Bool("convert-heic"),
		TrustRemoteSymlinks: c.Bool("trust-remote-symlinks"),
		Log:                 log,
	}
	if c.IsSet("max-mb") {
		if c.Int("max-mb") < 1 {
			return cfg, tool.Errorf(tool.ExitUsage, "--max-mb must be at least 1")
		}
		cfg.MaxBytes = int64(c.Int("max-mb")) << 20
	}
	if cfg.Attempts < 1 {
		return cfg, tool.Errorf(tool.ExitUsage, "--attempts must be at least 1")
	}
	if convs := c.StringSlice("heic-converter"); len(convs) > 0 {
		for _, conv := range convs {
			cfg.Converters = append(cfg.Converters, tool.ExpandHome(conv))
		}
	}
	where, err := Locate(acct, c.String("remote-host"), c.Bool("local"))
	if err != nil {
		return cfg, tool.WithCode(tool.ExitConfig, err)
	}
	if where.Note != "" {
		log.Warnf("%s", where.Note)
	}
	rootList := acct.AttachmentRoots
	if where.Host != "" {
		rootList = acct.RemoteAttachmentRoots
	}
	if cfg.Roots, err = NewRoots(rootList, c.StringSlice("root")); err != nil {
		return cfg, tool.WithCode(tool.ExitUsage, err)
	}
	if where.Host == "" {
		return cfg, nil
	}
	target, err := remote.ParseTarget(where.Host, c.Int("port"))
	if err != nil {
		return cfg, tool.WithCode(tool.ExitConfig, err)
	}
	if sips := c.String("sips"); sips != "" {
		if cfg.Sips, err = remote.CheckPath(sips); err != nil {
			return cfg, tool.WithCode(tool.ExitUsage, fmt.Errorf("--sips: %w", err))
		}
	}
	cfg.Remote = &remote.Options{
		Target:      target,
		KnownHosts:  tool.ExpandHome(c.String("known-hosts")),
		AgentSocket: os.Getenv("SSH_AUTH_SOCK"),
		Timeout:     c.Duration("connect-timeout"),
	}
	for _, id := range c.StringSlice("identity") {
		cfg.Remote.Identities = append(cfg.Remote.Identities, tool.ExpandHome(id))
	}
	log.Infof("attachments come from %s over SSH (%s)", target, where.How)
	return cfg, nil
}
