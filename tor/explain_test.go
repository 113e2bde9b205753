package tor

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
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

func TestClockSkew(t *testing.T) {
	tests := []struct{ event, want string }{
		{`WARN CLOCK_SKEW SKEW=7200 SOURCE=OR:192.0.2.1:443`, "This computer's clock is about 2 hours behind, so Tor cannot connect. Set the correct date, time and time zone."},
		{`WARN CLOCK_SKEW SKEW=-259200 SOURCE=CONSENSUS`, "about 3 days ahead"},
		{`WARN CLOCK_SKEW SKEW=-600 SOURCE=CONSENSUS`, "about 10 minutes ahead"},
		{`WARN CLOCK_SKEW SKEW=45 SOURCE=CONSENSUS`, "about 45 seconds behind"},
		{`WARN CLOCK_SKEW MIN_SKEW=-100 SOURCE=CONSENSUS`, "This computer's clock is wrong"},
		{`NOTICE CONSENSUS_ARRIVED`, ""},
	}
	for _, tt := range tests {
		got := clockSkew(parseStatus(tt.event))
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("clockSkew(%q) = %q, want %q", tt.event, got, tt.want)
		}
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
