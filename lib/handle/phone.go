package handle

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultRegion is the region used when none is given, as in imsg and the
// reference gateway.
const DefaultRegion = "US"

// maxE164Digits is the longest number E.164 allows, country code included.
const maxE164Digits = 15

// minE164Digits is the shortest plausible international number (small
// territories have 4-digit subscriber numbers behind a 3-digit code).
const minE164Digits = 7

// region is what national-number parsing needs to know about a country.
type region struct {
	cc    string // country calling code
	trunk string // national trunk prefix, dropped before the country code
	intl  string // international call prefix ("" when ambiguous)
	min   int    // shortest national significant number
	max   int    // longest national significant number
}

// regions covers the countries most iMessage users are in. Lengths are of
// the national significant number (without trunk prefix), kept a little
// generous: a too-strict table would lock real people out of an allowlist.
var regions = map[string]region{
	"US": {"1", "1", "011", 10, 10},
	"CA": {"1", "1", "011", 10, 10},
	"GB": {"44", "0", "00", 7, 10},
	"IE": {"353", "0", "00", 7, 9},
	"AU": {"61", "0", "0011", 5, 9},
	"NZ": {"64", "0", "00", 8, 10},
	"DE": {"49", "0", "00", 5, 13},
	"FR": {"33", "0", "00", 9, 9},
	"ES": {"34", "", "00", 9, 9},
	"IT": {"39", "", "00", 6, 11}, // the leading 0 of landlines is part of the number
	"NL": {"31", "0", "00", 7, 10},
	"BE": {"32", "0", "00", 8, 9},
	"CH": {"41", "0", "00", 9, 9},
	"AT": {"43", "0", "00", 4, 13},
	"SE": {"46", "0", "00", 7, 10},
	"NO": {"47", "", "00", 8, 8},
	"DK": {"45", "", "00", 8, 8},
	"FI": {"358", "0", "00", 5, 12},
	"PL": {"48", "", "00", 9, 9},
	"PT": {"351", "", "00", 9, 9},
	"BR": {"55", "0", "", 10, 11}, // 00 is followed by a carrier code
	"MX": {"52", "", "00", 10, 10},
	"IN": {"91", "0", "00", 10, 10},
	"JP": {"81", "0", "010", 9, 10},
	"KR": {"82", "0", "001", 8, 10},
	"CN": {"86", "0", "00", 9, 11},
	"SG": {"65", "", "001", 8, 8},
	"HK": {"852", "", "001", 8, 8},
}

// byCode finds the table entry for an international number by its calling
// code; calling codes are prefix-free, so at most one matches.
func byCode(digits string) (region, bool) {
	for _, r := range regions {
		if strings.HasPrefix(digits, r.cc) {
			return r, true
		}
	}
	return region{}, false
}

// Regions lists the region codes with national-number rules, sorted.
func Regions() []string {
	out := make([]string, 0, len(regions))
	for k := range regions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckRegion reports whether national numbers can be normalised for region
// ("" means DefaultRegion), so a config can be checked before any message
// arrives. Normalize itself fails only when it meets a national number.
func CheckRegion(code string) error {
	_, err := lookupRegion(code)
	return err
}

func lookupRegion(code string) (region, error) {
	if code == "" {
		code = DefaultRegion
	}
	r, ok := regions[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return region{}, fmt.Errorf("unknown region %q: want one of %s", code, strings.Join(Regions(), " "))
	}
	return r, nil
}

// phoneSeparators are the characters people put between digits.
const phoneSeparators = " ()-./\u00a0\t"

// normalizePhone turns a phone number in any usual notation into E.164.
func normalizePhone(s, regionCode string) (string, error) {
	t := s
	if hasPrefixFold(t, "tel:") {
		t = strings.TrimSpace(t[len("tel:"):])
	}
	plus := false
	digits := make([]byte, 0, len(t))
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && !plus && len(digits) == 0:
			plus = true
		case strings.ContainsRune(phoneSeparators, r):
		default:
			return "", fmt.Errorf("invalid handle %q: not a phone number or email", s)
		}
	}
	if len(digits) == 0 {
		return "", fmt.Errorf("invalid handle %q: not a phone number or email", s)
	}
	d := string(digits)
	if plus {
		return international(s, d)
	}
	reg, err := lookupRegion(regionCode)
	if err != nil {
		return "", fmt.Errorf("cannot normalise national number %q: %w", s, err)
	}
	switch {
	case reg.intl != "" && strings.HasPrefix(d, reg.intl):
		return international(s, d[len(reg.intl):])
	case reg.trunk != "" && strings.HasPrefix(d, reg.trunk):
		return national(s, reg, d[len(reg.trunk):])
	case strings.HasPrefix(d, reg.cc) && fits(reg, len(d)-len(reg.cc)) &&
		(reg.trunk != "" || len(d) > reg.max):
		// The country code typed without "+": national numbers of a
		// country with a trunk prefix start with that prefix, and those of
		// the others are never longer than max.
		return international(s, d)
	}
	return national(s, reg, d)
}

// national prefixes a national significant number with the calling code.
func national(s string, reg region, nsn string) (string, error) {
	if err := checkLength(s, reg, len(nsn)); err != nil {
		return "", err
	}
	return international(s, reg.cc+nsn)
}

// international validates digits (country code first) as E.164.
func international(s, d string) (string, error) {
	switch {
	case len(d) > maxE164Digits:
		return "", fmt.Errorf("invalid phone number %q: too many digits (E.164 allows %d)", s, maxE164Digits)
	case len(d) < minE164Digits:
		return "", fmt.Errorf("invalid phone number %q: too few digits", s)
	case d[0] == '0':
		return "", fmt.Errorf("invalid phone number %q: no country code starts with 0", s)
	}
	if reg, ok := byCode(d); ok {
		if err := checkLength(s, reg, len(d)-len(reg.cc)); err != nil {
			return "", err
		}
	}
	return "+" + d, nil
}

func fits(reg region, n int) bool { return n >= reg.min && n <= reg.max }

func checkLength(s string, reg region, n int) error {
	switch {
	case n < reg.min:
		return fmt.Errorf("invalid phone number %q: too few digits for +%s", s, reg.cc)
	case n > reg.max:
		return fmt.Errorf("invalid phone number %q: too many digits for +%s", s, reg.cc)
	}
	return nil
}
