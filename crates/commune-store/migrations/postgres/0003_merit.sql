-- Merit (PostgreSQL): the same tables, columns and types as the SQLite migration.

CREATE TABLE attributes (
    key TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    domain_weights TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    changed_by_proposal TEXT
);
INSERT INTO attributes (key, name, description, domain_weights, active, created_at) VALUES
    ('reliability', 'Reliability', 'Does what they said, when they said.', '{"general": 1.0}', 1, 0),
    ('creativity', 'Creativity', 'Finds options nobody else saw.', '{"general": 1.0, "design": 1.0}', 1, 0),
    ('big_picture', 'Big-picture thinking', 'Sees how the parts fit and where it is all going.', '{"general": 1.0, "finance": 0.5}', 1, 0),
    ('attention_to_detail', 'Attention to detail', 'Catches what others miss.', '{"general": 1.0, "engineering": 0.5, "finance": 0.5}', 1, 0),
    ('communication', 'Communication', 'Says it clearly; listens well.', '{"general": 1.0}', 1, 0),
    ('integrity', 'Integrity', 'Honest when it costs them.', '{"general": 1.0}', 1, 0),
    ('open_mindedness', 'Open-mindedness', 'Changes their mind when the evidence does.', '{"general": 1.0}', 1, 0),
    ('expertise_finance', 'Expertise: finance', 'Knows money, accounts and budgets.', '{"finance": 2.0}', 1, 0),
    ('expertise_engineering', 'Expertise: engineering', 'Builds and fixes things that work.', '{"engineering": 2.0}', 1, 0),
    ('expertise_ecology', 'Expertise: ecology', 'Knows land, water and energy.', '{"ecology": 2.0, "energy": 1.0}', 1, 0),
    ('expertise_design', 'Expertise: design', 'Makes things people can use.', '{"design": 2.0}', 1, 0);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);

CREATE TABLE meeting_participants (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    member_id TEXT NOT NULL REFERENCES members(id),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE dots (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    rater_id TEXT NOT NULL REFERENCES members(id),
    ratee_id TEXT NOT NULL REFERENCES members(id),
    attribute TEXT NOT NULL REFERENCES attributes(key),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 10),
    context_kind TEXT NOT NULL,
    context_id TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX dots_by_ratee ON dots (ratee_id, created_at);
CREATE INDEX dots_by_rater ON dots (rater_id, created_at);
CREATE INDEX dots_by_context ON dots (context_kind, context_id);

CREATE TABLE believability (
    member_id TEXT NOT NULL REFERENCES members(id),
    domain TEXT NOT NULL,
    estimate TEXT NOT NULL,
    lower TEXT NOT NULL,
    sd TEXT NOT NULL,
    raters BIGINT NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, domain)
);
