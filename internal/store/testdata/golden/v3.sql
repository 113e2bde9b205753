PRAGMA user_version = 3;
CREATE TABLE settings (
	key     TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE sysproxy_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
INSERT INTO "settings"(key, value, updated) VALUES('dnt', '1', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('future.key', 'kept as is', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('gpc', 'on', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('signals.exceptions', 'bank.example=off,news.example=0', 1763700000);
INSERT INTO "sysproxy_journal"(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700100);
