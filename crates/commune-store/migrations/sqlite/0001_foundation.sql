-- Foundation: instance settings, members, organisations, memberships, join requests, sessions,
-- API tokens and the audit chain. Ids are UUIDv7 text, times are unix milliseconds (BIGINT),
-- flags are BIGINT 0/1: the same portable shapes as the PostgreSQL migration.

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    handle TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE member_domains (
    member_id TEXT NOT NULL REFERENCES members(id),
    domain TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (member_id, domain)
);

CREATE TABLE orgs (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('commune', 'business', 'chapter')),
    description TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    admission TEXT NOT NULL,
    is_root BIGINT NOT NULL DEFAULT 0 CHECK (is_root IN (0, 1)),
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
-- Exactly one root organisation (the commune, owner of the common pot).
CREATE UNIQUE INDEX orgs_one_root ON orgs (is_root) WHERE is_root = 1;

CREATE TABLE memberships (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    role TEXT NOT NULL CHECK (role IN ('member', 'steward')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, member_id)
);
CREATE INDEX memberships_by_member ON memberships (member_id);

CREATE TABLE join_requests (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'admitted', 'rejected')),
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT
);
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests (org_id, member_id) WHERE status = 'pending';

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_member ON sessions (member_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_by_org ON api_tokens (org_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The chain's tip. Every write transaction updates this row first, which serialises writers
-- (a row lock on PostgreSQL, the write lock on SQLite) so the chain never forks.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
