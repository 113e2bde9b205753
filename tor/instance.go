// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cretz/bine/control"
	bine "github.com/cretz/bine/tor"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// File names inside the data directory.
const (
	torrcName    = "polaris-torrc"
	defaultsName = "polaris-torrc-defaults" // empty: tor's --defaults-torrc
)

// instance is one run of a tor process and its control connection.
type instance struct {
	c       *Client
	ctl     *control.Conn
	proc    *proc
	out     *tailWriter
	socks   string // SOCKS listener, host:port; set before socksReady
	bridges bool
	started time.Time
	exited  chan struct{} // closed when the process has exited
	kill    context.CancelFunc

	sem        chan struct{} // one control request at a time
	readerDone chan struct{}
	stopping   atomic.Bool

	socksReady   bool // guarded by c.mu
	bootstrapped atomic.Bool
	progress     atomic.Int32
	streams      atomic.Uint64 // streams that succeeded, from STREAM events

	// The last bootstrap problem tor advised to ignore, and when progress
	// last moved: a problem shown only once bootstrap is stuck.
	problemMu  sync.Mutex
	problem    *statusEvent
	progressAt time.Time
	tag        string                    // the bootstrap phase tor is in (TAG)
	stalled    bool                      // the status says bootstrap is stalled
	skew       atomic.Pointer[clockSkew] // the last clock skew tor found

	geoMu    sync.Mutex
	geoKnown bool // geo is settled
	geo      bool // tor has its GeoIP database loaded

	mu       sync.Mutex
	circuits map[string]string // SOCKS username ("" none) -> circuit of its last stream
	nymWait  []chan struct{}   // closed on the next SIGNAL NEWNYM event
}

// launch starts a tor process through bine and brings it to the point where
// it bootstraps. On error nothing is left running.
func (c *Client) launch(ctx context.Context) (*instance, error) {
	bin, err := c.binary(ctx)
	if err != nil {
		return nil, err
	}
	dataDir := c.cfg.DataDir
	if dataDir == "" {
		dataDir = c.tempDir
	}
	if err := c.writeTorrc(dataDir); err != nil {
		return nil, err
	}
	procCtx, kill := context.WithCancel(context.Background())
	inst := &instance{
		c: c, out: newTailWriter(c.cfg.Log), started: time.Now(), kill: kill,
		exited: make(chan struct{}), sem: make(chan struct{}, 1), readerDone: make(chan struct{}),
		circuits: map[string]string{}, progressAt: time.Now(),
		bridges: c.cfg.Bridges != "" && c.cfg.Bridges != settings.BridgesNone,
	}
	cr := &creator{bin: bin, out: inst.out, exited: inst.exited}
	// Abort the launch when ctx ends or tor exits early (bad configuration):
	// bine then stops waiting for the control port.
	startCtx, cancelStart := context.WithCancel(ctx)
	defer cancelStart()
	go func() {
		select {
		case <-inst.exited:
			cancelStart()
		case <-startCtx.Done():
		}
	}()
	stopKill := context.AfterFunc(startCtx, func() {
		if ctx.Err() != nil || isClosed(inst.exited) {
			kill()
		}
	})
	defer stopKill()
	t, err := bine.Start(procCtx, &bine.StartConf{
		ProcessCreator:  cr,
		DataDir:         dataDir,
		TorrcFile:       filepath.Join(dataDir, torrcName),
		NoAutoSocksPort: true, // ours is in the torrc, with its flags
		NoHush:          true, // "Log notice stdout" from the torrc goes to cfg.Log
		ExtraArgs: []string{
			"--defaults-torrc", filepath.Join(dataDir, defaultsName),
			// tor exits when Polaris does, even after a crash
			"--__OwningControllerProcess", strconv.Itoa(os.Getpid()),
		},
	})
	if err == nil && ctx.Err() != nil {
		t.Control.Close()
		err = ctx.Err()
	}
	removeControlPortFiles(dataDir)
	inst.proc = cr.proc
	if err != nil {
		kill()
		if inst.proc != nil {
			inst.waitExit(5 * time.Second)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, explainLaunch(err, inst.out.String(), c.cfg.ExtraTorrc)
	}
	inst.ctl = t.Control
	c.mu.Lock()
	c.inst = inst // current from now on: its events count
	c.mu.Unlock()
	if err := inst.setup(ctx); err != nil {
		inst.stop(context.Background())
		c.clearInstance(inst)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return inst, nil
}

// binary finds the tor executable and checks its version (once).
func (c *Client) binary(ctx context.Context) (string, error) {
	name := c.cfg.Binary
	if name == "" {
		name = "tor"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", permanent(fmt.Sprintf("Tor is not installed (%q not found). Install the tor package, or set the path of the tor program in Polaris's settings.", name), err)
	}
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	if v != nil {
		return bin, nil
	}
	vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "--version").Output()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", permanent(fmt.Sprintf("%s does not run as tor (%v). Set the path of the tor program in Polaris's settings.", bin, err), err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	v, ok := parseVersion(first)
	if !ok {
		return "", permanent(fmt.Sprintf("%s does not look like tor: it says %q.", bin, strings.TrimSpace(first)), nil)
	}
	if versionLess(v, minVersion) {
		return "", permanent(fmt.Sprintf("Tor %s is too old: Polaris needs Tor %d.%d.%d or newer. Update the tor package.", joinInts(v), minVersion[0], minVersion[1], minVersion[2]), nil)
	}
	c.mu.Lock()
	c.version = v
	c.mu.Unlock()
	c.update(func(st *status.Tor) { st.Version = joinInts(v) })
	return bin, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// writeTorrc writes our torrc and the empty defaults file into dataDir.
func (c *Client) writeTorrc(dataDir string) error {
	in := torrcInput{
		Bridges: c.cfg.Bridges, BridgeLines: c.cfg.BridgeLines, ExitCountries: c.cfg.ExitCountries,
		Programs: findPrograms(), ExtraPath: c.cfg.ExtraTorrc, GeoIP: len(c.cfg.ExitCountries) > 0,
	}
	if c.cfg.ExtraTorrc != "" {
		b, err := os.ReadFile(c.cfg.ExtraTorrc)
		if err != nil {
			return permanent(fmt.Sprintf("Polaris cannot read the extra torrc file: %v.", err), err)
		}
		in.Extra = string(b)
	}
	torrc, err := buildTorrc(in)
	if err != nil {
		return permanent("Tor cannot start with these settings: "+err.Error()+".", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return permanent(fmt.Sprintf("Tor cannot create its data folder: %v.", err), err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, torrcName), []byte(torrc), 0o600); err != nil {
		return permanent(fmt.Sprintf("Tor cannot write its configuration: %v.", err), err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, defaultsName), nil, 0o600); err != nil {
		return permanent(fmt.Sprintf("Tor cannot write its configuration: %v.", err), err)
	}
	removeControlPortFiles(dataDir)
	return nil
}

// findPrograms looks for the pluggable-transport programs.
func findPrograms() map[string]string {
	p := map[string]string{}
	if path, err := exec.LookPath("lyrebird"); err == nil {
		p["obfs4"], p["webtunnel"] = path, path
	} else if path, err := exec.LookPath("obfs4proxy"); err == nil {
		p["obfs4"] = path
	}
	if path, err := exec.LookPath("snowflake-client"); err == nil {
		p["snowflake"] = path
	}
	return p
}

// removeControlPortFiles deletes the control-port-* files bine has tor
// write at every start.
func removeControlPortFiles(dataDir string) {
	files, _ := filepath.Glob(filepath.Join(dataDir, "control-port-*"))
	for _, f := range files {
		os.Remove(f)
	}
}

// setup takes ownership of tor, subscribes to events, enables the network
// and reads the SOCKS port.
func (in *instance) setup(ctx context.Context) error {
	if err := in.ctl.TakeOwnership(); err != nil { // tor exits when we hang up
		return fmt.Errorf("taking ownership of tor: %w", err)
	}
	events := make(chan control.Event, 256)
	codes := []control.EventCode{control.EventCodeStatusClient, control.EventCodeStatusGeneral,
		control.EventCodeSignal, control.EventCodeStream, control.EventCodeCircuit}
	if err := in.ctl.AddEventListener(events, codes...); err != nil {
		return fmt.Errorf("subscribing to tor events: %w", err)
	}
	go in.readEvents()
	go in.pumpEvents(events)
	go in.watchStuck()

	if v, err := in.getInfo(ctx, "version"); err == nil {
		in.c.update(func(st *status.Tor) { st.Version = strings.Fields(v + " ")[0] })
	}
	if len(in.c.cfg.ExitCountries) > 0 {
		if v, err := in.getInfo(ctx, "ip-to-country/ipv4-available"); err != nil || v != "1" {
			return permanent("Choosing exit countries needs Tor's GeoIP database, which is missing: install the tor-geoipdb package, or clear the exit countries.", err)
		}
	}
	in.c.update(func(st *status.Tor) {
		st.State, st.Phase = status.TorBootstrapping, "Connecting to the Tor network"
	})
	err := in.do(ctx, func(ctl *control.Conn) error {
		return ctl.SetConf(control.KeyVals("DisableNetwork", "0")...)
	})
	if err != nil {
		return fmt.Errorf("enabling tor's network: %w", err)
	}
	// The SOCKS listener opens when the network is enabled.
	for i := 0; ; i++ {
		v, err := in.getInfo(ctx, "net/listeners/socks")
		if err != nil {
			return fmt.Errorf("reading tor's SOCKS port: %w", err)
		}
		if words, _ := splitReply(v); len(words) > 0 {
			in.socks = words[0]
			in.c.socksKnown(in)
			break
		}
		if i == 200 {
			return errors.New("tor opened no SOCKS port")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, err := in.getInfo(ctx, "status/bootstrap-phase"); err == nil {
		in.onStatus(parseStatus(v))
	}
	return nil
}

// stop shuts tor down: HALT, then kill when ctx ends (at most 10 s later),
// and waits for the process to exit.
func (in *instance) stop(ctx context.Context) error {
	in.stopping.Store(true)
	if in.ctl != nil {
		// In a goroutine: a hung tor must not keep us from killing it.
		go func() {
			hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			in.do(hctx, func(ctl *control.Conn) error { return ctl.Signal("HALT") })
			cancel()
			in.ctl.Close() // with TAKEOWNERSHIP, tor also exits on hang-up
		}()
	}
	var err error
	select {
	case <-in.exited:
	case <-ctx.Done():
		err = fmt.Errorf("tor did not stop in time; killed it: %w", ctx.Err())
	case <-time.After(10 * time.Second):
		err = errors.New("tor did not stop within 10 s; killed it")
	}
	in.kill()
	if !in.waitExit(10 * time.Second) {
		return errors.New("tor did not exit after being killed")
	}
	if in.ctl != nil {
		<-in.readerDone // the connection ends with the process
	}
	return err
}

// waitExit waits up to d for the process to exit and reports whether it did.
func (in *instance) waitExit(d time.Duration) bool {
	select {
	case <-in.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// exitReason says how the process ended, e.g. "signal: killed".
func (in *instance) exitReason() string {
	if in.proc == nil {
		return "unknown"
	}
	if err := in.proc.Wait(); err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// pid returns the process id of tor, or 0.
func (in *instance) pid() int {
	if in.proc == nil || in.proc.cmd.Process == nil {
		return 0
	}
	return in.proc.cmd.Process.Pid
}
