-- Trust: constitutional floors and self-interest on proposals; weights in exact micro-votes;
-- money effects carried out by the scheduler itself (the execution outbox goes); sessions with
-- ids a member can list and revoke; one-time recovery links; one-time form keys.

ALTER TABLE proposals ADD COLUMN floors TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN self_interest TEXT NOT NULL DEFAULT '';

-- Weights become whole micro-votes (one member's equal weight is 1000000). The runner refuses
-- this migration while tallies counted in floating point exist, so only snapshots of votes still
-- running are converted here.
UPDATE weight_snapshots SET equal_weight = '1000000';
UPDATE weight_snapshots SET merit_weight = CAST(CAST(ROUND(CAST(merit_weight AS REAL) * 1000000 *
    (SELECT COUNT(*) FROM weight_snapshots w WHERE w.proposal_id = weight_snapshots.proposal_id)) AS BIGINT) AS TEXT);

DROP TABLE execution_requests;

DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);

CREATE TABLE recovery_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    issued_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_links_by_member ON recovery_links (member_id);

CREATE TABLE form_submissions (
    member_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    location TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, form_key)
);
