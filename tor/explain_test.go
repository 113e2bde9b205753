// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cretz/bine/control"

	"polaris/internal/status"
)

func TestBootstrapWarning(t *testing.T) {
	tests := []struct {
		event   string
		bridges bool
		want    string
	}{
		{`WARN BOOTSTRAP PROGRESS=5 REASON=CONNECTREFUSED WARNING="Connection refused"`, false, "Tor cannot reach the Tor network: the connection was refused. Check that this computer is online; if Tor is blocked where you are, turn on bridges."},
		{`WARN BOOTSTRAP PROGRESS=5 REASON=TIMEOUT`, true, "Tor cannot reach its bridges: the connection timed out. The bridges may be blocked or offline: try other bridges, or snowflake."},
		{`WARN BOOTSTRAP PROGRESS=5 REASON=NOROUTE`, false, "there is no route to the network"},
		{`WARN BOOTSTRAP PROGRESS=5 REASON=PT_MISSING`, true, "The bridge program did not start"},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=IDENTITY`, true, "A bridge answered with the wrong identity"},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=IDENTITY`, false, "Try bridges."},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=RESOURCELIMIT`, false, "ran out of resources"},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=MISC WARNING="Something odd"`, false, "the connection failed (Something odd)"},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=DONE WARNING="DONE"`, false, "the connection failed. Check"},
		{`WARN BOOTSTRAP PROGRESS=10 REASON=HS_DESC`, false, "the connection failed (hs_desc)"},
	}
	for _, tt := range tests {
		if got := bootstrapWarning(parseStatus(tt.event), tt.bridges); !strings.Contains(got, tt.want) {
			t.Errorf("bootstrapWarning(%q, bridges=%v) = %q, want it to contain %q", tt.event, tt.bridges, got, tt.want)
		}
	}
}

// Tor's sign: SKEW is negative when this computer's clock is behind (tor
// 0.4.9 logs "our clock is behind by 2 hours, 59 minutes" with SKEW=-10799).
func TestClockSkew(t *testing.T) {
	tests := []struct {
		event string
		ready bool
		want  string
	}{
		{`WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23001`, false, "This computer's clock is about 3 hours behind, so Tor may fail to connect. Set the correct date, time and time zone."},
		{`WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23001`, true, "This computer's clock is about 3 hours behind. Tor is connected anyway, but may stop working until you set the correct date, time and time zone."},
		{`WARN CLOCK_SKEW SKEW=7200 SOURCE=OR:192.0.2.1:443`, false, "about 2 hours ahead"},
		{`WARN CLOCK_SKEW SKEW=259200 SOURCE=OR:192.0.2.1:443`, false, "about 3 days ahead"},
		{`WARN CLOCK_SKEW SKEW=-600 SOURCE=OR:192.0.2.1:443`, false, "about 10 minutes behind"},
		{`WARN CLOCK_SKEW SKEW=45 SOURCE=OR:192.0.2.1:443`, false, "about 45 seconds ahead"},
		{`WARN CLOCK_SKEW MIN_SKEW=-10740 SOURCE=CONSENSUS`, false, "at least 3 hours behind"},
		{`WARN CLOCK_SKEW SOURCE=CONSENSUS`, false, "This computer's clock is wrong, so Tor may fail to connect."},
		// What tor sends right after the CLOCK_SKEW event above
		// (control_event_bootstrap_problem with dowarn=1).
		{`WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Clock skew -10799 in NETINFO cell from OR" REASON=CLOCK_SKEW COUNT=1 RECOMMENDATION=warn HOSTID="0000" HOSTADDR="127.0.0.1:23001"`, false, "about 3 hours behind, so Tor may fail to connect"},
		{`WARN BOOTSTRAP PROGRESS=5 REASON=CLOCK_SKEW RECOMMENDATION=warn`, false, "This computer's clock is wrong, so"},
	}
	for _, tt := range tests {
		sk, ok := parseClockSkew(parseStatus(tt.event))
		if got := sk.explain(tt.ready); !ok || !strings.Contains(got, tt.want) {
			t.Errorf("parseClockSkew(%q) = %v, %v; explain(ready=%v) = %q, want %q", tt.event, sk, ok, tt.ready, got, tt.want)
		}
	}
	for _, ev := range []string{`NOTICE CONSENSUS_ARRIVED`, `WARN BOOTSTRAP PROGRESS=5 REASON=TIMEOUT`} {
		if sk, ok := parseClockSkew(parseStatus(ev)); ok {
			t.Errorf("parseClockSkew(%q) = %v, true; want false", ev, sk)
		}
	}
}

// The bootstrap problem tor sends with a clock skew explains the clock, not
// "cannot reach".
func TestBootstrapWarningClockSkew(t *testing.T) {
	ev := `WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Clock skew -10799 in NETINFO cell from OR" REASON=CLOCK_SKEW COUNT=1 RECOMMENDATION=warn`
	want := "This computer's clock is about 3 hours behind, so Tor may fail to connect. Set the correct date, time and time zone."
	if got := bootstrapWarning(parseStatus(ev), false); got != want {
		t.Errorf("bootstrapWarning(%q) = %q, want %q", ev, got, want)
	}
}

func TestExplainLaunch(t *testing.T) {
	execErr := &exec.Error{Name: "tor", Err: exec.ErrNotFound}
	tests := []struct {
		name      string
		err       error
		output    string
		extra     string
		want      string
		permanent bool
	}{
		{"no binary", execErr, "", "", "Tor could not be run (executable file not found in $PATH). Install the tor package", true},
		{"bad option", errors.New("exit status 1"),
			"Nov 21 18:07:42.664 [notice] Read configuration file \"/x\".\nNov 21 18:07:42.665 [warn] Failed to parse/validate config: Unknown option 'Foo'.  Failing.\nNov 21 18:07:42.665 [err] Reading config failed--see warnings above.\n",
			"/etc/extra.torrc", "Tor rejected its configuration: Unknown option 'Foo'. Check the extra torrc file /etc/extra.torrc.", true},
		{"locked", errors.New("exit status 1"),
			"[warn] It looks like another Tor process is running with the same data directory.  Waiting 5 seconds to see if it goes away.\n",
			"", "Another Tor program is using Polaris's Tor data folder", false},
		{"permissions", errors.New("exit status 1"), "[warn] Couldn't create private data directory \"/x\": Permission denied\n", "", "Tor cannot use its data folder: Couldn't create private data directory \"/x\": Permission denied.", true},
		{"other warning", errors.New("exit status 1"), "[notice] hi\n[warn] Something broke.\n", "", "Tor stopped while starting: Something broke.", false},
		{"silent", errors.New("Unable to read control port file"), "", "", "Tor could not be started (Unable to read control port file).", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := explainLaunch(tt.err, tt.output, tt.extra)
			if !strings.Contains(se.Msg, tt.want) || se.Permanent != tt.permanent || !errors.Is(se, tt.err) {
				t.Errorf("explainLaunch = %+v, want %q (permanent %v) wrapping %v", se, tt.want, tt.permanent, tt.err)
			}
		})
	}
}

// The statuses of tor's events with a clock 3 hours behind, as tor 0.4.9
// sends them: the clock explanation while bootstrapping (never "cannot
// reach"), a warning that says Tor works once it is ready.
func TestClockSkewStatus(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{c: c, exited: make(chan struct{}), circuits: map[string]string{}, progressAt: time.Now()}
	c.inst = in
	general := func(raw string) { in.handle(&control.StatusEvent{Type: control.EventCodeStatusGeneral, Raw: raw}) }
	client := func(raw string) { in.handle(&control.StatusEvent{Type: control.EventCodeStatusClient, Raw: raw}) }
	const (
		behind = "This computer's clock is about 3 hours behind, so Tor may fail to connect. Set the correct date, time and time zone."
		works  = "This computer's clock is about 3 hours behind. Tor is connected anyway, but may stop working until you set the correct date, time and time zone."
	)
	steps := []struct {
		send      func(string)
		event     string
		wantState status.TorState
		wantErr   string
	}{
		{client, `NOTICE BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay"`, status.TorBootstrapping, ""},
		{general, `WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23001`, status.TorBootstrapping, behind},
		{client, `WARN BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay" WARNING="Clock skew -10799 in NETINFO cell from OR" REASON=CLOCK_SKEW COUNT=1 RECOMMENDATION=warn HOSTID="0000" HOSTADDR="127.0.0.1:23001"`, status.TorBootstrapping, behind},
		{client, `NOTICE BOOTSTRAP PROGRESS=15 TAG=handshake_done SUMMARY="Handshake with a relay done"`, status.TorBootstrapping, behind},
		{general, `WARN CLOCK_SKEW MIN_SKEW=-10740 SOURCE=CONSENSUS`, status.TorBootstrapping, "This computer's clock is at least 3 hours behind, so Tor may fail to connect. Set the correct date, time and time zone."},
		{general, `WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23002`, status.TorBootstrapping, behind},
		{client, `NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`, status.TorReady, works},
		{general, `WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23003`, status.TorReady, works},
	}
	c.socksKnown(in)
	for _, s := range steps {
		s.send(s.event)
		if st := c.Status(); st.State != s.wantState || st.Err != s.wantErr {
			t.Errorf("after %q: state %s, Err %q; want %s, %q", s.event, st.State, st.Err, s.wantState, s.wantErr)
		}
	}
}
