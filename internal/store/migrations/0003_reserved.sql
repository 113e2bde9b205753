-- Placeholder for schema version 3, which the HTTPS-filtering branch adds
-- (0003_https.sql). It changes nothing. When the branches merge, this file
-- and testdata/golden/v3.sql give way to theirs.
SELECT 1;
