// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The private network of the end-to-end tests. TestMain re-executes the test
// binary in new network, mount and PID namespaces (unshare(1): as root, or in
// a user namespace where root is not available). Inside, only loopback
// exists: `lo` is brought up, /etc/hosts, /etc/resolv.conf and
// /etc/nsswitch.conf are replaced (bind mounts, private to the namespace) so
// that every name is asked of the test DNS stub (dns_test.go) on 127.0.0.1:53,
// and the origins of web_test.go listen on ports 80 and 443 of several
// loopback addresses. The test binary is PID 1 there: when it ends, however
// it ends, the kernel kills every process left in the namespace (browsers,
// Polaris, tor), and when the outer binary dies the inner one is killed too.
//
// With CI=true a namespace that cannot be made fails the run with the reason;
// elsewhere the tests run outside one and the browser tests skip, saying why.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const netnsEnv = "POLARIS_E2E_NETNS"

// netnsErr says why the tests do not run in their own namespace ("" when
// they do).
var netnsErr string

// enterNetns re-executes the test binary in the namespaces and returns its
// exit code with done=true; inside (or where no namespace can be made
// outside CI) it prepares the namespace and returns done=false.
func enterNetns() (code int, done bool) {
	switch os.Getenv(netnsEnv) {
	case "inside":
		if err := setupNetns(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: preparing the test network namespace: %v\n", err)
			return 1, true
		}
		return 0, false
	case "off":
		netnsErr = netnsEnv + "=off"
		return 0, false
	}
	flags, err := unshareFlags()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "e2e: CI=true and no network namespace can be made for the browser tests: %v\n", err)
			return 1, true
		}
		netnsErr = err.Error()
		fmt.Fprintf(os.Stderr, "e2e: no network namespace (%v): the browser tests will skip\n", err)
		return 0, false
	}
	args := append(flags, "--", os.Args[0])
	cmd := exec.Command("unshare", append(args, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), netnsEnv+"=inside")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting unshare: %v\n", err)
		return 1, true
	}
	// Pass on interrupts to the test binary inside (unshare's child), so that
	// it can stop its browsers and print what it was doing.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	go func() {
		for s := range sigs {
			if pid := childOf(cmd.Process.Pid); pid > 0 {
				syscall.Kill(pid, s.(syscall.Signal))
			} else {
				cmd.Process.Signal(s)
			}
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), true
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: unshare: %v\n", err)
		return 1, true
	}
	return 0, true
}

// unshareFlags finds the unshare(1) flags that work here: plain namespaces
// as root, a user namespace mapping the caller to root otherwise.
func unshareFlags() ([]string, error) {
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, fmt.Errorf("unshare(1) is missing (Debian package util-linux)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("ip(8) is missing (Debian package iproute2)")
	}
	base := []string{"--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"}
	var errs []string
	for _, flags := range [][]string{base, append([]string{"--user", "--map-root-user"}, base...)} {
		out, err := exec.Command("unshare", append(flags, "--", "ip", "link", "set", "lo", "up")...).CombinedOutput()
		if err == nil {
			return flags, nil
		}
		errs = append(errs, fmt.Sprintf("unshare %s: %v: %s", strings.Join(flags, " "), err, strings.TrimSpace(string(out))))
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// childOf returns the first child of pid, or 0.
func childOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// setupNetns runs inside the new namespaces: loopback up, the name
// service files replaced, the DNS stub started.
func setupNetns() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	// Every loopback address is local on Linux, but ::1 needs lo up first
	// and some kernels start with IPv6 disabled in a new namespace.
	dir, err := os.MkdirTemp("", "polaris-e2e-etc")
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	files := map[string]string{
		"/etc/hosts":         fmt.Sprintf("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", host),
		"/etc/resolv.conf":   "# the Polaris e2e DNS stub (e2e/dns_test.go)\nnameserver 127.0.0.1\noptions timeout:2 attempts:1\n",
		"/etc/nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
	}
	for target, text := range files {
		src := filepath.Join(dir, filepath.Base(target))
		if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
			return err
		}
		dst, err := filepath.EvalSymlinks(target)
		if err != nil {
			// A dangling /etc/resolv.conf link (resolved not running):
			// mount over the link's target's folder is too much; say so.
			return fmt.Errorf("%s: %w", target, err)
		}
		if err := syscall.Mount(src, dst, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s over %s: %w", src, dst, err)
		}
	}
	if err := startDNS(); err != nil {
		return fmt.Errorf("starting the DNS stub: %w", err)
	}
	return nil
}
