package sim

import "strings"

// callingCodes covers the regions a test is likely to pass; imsg uses
// PhoneNumberKit, the simulator only needs the common cases right.
var callingCodes = map[string]string{
	"US": "1", "CA": "1", "GB": "44", "IE": "353", "AU": "61", "NZ": "64", "DE": "49", "FR": "33",
	"ES": "34", "IT": "39", "NL": "31", "BE": "32", "CH": "41", "AT": "43", "SE": "46", "NO": "47",
	"DK": "45", "FI": "358", "PL": "48", "PT": "351", "BR": "55", "MX": "52", "IN": "91", "JP": "81",
	"KR": "82", "CN": "86", "SG": "65", "HK": "852",
}

// recipient normalizes a direct-send recipient as imsg does: a service
// prefix (imessage:, sms:, auto:) is dropped, an email is kept, a phone
// number becomes E.164 for region. ok is false for anything else (a
// contact name that Contacts did not resolve), which Messages cannot send to.
func recipient(to, region string) (handle string, sms, ok bool) {
	to = strings.TrimSpace(to)
	for _, p := range []string{"imessage:", "sms:", "auto:"} {
		if len(to) > len(p) && strings.EqualFold(to[:len(p)], p) {
			sms = p == "sms:"
			to = strings.TrimSpace(to[len(p):])
			break
		}
	}
	if strings.Contains(to, "@") {
		return to, sms, true
	}
	if e164, ok := normalizePhone(to, region); ok {
		return e164, sms, true
	}
	if isPhoneish(to) {
		return to, sms, true // imsg keeps a number it cannot parse as typed
	}
	return to, sms, false
}

// looksLikeHandle is imsg's test for a chat_identifier that is really a
// handle (phone characters, an "@", or a service prefix).
func looksLikeHandle(s string) bool {
	_, _, ok := recipient(s, "US")
	return ok
}

// isPhoneish reports whether s is made of phone characters only.
func isPhoneish(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte(" ()-.+", c) < 0:
			return false
		}
	}
	return digits > 0
}

// normalizePhone turns a phone number into E.164: "+" numbers keep their
// digits; national numbers get region's calling code, with a leading
// trunk 0 dropped (a leading 1 for North America).
func normalizePhone(s, region string) (string, bool) {
	plus := strings.HasPrefix(s, "+")
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case strings.IndexByte(" ()-.+", c) >= 0:
		default:
			return "", false
		}
	}
	if len(digits) < 5 || len(digits) > 15 {
		return "", false
	}
	d := string(digits)
	if plus {
		return "+" + d, true
	}
	cc, ok := callingCodes[strings.ToUpper(region)]
	if !ok {
		cc = "1"
	}
	if cc == "1" {
		switch {
		case len(d) == 10:
			return "+1" + d, true
		case len(d) == 11 && d[0] == '1':
			return "+" + d, true
		}
		return "", false
	}
	return "+" + cc + strings.TrimPrefix(d, "0"), true
}
