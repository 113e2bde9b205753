// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// socksServer answers one SOCKS5 exchange on a net.Pipe with the scripted
// bytes and returns what the client sent.
func socksServer(t testing.TB, reply []byte, run func(net.Conn) error) ([]byte, error) {
	client, server := net.Pipe()
	var sent bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		io.Copy(&sent, server)
		close(readDone)
	}()
	go func() {
		server.Write(reply) // returns once all read, or closed
		server.Close()      // then the client sees EOF
	}()
	err := run(client)
	client.Close()
	server.Close()
	<-readDone
	return sent.Bytes(), err
}

func TestSOCKSConnect(t *testing.T) {
	ok := []byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 80}
	tests := []struct {
		name       string
		addr, user string
		reply      []byte
		sent       []byte
		code       int
		wantErr    bool
	}{
		{"host name, no auth", "example.com:443", "", append([]byte{5, 0}, ok...),
			[]byte{5, 1, 0, 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 1, 187}, 0, false},
		{"ipv4 with auth", "192.0.2.1:80", "a.example", append([]byte{5, 2, 1, 0}, ok...),
			append(append([]byte{5, 1, 2, 1, 9}, "a.example"...), append([]byte{7}, "polaris"+string([]byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80})...)...), 0, false},
		{"ipv6", "[2001:db8::1]:443", "", append([]byte{5, 0}, 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
			[]byte{5, 1, 0, 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, 0, false},
		{"onion not found", "abc.onion:80", "", []byte{5, 0, 5, 0xF0, 0, 1, 0, 0, 0, 0, 0, 0}, nil, 0xF0, true},
		{"refused", "192.0.2.1:80", "", []byte{5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0}, nil, 5, true},
		{"unknown code", "192.0.2.1:80", "", []byte{5, 0, 5, 0x42, 0, 1, 0, 0, 0, 0, 0, 0}, nil, 0x42, true},
		{"auth refused", "192.0.2.1:80", "u", []byte{5, 2, 1, 1}, nil, 0, true},
		{"wrong method", "192.0.2.1:80", "u", []byte{5, 0}, nil, 0, true},
		{"truncated", "192.0.2.1:80", "", []byte{5, 0, 5, 0, 0}, nil, 0, true},
		{"domain reply", "x.example:1", "", []byte{5, 0, 5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 1}, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass := ""
			if tt.user != "" {
				pass = "polaris"
			}
			sent, err := socksServer(t, tt.reply, func(c net.Conn) error {
				return socksConnect(context.Background(), c, tt.addr, tt.user, pass)
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("socksConnect(%q) = %v, want error %v", tt.addr, err, tt.wantErr)
			}
			var de *DialError
			if tt.code != 0 && (!errors.As(err, &de) || de.Code != tt.code || de.Addr != tt.addr) {
				t.Errorf("socksConnect(%q) = %v, want DialError code %#x", tt.addr, err, tt.code)
			}
			if tt.sent != nil && !bytes.Equal(sent, tt.sent) {
				t.Errorf("socksConnect(%q) sent %v, want %v", tt.addr, sent, tt.sent)
			}
		})
	}
}

func TestSOCKSConnectBadInput(t *testing.T) {
	for _, addr := range []string{"no-port", "host:0", "host:99999", ":80", string(make([]byte, 300)) + ":80"} {
		c1, c2 := net.Pipe()
		err := socksConnect(context.Background(), c1, addr, "", "")
		c1.Close()
		c2.Close()
		if err == nil {
			t.Errorf("socksConnect(%q) = nil, want an error", addr)
		}
	}
}

func TestSOCKSConnectCancel(t *testing.T) {
	c1, c2 := net.Pipe() // the server never answers
	defer c2.Close()
	go io.Copy(io.Discard, c2)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := socksConnect(ctx, c1, "example.com:80", "", "")
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("socksConnect with a silent server, cancelled: %v after %v, want context.Canceled promptly", err, time.Since(start))
	}
}

func FuzzSOCKSReply(f *testing.F) {
	f.Add([]byte{5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0, 80})
	f.Add([]byte{5, 2, 1, 0, 5, 0xF6, 0, 3, 200})
	f.Add([]byte{5, 0, 5, 0, 0, 3, 255})
	f.Fuzz(func(t *testing.T, reply []byte) {
		socksServer(t, reply, func(c net.Conn) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return socksConnect(ctx, c, "example.com:443", "u", "p")
		})
	})
}
