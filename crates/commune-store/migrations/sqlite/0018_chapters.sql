-- Federated chapters: links between a commune here and a chapter on another instance (or a
-- chapter here and its commune elsewhere), the commune's accounts for the linked chapters'
-- members (one identity: the member's actor on their home instance), the home instance's
-- signature on every remote ballot counted here, and the ballots members here sent home-signed
-- to their commune (with the receipt it gave back).

CREATE TABLE ap_links (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    remote TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('commune', 'chapter')),
    status TEXT NOT NULL CHECK (status IN ('offered', 'active')),
    created_at BIGINT NOT NULL,
    linked_at BIGINT,
    PRIMARY KEY (org_id, remote)
);

CREATE TABLE ap_remote_members (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
    iri TEXT NOT NULL UNIQUE,
    chapter TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    synced_at BIGINT NOT NULL
);
CREATE INDEX ap_remote_members_by_chapter ON ap_remote_members (chapter);

CREATE TABLE ap_remote_ballots (
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    voter_id TEXT NOT NULL REFERENCES members(id),
    chapter TEXT NOT NULL,
    signed TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

CREATE TABLE ap_sent_ballots (
    member_id TEXT NOT NULL REFERENCES members(id),
    question TEXT NOT NULL,
    ballot TEXT NOT NULL,
    nonce TEXT NOT NULL,
    receipt TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, question)
);

-- Two-phase transfers between linked organisations on two instances: the sender's record
-- (`out`: pending → prepared → posted, or voided; `told` once the receiver acknowledged the
-- decision) and the receiver's (`in`: pending → posted or voided), each beside its ledger hold.
CREATE TABLE ap_transfers (
    remote TEXT NOT NULL,
    id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    amount BIGINT NOT NULL,
    ledger BIGINT NOT NULL,
    currency TEXT NOT NULL,
    hold_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'prepared', 'posted', 'voided')),
    told BIGINT NOT NULL DEFAULT 0,
    deadline BIGINT NOT NULL,
    asked_at BIGINT NOT NULL DEFAULT 0,
    memo TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    PRIMARY KEY (remote, id, direction)
);
CREATE INDEX ap_transfers_open ON ap_transfers (state, told);
