package tool

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// Defaults shown in --help and man pages; "~" is expanded when used, so the
// pages read the same on every machine.
const (
	DefaultConfigPath = "~/.config/imsg/config.json5"
	DefaultStateDir   = "~/.local/state/imsg"
)

// Names of the common flags, for c.String(...) lookups.
const (
	FlagConfig   = "config"
	FlagAccount  = "account"
	FlagStateDir = "state-dir"
	FlagDrops    = "drops"
)

// ConfigFlag is --config / $IMSG_CONFIG.
func ConfigFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:      FlagConfig,
		Usage:     "read configuration from `FILE` (JSON5; a missing default file means built-in defaults)",
		EnvVars:   []string{"IMSG_CONFIG"},
		Value:     DefaultConfigPath,
		TakesFile: true,
	}
}

// AccountFlag is --account / $IMSG_ACCOUNT.
func AccountFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    FlagAccount,
		Usage:   "use account `ID` (default: channels.imessage.defaultAccount, else \"default\")",
		EnvVars: []string{"IMSG_ACCOUNT"},
	}
}

// StateDirFlag is --state-dir / $IMSG_STATE_DIR.
func StateDirFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:      FlagStateDir,
		Usage:     "keep the per-account state database in `DIR`",
		EnvVars:   []string{"IMSG_STATE_DIR"},
		Value:     DefaultStateDir,
		TakesFile: true,
	}
}

// DropsFlag is --drops, where a stage appends dropped records as NDJSON.
func DropsFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:      FlagDrops,
		Usage:     "append each dropped record, with its reason, to `FILE` as NDJSON",
		TakesFile: true,
	}
}

// CommonFlags are the flags every stage that reads config and state takes.
func CommonFlags() []cli.Flag {
	return []cli.Flag{ConfigFlag(), AccountFlag(), StateDirFlag()}
}

// ExpandHome expands a leading "~" or "~/" to the user's home directory.
func ExpandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

// ConfigPath is the config file to read and whether the user chose it
// (flag or $IMSG_CONFIG), which makes a missing file an error instead of
// "use the defaults". An empty value counts as not chosen.
func ConfigPath(c *cli.Context) (path string, explicit bool) {
	v := strings.TrimSpace(c.String(FlagConfig))
	if v == "" {
		return ExpandHome(DefaultConfigPath), false
	}
	return ExpandHome(v), c.IsSet(FlagConfig)
}
