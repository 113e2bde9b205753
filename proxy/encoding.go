// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// Content codings: what browsers accept (gzip, deflate, br, zstd), so that
// Polaris can ask for what the browser asks for and still read the body.

// errUnknownCoding is a Content-Encoding Polaris cannot decode.
var errUnknownCoding = errors.New("unknown content coding")

// contentCoding returns the one coding of a Content-Encoding value, lower
// case ("" for none or identity); ok is false for a chain of codings.
func contentCoding(v string) (string, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if strings.Contains(v, ",") {
		return v, false
	}
	if v == "identity" {
		v = ""
	}
	return v, true
}

// decoder returns a reader of r's decoded bytes for a coding
// (contentCoding); closing it frees the decoder, not r.
func decoder(coding string, r io.Reader) (io.ReadCloser, error) {
	switch coding {
	case "":
		return io.NopCloser(r), nil
	case "gzip", "x-gzip":
		return gzip.NewReader(r)
	case "deflate":
		// "deflate" is zlib-wrapped by the standard; some servers send raw
		// deflate, which browsers read too.
		br := bufio.NewReader(r)
		if b, err := br.Peek(2); err == nil && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 && b[0]&0x0f == 8 {
			return zlib.NewReader(br)
		}
		return flate.NewReader(br), nil
	case "br":
		return io.NopCloser(brotli.NewReader(r)), nil
	case "zstd":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(8<<20))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, errUnknownCoding
}
