// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// jsonLine returns the 1-based line of a JSON list on which a skipped entry
// sits, so that JSON lists report bad entries with a line number like text
// lists do. The path is a chain of strings as they appear in the source
// (object keys and string values); each is looked for after the previous one,
// so a rule is found inside its own tracker's object; one that is not there
// is skipped. It returns the line of the last string found, or 0 if none is.
// It is called only for skipped entries, which are rare, so a scan is fine.
func jsonLine(text string, path ...string) int {
	pos, found := 0, -1
	for _, s := range path {
		i := strings.Index(text[pos:], jsonQuote(s))
		if i < 0 {
			continue // e.g. a feature name absent from a one-feature file
		}
		found = pos + i
		pos = found + 1
	}
	if found < 0 {
		return 0
	}
	return 1 + strings.Count(text[:found], "\n")
}

// jsonQuote encodes s the way list publishers write it: a JSON string with
// no HTML escaping.
func jsonQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) != nil {
		return s
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonError adds the line and column to a JSON decoding error of a whole
// list, which otherwise only knows its byte offset.
func jsonError(text string, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(text)) {
		return err
	}
	before := text[:off]
	line := 1 + strings.Count(before, "\n")
	col := int(off) - strings.LastIndexByte(before, '\n')
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// rawString decodes a JSON string value, or returns "" if it is not one.
func rawString(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s
}
