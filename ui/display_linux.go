// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux && cgo

package ui

/*
#cgo pkg-config: x11
#include <X11/Xlib.h>

// polarisPending sends what was drawn, then reports whether Xlib already
// holds events for the window.
static int polarisPending(Display *d) {
	XFlush(d);
	return XEventsQueued(d, QueuedAlready) > 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/go-gl/glfw/v3.4/glfw"
)

// probe is the connection CheckDisplay opened, kept until the window is
// up: closing the X server's only client makes a fresh server (Xvfb,
// a new session) reset, and a connection made during the reset fails —
// the window's own, made right after.
var probe *C.Display

// CheckDisplay reports why the window cannot be opened here, or nil: no
// display to connect to (a console, ssh without X forwarding). Fyne would
// otherwise fail deep inside GLFW and panic. The caller says what to do
// instead. Main goroutine, before Run.
func CheckDisplay() error {
	x, err := x11Only()
	if err != nil || !x {
		return err
	}
	name := os.Getenv("DISPLAY")
	dpy := C.XOpenDisplay(nil)
	if dpy == nil {
		return fmt.Errorf("cannot connect to the display %q", name)
	}
	probe = dpy
	return nil
}

// x11Only reports whether the window can only be on X11 (Fyne's GLFW
// speaks X11 and Wayland and picks one as Fyne's forcePlatform says): then
// DISPLAY is the one to check. A Wayland session is left to GLFW, which
// falls back to X11 by itself. Neither variable set is an error.
func x11Only() (bool, error) {
	switch os.Getenv("FYNE_PLATFORM") {
	case "x11":
		if os.Getenv("DISPLAY") == "" {
			return false, errors.New("no display to open the window on (FYNE_PLATFORM=x11, and DISPLAY is not set)")
		}
		return true, nil
	case "wayland":
		return false, nil
	}
	switch {
	case os.Getenv("WAYLAND_DISPLAY") != "":
		return false, nil
	case os.Getenv("DISPLAY") == "":
		return false, errors.New("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)")
	}
	return true, nil
}

// releaseProbe closes CheckDisplay's connection once the window has its own.
func releaseProbe() {
	if probe != nil {
		C.XCloseDisplay(probe)
		probe = nil
	}
}

// x11Wait waits on the X connection of Fyne's window (GLFW's), through Go's
// network poller on a duplicate of its descriptor: a wait in a C call would
// keep the Go runtime's monitor thread polling it every 10 ms.
type x11Wait struct {
	dpy   *C.Display
	f     *os.File
	rc    syscall.RawConn
	woken atomic.Bool
}

// openDisplayWait returns a displayWait for the window's X connection, or
// nil when the window is not on X11 (Wayland) or the connection cannot be
// polled. Fyne thread, once the app runs.
func openDisplayWait() displayWait {
	if glfw.GetPlatform() != glfw.PlatformX11 {
		return nil
	}
	d := glfw.GetX11Display()
	if d == nil {
		return nil
	}
	dpy := (*C.Display)(unsafe.Pointer(d))
	fd, err := syscall.Dup(int(C.XConnectionNumber(dpy)))
	if err != nil {
		return nil
	}
	syscall.CloseOnExec(fd)
	// xcb keeps its socket non-blocking, which makes the file pollable.
	f := os.NewFile(uintptr(fd), "X display")
	rc, err := f.SyscallConn()
	if err != nil || f.SetReadDeadline(time.Time{}) != nil {
		f.Close()
		return nil
	}
	return &x11Wait{dpy: dpy, f: f, rc: rc}
}

func (x *x11Wait) wait(d time.Duration) waitResult {
	if C.polarisPending(x.dpy) != 0 {
		return waitDisplay
	}
	x.f.SetReadDeadline(time.Now().Add(d))
	if x.woken.Swap(false) {
		return waitWoken
	}
	// Wait until readable, reading nothing: GLFW reads the events.
	waited := false
	err := x.rc.Read(func(uintptr) bool {
		done := waited
		waited = true
		return done
	})
	switch {
	case x.woken.Swap(false):
		return waitWoken
	case err != nil:
		return waitTimeout
	}
	return waitDisplay
}

func (x *x11Wait) wake() {
	x.woken.Store(true)
	x.f.SetReadDeadline(time.Now())
}
