package imsg

// JSON-RPC error codes imsg uses, with their fixed messages (§1.3).
const (
	CodeParseError          = -32700
	CodeInvalidRequest      = -32600
	CodeMethodNotFound      = -32601
	CodeInvalidParams       = -32602
	CodeInternalError       = -32603
	CodeServerBusy          = -32000
	CodeDeliveryUnknown     = -32001
	CodeDatabaseUnavailable = -32002
	CodeBridgeUnavailable   = -32003
	CodeMutationBlocked     = -32004
)

// ErrorMessage is the message imsg puts beside each code.
func ErrorMessage(code int64) string {
	switch code {
	case CodeParseError:
		return "Parse error"
	case CodeInvalidRequest:
		return "Invalid Request"
	case CodeMethodNotFound:
		return "Method not found"
	case CodeInvalidParams:
		return "Invalid params"
	case CodeInternalError:
		return "Internal error"
	case CodeServerBusy:
		return "Server busy"
	case CodeDeliveryUnknown:
		return "Delivery outcome unknown"
	case CodeDatabaseUnavailable:
		return "Database unavailable"
	case CodeBridgeUnavailable:
		return "Bridge unavailable"
	case CodeMutationBlocked:
		return "Mutation lane blocked"
	}
	return "Internal error"
}

// PermissionBanner is the text imsg 0.9 gives when chat.db cannot be opened
// (no Full Disk Access): as error data on every request, and as plain lines on
// stdout in older builds. Clients recognise it by its key phrases.
const PermissionBanner = `⚠️ Permission Error: Cannot access Messages database

The Messages database at %s requires Full Disk Access permission.

To fix:
1. Open System Settings → Privacy & Security → Full Disk Access
2. Add your terminal application (Terminal.app, iTerm, etc.)
3. Restart your terminal
4. Try again

Note: This is required because macOS protects the Messages database.`

// Methods imsg 0.9 serves over rpc, in its dispatch-table order.
var RPCMethods = []string{
	"chats.list", "chats.create", "chats.delete", "chats.markUnread", "messages.history",
	"watch.subscribe", "watch.unsubscribe", "send", "send.rich", "send.attachment", "tapback",
	"typing", "read", "message.edit", "message.unsend", "message.delete", "message.notifyAnyways",
	"group.rename", "group.setIcon", "group.addParticipant", "group.removeParticipant", "group.leave",
}
