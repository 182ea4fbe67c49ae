package handle

import "testing"

// FuzzNormalize checks that Normalize never panics, that whatever it returns
// normalises to itself under any region, and that ParseTarget agrees.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"+1 (555) 123-4567", "5551234567", "07700 900123", "Alice@Example.com", "foo", "+",
		"imessage:sms:+15551234567", "ChatID: 7", "guid:iMessage;+;x", "chatident: a;b ",
		"tel:+44 20 7946 0958", "00 49 30 123456", "mailto:x@y.z", "chat_id:00", "\xff@a.b",
		"+1234567890123456", "", "İ@EXAMPLE.COM",
	} {
		for _, r := range []string{"US", "GB", "IT", "DE", "JP", ""} {
			f.Add(s, r)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := Normalize(raw, region)
		if err != nil {
			if got != "" {
				t.Errorf("Normalize(%q, %q) = %q with error %v; want \"\"", raw, region, got, err)
			}
			return
		}
		if got == "" || got == "+" {
			t.Fatalf("Normalize(%q, %q) = %q; want an error instead", raw, region, got)
		}
		for _, r := range []string{region, "US", "IT"} {
			again, err := Normalize(got, r)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want %q (from %q)", got, r, again, err, got, raw)
			}
		}
		tg, err := ParseTarget(got, region)
		if err != nil || tg.String() != got {
			t.Fatalf("ParseTarget(%q).String() = %q, %v; want %q", got, tg.String(), err, got)
		}
	})
}
