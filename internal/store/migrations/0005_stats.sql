-- Per-day aggregate counters of what tracker blocking did (internal/app).
-- Never a full URL and never a site the user visited: only categories, the
-- registrable domains of blocked third-party hosts, and request totals.
-- Rows older than stats.retention-days are deleted.
CREATE TABLE stats_daily (
	day      INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	category TEXT    NOT NULL, -- the blocking rule's category; '' when it has none
	blocked  INTEGER NOT NULL,
	PRIMARY KEY (day, category)
) STRICT, WITHOUT ROWID;
CREATE TABLE stats_trackers (
	day     INTEGER NOT NULL, -- local calendar day as YYYYMMDD
	domain  TEXT    NOT NULL, -- registrable domain of a blocked third-party host
	blocked INTEGER NOT NULL,
	PRIMARY KEY (day, domain)
) STRICT, WITHOUT ROWID;
CREATE TABLE stats_requests (
	day      INTEGER PRIMARY KEY, -- local calendar day as YYYYMMDD
	requests INTEGER NOT NULL     -- requests decided, blocked or not
) STRICT;
