-- The system proxy settings Polaris replaced, saved before it changed them,
-- so that they are restored on quit and after a crash (internal/sysproxy).
-- At most one row.
CREATE TABLE sysproxy_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
