-- Funding rounds with quadratic matching: members contribute from their wallets to projects; a
-- passed budget's escrow is the matching pot, spent only by the round's close.

CREATE TABLE funding_rounds (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    budget_id TEXT NOT NULL,
    title TEXT NOT NULL,
    rule TEXT NOT NULL,
    currency TEXT NOT NULL,
    phase TEXT NOT NULL,
    result TEXT,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE UNIQUE INDEX funding_rounds_budget ON funding_rounds (budget_id);
CREATE INDEX funding_rounds_org ON funding_rounds (org_id, created_at);

CREATE TABLE funding_projects (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES funding_rounds(id),
    title TEXT NOT NULL,
    recipient TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX funding_projects_round ON funding_projects (round_id, created_at);

CREATE TABLE funding_contributions (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES funding_rounds(id),
    project_id TEXT NOT NULL REFERENCES funding_projects(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    amount_minor BIGINT NOT NULL,
    transfer_id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX funding_contributions_round ON funding_contributions (round_id, created_at);

-- Redemptions of capital accounts, each decided by a vote.
CREATE TABLE capital_redemptions (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX capital_redemptions_status ON capital_redemptions (status, created_at);
