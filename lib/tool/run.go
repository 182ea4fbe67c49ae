package tool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Version is set at build time with -ldflags "-X .../lib/tool.Version=v1.2.3".
var Version = ""

// VersionString is the version every binary reports.
func VersionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// NewApp returns an App with the project's defaults: no help subcommand, the
// completion protocol enabled, the version set, and urfave's pipe-hostile
// behaviours (help dumped on stdout for a bad flag, os.Exit inside Run)
// switched off. Run finishes the wiring.
func NewApp(name, usage string) *cli.App {
	return &cli.App{
		Name:                 name,
		Usage:                usage,
		Version:              VersionString(),
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		Metadata:             map[string]any{},
	}
}

// Run runs app with injected stdio and returns the process exit code. It
// cancels the context on the first SIGINT or SIGTERM (stages stop intake,
// flush and return nil, which is exit 0); a second signal exits 130 at once.
func Run(app *cli.App, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app.Reader, app.Writer, app.ErrWriter = stdin, stdout, stderr
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%v (see --help)", err)}
	}
	var notFound error
	app.CommandNotFound = func(_ *cli.Context, cmd string) {
		notFound = &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q (see --help)", cmd)}
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	cli.ErrWriter = stderr

	ctx, stop := signalContext()
	defer stop()
	err := app.RunContext(ctx, args)
	if err == nil {
		err = notFound
	}
	if err == nil || (errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		return ExitOK
	}
	msg := err.Error()
	// urfave reports a missing required flag in its own words; keep ours lowercase.
	msg = strings.TrimSuffix(msg, ".")
	fmt.Fprintf(stderr, "%s: error: %s\n", app.Name, msg)
	return CodeOf(err)
}

// signalContext is cancelled by the first SIGINT/SIGTERM; the second one
// ends the process with 130, the shell convention for "interrupted".
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
