// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// The TCP instance endpoint (Windows) is a loopback port. Any local
// process can connect to it, so the port comes with a random token in a
// file of the user's data dir; a request without the token is ignored.

// TokenFile holds the endpoint's port and token, in the data dir (Windows).
const TokenFile = "polaris.instance"

func listenTCP(dataDir string) (net.Listener, func(string) (string, bool), func(), error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, nil, nil, err
	}
	token := hex.EncodeToString(raw[:])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	p := filepath.Join(dataDir, TokenFile)
	content := fmt.Sprintf("%s %s\n", ln.Addr().String(), token)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		ln.Close()
		return nil, nil, nil, err
	}
	// Any local process can connect: a request must start with the token.
	check := func(line string) (string, bool) {
		tok, req, _ := strings.Cut(line, " ")
		return req, subtle.ConstantTimeCompare([]byte(tok), []byte(token)) == 1
	}
	return ln, check, func() { os.Remove(p) }, nil
}

func dialTCP(dataDir string) (net.Conn, string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, TokenFile))
	if err != nil {
		return nil, "", err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return nil, "", errors.New("malformed instance file")
	}
	host, _, err := net.SplitHostPort(f[0])
	if err != nil || host != "127.0.0.1" {
		return nil, "", errors.New("instance file names a non-loopback address")
	}
	c, err := net.DialTimeout("tcp", f[0], dialTimeout)
	if err != nil {
		return nil, "", err
	}
	return c, f[1] + " ", nil
}
