-- The inbox: notifications fanned out from the audit log (a cursor says how far), members'
-- preferences (digest by email, time zone), and invite links.

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    audit_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    emailed_at BIGINT,
    UNIQUE (member_id, audit_seq, kind)
);
CREATE INDEX notifications_member ON notifications (member_id, created_at);
CREATE INDEX notifications_unread ON notifications (member_id, read_at);

-- How far the audit log has been fanned out; starts at the log's current head, so an existing
-- instance does not flood its members with its whole history.
CREATE TABLE notify_cursor (
    id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
INSERT INTO notify_cursor (id, seq) SELECT 1, seq FROM audit_head WHERE id = 1;

CREATE TABLE member_prefs (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
    digest TEXT NOT NULL DEFAULT 'off',
    email TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    last_digest_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE invites (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    created_by TEXT NOT NULL REFERENCES members(id),
    note TEXT NOT NULL,
    max_uses BIGINT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX invites_org ON invites (org_id, created_at);

-- Uploaded avatars (PNG, JPEG or WebP, at most 256 KiB); members without one get an identicon.
CREATE TABLE avatars (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    updated_at BIGINT NOT NULL
);
