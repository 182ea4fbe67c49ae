package config

import (
	"fmt"
	"maps"
	"slices"

	"encoding/json"
)

// checker walks the parsed tree with the schema below and collects every
// problem with its position.
type checker struct {
	file string
	src  []byte
	pos  *posNode // nil when positions are unavailable
	errs Errors
}

// report records a problem at the key of p, or at its value when atValue
// (a wrong value is easier to find when the column points at it).
func (c *checker) report(p path, atValue bool, msg, hint string) {
	e := &Error{File: c.file, Path: p.String(), Msg: msg, Hint: hint}
	if c.pos != nil {
		off, exact := c.pos.find(p)
		if atValue && exact {
			off, _ = c.pos.findValue(p)
		}
		e.Line, e.Col = lineCol(c.src, off)
	}
	c.errs = append(c.errs, e)
}

func (c *checker) typeErr(p path, want string, v any, hint string) {
	c.report(p, true, fmt.Sprintf("expected %s, got %s", want, describe(v)), hint)
}

// A rule checks the value at p.
type rule func(c *checker, p path, v any)

func boolean(c *checker, p path, v any) {
	if _, ok := v.(bool); !ok {
		c.typeErr(p, "boolean", v, "")
	}
}

func str(c *checker, p path, v any) {
	if _, ok := v.(string); !ok {
		c.typeErr(p, "string", v, "")
	}
}

func object(c *checker, p path, v any) {
	if _, ok := v.(map[string]any); !ok {
		c.typeErr(p, "object", v, "")
	}
}

// list checks an array and each of its elements.
func list(elem rule) rule {
	return func(c *checker, p path, v any) {
		a, ok := v.([]any)
		if !ok {
			c.typeErr(p, "array", v, "")
			return
		}
		for i, e := range a {
			elem(c, p.with(i), e)
		}
	}
}

var strList = list(str)

// entryList is allowFrom's shape: handles and chat targets as strings, or
// phone numbers written as numbers.
var entryList = list(func(c *checker, p path, v any) {
	switch x := v.(type) {
	case string:
	case json.Number:
		if !finite(x) {
			c.typeErr(p, "string or finite number", v, "")
		}
	default:
		c.typeErr(p, "string or number", v, "")
	}
})

func enum(vals ...string) rule {
	hint := "expected one of " + quoteList(vals)
	return func(c *checker, p path, v any) {
		s, ok := v.(string)
		if !ok {
			c.typeErr(p, "string", v, hint)
		} else if !slices.Contains(vals, s) {
			c.report(p, true, fmt.Sprintf("invalid value %q", s), hint)
		}
	}
}

// intMin checks for an integer ≥ lo (lo is 0 or 1).
func intMin(lo int) rule {
	want := "a non-negative integer"
	if lo > 0 {
		want = "a positive integer"
	}
	return func(c *checker, p path, v any) {
		n, ok := intOf(v)
		if !ok || n < lo {
			c.typeErr(p, want, v, "")
		}
	}
}

// stringWhere checks a string with a validity test and the message for a
// string that fails it.
func stringWhere(valid func(string) bool, msg, hint string) rule {
	return func(c *checker, p path, v any) {
		s, ok := v.(string)
		if !ok {
			c.typeErr(p, "string", v, "")
		} else if !valid(s) {
			c.report(p, true, msg, hint)
		}
	}
}

var (
	cliPath = stringWhere(SafeExecutable,
		"expected a safe executable name or path (no shell metacharacters, quotes or line breaks)",
		`e.g. "imsg", "/opt/homebrew/bin/imsg" or "~/bin/imsg-ssh"`)
	sshHost = stringWhere(func(s string) bool { _, ok := SSHHost(s); return ok },
		"expected SSH host or user@host (no spaces/options)", "")
	rootList = list(stringWhere(func(s string) bool { _, ok := RootPattern(s); return ok },
		"expected absolute path root", `e.g. "/Users/*/Library/Messages/Attachments"`))
)

// fields checks an object against known keys. A strict object rejects
// unknown keys (with a did-you-mean hint); a loose one ignores them.
func fields(keys map[string]rule, strict bool) rule {
	names := slices.Sorted(maps.Keys(keys))
	return func(c *checker, p path, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			c.typeErr(p, "object", v, "")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			r, known := keys[k]
			switch {
			case known:
				r(c, p.with(k), m[k])
			case strict:
				hint := ""
				if s := suggest(k, names); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				c.report(p.with(k), false, fmt.Sprintf("unknown key %q", k), hint)
			}
		}
	}
}

func strict(keys map[string]rule) rule { return fields(keys, true) }
func loose(keys map[string]rule) rule  { return fields(keys, false) }

// record checks every value of an object keyed by ids the user chooses.
func record(elem rule) rule {
	return func(c *checker, p path, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			c.typeErr(p, "object", v, "")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			elem(c, p.with(k), m[k])
		}
	}
}

// Enumerations of the schema, in the order the hints list them.
var (
	dmPolicies    = []string{"pairing", "allowlist", "open", "disabled"}
	groupPolicies = []string{"open", "disabled", "allowlist"}
	dmScopes      = []string{"main", "per-peer", "per-channel-peer", "per-account-channel-peer"}
)

// accountSchema is every key valid both at channels.imessage and under
// channels.imessage.accounts.<id> (spec §16, plus reactionNotifications
// from §18 and probeTimeoutMs, which the reference forgot to allow).
var accountSchema = map[string]rule{
	"name":                   str,
	"capabilities":           strList,
	"markdown":               strict(map[string]rule{"tables": enum("off", "bullets", "code", "block")}),
	"enabled":                boolean,
	"configWrites":           boolean,
	"cliPath":                cliPath,
	"dbPath":                 str,
	"remoteHost":             sshHost,
	"service":                enum("imessage", "sms", "auto"),
	"region":                 str,
	"dmPolicy":               enum(dmPolicies...),
	"allowFrom":              entryList,
	"defaultTo":              str,
	"groupAllowFrom":         entryList,
	"groupPolicy":            enum(groupPolicies...),
	"contextVisibility":      enum("all", "allowlist", "allowlist_quote"),
	"historyLimit":           intMin(0),
	"dmHistoryLimit":         intMin(0),
	"dms":                    record(strict(map[string]rule{"historyLimit": intMin(0)})),
	"includeAttachments":     boolean,
	"attachmentRoots":        rootList,
	"remoteAttachmentRoots":  rootList,
	"mediaMaxMb":             intMin(1),
	"probeTimeoutMs":         intMin(1),
	"textChunkLimit":         intMin(1),
	"chunkMode":              enum("length", "newline"),
	"blockStreaming":         boolean,
	"blockStreamingCoalesce": object,
	"groups": record(strict(map[string]rule{
		"requireMention": boolean,
		"tools":          object,
		"toolsBySender":  record(object),
		"systemPrompt":   str,
	})),
	"heartbeat":             object,
	"healthMonitor":         object,
	"responsePrefix":        str,
	"reactionNotifications": enum("off", "own", "all"),
}

// channelSchema adds the root-only keys.
var channelSchema = func() map[string]rule {
	m := maps.Clone(accountSchema)
	m["accounts"] = record(strict(accountSchema))
	m["defaultAccount"] = str
	return m
}()

// fileSchema covers the whole file: strict inside channels.imessage, loose
// elsewhere, where only the keys this project reads are checked.
var fileSchema = loose(map[string]rule{
	"channels": loose(map[string]rule{"imessage": imessageRule}),
	"messages": loose(map[string]rule{
		"groupChat":      loose(map[string]rule{"mentionPatterns": strList, "historyLimit": intMin(0)}),
		"responsePrefix": str,
		"inbound": loose(map[string]rule{
			"debounceMs": intMin(0),
			"byChannel":  loose(map[string]rule{"imessage": intMin(0)}),
		}),
	}),
	"agents":   loose(map[string]rule{"list": list(agentRule)}),
	"session":  loose(map[string]rule{"dmScope": enum(dmScopes...)}),
	"commands": loose(map[string]rule{"config": boolean, "text": boolean, "useAccessGroups": boolean}),
	"bindings": list(object),
})

var agentFields = loose(map[string]rule{
	"id":        stringWhere(func(s string) bool { return s != "" }, "expected a non-empty agent id", ""),
	"default":   boolean,
	"name":      str,
	"identity":  loose(map[string]rule{"name": str, "emoji": str}),
	"groupChat": loose(map[string]rule{"mentionPatterns": strList}),
})

func agentRule(c *checker, p path, v any) {
	agentFields(c, p, v)
	if m, ok := v.(map[string]any); ok && m["id"] == nil {
		c.report(p, true, "missing agent id", `add id: "main"`)
	}
}

// imessageRule checks channels.imessage. The cross-field rules run only once
// every key in it is valid: a typo such as "allowfrom" would otherwise also
// be reported as a missing allowFrom, ahead of the real mistake.
func imessageRule(c *checker, p path, v any) {
	n := len(c.errs)
	strict(channelSchema)(c, p, v)
	if m, ok := v.(map[string]any); ok && len(c.errs) == n {
		c.crossField(p, m)
	}
}

// crossField applies the dmPolicy/allowFrom rules of §16 to the channel
// root and to each account, an account inheriting the root's dmPolicy and
// allowFrom when it does not set them. An account that sets neither would
// only repeat the root's verdict, so it is not reported twice.
func (c *checker) crossField(p path, root map[string]any) {
	c.dmRule(p, root, root, "channels.imessage.", "channels.imessage.allowFrom")
	accounts, _ := root["accounts"].(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(accounts)) {
		acct, ok := accounts[id].(map[string]any)
		if !ok || (acct["dmPolicy"] == nil && acct["allowFrom"] == nil) {
			continue
		}
		eff := map[string]any{"dmPolicy": root["dmPolicy"], "allowFrom": root["allowFrom"]}
		for _, k := range []string{"dmPolicy", "allowFrom"} {
			if v, ok := acct[k]; ok {
				eff[k] = v
			}
		}
		c.dmRule(p.with("accounts").with(id), acct, eff, "channels.imessage.accounts.*.",
			"channels.imessage.accounts.*.allowFrom (or channels.imessage.allowFrom)")
	}
}

func (c *checker) dmRule(p path, own, eff map[string]any, policyName, listName string) {
	policy, _ := eff["dmPolicy"].(string)
	allow := []string{}
	if v, set := eff["allowFrom"]; set {
		var ok bool
		if allow, ok = entryStrings(v); !ok {
			return // already reported as a type error
		}
	}
	var msg, hint string
	switch {
	case policy == "open" && !slices.Contains(allow, "*"):
		msg = fmt.Sprintf(`%sdmPolicy="open" requires %s to include "*"`, policyName, listName)
		hint = `add "*" to allowFrom, or use dmPolicy "allowlist" or "pairing"`
	case policy == "allowlist" && len(allow) == 0:
		msg = fmt.Sprintf(`%sdmPolicy="allowlist" requires %s to contain at least one sender ID`, policyName, listName)
		hint = `e.g. allowFrom: ["+15551234567", "user@example.com"]`
	default:
		return
	}
	e := len(c.errs)
	c.report(p.with("allowFrom"), false, msg, hint)
	if _, set := own["allowFrom"]; !set && c.pos != nil {
		// Point at the dmPolicy that demands the missing list.
		off, _ := c.pos.find(p.with("dmPolicy"))
		c.errs[e].Line, c.errs[e].Col = lineCol(c.src, off)
	}
}
