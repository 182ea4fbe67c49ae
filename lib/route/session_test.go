package route

import (
	"strings"
	"testing"
)

func TestNormalizeAgentID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "main"},
		{"   ", "main"},
		{"Main", "main"},
		{" work ", "work"},
		{"Family Bot", "family-bot"},
		{"a.b/c", "a-b-c"},
		{"--x--", "x"},
		{"_under", "_under"}, // not valid (starts with _) but only valid characters: kept
		{"émile", "mile"},
		{"!!!", "main"},
		{strings.Repeat("a", 70), strings.Repeat("a", 64)},
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63) + "-"}, // cut after trimming, as the reference
	}
	for _, tt := range tests {
		if got := NormalizeAgentID(tt.in); got != tt.want {
			t.Errorf("NormalizeAgentID(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if got := NormalizeAccountID(""); got != "default" {
		t.Errorf("NormalizeAccountID(\"\") = %q; want default", got)
	}
	if got := NormalizeAccountID("Work Phone"); got != "work-phone" {
		t.Errorf("NormalizeAccountID(Work Phone) = %q; want work-phone", got)
	}
}

func TestSessionKey(t *testing.T) {
	links := map[string][]string{"alice": {"+15550001111", "imessage:alice@example.com"}}
	tests := []struct {
		name string
		p    SessionParams
		want string
	}{
		{"group", SessionParams{AgentID: "Main", PeerKind: PeerGroup, PeerID: "7", DMScope: ScopePerPeer}, "agent:main:imessage:group:7"},
		{"group without id", SessionParams{AgentID: "main", PeerKind: PeerGroup}, "agent:main:imessage:group:unknown"},
		{"group guid lowered", SessionParams{AgentID: "main", PeerKind: PeerGroup, PeerID: "chat_guid:iMessage;+;Chat1"}, "agent:main:imessage:group:chat_guid:imessage;+;chat1"},
		{"dm default scope", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "+15550001111"}, "agent:main:main"},
		{"dm main", SessionParams{AgentID: "Work", PeerKind: PeerDirect, PeerID: "+15550001111", DMScope: ScopeMain}, "agent:work:main"},
		{"dm main with mainKey", SessionParams{AgentID: "main", MainKey: " Home ", PeerKind: PeerDirect, PeerID: "x@y.z", DMScope: ScopeMain}, "agent:main:home"},
		{"per-peer", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "Bob@Example.com", DMScope: ScopePerPeer}, "agent:main:direct:bob@example.com"},
		{"per-channel-peer", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "+15550002222", DMScope: ScopePerChannelPeer}, "agent:main:imessage:direct:+15550002222"},
		{"per-account-channel-peer", SessionParams{AgentID: "main", AccountID: "Work", PeerKind: PeerDirect, PeerID: "+15550002222", DMScope: ScopePerAccountChannelPeer}, "agent:main:imessage:work:direct:+15550002222"},
		{"per-account default account", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "+15550002222", DMScope: ScopePerAccountChannelPeer}, "agent:main:imessage:default:direct:+15550002222"},
		{"per-peer without peer falls back to main", SessionParams{AgentID: "main", MainKey: "m", PeerKind: PeerDirect, DMScope: ScopePerPeer}, "agent:main:m"},
		{"identity link by handle", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "+15550001111", DMScope: ScopePerPeer, IdentityLinks: links}, "agent:main:direct:alice"},
		{"identity link by channel-scoped id", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "alice@example.com", DMScope: ScopePerChannelPeer, IdentityLinks: links}, "agent:main:imessage:direct:alice"},
		{"identity links ignored under main", SessionParams{AgentID: "main", PeerKind: PeerDirect, PeerID: "+15550001111", IdentityLinks: links}, "agent:main:main"},
		{"identity links never apply to groups", SessionParams{AgentID: "main", PeerKind: PeerGroup, PeerID: "+15550001111", DMScope: ScopePerPeer, IdentityLinks: links}, "agent:main:imessage:group:+15550001111"},
	}
	for _, tt := range tests {
		if got := SessionKey(tt.p); got != tt.want {
			t.Errorf("%s: SessionKey(%+v) = %q; want %q", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestLinkedPeerIsDeterministic(t *testing.T) {
	links := map[string][]string{"zed": {"+15550001111"}, "amy": {"+15550001111"}, " ": {"+15550001111"}}
	for range 20 {
		if got := LinkedPeer(links, "+15550001111"); got != "amy" {
			t.Fatalf("LinkedPeer = %q; want amy, the first name in sorted order", got)
		}
	}
	if got := LinkedPeer(links, ""); got != "" {
		t.Errorf("LinkedPeer(\"\") = %q; want \"\"", got)
	}
}
