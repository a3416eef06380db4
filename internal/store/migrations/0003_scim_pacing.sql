-- The SCIM request rate (requests/s) each directory's runs learned from Atlassian's 429s and
-- rate-limit headers (issue 15), so the next run's limiter starts just under it instead of
-- finding it again from a slow start. Atlassian publishes no SCIM rate.
CREATE TABLE scim_pacing (
    directory_id TEXT PRIMARY KEY REFERENCES directories(id) ON DELETE CASCADE,
    rate         REAL NOT NULL,
    learned      TEXT NOT NULL
);
