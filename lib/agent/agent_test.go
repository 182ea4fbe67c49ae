package agent

import (
	"context"
	"strings"
	"testing"
)

// TestMediaReachesTheAgent: the files imsg-fetch made local reach every
// kind of agent; entries that are not ok do not.
func TestMediaReachesTheAgent(t *testing.T) {
	line := []byte(`{"kind":"message","account":"default","message":{"id":9,"guid":"G9","chat_id":3,"text":"\ufffc"},` +
		`"media":[{"status":"ok","path":"/st/media/chat-3/A-photo.jpg","mime":"image/jpeg"},{"status":"missing","error":"offloaded"}],` +
		`"media_body":"<media:image>","route":{"session_key":"agent:main:main","to":"chat_id:3","body":"<media:image>"}}`)
	j, err := ParseJob(line, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Media) != 1 || j.Media[0].Path != "/st/media/chat-3/A-photo.jpg" {
		t.Fatalf("Media = %+v; want the one ok file", j.Media)
	}
	got, _ := Echo{}.Answer(context.Background(), j)
	if want := "<media:image>\n[attachment: /st/media/chat-3/A-photo.jpg (image/jpeg)]"; got != want {
		t.Errorf("Echo = %q; want %q", got, want)
	}
	if p := j.Prompt(); !strings.HasSuffix(p, "[attachment: /st/media/chat-3/A-photo.jpg (image/jpeg)]") {
		t.Errorf("Prompt = %q; want the file listed", p)
	}
	found := false
	for _, kv := range Env(j) {
		found = found || kv == "IMSG_MEDIA=/st/media/chat-3/A-photo.jpg"
	}
	if !found {
		t.Errorf("Env lacks IMSG_MEDIA: %q", Env(j))
	}
}
