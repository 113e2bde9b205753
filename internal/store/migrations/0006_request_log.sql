-- The request log, kept on disk only when the user opts in (log.persist):
-- each decision of the live log, with its full URL. Rows older than
-- log.retention (1 h, 1 day or 7 days) and beyond log.max-rows are deleted
-- on a timer and at start; turning log.persist off deletes them all.
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
CREATE INDEX request_log_time ON request_log(time);
