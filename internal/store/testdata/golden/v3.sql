PRAGMA user_version = 3;
CREATE TABLE ca_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT NOT NULL,
	changed     INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE https_passthrough (
	host  TEXT PRIMARY KEY,
	added INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE settings (
	key     TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix seconds
) STRICT;
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
CREATE TABLE sysproxy_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
INSERT INTO "ca_state"(id, fingerprint, changed) VALUES(1, 'ab12cd34', 1763700400);
INSERT INTO "https_passthrough"(host, added) VALUES('pinned.example', 1763700300);
INSERT INTO "settings"(key, value, updated) VALUES('dnt', '1', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('future.key', 'kept as is', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('gpc', 'on', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('signals.exceptions', 'bank.example=off,news.example=0', 1763700000);
INSERT INTO "site_answers"(site, tk, tk_seen, tracking_status, honors_dnt, eff_policy, honors_gpc, checked) VALUES('news.example', 'N', 1763700200, 'N', 1, 1, 1, 1763700200);
INSERT INTO "sysproxy_journal"(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700100);
