-- ActivityPub: the instance's actor key (sealed with the instance key), which organisations
-- publish to the fediverse, remote actors and their keys (a cache, refetched on rotation), who
-- follows whom, activities already seen (replays refused), what remote instances published or
-- replied, the outbox derived from the audit log and its deliveries, and remote instances
-- (the signature dialect that worked, a block).

CREATE TABLE ap_key (
    id BIGINT PRIMARY KEY NOT NULL,
    public_pem TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE ap_orgs (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES orgs(id),
    enabled_at BIGINT NOT NULL
);

CREATE TABLE ap_remote_actors (
    id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    key_id TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    url TEXT,
    fetched_at BIGINT NOT NULL
);
CREATE INDEX ap_remote_actors_key ON ap_remote_actors (key_id);

CREATE TABLE ap_followers (
    local_actor TEXT NOT NULL,
    remote_actor TEXT NOT NULL REFERENCES ap_remote_actors(id),
    follow_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (local_actor, remote_actor)
);

CREATE TABLE ap_following (
    local_actor TEXT NOT NULL,
    remote_actor TEXT NOT NULL REFERENCES ap_remote_actors(id),
    follow_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    accepted_at BIGINT,
    PRIMARY KEY (local_actor, remote_actor)
);

CREATE TABLE ap_seen (
    activity_id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE TABLE ap_remote_questions (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL REFERENCES ap_remote_actors(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT,
    multiple BIGINT NOT NULL,
    options TEXT NOT NULL,
    end_time BIGINT,
    closed_at BIGINT,
    outcome TEXT,
    receipt_digest TEXT,
    result_verified BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ap_remote_questions_actor ON ap_remote_questions (actor, received_at);

CREATE TABLE ap_remote_replies (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL REFERENCES ap_remote_actors(id),
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    body TEXT NOT NULL,
    url TEXT,
    published_at BIGINT,
    received_at BIGINT NOT NULL
);
CREATE INDEX ap_remote_replies_proposal ON ap_remote_replies (proposal_id, received_at);

CREATE TABLE ap_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    audit_seq BIGINT NOT NULL,
    actor TEXT NOT NULL,
    object_id TEXT NOT NULL,
    activity TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (audit_seq, actor, object_id)
);
CREATE INDEX ap_outbox_actor ON ap_outbox (actor, created_at);

CREATE TABLE ap_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES ap_outbox(id),
    inbox TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at BIGINT,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX ap_deliveries_due ON ap_deliveries (status, next_attempt_at);

CREATE TABLE ap_instances (
    host TEXT PRIMARY KEY NOT NULL,
    dialect TEXT,
    blocked_at BIGINT,
    reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE ap_cursor (
    id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
INSERT INTO ap_cursor (id, seq) SELECT 1, seq FROM audit_head WHERE id = 1;
