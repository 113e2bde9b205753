-- Whether the last try of a list did not reach its server (no network, a
-- name not found, refused, timed out), as opposed to an answer that is not
-- a usable list. A process that asked the running Polaris for the update
-- (the command line) reads it: a list added offline stays subscribed and
-- is downloaded later, one whose server answers garbage is not added.
ALTER TABLE lists ADD COLUMN unreachable INTEGER NOT NULL DEFAULT 0;
