// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
)

// ErrNotApplied marks a rule that is valid but that Polaris, as a network
// proxy, does not apply: element hiding and scriptlets, and rules whose
// options act on the page rather than on the request ($csp, $popup...).
var ErrNotApplied = errors.New("valid, but not applied by a network proxy")

// ValidateRule checks one line of the user's own rules (Adblock Plus
// syntax) as it is typed. It returns nil for a rule the engine applies, and
// for a comment or an empty line; an error wrapping ErrNotApplied for a
// cosmetic rule or one with page-level options; an error wrapping
// ErrUnknownOption for an unknown option; and a plain error for malformed
// syntax. Error messages are short and meant for the user.
func ValidateRule(line string) error {
	_, cls, err := parseABPLine(line)
	switch cls {
	case lineBlank, lineNetwork:
		return nil
	case lineCosmetic:
		return fmt.Errorf("element hiding or scriptlet rule: %w", ErrNotApplied)
	case lineIgnored:
		return fmt.Errorf("rule with a page-level option: %w", ErrNotApplied)
	}
	return err
}
