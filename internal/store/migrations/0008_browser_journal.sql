-- The browser profile settings Polaris changed (WebRTC kept behind the
-- proxy while Tor is on), saved before it changed them, so that they are
-- restored when Tor is turned off, on quit and after a crash
-- (internal/sysproxy's WebRTC part). At most one row.
CREATE TABLE browser_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
