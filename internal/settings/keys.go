// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownKey is returned (wrapped) for a key that is not a setting.
var ErrUnknownKey = errors.New("unknown setting")

// ErrInvalid matches (errors.Is) every error that means "these settings or
// this value are refused": unknown keys, bad values, cross-key rules.
var ErrInvalid = errors.New("invalid setting")

type invalidError struct{ err error }

func (e *invalidError) Error() string   { return e.err.Error() }
func (e *invalidError) Unwrap() []error { return []error{e.err, ErrInvalid} }

// KeyError is a bad value for one key.
type KeyError struct {
	Key   string
	Value string
	Err   error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("bad value %q for %s: %v", e.Value, e.Key, e.Err)
}

func (e *KeyError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

// Key describes one setting in its textual form, as used by
// `polaris config get/set`, the store and exports.
type Key struct {
	Name string
	// Help is one line for humans: what it does and the values it takes.
	Help string
	get  func(*Settings) string
	set  func(*Settings, string) error
}

var registry = func() map[string]Key {
	m := map[string]Key{}
	for _, group := range [][]Key{coreKeys, signalKeys, blockingKeys, httpsKeys, stealthKeys, torKeys, snowflakeKeys, dnsKeys, systemKeys, dataKeys} {
		for _, k := range group {
			if _, dup := m[k.Name]; dup {
				panic("settings: duplicate key " + k.Name)
			}
			m[k.Name] = k
		}
	}
	return m
}()

// Keys returns every setting key, sorted.
func Keys() []Key {
	ks := slices.Collect(maps.Values(registry))
	sort.Slice(ks, func(i, j int) bool { return ks[i].Name < ks[j].Name })
	return ks
}

// Lookup returns the key named name.
func Lookup(name string) (Key, bool) {
	k, ok := registry[name]
	return k, ok
}

// Get returns the textual value of key in s.
func (s Settings) Get(key string) (string, error) {
	k, ok := registry[key]
	if !ok {
		return "", &invalidError{fmt.Errorf("%w %q (see `polaris config keys` for the list)", ErrUnknownKey, key)}
	}
	return k.get(&s), nil
}

// Set parses value and stores it under key in s. On error s is unchanged.
// Set checks the value on its own; call Validate for rules that involve
// several keys.
func (s *Settings) Set(key, value string) error {
	k, ok := registry[key]
	if !ok {
		return &invalidError{fmt.Errorf("%w %q (see `polaris config keys` for the list)", ErrUnknownKey, key)}
	}
	c := s.Clone()
	if err := k.set(&c, strings.TrimSpace(value)); err != nil {
		return &KeyError{Key: key, Value: value, Err: err}
	}
	*s = c
	return nil
}

// Map returns every key's textual value.
func (s Settings) Map() map[string]string {
	m := make(map[string]string, len(registry))
	for name, k := range registry {
		m[name] = k.get(&s)
	}
	return m
}

// FromMap builds settings from Default() plus the given textual values. Keys
// that are not settings are returned in unknown (kept by callers, e.g. written
// by a newer version); bad values are returned as errors and left at their
// default. The result is validated; a cross-key error is in errs too.
func FromMap(m map[string]string) (s Settings, unknown []string, errs []error) {
	s = Default()
	names := slices.Sorted(maps.Keys(m))
	for _, name := range names {
		if _, ok := registry[name]; !ok {
			unknown = append(unknown, name)
			continue
		}
		if err := s.Set(name, m[name]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.Validate(); err != nil {
		errs = append(errs, err)
	}
	return s, unknown, errs
}

// ---- value codecs shared by the key groups ----

func fmtBool(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return false, errors.New("want on or off")
}

func boolKey(name, help string, field func(*Settings) *bool) Key {
	return Key{
		Name: name, Help: help,
		get: func(s *Settings) string { return fmtBool(*field(s)) },
		set: func(s *Settings, v string) error {
			b, err := parseBool(v)
			if err != nil {
				return err
			}
			*field(s) = b
			return nil
		},
	}
}

func intKey(name, help string, lo, hi int, field func(*Settings) *int) Key {
	return Key{
		Name: name, Help: help,
		get: func(s *Settings) string { return strconv.Itoa(*field(s)) },
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errors.New("want a whole number")
			}
			if n < lo || n > hi {
				return fmt.Errorf("want a number from %d to %d", lo, hi)
			}
			*field(s) = n
			return nil
		},
	}
}

// splitList splits a comma- (or newline-) separated list, trimming blanks
// and dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// listKey is a key holding a list of strings, each checked (and possibly
// normalised) by check. Duplicates are removed, order is kept.
func listKey(name, help string, check func(string) (string, error), field func(*Settings) *[]string) Key {
	return Key{
		Name: name, Help: help,
		get: func(s *Settings) string { return strings.Join(*field(s), ",") },
		set: func(s *Settings, v string) error {
			var out []string
			for _, item := range splitList(v) {
				n, err := check(item)
				if err != nil {
					return fmt.Errorf("%q: %w", item, err)
				}
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
			*field(s) = out
			return nil
		},
	}
}

func fmtDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}

// parseDuration accepts Go durations plus a "d" (days) suffix.
func parseDuration(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, errors.New("want a duration such as 12h or 7d")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 12h or 7d")
	}
	return d, nil
}

var coreKeys = []Key{
	{
		Name: "listen",
		Help: "proxy listen address host:port (default " + DefaultListen + "); non-loopback needs proxy.auth",
		get:  func(s *Settings) string { return s.Listen },
		set: func(s *Settings, v string) error {
			if err := checkListen(v); err != nil {
				return err
			}
			s.Listen = v
			return nil
		},
	},
	{
		Name: "proxy.auth",
		Help: `"user:password" for Basic proxy authentication (a password of at least 12 characters), or "" for none`,
		get:  func(s *Settings) string { return s.ProxyAuth },
		set: func(s *Settings, v string) error {
			if err := checkProxyAuth(v); err != nil {
				return err
			}
			s.ProxyAuth = v
			return nil
		},
	},
	boolKey("protection", "master switch for blocking, privacy signals and URL cleaning (on|off)",
		func(s *Settings) *bool { return &s.Protection }),
}
