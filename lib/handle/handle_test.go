package handle

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		// Phone handles lose spaces, parentheses, hyphens, dots and
		// surrounding whitespace (§6.5).
		{"+1 (555) 123-4567", "US", "+15551234567"},
		{"  +15551234567  ", "US", "+15551234567"},
		{"555.123.4567", "US", "+15551234567"},
		{"(555) 123-4567", "", "+15551234567"},
		{"1-555-123-4567", "US", "+15551234567"},
		{"tel:+1-555-123-4567", "US", "+15551234567"},
		{"+1\u00a0555\u00a0123\u00a04567", "US", "+15551234567"},
		// Service prefixes, any case, repeatedly.
		{"imessage:+15551234567", "US", "+15551234567"},
		{"IMESSAGE: sms:Auto:+15551234567", "US", "+15551234567"},
		{"sms:5551234567", "US", "+15551234567"},
		// Emails are lowercased.
		{"Alice@Example.COM", "US", "alice@example.com"},
		{"imessage:Bob.Smith+tag@iCloud.com ", "US", "bob.smith+tag@icloud.com"},
		{"mailto:carol@example.org", "US", "carol@example.org"},
		// Chat prefixes: canonical spelling, value trimmed, case kept.
		{"chat_id:7", "US", "chat_id:7"},
		{"ChatID: 42", "US", "chat_id:42"},
		{"CHAT:007", "US", "chat_id:7"},
		{"chat_guid:iMessage;+;chat123", "US", "chat_guid:iMessage;+;chat123"},
		{"ChatGUID:  iMessage;-;+15551234567 ", "US", "chat_guid:iMessage;-;+15551234567"},
		{"GUID:SMS;+;Chat9", "US", "chat_guid:SMS;+;Chat9"},
		{"chat_identifier:Chat123;X", "US", "chat_identifier:Chat123;X"},
		{"ChatIdentifier:chat99", "US", "chat_identifier:chat99"},
		{"chatident:ABC", "US", "chat_identifier:ABC"},
		{"imessage:chat_id:3", "US", "chat_id:3"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		raw, region, want string // want: a substring of the error
	}{
		{"", "US", "handle is empty"},
		{"   ", "US", "handle is empty"},
		{"imessage:", "US", "handle is empty"},
		{"foo", "US", `invalid handle "foo": not a phone number or email`},
		{"+", "US", `invalid handle "+": not a phone number or email`},
		{"()-", "US", "not a phone number or email"},
		{"555-CALL-NOW", "US", "not a phone number or email"},
		{"+1 555 123 4567 x12", "US", "not a phone number or email"},
		{"1+5551234567", "US", "not a phone number or email"},
		{"++15551234567", "US", "not a phone number or email"},
		{"5551234", "US", "too few digits"},
		{"555123456789", "US", "too many digits"},
		{"25551234567", "US", "too many digits for +1"}, // 11 digits not starting with the trunk 1
		{"+1 555 123 45678", "US", "too many digits for +1"},
		{"+1234567890123456", "US", "too many digits (E.164 allows 15)"},
		{"+123456", "US", "too few digits"},
		{"+0 555 123 4567", "US", "no country code starts with 0"},
		{"07700 900123", "ZZ", `unknown region "ZZ"`},
		{"chat_id:", "US", "Invalid chat_id: "},
		{"chat_id:abc", "US", "Invalid chat_id: abc"},
		{"chat_id:12abc", "US", "Invalid chat_id: 12abc"},
		{"chat_id:0", "US", "Invalid chat_id: 0"},
		{"chat_id:-4", "US", "Invalid chat_id: -4"},
		{"chat_id:99999999999999999999", "US", "Invalid chat_id"},
		{"chat_guid:", "US", "chat_guid is required"},
		{"chatidentifier:  ", "US", "chat_identifier is required"},
		// Emails get a sanity check.
		{"@example.com", "US", "nothing before @"},
		{"alice@", "US", "nothing after @"},
		{"alice@@example.com", "US", "more than one @"},
		{"alice@example", "US", "domain is not a dotted name"},
		{"alice@example..com", "US", "domain is not a dotted name"},
		{"alice smith@example.com", "US", "contains spaces"},
		{"<alice@example.com>", "US", "contains '<'"},
		{"alice@ex\xffample.com", "US", "not valid UTF-8"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Normalize(%q, %q) = %q, %v; want error containing %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
}

// The reference turned every junk handle into "+", so two junk allowlist
// entries matched each other (§19). Here they must not even normalise.
func TestNormalizeJunkNeverPlus(t *testing.T) {
	for _, raw := range []string{"foo", "bar", "+", "imessage:foo", "sms: ???", "-"} {
		if got, err := Normalize(raw, "US"); err == nil || got != "" {
			t.Errorf("Normalize(%q) = %q, %v; want an error and no handle", raw, got, err)
		}
	}
}

func TestNormalizeE164ByRegion(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		{"(416) 555-0123", "CA", "+14165550123"},
		{"07700 900123", "GB", "+447700900123"},
		{"07700 900123", "gb", "+447700900123"}, // region case does not matter
		{"00 44 7700 900123", "GB", "+447700900123"},
		{"447700900123", "GB", "+447700900123"}, // country code without "+"
		{"087 123 4567", "IE", "+353871234567"},
		{"0412 345 678", "AU", "+61412345678"},
		{"0011 1 555 123 4567", "AU", "+15551234567"},
		{"021 123 4567", "NZ", "+64211234567"},
		{"0151 23456789", "DE", "+4915123456789"},
		{"030 123456", "DE", "+4930123456"},
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"612 34 56 78", "ES", "+34612345678"},
		{"34612345678", "ES", "+34612345678"},
		{"06 1234 5678", "IT", "+390612345678"}, // the 0 stays in Italy
		{"312 345 6789", "IT", "+393123456789"},
		{"06-12345678", "NL", "+31612345678"},
		{"0470 12 34 56", "BE", "+32470123456"},
		{"079 123 45 67", "CH", "+41791234567"},
		{"0664 1234567", "AT", "+436641234567"},
		{"070-123 45 67", "SE", "+46701234567"},
		{"412 34 567", "NO", "+4741234567"},
		{"20 12 34 56", "DK", "+4520123456"},
		{"040 123 4567", "FI", "+358401234567"},
		{"512 345 678", "PL", "+48512345678"},
		{"912 345 678", "PT", "+351912345678"},
		{"(11) 91234-5678", "BR", "+5511912345678"},
		{"011 91234 5678", "BR", "+5511912345678"},
		{"55 1234 5678", "MX", "+525512345678"},
		{"098765 43210", "IN", "+919876543210"},
		{"090-1234-5678", "JP", "+819012345678"},
		{"010 1 555 123 4567", "JP", "+15551234567"},
		{"010-1234-5678", "KR", "+821012345678"},
		{"138 0013 8000", "CN", "+8613800138000"},
		{"9123 4567", "SG", "+6591234567"},
		{"9123 4567", "HK", "+85291234567"},
		// International numbers ignore the region.
		{"+44 7700 900123", "US", "+447700900123"},
		{"+7 912 345 67 89", "FR", "+79123456789"},
		{"011 44 7700 900123", "US", "+447700900123"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
}

func TestRegionTable(t *testing.T) {
	want := strings.Fields("US CA GB IE AU NZ DE FR ES IT NL BE CH AT SE NO DK FI PL PT BR MX IN JP KR CN SG HK")
	for _, r := range want {
		if err := CheckRegion(r); err != nil {
			t.Errorf("CheckRegion(%q) = %v; want nil", r, err)
		}
	}
	if err := CheckRegion(""); err != nil {
		t.Errorf("CheckRegion(\"\") = %v; want nil (defaults to US)", err)
	}
	if err := CheckRegion("XX"); err == nil {
		t.Errorf("CheckRegion(\"XX\") = nil; want an error")
	}
	// Calling codes must be prefix-free, or byCode would be ambiguous.
	for a, ra := range regions {
		for b, rb := range regions {
			if ra.cc != rb.cc && strings.HasPrefix(ra.cc, rb.cc) {
				t.Errorf("calling code %s (%s) starts with %s (%s)", ra.cc, a, rb.cc, b)
			}
			if ra.min > ra.max || len(ra.cc)+ra.max > maxE164Digits {
				t.Errorf("region %s: bad lengths %d..%d", a, ra.min, ra.max)
			}
		}
	}
}

// Every output of Normalize must come back unchanged, and emails and
// numbers written differently must meet in one spelling.
func TestNormalizeIdempotent(t *testing.T) {
	inputs := []struct{ raw, region string }{
		{"+1 (555) 123-4567", "US"}, {"07700 900123", "GB"}, {"06 1234 5678", "IT"},
		{"Alice@Example.COM", "US"}, {"ChatID: 42", "US"}, {"guid: iMessage;+;X ", "US"},
		{"chatident:Chat;1", "US"}, {"0151 23456789", "DE"}, {"9123 4567", "HK"},
	}
	for _, in := range inputs {
		once, err := Normalize(in.raw, in.region)
		if err != nil {
			t.Fatalf("Normalize(%q, %q) = %v", in.raw, in.region, err)
		}
		for _, region := range []string{in.region, "US", "JP"} {
			twice, err := Normalize(once, region)
			if err != nil || twice != once {
				t.Errorf("Normalize(%q, %q) = %q, %v; want %q unchanged", once, region, twice, err, once)
			}
		}
	}
}

func TestIsChatTarget(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"chat_id:1", true}, {"Chat:1", true}, {"chatguid:x", true}, {"GUID:x", true},
		{"chatidentifier:x", true}, {"sms:chat_id:1", true}, {" imessage: ChatIdent:x", true},
		{"+15551234567", false}, {"alice@example.com", false}, {"imessage:+15551234567", false},
		{"", false}, {"chats:1", false},
	}
	for _, tt := range tests {
		if got := IsChatTarget(tt.raw); got != tt.want {
			t.Errorf("IsChatTarget(%q) = %v; want %v", tt.raw, got, tt.want)
		}
	}
}
