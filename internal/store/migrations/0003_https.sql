-- What sites publish about Do Not Track and Global Privacy Control
-- (signals.check-sites): the last Tk response header seen, and the result of
-- the once-per-session check of /.well-known/dnt/, gpc.json and
-- dnt-policy.txt. Only sites that answered something are kept: a site that
-- publishes nothing leaves no trace of the visit here.
CREATE TABLE site_answers (
	site            TEXT PRIMARY KEY,          -- registrable domain
	tk              TEXT NOT NULL DEFAULT '',  -- last Tk header value
	tk_seen         INTEGER NOT NULL DEFAULT 0, -- unix seconds
	tracking_status TEXT NOT NULL DEFAULT '',  -- "tracking" of /.well-known/dnt/
	honors_dnt      INTEGER NOT NULL DEFAULT 0,
	eff_policy      INTEGER NOT NULL DEFAULT 0,
	honors_gpc      INTEGER NOT NULL DEFAULT 0,
	checked         INTEGER NOT NULL DEFAULT 0  -- unix seconds of the last check
) STRICT;

-- Hosts whose client rejected Polaris's certificate (certificate pinning):
-- HTTPS to them is tunnelled untouched.
CREATE TABLE https_passthrough (
	host  TEXT PRIMARY KEY,
	added INTEGER NOT NULL -- unix seconds
) STRICT;

-- The CA in use (its SHA-256 fingerprint), written when it changes so that a
-- running Polaris notices a `polaris ca regenerate` made by another process.
CREATE TABLE ca_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT NOT NULL,
	changed     INTEGER NOT NULL -- unix seconds
) STRICT;
