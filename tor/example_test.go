// SPDX-License-Identifier: GPL-3.0-or-later

package tor_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/tor"
)

// The proxy's dialer in Tor mode: every upstream connection goes through
// Tor by host name, isolated by first-party site, and fails closed.
func Example() {
	c, err := tor.New(tor.Config{
		DataDir: "/home/user/.local/share/polaris/tor", // kept between runs
		Isolate: true,
		Bridges: settings.BridgesNone,
		OnStatus: func(st status.Tor) {
			fmt.Printf("tor %s %d%% %s %s\n", st.State, st.Progress, st.Phase, st.Err)
		},
		Log: os.Stderr,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Start(context.Background()); err != nil {
		fmt.Println(err) // tor missing, too old, bad configuration: needs the user
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Shutdown(ctx)
	}()

	site := "example.com" // the first-party site of the request
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return c.DialContext(ctx, network, addr, site)
	}
	conn, err := dial(context.Background(), "tcp", "example.com:443")
	var de *tor.DialError
	switch {
	case errors.Is(err, tor.ErrNotReady):
		// Answer with the "Tor is not connected, nothing was sent" page.
	case errors.As(err, &de):
		// Tor is up but could not reach the site: de.Reason says why.
	case err == nil:
		conn.Close()
	}
}
