-- Patronage: a business's year-end surplus split into reserve, members' capital accounts and the
-- commune, and each member's capital account as entries.

CREATE TABLE patronage_years (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    year BIGINT NOT NULL,
    currency TEXT NOT NULL,
    surplus_minor BIGINT NOT NULL,
    split TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, year)
);

CREATE TABLE capital_entries (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX capital_entries_member ON capital_entries (org_id, member_id, created_at);
