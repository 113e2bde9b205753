-- Facts about this data directory that are neither settings nor the user's
-- data: e.g. that the guided set-up was finished or dismissed, so that the
-- window does not open it by itself again. Never exported nor imported.
CREATE TABLE meta (
	key     TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix seconds
) STRICT;
