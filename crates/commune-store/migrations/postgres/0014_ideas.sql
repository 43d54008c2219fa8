-- Ideas and analytics: the issue log (problems, their diagnosis thread, root cause and
-- resolution), the private pain → reflection journal, the idea board (ideas, comments,
-- helpfulness ratings and their bridging status, also used for proposal comments), opinion
-- maps (conversations, moderated statements, votes) and the metrics businesses push.
-- Real numbers (bridging scores, metric values) are TEXT with exact round trips.

CREATE TABLE problems (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    severity TEXT NOT NULL,
    responsible_id TEXT REFERENCES members(id),
    team TEXT NOT NULL,
    domain TEXT NOT NULL,
    state TEXT NOT NULL,
    diagnosis TEXT NOT NULL,
    root_cause_doc_id TEXT REFERENCES learn_docs(id),
    resolution_kind TEXT,
    resolution_id TEXT,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX problems_org ON problems (org_id, created_at);

CREATE TABLE problem_comments (
    id TEXT PRIMARY KEY NOT NULL,
    problem_id TEXT NOT NULL REFERENCES problems(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX problem_comments_problem ON problem_comments (problem_id, created_at);

CREATE TABLE journal_entries (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id),
    pain TEXT NOT NULL,
    reflection TEXT,
    published_doc_id TEXT REFERENCES learn_docs(id),
    created_at BIGINT NOT NULL,
    reflected_at BIGINT
);
CREATE INDEX journal_entries_member ON journal_entries (member_id, created_at);

CREATE TABLE ideas (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    domain TEXT NOT NULL,
    proposal_id TEXT REFERENCES proposals(id),
    created_at BIGINT NOT NULL,
    promoted_at BIGINT
);
CREATE INDEX ideas_org ON ideas (org_id, created_at);

CREATE TABLE idea_comments (
    id TEXT PRIMARY KEY NOT NULL,
    idea_id TEXT NOT NULL REFERENCES ideas(id),
    author_id TEXT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX idea_comments_idea ON idea_comments (idea_id, created_at);

-- target_kind: 'idea' or 'comment' (a proposal's discussion comment); value in halves (0, 1, 2).
CREATE TABLE helpfulness (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    rater_id TEXT NOT NULL REFERENCES members(id),
    value BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (target_kind, target_id, rater_id)
);
CREATE INDEX helpfulness_org ON helpfulness (org_id, target_kind);

CREATE TABLE bridging (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    status TEXT NOT NULL,
    intercept TEXT NOT NULL,
    factor TEXT NOT NULL,
    ratings BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (target_kind, target_id)
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    proposal_id TEXT REFERENCES proposals(id),
    topic TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX conversations_org ON conversations (org_id, created_at);

-- state: 'pending' (hidden until a steward approves), 'approved' or 'rejected'.
CREATE TABLE statements (
    id TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    number BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    moderated_by TEXT REFERENCES members(id),
    created_at BIGINT NOT NULL,
    moderated_at BIGINT
);
CREATE UNIQUE INDEX statements_number ON statements (conversation_id, number);

CREATE TABLE statement_votes (
    statement_id TEXT NOT NULL REFERENCES statements(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    vote BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (statement_id, member_id)
);

CREATE TABLE metric_series (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX metric_series_name ON metric_series (org_id, name);

CREATE TABLE metric_points (
    series_id TEXT NOT NULL REFERENCES metric_series(id),
    at BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (series_id, at)
);
