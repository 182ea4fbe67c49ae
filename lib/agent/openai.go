package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imsg-toolkit/imsg/lib/state"
)

// Transcripts is where OpenAI keeps each session's exchanges;
// *state.Store implements it.
type Transcripts interface {
	Transcript(session string, userTurns int) ([]state.Turn, error)
	RecordExchange(session, guid, user, reply string, keepUserTurns int) error
	ExchangeReply(session, guid string) (string, bool, error)
}

// OpenAI answers with an OpenAI-compatible chat-completions endpoint (the
// OpenAI API, or a local llama.cpp, Ollama or vLLM server). Each session's
// transcript lives in Store, trimmed to the message's history_limit user
// turns; the whole answer is awaited (no streaming), so nothing reaches
// iMessage until it is complete.
type OpenAI struct {
	// URL is the endpoint: a base such as http://localhost:11434/v1, to
	// which /chat/completions is added, or the full chat-completions URL.
	URL   string
	Model string
	// Models maps a (normalised) agent id to its own model, which wins over
	// Model for the messages routed to it.
	Models map[string]string
	APIKey string // sent as a bearer token when set
	Client *http.Client
	// Timeout bounds each HTTP attempt (0: none beyond the caller's ctx).
	Timeout time.Duration
	// Retries is how many times a 429, a 5xx or a failed connection is
	// retried, waiting Backoff, then twice as long each time, at most
	// MaxBackoff; a Retry-After header is honoured up to MaxBackoff.
	Retries    int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAnswer caps the answer in bytes (0: DefaultMaxOutput).
	MaxAnswer int
	Store     Transcripts
	// System gives the system prompt for a job ("" for none).
	System func(j *Job) string
}

// maxBody caps what is read of a response: a chat completion is small,
// and a server streaming junk must not fill memory.
const maxBody = 8 << 20

// Endpoint is the chat-completions URL for base.
func Endpoint(base string) string {
	u := strings.TrimRight(strings.TrimSpace(base), "/")
	if strings.HasSuffix(u, "/chat/completions") {
		return u
	}
	return u + "/chat/completions"
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
}

// Answer asks the model about j, with the session's transcript, and
// records the exchange.
func (o *OpenAI) Answer(ctx context.Context, j *Job) (string, error) {
	if o.Store != nil {
		// A message delivered again (after a crash before imsg-send
		// finished it) gets the answer it already got.
		if reply, ok, err := o.Store.ExchangeReply(j.SessionKey, j.GUID); err != nil {
			return "", err
		} else if ok {
			return reply, nil
		}
	}
	req := chatRequest{Model: o.Model}
	if m := o.Models[j.AgentID]; m != "" {
		req.Model = m
	}
	if o.System != nil {
		if sys := o.System(j); sys != "" {
			req.Messages = append(req.Messages, chatMessage{Role: "system", Content: sys})
		}
	}
	if o.Store != nil {
		turns, err := o.Store.Transcript(j.SessionKey, j.HistoryLimit)
		if err != nil {
			return "", err
		}
		for _, t := range turns {
			req.Messages = append(req.Messages, chatMessage{Role: t.Role, Content: t.Content})
		}
	}
	prompt := j.Prompt()
	req.Messages = append(req.Messages, chatMessage{Role: "user", Content: prompt})
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	answer, err := o.post(ctx, body)
	if err != nil {
		return "", err
	}
	limit := o.MaxAnswer
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	if len(answer) > limit {
		return "", fmt.Errorf("%w: the model answered %d bytes, more than %d", ErrOversize, len(answer), limit)
	}
	answer = cleanAnswer(answer)
	if o.Store != nil {
		if err := o.Store.RecordExchange(j.SessionKey, j.GUID, prompt, answer, j.HistoryLimit); err != nil {
			return "", err
		}
	}
	return answer, nil
}

// HTTPError is a response the endpoint should not have given.
type HTTPError struct {
	Status int
	Body   string // the start of the body, for the log
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// retryable reports whether a status is worth asking again.
func retryable(status int) bool { return status == http.StatusTooManyRequests || status >= 500 }

// post sends the request, retrying as configured, and returns the answer.
func (o *OpenAI) post(ctx context.Context, body []byte) (string, error) {
	delay := o.Backoff
	for attempt := 0; ; attempt++ {
		answer, wait, err := o.attempt(ctx, body)
		if err == nil {
			return answer, nil
		}
		if wait < 0 || attempt >= o.Retries || ctx.Err() != nil {
			if attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return "", err
		}
		if wait == 0 {
			wait = delay
			delay *= 2
		}
		if o.MaxBackoff > 0 && wait > o.MaxBackoff {
			wait = o.MaxBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// attempt makes one request. wait < 0 means the error is final; otherwise
// the caller may retry after wait (0: its own backoff).
func (o *OpenAI) attempt(ctx context.Context, body []byte) (answer string, wait time.Duration, err error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, Endpoint(o.URL), bytes.NewReader(body))
	if err != nil {
		return "", -1, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", 0, fmt.Errorf("%w after %v", ErrTimeout, o.Timeout)
		}
		return "", 0, err // a refused or dropped connection may come back
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", 0, fmt.Errorf("%w after %v", ErrTimeout, o.Timeout)
		}
		return "", 0, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		herr := &HTTPError{Status: resp.StatusCode, Body: snippet(data)}
		if retryable(resp.StatusCode) {
			return "", retryAfter(resp.Header.Get("Retry-After")), herr
		}
		return "", -1, herr
	}
	answer, err = parseCompletion(data)
	if err != nil {
		return "", -1, err
	}
	return answer, 0, nil
}

// retryAfter reads a Retry-After header given in seconds (0 when absent or
// a date, which leaves the choice to the backoff).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// snippet is the start of a body, on one line, for error messages.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// ErrBadResponse is a 200 response that is no chat completion.
var ErrBadResponse = errors.New("not a chat completion")

// parseCompletion takes the first choice's message content, as a string or
// as a list of text parts. A refusal or a null content (a tool call) is an
// answer with no text.
func parseCompletion(data []byte) (string, error) {
	var resp struct {
		Choices []struct {
			Message *struct {
				Content json.RawMessage `json:"content"`
				Refusal string          `json:"refusal"`
			} `json:"message"`
			Text *string `json:"text"` // the legacy completions shape
		} `json:"choices"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return "", fmt.Errorf("%w: %v: %s", ErrBadResponse, err, snippet(data))
	}
	if resp.Error != nil {
		return "", fmt.Errorf("the endpoint reported an error: %s", resp.Error.Message)
	}
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices: %s", ErrBadResponse, snippet(data))
	}
	c := resp.Choices[0]
	if c.Message == nil {
		if c.Text != nil {
			return *c.Text, nil
		}
		return "", fmt.Errorf("%w: the first choice has no message: %s", ErrBadResponse, snippet(data))
	}
	raw := bytes.TrimSpace(c.Message.Content)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("%w: content is neither text nor parts: %s", ErrBadResponse, snippet(raw))
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}
