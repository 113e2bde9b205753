// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"fmt"
	"slices"
	"strings"
)

// Settings that widen exposure. Most settings only change what Polaris
// does for the user; some open Polaris, this computer or its traffic to
// others: a network listen address, credentials someone else knows, an
// authority trusted to vouch for every site, a program run as Tor, sites
// let through, the system's proxy. A change of those that the user did not
// make in the window or with `config set` (an imported file) is shown and
// applied only when they confirm it.

// Change is one setting that a change of settings would widen exposure
// with.
type Change struct {
	Key  string
	From string // the current value, as shown to the user
	To   string // the new one
	Why  string // what it lets happen, in plain words
}

func (c Change) String() string {
	return fmt.Sprintf("%s: %s → %s (%s)", c.Key, orNone(c.From), orNone(c.To), c.Why)
}

func orNone(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// widener decides whether the change of one key from cur to next widens
// exposure, and says how; "" when it does not.
type widener struct {
	key string
	why func(cur, next string, c, n Settings) string
}

// changedTo is a widener for a key whose every new non-empty value widens.
func changedTo(key, why string) widener {
	return widener{key, func(cur, next string, _, _ Settings) string {
		if next != "" && next != cur {
			return why
		}
		return ""
	}}
}

// turned is a widener for a switch whose change from "from" to "to" widens.
func turned(key, from, to, why string) widener {
	return widener{key, func(cur, next string, _, _ Settings) string {
		if cur == from && next == to {
			return why
		}
		return ""
	}}
}

// added is a widener for a list (split by sep) whose new entries widen.
func added(key, sep, why string, keep func(string) bool) widener {
	return widener{key, func(cur, next string, _, _ Settings) string {
		if newEntries(cur, next, sep, keep) {
			return why
		}
		return ""
	}}
}

func newEntries(cur, next, sep string, keep func(string) bool) bool {
	have := map[string]bool{}
	for _, e := range strings.Split(cur, sep) {
		have[strings.TrimSpace(e)] = true
	}
	for _, e := range strings.Split(next, sep) {
		e = strings.TrimSpace(e)
		if e != "" && !have[e] && (keep == nil || keep(e)) {
			return true
		}
	}
	return false
}

var wideners = []widener{
	{"listen", func(cur, next string, _, _ Settings) string {
		if next != cur && !IsLoopback(next) {
			return "other computers on the network could use this Polaris, and through it your connection"
		}
		return ""
	}},
	changedTo("proxy.auth", "whoever knows this user name and password could use this Polaris from the network"),
	changedTo("https.upstream-ca", "Polaris would trust this authority to vouch for every site: whoever holds its key could read and change your HTTPS traffic"),
	changedTo("tor.binary", "Polaris would run this program, with your rights, as Tor"),
	changedTo("tor.torrc", "these lines would be added to Tor's configuration (they can open ports, or change which relays and bridges Tor uses)"),
	turned("https.default-exclusions", "on", "off", "banking, health and government sites would be looked into too"),
	turned("tor", "on", "off", "your traffic would no longer go through Tor: sites and your network would see your address"),
	turned("pac.fail-open", "off", "on", "programs that use the PAC file would connect around Polaris when it is not running"),
	turned("snowflake.enabled", "off", "on", "strangers' Tor traffic would pass through this computer's connection to the Tor network (it uses your bandwidth)"),
	turned("system.proxy", "off", "on", "Polaris would become the proxy of every program on this computer"),
	turned("system.autostart", "off", "on", "Polaris would start by itself at every login"),
	turned("system.firefox", "off", "on", "Polaris would change the proxy settings of your Firefox profiles"),
	added("blocking.allowlist", ",", "trackers on these sites would no longer be blocked", nil),
	added("stealth.exceptions", ",", "cookie and header protections would be off on these sites", nil),
	added("headers.authorization-allow", ",", "these sites would receive the credentials your browser attaches by itself", nil),
	added("signals.exceptions", ",", "these sites would get other privacy signals than the ones you chose", nil),
	added("blocking.custom-rules", "\n", "these rules let through requests that the lists block", func(rule string) bool {
		return strings.HasPrefix(rule, "@@")
	}),
	{"dns.custom", func(_, _ string, c, n Settings) string {
		cu, _ := c.DNS.Server()
		nu, _ := n.DNS.Server()
		if n.DNS.Encrypted && n.DNS.Resolver == DNSCustom && (!c.DNS.Encrypted || nu != cu) {
			return "the name of every site you visit would be sent to this resolver"
		}
		return ""
	}},
}

// Widening returns the changes from cur to next that widen exposure, in
// the order of the keys above. Secrets are not shown: a password is
// described by its length.
func Widening(cur, next Settings) []Change {
	cm, nm := cur.Map(), next.Map()
	var out []Change
	for _, w := range wideners {
		why := w.why(cm[w.key], nm[w.key], cur, next)
		if why == "" {
			continue
		}
		c := Change{Key: w.key, From: cm[w.key], To: nm[w.key], Why: why}
		switch w.key {
		case "proxy.auth":
			c.From, c.To = describeAuth(c.From), describeAuth(c.To)
		case "blocking.custom-rules":
			c.From, c.To = "", exceptionRules(cm[w.key], nm[w.key])
		case "dns.custom":
			c.From, _ = cur.DNS.Server()
			if !cur.DNS.Encrypted {
				c.From = "your network's DNS"
			}
			c.To, _ = next.DNS.Server()
		}
		out = append(out, c)
	}
	return out
}

func describeAuth(v string) string {
	user, pass, ok := strings.Cut(v, ":")
	if !ok {
		return ""
	}
	return fmt.Sprintf("user %q with a password of %d characters", user, len([]rune(pass)))
}

// exceptionRules lists the exception rules next adds to cur.
func exceptionRules(cur, next string) string {
	have := map[string]bool{}
	for _, r := range strings.Split(cur, "\n") {
		have[strings.TrimSpace(r)] = true
	}
	var out []string
	for _, r := range strings.Split(next, "\n") {
		if r = strings.TrimSpace(r); strings.HasPrefix(r, "@@") && !have[r] && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, " ")
}

// KeepCurrent returns next with the keys of changes set back to their
// values in cur (dns.custom takes the whole DNS choice back).
func KeepCurrent(next, cur Settings, changes []Change) Settings {
	out := next.Clone()
	for _, c := range changes {
		if c.Key == "dns.custom" {
			out.DNS = cur.DNS
			out.DNS.Bootstrap = slices.Clone(cur.DNS.Bootstrap)
			continue
		}
		v, _ := cur.Get(c.Key)
		if err := out.Set(c.Key, v); err != nil {
			panic("settings: a current value does not parse: " + err.Error())
		}
	}
	return out
}

// ImportCheck is what importing a data export would change that needs the
// user's confirmation: the settings in it that widen exposure. Digest
// identifies the file checked, so that a confirmation applies to exactly
// that file.
type ImportCheck struct {
	Path   string
	Digest string
	// Encrypted: the file is encrypted (and was opened with its
	// passphrase).
	Encrypted bool
	Widening  []Change
}
