-- Directories: identity-provider directories. No secret is ever stored here (keys and the token
-- cache live in the OS keychain).
CREATE TABLE directories (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE COLLATE NOCASE,
    cloud             TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    tenant_id         TEXT NOT NULL DEFAULT '',
    tenant_name       TEXT NOT NULL DEFAULT '',
    scim_base_url     TEXT NOT NULL,
    org_id            TEXT NOT NULL DEFAULT '',
    allow_custom_host INTEGER NOT NULL DEFAULT 0,
    scim_key_created  TEXT NOT NULL DEFAULT '',
    account           TEXT NOT NULL DEFAULT '',
    demo              INTEGER NOT NULL DEFAULT 0,
    created           TEXT NOT NULL
);

CREATE TABLE settings (
    directory_id TEXT PRIMARY KEY REFERENCES directories(id) ON DELETE CASCADE,
    json         TEXT NOT NULL,
    updated      TEXT NOT NULL
);

-- The standing confirmation: what the admin last confirmed for this directory.
CREATE TABLE confirmations (
    directory_id TEXT PRIMARY KEY REFERENCES directories(id) ON DELETE CASCADE,
    tenant_id    TEXT NOT NULL,
    domains      TEXT NOT NULL, -- JSON array, sorted, lower case
    account      TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL
);

CREATE TABLE conflict_decisions (
    directory_id   TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    group_entra_id TEXT NOT NULL,
    decision       TEXT NOT NULL, -- take_over | skip
    at             TEXT NOT NULL,
    PRIMARY KEY (directory_id, group_entra_id)
);

CREATE TABLE mappings (
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL, -- user | group
    entra_id     TEXT NOT NULL,
    scim_id      TEXT NOT NULL,
    managed      INTEGER NOT NULL DEFAULT 1,
    hash         TEXT NOT NULL DEFAULT '',
    updated      TEXT NOT NULL,
    PRIMARY KEY (directory_id, kind, entra_id)
);
CREATE INDEX mappings_scim ON mappings (directory_id, kind, scim_id);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    directory_id  TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL, -- preview | apply
    status        TEXT NOT NULL,
    full          INTEGER NOT NULL DEFAULT 0,
    automatic     INTEGER NOT NULL DEFAULT 0,
    started       TEXT NOT NULL,
    ended         TEXT NOT NULL DEFAULT '',
    counts        TEXT NOT NULL DEFAULT '[]',
    settings      TEXT NOT NULL DEFAULT '{}',
    report_path   TEXT NOT NULL DEFAULT '',
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    pid           INTEGER NOT NULL DEFAULT 0,
    host          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_directory ON runs (directory_id, started);

-- The journal: every apply unit is written pending before the apply starts and marked done or
-- failed after it runs, so that a crashed run can be reconciled against the live state.
CREATE TABLE journal (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    op      TEXT NOT NULL,
    state   TEXT NOT NULL, -- pending | done | failed
    result  TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE delta_state (
    directory_id    TEXT PRIMARY KEY REFERENCES directories(id) ON DELETE CASCADE,
    users_link      TEXT NOT NULL DEFAULT '',
    groups_link     TEXT NOT NULL DEFAULT '',
    snapshot_digest TEXT NOT NULL DEFAULT '',
    runs_since_full INTEGER NOT NULL DEFAULT 0,
    updated         TEXT NOT NULL
);

-- Who holds a directory's sync lock, for the message; the lock itself is an OS file lock the
-- kernel releases when the process dies.
CREATE TABLE locks (
    directory_id TEXT PRIMARY KEY,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    purpose      TEXT NOT NULL DEFAULT '',
    started      TEXT NOT NULL
);
