-- Per-day aggregate counters of what tracker blocking did (internal/app).
-- Never a full URL and never a site the user visited: only categories, the
-- registrable domains of blocked third-party hosts, and request totals.
-- Rows older than stats.retention-days are deleted, and so are domains no
-- day refers to any more.
CREATE TABLE stats_daily (
	day      INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	category TEXT    NOT NULL, -- the blocking rule's category; '' when it has none
	blocked  INTEGER NOT NULL,
	PRIMARY KEY (day, category)
) STRICT, WITHOUT ROWID;
-- Tracker domains, each stored once: a day's counters refer to them by id,
-- which keeps 90 days of a heavy user's counters small.
CREATE TABLE stats_domains (
	id     INTEGER PRIMARY KEY,
	domain TEXT    NOT NULL UNIQUE -- registrable domain of a blocked third-party host
) STRICT;
CREATE TABLE stats_trackers (
	day     INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	domain  INTEGER NOT NULL REFERENCES stats_domains(id),
	blocked INTEGER NOT NULL,
	PRIMARY KEY (day, domain)
) STRICT, WITHOUT ROWID;
CREATE TABLE stats_requests (
	day      INTEGER PRIMARY KEY, -- local calendar day as YYYYMMDD
	requests INTEGER NOT NULL     -- requests decided, blocked or not
) STRICT;
