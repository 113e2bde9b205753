-- CNAME uncloaking: for a logged decision whose host is an alias, the chain
-- of canonical names it led to ("a.example b.example", in order), and the
-- one a rule matched ("" when the decision is about the host itself). Rows
-- go with their decision.
CREATE TABLE request_log_cnames (
	log_id INTEGER PRIMARY KEY REFERENCES request_log(id) ON DELETE CASCADE,
	cnames TEXT    NOT NULL,
	cname  TEXT    NOT NULL
) STRICT;
