-- Settings in their textual key/value form (internal/settings). Keys written
-- by a newer version are kept as they are.
CREATE TABLE settings (
	key     TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix seconds
) STRICT;
