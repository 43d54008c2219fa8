-- Capital management: participatory-budgeting rounds spending a budget escrow, their projects,
-- ballots and the weights snapshotted when voting opened.

CREATE TABLE pb_rounds (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    budget_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    ballot TEXT NOT NULL,
    rule TEXT NOT NULL,
    currency TEXT NOT NULL,
    phase TEXT NOT NULL,
    voting_ends_at BIGINT,
    result TEXT,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
-- One round spends one escrow.
CREATE UNIQUE INDEX pb_rounds_budget ON pb_rounds (budget_id);
CREATE INDEX pb_rounds_org ON pb_rounds (org_id, created_at);

CREATE TABLE pb_projects (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES pb_rounds(id),
    proposer_id TEXT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    cost_minor BIGINT NOT NULL,
    review TEXT NOT NULL,
    review_reason TEXT NOT NULL,
    reviewed_by TEXT,
    award TEXT NOT NULL,
    transfer_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX pb_projects_round ON pb_projects (round_id, created_at);

CREATE TABLE pb_ballots (
    round_id TEXT NOT NULL REFERENCES pb_rounds(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    picks TEXT NOT NULL,
    cast_at BIGINT NOT NULL,
    PRIMARY KEY (round_id, member_id)
);

CREATE TABLE pb_weights (
    round_id TEXT NOT NULL REFERENCES pb_rounds(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    merit_weight BIGINT NOT NULL,
    PRIMARY KEY (round_id, member_id)
);
