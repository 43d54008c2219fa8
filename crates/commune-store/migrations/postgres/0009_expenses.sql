-- Budgets with line items, and expenses with Open Collective's lifecycle: stewards' approvals,
-- receipts stored with their SHA-256, and the ledger transfer that paid each one.

CREATE TABLE budgets (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    currency TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX budgets_org ON budgets (org_id, starts_at);

CREATE TABLE budget_lines (
    id TEXT PRIMARY KEY NOT NULL,
    budget_id TEXT NOT NULL REFERENCES budgets(id),
    name TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX budget_lines_budget ON budget_lines (budget_id, position);

CREATE TABLE expenses (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    submitter_id TEXT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    line_id TEXT REFERENCES budget_lines(id),
    status TEXT NOT NULL,
    proposal_id TEXT,
    paid_by TEXT,
    transfer_id TEXT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX expenses_org ON expenses (org_id, status, created_at);
CREATE INDEX expenses_line ON expenses (line_id);

CREATE TABLE expense_approvals (
    expense_id TEXT NOT NULL REFERENCES expenses(id),
    steward_id TEXT NOT NULL REFERENCES members(id),
    approved_at BIGINT NOT NULL,
    PRIMARY KEY (expense_id, steward_id)
);

CREATE TABLE expense_receipts (
    id TEXT PRIMARY KEY NOT NULL,
    expense_id TEXT NOT NULL REFERENCES expenses(id),
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX expense_receipts_expense ON expense_receipts (expense_id, created_at);
