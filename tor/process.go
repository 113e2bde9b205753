// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cretz/bine/process"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// creator makes bine start tor with our output writer and lets us watch the
// process exit.
type creator struct {
	bin    string
	out    io.Writer
	exited chan struct{}
	proc   *proc
}

func (cr *creator) New(ctx context.Context, args ...string) (process.Process, error) {
	cmd := exec.CommandContext(ctx, cr.bin, args...)
	cmd.Stdout, cmd.Stderr = cr.out, cr.out
	cmd.WaitDelay = 2 * time.Second // a plugin holding tor's stdout must not block Wait
	setProcAttr(cmd)
	cr.proc = &proc{cmd: cmd, done: cr.exited}
	if i := slices.Index(args, "--ControlPortWriteToFile"); i >= 0 && i+1 < len(args) {
		cr.proc.portFile = args[i+1]
	}
	return cr.proc, nil
}

// proc is a tor process; Wait may be called any number of times.
type proc struct {
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	portFile string // where tor writes its control port
}

// Start starts tor and waits (up to 10 s) until it has written its control
// port file or exited: bine reads that file right after Start and then only
// every 200 ms, for 2 s.
func (p *proc) Start() error {
	if err := p.cmd.Start(); err != nil {
		p.err = err
		close(p.done)
		return err
	}
	go func() {
		err := p.cmd.Wait()
		p.err = err
		close(p.done)
	}()
	if p.portFile == "" {
		return nil
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for {
		if b, err := os.ReadFile(p.portFile); err == nil && strings.HasPrefix(string(b), "PORT=") {
			return nil
		}
		select {
		case <-p.done:
			return nil
		case <-timeout:
			return nil
		case <-tick.C:
		}
	}
}

func (p *proc) Wait() error {
	<-p.done
	return p.err
}

func (p *proc) EmbeddedControlConn() (net.Conn, error) {
	return nil, process.ErrControlConnUnsupported
}

// tailWriter passes tor's output on and keeps its last lines for
// explaining failures.
type tailWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

const tailSize = 16 << 10

func newTailWriter(w io.Writer) *tailWriter { return &tailWriter{w: w} }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w != nil {
		t.w.Write(p) // a failing log must not stop tor
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize/2:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
