-- The blocklists the user subscribes to (internal/app). The list texts are
-- cache files in the data dir (lists/<id>.txt); this table holds what
-- Polaris knows about each list and its updates.
CREATE TABLE lists (
	id             INTEGER PRIMARY KEY,
	name           TEXT    NOT NULL,
	-- http(s) URL; '' for a copy of a local file; 'builtin:NAME' for a list
	-- embedded in Polaris.
	url            TEXT    NOT NULL DEFAULT '',
	catalogue      TEXT    NOT NULL DEFAULT '', -- catalogue id when added from the catalogue
	origin         TEXT    NOT NULL DEFAULT '', -- the file a local copy was read from
	format         TEXT    NOT NULL DEFAULT 'auto',
	category       TEXT    NOT NULL DEFAULT '',
	license        TEXT    NOT NULL DEFAULT '',
	non_commercial INTEGER NOT NULL DEFAULT 0,
	enabled        INTEGER NOT NULL DEFAULT 1,
	interval_s     INTEGER NOT NULL DEFAULT 345600, -- between automatic updates; 0: off
	etag           TEXT    NOT NULL DEFAULT '',
	last_modified  TEXT    NOT NULL DEFAULT '',
	expires_s      INTEGER NOT NULL DEFAULT 0, -- the list's own "! Expires:"; 0: none
	last_try       INTEGER NOT NULL DEFAULT 0, -- unix seconds
	last_success   INTEGER NOT NULL DEFAULT 0, -- unix seconds
	failures       INTEGER NOT NULL DEFAULT 0, -- failed tries in a row
	last_error     TEXT    NOT NULL DEFAULT '',
	update_asked   INTEGER NOT NULL DEFAULT 0, -- unix seconds: update now, asked by another process
	rules          INTEGER NOT NULL DEFAULT 0,
	bad_lines      INTEGER NOT NULL DEFAULT 0,
	sha256         TEXT    NOT NULL DEFAULT '', -- of the cache file
	added          INTEGER NOT NULL DEFAULT 0   -- unix seconds
) STRICT;
CREATE UNIQUE INDEX lists_url ON lists(url) WHERE url != '';

-- The default subscriptions (see README, "Blocklists"): Polaris's own
-- embedded list, EasyPrivacy, EasyList and Peter Lowe's list. The app fills
-- in the rest of each row from the catalogue.
INSERT INTO lists(id, name, url, catalogue, interval_s) VALUES
	(1, 'Polaris tracker list', 'builtin:polaris', 'polaris', 0),
	(2, 'EasyPrivacy', 'https://easylist.to/easylist/easyprivacy.txt', 'easyprivacy', 345600),
	(3, 'EasyList', 'https://easylist.to/easylist/easylist.txt', 'easylist', 345600),
	(4, 'Peter Lowe''s list', 'https://pgl.yoyo.org/adservers/serverlist.php?hostformat=adblockplus&showintro=0&mimetype=plaintext', 'peter-lowe', 345600);
