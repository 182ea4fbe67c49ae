package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/tool"
)

// TestAppOpenAI runs the command line in-process against a loopback model:
// the model and key come from the config and key file, the system prompt
// from --system and the agent's identity, and the transcript outlives the
// process in the state directory.
func TestAppOpenAI(t *testing.T) {
	// Answers name what they answer, not the order requests arrived in:
	// the two sessions of the first run are served in parallel.
	f := newFakeModel(t, func(_ int, req chatRequest) (int, string) {
		last := req.Messages[len(req.Messages)-1].Content
		return 200, completion(fmt.Sprintf("answer to %s from %s", last, req.Model))
	})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.json5")
	os.WriteFile(cfg, []byte(`{agents: {list: [{id: "main", default: true, model: "base-model", identity: {name: "Molly"}},
		{id: "Family Bot", model: {primary: "family-model"}}]}}`), 0o600)
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("sk-from-file\n"), 0o600)
	t.Setenv("OPENAI_API_KEY", "sk-from-env")
	args := []string{"imsg-agent", "--openai", f.srv.URL + "/v1", "--config", cfg, "--state-dir", filepath.Join(dir, "state"),
		"--api-key-file", key, "--system", "Answer briefly.", "--retry-delay", "1ms"}
	run := func(in string) string {
		var out, errb bytes.Buffer
		if code := tool.Run(App(), args, strings.NewReader(in), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	first := routedRecord("agent:main:main", "G1", "hi")
	family := strings.Replace(routedRecord("agent:family-bot:main", "G2", "yo"), `"agent_id":"main"`, `"agent_id":"family-bot"`, 1)
	out := run(first + "\n" + family + "\n")
	if !strings.Contains(out, `"text":"answer to hi from base-model"`) || !strings.Contains(out, `"text":"answer to yo from family-model"`) {
		t.Errorf("out = %s; want each agent's own model", out)
	}
	out = run(routedRecord("agent:main:main", "G3", "again") + "\n" + first + "\n")
	if !strings.Contains(out, `"text":"answer to again from base-model"`) || !strings.Contains(out, `"text":"answer to hi from base-model"`) || f.count() != 3 {
		t.Errorf("out = %s after %d requests; want a new answer and the recorded one for the redelivery", out, f.count())
	}
	third := f.requests[2]
	var roles []string
	for _, m := range third.Messages {
		roles = append(roles, m.Role+":"+m.Content)
	}
	want := "system:Answer briefly.\n\nYou are Molly. user:hi assistant:answer to hi from base-model user:again"
	if strings.Join(roles, " ") != want {
		t.Errorf("third request = %q; want %q (the transcript from the first run)", strings.Join(roles, " "), want)
	}
	if f.auth[0] != "Bearer sk-from-file" {
		t.Errorf("Authorization = %q; want the key file's key", f.auth[0])
	}
}
