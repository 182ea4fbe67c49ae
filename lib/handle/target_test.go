package handle

import (
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		raw    string
		want   Target
		canon  string
		region string
	}{
		// chat_id: and chat: give chat_id targets (§6.5).
		{"chat_id:7", Target{Kind: KindChatID, ChatID: 7, Value: "7"}, "chat_id:7", ""},
		{"chat:7", Target{Kind: KindChatID, ChatID: 7, Value: "7"}, "chat_id:7", ""},
		{"ChatId: 0012 ", Target{Kind: KindChatID, ChatID: 12, Value: "12"}, "chat_id:12", ""},
		{"chat_guid:iMessage;+;chat1", Target{Kind: KindChatGUID, Value: "iMessage;+;chat1"}, "chat_guid:iMessage;+;chat1", ""},
		{"guid:X", Target{Kind: KindChatGUID, Value: "X"}, "chat_guid:X", ""},
		{"chatidentifier:Chat1", Target{Kind: KindChatIdentifier, Value: "Chat1"}, "chat_identifier:Chat1", ""},
		// A service prefix in front of a chat target is dropped.
		{"sms:chat_id:9", Target{Kind: KindChatID, ChatID: 9, Value: "9"}, "chat_id:9", ""},
		{"imessage: ChatGUID:G", Target{Kind: KindChatGUID, Value: "G"}, "chat_guid:G", ""},
		// A service prefix in front of a handle is kept and the handle
		// normalised (the reference kept the handle as typed).
		{"sms:+1 555 123 4567", Target{Kind: KindHandle, Value: "+15551234567", Service: ServiceSMS}, "sms:+15551234567", ""},
		{"iMessage:5551234567", Target{Kind: KindHandle, Value: "+15551234567", Service: ServiceIMessage}, "imessage:+15551234567", ""},
		{"AUTO:+15551234567", Target{Kind: KindHandle, Value: "+15551234567", Service: ServiceAuto}, "+15551234567", ""},
		{"sms:imessage:+15551234567", Target{Kind: KindHandle, Value: "+15551234567", Service: ServiceSMS}, "sms:+15551234567", ""},
		// No prefix: the auto service.
		{" (555) 123-4567 ", Target{Kind: KindHandle, Value: "+15551234567", Service: ServiceAuto}, "+15551234567", ""},
		{"Alice@Example.com", Target{Kind: KindHandle, Value: "alice@example.com", Service: ServiceAuto}, "alice@example.com", ""},
		{"07700 900123", Target{Kind: KindHandle, Value: "+447700900123", Service: ServiceAuto}, "+447700900123", "GB"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.raw, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.canon {
			t.Errorf("ParseTarget(%q).String() = %q; want %q", tt.raw, s, tt.canon)
		}
		// The canonical form parses back to the same target.
		again, err := ParseTarget(got.String(), "US")
		if err != nil || again != got {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", "iMessage target is required"},
		{"   ", "iMessage target is required"},
		{"sms:", "sms: target is required"},
		{"SMS:  ", "sms: target is required"},
		{"imessage:", "imessage: target is required"},
		{"auto:", "auto: target is required"},
		{"chat_id:abc", "Invalid chat_id: abc"},
		{"chat:12abc", "Invalid chat_id: 12abc"}, // stricter than the reference's leading-digits parse
		{"chat_id:", "Invalid chat_id: "},
		{"chat_id:-1", "Invalid chat_id: -1"},
		{"chat_guid:", "chat_guid is required"},
		{"chatguid:  ", "chat_guid is required"},
		{"chat_identifier:", "chat_identifier is required"},
		{"sms:chatident:", "chat_identifier is required"},
		{"foo", `invalid handle "foo": not a phone number or email`},
		{"sms:foo", `invalid handle "foo": not a phone number or email`},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.raw, "US")
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want error %q", tt.raw, got, err, tt.want)
		}
	}
}

func TestFormatChatTarget(t *testing.T) {
	tests := []struct {
		id   int64
		want string
	}{
		{7, "chat_id:7"}, {1, "chat_id:1"}, {0, ""}, {-3, ""},
	}
	for _, tt := range tests {
		if got := FormatChatTarget(tt.id); got != tt.want {
			t.Errorf("FormatChatTarget(%d) = %q; want %q", tt.id, got, tt.want)
		}
	}
}

func TestInferChatType(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"+15551234567", ChatDirect},
		{"sms:alice@example.com", ChatDirect},
		{"chat_id:4", ChatGroup},
		{"chat_guid:iMessage;+;x", ChatGroup},
		{"chat_identifier:x", ChatGroup},
		{"chat_id:x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := InferChatType(tt.raw, "US"); got != tt.want {
			t.Errorf("InferChatType(%q) = %q; want %q", tt.raw, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindHandle: "handle", KindChatID: "chat_id", KindChatGUID: "chat_guid", KindChatIdentifier: "chat_identifier"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
}
