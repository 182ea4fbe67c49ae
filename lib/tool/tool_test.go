package tool

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func testApp(action cli.ActionFunc) *cli.App {
	app := NewApp("imsg-test", "test things")
	app.Flags = append(CommonFlags(), &cli.IntFlag{Name: "count", Usage: "count `N`"})
	app.Action = action
	return app
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		action   cli.ActionFunc
		code     int
		stderr   string
		noStdout bool
	}{
		{"ok", nil, func(*cli.Context) error { return nil }, ExitOK, "", true},
		{"bad flag", []string{"--nope"}, nil, ExitUsage, "imsg-test: error: flag provided but not defined: -nope (see --help)\n", true},
		{"bad value", []string{"--count", "x"}, nil, ExitUsage, "imsg-test: error: invalid value \"x\" for flag -count: parse error (see --help)\n", true},
		{"config", nil, func(*cli.Context) error { return Errorf(ExitConfig, "c.json5:1:2: bad") }, ExitConfig, "imsg-test: error: c.json5:1:2: bad\n", true},
		{"plain error", nil, func(*cli.Context) error { return errors.New("boom") }, ExitFailure, "imsg-test: error: boom\n", true},
		{"wrapped", nil, func(*cli.Context) error { return WithCode(ExitUnavailable, errors.New("no peer")) }, ExitUnavailable, "imsg-test: error: no peer\n", true},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := Run(testApp(tt.action), append([]string{"imsg-test"}, tt.args...), strings.NewReader(""), &out, &errb)
		if code != tt.code || errb.String() != tt.stderr || (tt.noStdout && out.Len() != 0) {
			t.Errorf("%s: code %d stderr %q stdout %q; want %d %q", tt.name, code, errb.String(), out.String(), tt.code, tt.stderr)
		}
	}
}

func TestRunUnknownCommand(t *testing.T) {
	app := NewApp("imsg-test", "x")
	app.Commands = []*cli.Command{{Name: "list", Action: func(*cli.Context) error { return nil }}}
	var out, errb bytes.Buffer
	code := Run(app, []string{"imsg-test", "lsit"}, strings.NewReader(""), &out, &errb)
	if code != ExitUsage || !strings.Contains(errb.String(), `unknown command "lsit"`) {
		t.Errorf("code %d stderr %q", code, errb.String())
	}
}

func TestVersionOnStdout(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(testApp(nil), []string{"imsg-test", "--version"}, strings.NewReader(""), &out, &errb)
	if code != 0 || !strings.HasPrefix(out.String(), "imsg-test version ") || errb.Len() != 0 {
		t.Errorf("code %d stdout %q stderr %q", code, out.String(), errb.String())
	}
}

func TestLogFormat(t *testing.T) {
	var b bytes.Buffer
	l := NewLog(&b, "imsg-gate")
	l.Errorf("line %d: bad", 3)
	l.Warnf("no patterns\n")
	l.Infof("ready")
	want := "imsg-gate: error: line 3: bad\nimsg-gate: warning: no patterns\nimsg-gate: ready\n"
	if b.String() != want {
		t.Errorf("log = %q; want %q", b.String(), want)
	}
}

func TestManAndCompletions(t *testing.T) {
	app := testApp(nil)
	app.Description = "Does things."
	app.Metadata[MetaExamples] = "    imsg-test --count 3"
	md, err := ManMarkdown(app)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# NAME\n\nimsg-test - test things", "**--config** *FILE*", "env: $IMSG_CONFIG", "default: ~/.config/imsg/config.json5", "# EXIT STATUS", "# EXAMPLES", "**--count** *N*\n: count *N*"} {
		if !strings.Contains(md, want) {
			t.Errorf("man markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "# SEE ALSO") {
		t.Error("man page has an empty SEE ALSO section")
	}
	bash := BashCompletion(app)
	if !strings.Contains(bash, "--state-dir") || !strings.Contains(bash, "complete -o default -F _imsg_test imsg-test") {
		t.Errorf("bash completion:\n%s", bash)
	}
	if z := ZshCompletion(app); !strings.Contains(z, "#compdef imsg-test") || !strings.Contains(z, "'--count[count N]:n:_files'") {
		t.Errorf("zsh completion:\n%s", z)
	}
}

func TestConfigPath(t *testing.T) {
	tests := []struct {
		args     []string
		env      string
		explicit bool
		want     string
	}{
		{nil, "", false, ExpandHome(DefaultConfigPath)},
		{[]string{"--config", "/etc/imsg.json5"}, "", true, "/etc/imsg.json5"},
		{nil, "/srv/imsg.json5", true, "/srv/imsg.json5"},
		{nil, " ", false, ExpandHome(DefaultConfigPath)}, // set but empty: not a choice
	}
	for _, tt := range tests {
		t.Setenv("IMSG_CONFIG", tt.env)
		var path string
		var explicit bool
		app := testApp(func(c *cli.Context) error { path, explicit = ConfigPath(c); return nil })
		var out, errb bytes.Buffer
		if code := Run(app, append([]string{"imsg-test"}, tt.args...), strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		if path != tt.want || explicit != tt.explicit {
			t.Errorf("args %v env %q: ConfigPath = %q, %v; want %q, %v", tt.args, tt.env, path, explicit, tt.want, tt.explicit)
		}
	}
}
