// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
)

// Surrogate resources: what a redirect rule or a TDS surrogate answers a
// blocked request with. A resources list (DuckDuckGo's surrogates.txt,
// uBlock Origin's legacy resources.txt) holds entries of a header line
// "name content-type" (";base64" when the body is encoded), the body on
// the following lines, and a blank line. A name may carry a host
// ("surrogates.test/tracker"); rules can refer to it by the part after the
// last '/'.

type resource struct {
	name string
	mime string
	body []byte
}

// isResourceHeader reports whether s looks like "name type/subtype".
func isResourceHeader(s string) bool {
	f := strings.Fields(s)
	if len(f) != 2 {
		return false
	}
	typ, sub, ok := strings.Cut(strings.TrimSuffix(f[1], ";base64"), "/")
	if !ok || typ == "" || sub == "" {
		return false
	}
	switch typ {
	case "application", "text", "image", "audio", "video", "font":
	default:
		return false
	}
	return strings.Trim(sub, "abcdefghijklmnopqrstuvwxyz0123456789.+-") == ""
}

func parseResources(l *List, text string) {
	var cur *resource
	var body strings.Builder
	headerLine := 0
	flush := func() {
		if cur == nil {
			return
		}
		data := []byte(strings.TrimRight(body.String(), "\n"))
		if strings.HasSuffix(cur.mime, ";base64") {
			cur.mime = strings.TrimSuffix(cur.mime, ";base64")
			dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
			if err != nil {
				l.Stats.Bad++
				l.addError(headerLine, cur.name, fmt.Errorf("base64 body: %w", err))
				cur = nil
				return
			}
			data = dec
		}
		cur.body = data
		l.resources = append(l.resources, *cur)
		l.Stats.Resources++
		cur = nil
	}
	eachLine(text, func(n int, line string) {
		l.Stats.Lines++
		switch {
		case cur == nil && strings.TrimSpace(line) == "":
		case cur == nil && strings.HasPrefix(line, "#"):
		case cur == nil:
			if !isResourceHeader(line) {
				l.Stats.Bad++
				l.addError(n, line, errors.New(`want a resource header "name type/subtype"`))
				return
			}
			f := strings.Fields(line)
			cur, headerLine = &resource{name: f[0], mime: f[1]}, n
			body.Reset()
		case strings.TrimSpace(line) == "":
			flush()
		default:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	})
	flush()
}

// builtinResources are the neutral resources uBlock Origin's redirect rules
// name most: empty scripts, text, frames, JSON and transparent images.
// They are written here, not copied from any list.
var builtinResources = sync.OnceValue(func() map[string]resource {
	gif, _ := base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
	pngOf := func(w, h int) []byte {
		var b bytes.Buffer
		_ = png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, w, h))) // transparent
		return b.Bytes()
	}
	m := map[string]resource{}
	add := func(mime string, body []byte, names ...string) {
		for _, n := range names {
			m[n] = resource{name: names[0], mime: mime, body: body}
		}
	}
	add("application/javascript", []byte("(function() {\n\t'use strict';\n})();\n"), "noop.js", "noopjs", "noop-js")
	add("text/plain", nil, "noop.txt", "nooptext", "empty")
	add("text/html", []byte("<!DOCTYPE html>\n"), "noop.html", "noopframe")
	add("application/json", []byte("{}"), "noop.json", "noopjson")
	add("text/css", nil, "noop.css", "noopcss")
	add("image/gif", gif, "1x1.gif", "1x1-transparent.gif", "1x1-transparent-gif")
	add("image/png", pngOf(2, 2), "2x2.png", "2x2-transparent.png")
	add("image/png", pngOf(3, 2), "3x2.png", "3x2-transparent.png")
	add("image/png", pngOf(32, 32), "32x32.png", "32x32-transparent.png")
	return m
})

// Surrogate returns the resource a Redirect verdict names: its content
// type and body. The body is shared: callers must not modify it.
func (m *Matcher) Surrogate(name string) (contentType string, body []byte, ok bool) {
	r, ok := m.resources[name]
	if !ok {
		return "", nil, false
	}
	return r.mime, r.body, true
}
