package sim

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

// DefaultPoll is how often a subscription looks for new rows. imsg relies
// on file events plus a 5 s fallback poll; the simulator just polls, and
// tests make it fast.
const DefaultPoll = 250 * time.Millisecond

// Options configure the rpc server.
type Options struct {
	DB     string        // chat.db path
	Poll   time.Duration // subscription poll interval; 0 = DefaultPoll
	Faults Faults
	Clock  clock.Clock // dates of sent rows; nil = wall clock
	Stderr io.Writer   // diagnostics; nil = discard
	Exit   func(int)   // how crash-after ends the process; nil = os.Exit
	// Trace, when set, gets one line per notification written and per send
	// received, with the wall-clock time in nanoseconds, so a benchmark can
	// measure what a pipeline adds between the two (scripts/bench).
	Trace io.Writer
}

// Server is one `imsg rpc` session: requests are read and answered strictly
// in arrival order (jsonrpc2 with a synchronous handler), while
// subscriptions stream notifications from their own goroutines.
type Server struct {
	opt      Options
	store    *chatdb.Store
	startErr error // chat.db could not be opened (0.9: every request fails)
	out      *output
	send     *sender
	eof      chan struct{} // closed when stdin ends
	stream   *lineStream

	// bg outlives the connection, so subscriptions can drain after EOF.
	bg     context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	subs    map[int64]*subscription
	nextSub int64
	wg      sync.WaitGroup
}

// Serve runs the rpc session on in and out until in ends (or ctx is
// cancelled): then it lets every subscription flush the rows already in
// chat.db, stops them, and returns. When chat.db could not be opened it
// still answers every request, with imsg's permission error, and returns
// an error (exit status 1).
func Serve(ctx context.Context, opt Options, in io.Reader, out io.Writer) error {
	if opt.Poll <= 0 {
		opt.Poll = DefaultPoll
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	if opt.Exit == nil {
		opt.Exit = os.Exit
	}
	s := &Server{
		opt:  opt,
		out:  &output{w: out, crashAfter: opt.Faults.CrashAfter, exit: opt.Exit},
		eof:  make(chan struct{}),
		subs: map[int64]*subscription{},
	}
	s.bg, s.cancel = context.WithCancel(context.Background())
	defer s.cancel()
	if opt.Faults.FDA {
		s.startErr = fmt.Errorf("%s: operation not permitted", opt.DB)
	} else if s.store, s.startErr = chatdb.Open(opt.DB); s.startErr == nil {
		defer s.store.Close()
		s.send = newSender(opt.DB, s.store, opt.Clock, &s.opt.Faults)
		defer s.send.close()
	}

	s.stream = &lineStream{ctx: ctx, lines: readLines(in, s.eof), out: s.out, ids: map[uint64]requestID{}}
	conn := jsonrpc2.NewConn(ctx, s.stream, handler{s}, jsonrpc2.SetLogger(log.New(opt.Stderr, "imsg-sim: ", 0)))
	<-conn.DisconnectNotify()
	s.shutdown()
	if s.startErr != nil {
		return tool.Errorf(tool.ExitFailure, "cannot open %s: %v", opt.DB, s.startErr)
	}
	return nil
}

// banner is the 0.9 startup-failure text for this database.
func (s *Server) banner() string { return fmt.Sprintf(imsg.PermissionBanner, s.opt.DB) }

// reply is a method's outcome. after runs once the response is written (a
// subscription starts streaming only then); noReply leaves the request
// unanswered (the send-hang fault).
type reply struct {
	result  any
	err     *jsonrpc2.Error
	after   func()
	noReply bool
}

type handler struct{ s *Server }

// Handle answers one request before jsonrpc2 reads the next line, which is
// 0.9's strict in-order processing.
func (h handler) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	r := h.s.call(ctx, req.Method, parseParams(req.Params))
	if r.noReply {
		return
	}
	if r.err != nil {
		conn.ReplyWithError(ctx, req.ID, r.err)
	} else {
		conn.Reply(ctx, req.ID, r.result)
	}
	if r.after != nil {
		r.after()
	}
}

// bridgeMethods need the IMCore bridge (SIP off, `imsg launch`), which a
// simulator never has.
var bridgeMethods = map[string]bool{}

func init() {
	for _, m := range imsg.RPCMethods {
		switch m {
		case "chats.list", "messages.history", "watch.subscribe", "watch.unsubscribe", "send":
		default:
			bridgeMethods[m] = true
		}
	}
}

// bridgeError is what 0.9 answers for a bridge-only method without a bridge.
const bridgeError = "IMCore bridge is not running: start it with `imsg launch` (requires SIP disabled)"

func (s *Server) call(ctx context.Context, method string, p params) reply {
	if s.startErr != nil {
		return reply{err: internalError(s.banner())}
	}
	switch method {
	case "chats.list":
		return s.chatsList(ctx, p)
	case "messages.history":
		return s.history(ctx, p)
	case "watch.subscribe":
		return s.subscribe(ctx, p)
	case "watch.unsubscribe":
		return s.unsubscribe(p)
	case "send":
		return s.sendRPC(ctx, p)
	case "status":
		return reply{result: s.status()}
	case "initialize":
		if v, ok := p.int("protocol_version"); p.has("protocol_version") && (!ok || v != 1) {
			return reply{err: invalidParams("unsupported protocol_version; this server speaks 1")}
		}
		return reply{result: s.status()}
	}
	if bridgeMethods[method] {
		return reply{err: internalError(bridgeError)}
	}
	return reply{err: rpcErr(imsg.CodeMethodNotFound, method)}
}

func (s *Server) chatsList(ctx context.Context, p params) reply {
	limit := int64(20)
	if v, ok := p.int("limit"); ok {
		limit = max(v, 1)
	}
	list, err := s.store.ListChats(ctx, int(limit))
	if err != nil {
		return reply{err: internalError(err.Error())}
	}
	chats := make([]imsg.Chat, len(list))
	for i, c := range list {
		chats[i] = c.RPC()
	}
	return reply{result: struct {
		Chats []imsg.Chat `json:"chats"`
	}{chats}}
}

func (s *Server) history(ctx context.Context, p params) reply {
	chatID, ok := p.int("chat_id")
	if !ok {
		return reply{err: invalidParams("chat_id is required")}
	}
	q := chatdb.HistoryQuery{ChatID: chatID, Limit: 50, Participants: p.strs("participants")}
	if v, ok := p.int("limit"); ok {
		q.Limit = int(max(v, 1))
	}
	var derr *jsonrpc2.Error
	if q.Start, derr = p.date("start"); derr != nil {
		return reply{err: derr}
	}
	if q.End, derr = p.date("end"); derr != nil {
		return reply{err: derr}
	}
	msgs, err := s.store.History(ctx, q, p.flag("attachments"))
	if err != nil {
		return reply{err: internalError(err.Error())}
	}
	return reply{result: struct {
		Messages []imsg.Message `json:"messages"`
	}{msgs}}
}

// statusResult is the newer status/initialize object, in a fixed key order.
type statusResult struct {
	Version         string         `json:"version"`
	ProtocolVersion int            `json:"protocol_version"`
	Database        statusDatabase `json:"database"`
	Bridge          struct {
		Ready bool   `json:"ready"`
		Error string `json:"error"`
	} `json:"bridge"`
	Contacts struct {
		Available bool `json:"available"`
	} `json:"contacts"`
	Methods          []string `json:"methods"`
	SupportedMethods []string `json:"supported_methods"`
	Capabilities     struct {
		Engine struct {
			Version string `json:"version"`
			Commit  string `json:"commit"`
			BuiltAt string `json:"built_at"`
		} `json:"engine"`
		Features map[string]int `json:"features"`
	} `json:"capabilities"`
}

type statusDatabase struct {
	Path     string          `json:"path"`
	Ready    bool            `json:"ready"`
	Features map[string]bool `json:"features"`
}

// ImsgVersion is the imsg version the simulator imitates.
const ImsgVersion = "0.9.0"

func (s *Server) status() statusResult {
	var r statusResult
	r.Version, r.ProtocolVersion = ImsgVersion, 1
	r.Database = statusDatabase{Path: s.opt.DB, Ready: s.store != nil, Features: map[string]bool{
		"unread_state": false, "scheduled_messages": false, "reactions": true,
		"reply_context": true, "routing_metadata": true, "balloon_payloads": false,
	}}
	r.Bridge.Error = bridgeError
	r.Methods = []string{"chats.list", "messages.history", "watch.subscribe", "watch.unsubscribe", "send", "status", "initialize"}
	r.SupportedMethods = append(append([]string{}, imsg.RPCMethods...), "status", "initialize")
	r.Capabilities.Engine.Version = ImsgVersion
	r.Capabilities.Engine.Commit = "imsg-sim"
	r.Capabilities.Features = map[string]int{"tapback.emoji": 2}
	return r
}

// noRPCHelp is what an imsg build without rpc prints for `imsg rpc`.
const noRPCHelp = `Unknown command

imsg - send and read iMessage / SMS from the terminal

Usage:
  imsg <command> [options]

Commands:
  chats     List recent conversations
  history   Show messages for a chat
  watch     Stream incoming messages
  send      Send a message (text and/or attachment)

Run 'imsg <command> --help' for details.
`

// RPC is `imsg rpc`, with the faults that stop it before it serves: a build
// without rpc, and an older imsg that prints the permission banner as text.
func RPC(ctx context.Context, opt Options, in io.Reader, out io.Writer) error {
	switch {
	case opt.Faults.NoRPC:
		io.WriteString(out, noRPCHelp)
		return tool.Errorf(tool.ExitFailure, "unknown command \"rpc\" (no-rpc fault)")
	case opt.Faults.FDABanner:
		fmt.Fprintln(out, fmt.Sprintf(imsg.PermissionBanner, opt.DB))
		return tool.Errorf(tool.ExitFailure, "cannot open %s: operation not permitted (fda-banner fault)", opt.DB)
	}
	return Serve(ctx, opt, in, out)
}
