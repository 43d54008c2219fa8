-- Governance (PostgreSQL): the same tables, columns and types as the SQLite migration.

CREATE TABLE policies (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    set_by_proposal TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE proposals (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    weighting TEXT NOT NULL,
    quorum TEXT NOT NULL,
    effect TEXT NOT NULL,
    options TEXT NOT NULL,
    secret BIGINT NOT NULL DEFAULT 0,
    phase TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    voting_opens_at BIGINT NOT NULL,
    voting_closes_at BIGINT NOT NULL,
    closed_at BIGINT,
    finished_at BIGINT,
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX proposals_by_org ON proposals (org_id, phase);
CREATE INDEX proposals_by_phase ON proposals (phase, voting_opens_at, voting_closes_at);

CREATE TABLE weight_snapshots (
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    equal_weight TEXT NOT NULL,
    merit_weight TEXT NOT NULL,
    PRIMARY KEY (proposal_id, member_id)
);

CREATE TABLE ballots (
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    voter_id TEXT NOT NULL REFERENCES members(id),
    ballot TEXT NOT NULL,
    nonce TEXT NOT NULL,
    receipt TEXT NOT NULL,
    cast_at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

CREATE TABLE delegations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    delegator_id TEXT NOT NULL REFERENCES members(id),
    delegate_id TEXT NOT NULL REFERENCES members(id),
    domain TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX delegations_live ON delegations (org_id, delegator_id, domain) WHERE revoked_at IS NULL;

CREATE TABLE tallies (
    proposal_id TEXT PRIMARY KEY NOT NULL REFERENCES proposals(id),
    primary_mode TEXT NOT NULL,
    equal_result TEXT NOT NULL,
    merit_result TEXT NOT NULL,
    modes_differ BIGINT NOT NULL,
    delegations TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);

CREATE TABLE comments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_proposal ON comments (proposal_id, created_at);

CREATE TABLE execution_requests (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL UNIQUE REFERENCES proposals(id),
    effect TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
