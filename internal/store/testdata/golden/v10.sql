PRAGMA user_version = 10;
CREATE TABLE browser_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE ca_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT NOT NULL,
	changed     INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE https_passthrough (
	host  TEXT PRIMARY KEY,
	added INTEGER NOT NULL -- unix seconds
) STRICT;
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
, unreachable INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE meta (
	key     TEXT PRIMARY KEY,
	value   TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE TABLE request_log (
	id       INTEGER PRIMARY KEY,
	time     INTEGER NOT NULL, -- unix milliseconds
	url      TEXT    NOT NULL,
	host     TEXT    NOT NULL,
	site     TEXT    NOT NULL,
	type     TEXT    NOT NULL,
	verdict  TEXT    NOT NULL,
	rule     TEXT    NOT NULL,
	list     TEXT    NOT NULL,
	category TEXT    NOT NULL,
	reason   TEXT    NOT NULL
) STRICT;
CREATE TABLE request_log_cnames (
	log_id INTEGER PRIMARY KEY REFERENCES request_log(id) ON DELETE CASCADE,
	cnames TEXT    NOT NULL,
	cname  TEXT    NOT NULL
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
CREATE TABLE stats_daily (
	day      INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	category TEXT    NOT NULL, -- the blocking rule's category; '' when it has none
	blocked  INTEGER NOT NULL,
	PRIMARY KEY (day, category)
) STRICT, WITHOUT ROWID;
CREATE TABLE stats_domains (
	id     INTEGER PRIMARY KEY,
	domain TEXT    NOT NULL UNIQUE -- registrable domain of a blocked third-party host
) STRICT;
CREATE TABLE stats_requests (
	day      INTEGER PRIMARY KEY, -- local calendar day as YYYYMMDD
	requests INTEGER NOT NULL     -- requests decided, blocked or not
) STRICT;
CREATE TABLE stats_trackers (
	day     INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	domain  INTEGER NOT NULL REFERENCES stats_domains(id),
	blocked INTEGER NOT NULL,
	PRIMARY KEY (day, domain)
) STRICT, WITHOUT ROWID;
CREATE TABLE sysproxy_journal (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	state BLOB NOT NULL,
	saved INTEGER NOT NULL -- unix seconds
) STRICT;
CREATE UNIQUE INDEX lists_url ON lists(url) WHERE url != '';
CREATE INDEX request_log_time ON request_log(time);
INSERT INTO "browser_journal"(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700800);
INSERT INTO "ca_state"(id, fingerprint, changed) VALUES(1, 'ab12cd34', 1763700400);
INSERT INTO "https_passthrough"(host, added) VALUES('pinned.example', 1763700300);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(1, 'Polaris tracker list', 'builtin:polaris', 'polaris', '', 'auto', '', '', 0, 1, 0, '', '', 0, 0, 0, 0, '', 0, 0, 0, '', 0, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(2, 'EasyPrivacy', 'https://easylist.to/easylist/easyprivacy.txt', 'easyprivacy', '', 'auto', '', '', 0, 1, 345600, '"abc"', 'Fri, 21 Nov 2025 05:29:00 GMT', 345600, 1763700200, 1763700200, 0, '', 0, 52000, 3, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(3, 'EasyList', 'https://easylist.to/easylist/easylist.txt', 'easylist', '', 'auto', '', '', 0, 1, 345600, '', '', 0, 0, 0, 0, '', 0, 0, 0, '', 0, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(4, 'Peter Lowe''s list', 'https://pgl.yoyo.org/adservers/serverlist.php?hostformat=adblockplus&showintro=0&mimetype=plaintext', 'peter-lowe', '', 'auto', '', '', 0, 1, 345600, '', '', 0, 1763700300, 0, 2, 'the server answered 503 Service Unavailable', 0, 0, 0, '', 0, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(5, 'my rules', '', '', '/home/me/rules.txt', 'abp', 'advertising', '', 0, 0, 0, '', '', 0, 0, 0, 0, '', 0, 12, 0, 'ff', 1763700400, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(6, 'Disconnect', 'https://raw.githubusercontent.com/disconnectme/disconnect-tracking-protection/master/services.json', '', '', 'disconnect-services', '', '', 0, 1, 86400, '', '', 0, 0, 0, 0, '', 0, 4800, 0, 'aa', 1763700500, 0);
INSERT INTO "lists"(id, name, url, catalogue, origin, format, category, license, non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked, rules, bad_lines, sha256, added, unreachable) VALUES(7, 'http://127.0.0.1:1/offline.txt', 'http://127.0.0.1:1/offline.txt', '', '', 'auto', '', '', 0, 1, 345600, '', '', 0, 1763701000, 0, 1, 'dial tcp 127.0.0.1:1: connect: connection refused', 0, 0, 0, '', 1763701000, 1);
INSERT INTO "meta"(key, value, updated) VALUES('setup.seen', '1763700900', 1763700900);
INSERT INTO "request_log"(id, time, url, host, site, type, verdict, rule, list, category, reason) VALUES(1, 1763700600000, 'https://tracker.example/p.gif?id=1', 'tracker.example', 'news.example', 'image', 'block', '||tracker.example^', 'EasyPrivacy', 'analytics', '');
INSERT INTO "request_log"(id, time, url, host, site, type, verdict, rule, list, category, reason) VALUES(2, 1763700700000, 'https://metrics.news.example/c.js', 'metrics.news.example', 'news.example', 'script', 'block', '||tracker.example^$third-party', 'EasyPrivacy', 'analytics', '');
INSERT INTO "request_log_cnames"(log_id, cnames, cname) VALUES(2, 'news.example.tracker.example', 'news.example.tracker.example');
INSERT INTO "settings"(key, value, updated) VALUES('dnt', '1', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('future.key', 'kept as is', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('gpc', 'on', 1763700000);
INSERT INTO "settings"(key, value, updated) VALUES('signals.exceptions', 'bank.example=off,news.example=0', 1763700000);
INSERT INTO "site_answers"(site, tk, tk_seen, tracking_status, honors_dnt, eff_policy, honors_gpc, checked) VALUES('news.example', 'N', 1763700200, 'N', 1, 1, 1, 1763700200);
INSERT INTO "stats_daily"(day, category, blocked) VALUES(20251120, 'advertising', 310);
INSERT INTO "stats_daily"(day, category, blocked) VALUES(20251120, 'analytics', 95);
INSERT INTO "stats_daily"(day, category, blocked) VALUES(20251121, '', 4);
INSERT INTO "stats_domains"(id, domain) VALUES(1, 'doubleclick.net');
INSERT INTO "stats_domains"(id, domain) VALUES(2, 'google-analytics.com');
INSERT INTO "stats_requests"(day, requests) VALUES(20251120, 5210);
INSERT INTO "stats_requests"(day, requests) VALUES(20251121, 88);
INSERT INTO "stats_trackers"(day, domain, blocked) VALUES(20251120, 1, 120);
INSERT INTO "stats_trackers"(day, domain, blocked) VALUES(20251121, 2, 4);
INSERT INTO "sysproxy_journal"(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700100);
