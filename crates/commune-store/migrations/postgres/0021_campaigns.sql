-- Endorsements and campaign funding: candidates (people or campaigns) with their district and,
-- when they stand in an imported election, that election; the questionnaire drawn from the
-- commune's principles and the candidates' answers; the endorsement a passed vote published;
-- and every transfer to a campaign, reserved against the caps before the money moves (the
-- running totals on the candidate and the election are compare-and-set, so two executions
-- cannot both slip under a cap).
CREATE TABLE candidates (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'campaign')),
    office TEXT NOT NULL,
    district TEXT NOT NULL,
    election_id TEXT REFERENCES elections(id),
    bio TEXT NOT NULL,
    website TEXT NOT NULL,
    member_id TEXT REFERENCES members(id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    endorsed_by TEXT,
    endorsed_at BIGINT,
    funded_minor BIGINT NOT NULL DEFAULT 0,
    -- The work project the campaign became (volunteer tasks and the content plan).
    project_id TEXT
);

ALTER TABLE elections ADD COLUMN funded_minor BIGINT NOT NULL DEFAULT 0;

CREATE TABLE questionnaire (
    id TEXT PRIMARY KEY NOT NULL,
    position BIGINT NOT NULL,
    question TEXT NOT NULL,
    principle_id TEXT NOT NULL REFERENCES learn_docs(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE candidate_answers (
    candidate_id TEXT NOT NULL REFERENCES candidates(id),
    question_id TEXT NOT NULL REFERENCES questionnaire(id),
    stance TEXT NOT NULL CHECK (stance IN ('agree', 'disagree', 'unsure')),
    comment TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (candidate_id, question_id)
);

CREATE TABLE campaign_transfers (
    proposal_id TEXT PRIMARY KEY NOT NULL REFERENCES proposals(id),
    candidate_id TEXT NOT NULL REFERENCES candidates(id),
    election_id TEXT,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reserved_at BIGINT NOT NULL,
    moved_at BIGINT,
    transfer_id TEXT NOT NULL
);
CREATE INDEX campaign_transfers_by_candidate ON campaign_transfers (candidate_id);
