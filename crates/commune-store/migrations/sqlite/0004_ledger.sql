-- The ledger: currencies (ledgers), accounts with their balances, an append-only transfer log
-- ordered by seq, the fate of each pending transfer, memos, and payment requests.
-- Each account's history is a chain: the account row keeps the seq of its last transfer, and
-- every transfer the seq of the previous one on its debit and on its credit account. The log
-- is append-only with no index on random keys, so a batch writes its rows at the end of one
-- B-tree; a statement walks its chain by primary key.
-- Ids of accounts and transfers are TigerBeetle's u128 as 16 big-endian bytes. Amounts are u64
-- stored bit for bit in BIGINT: they are never summed in SQL, only in Rust.

CREATE TABLE ledgers (
    id BIGINT PRIMARY KEY NOT NULL,
    asset TEXT NOT NULL UNIQUE,
    scale BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO ledgers (id, asset, scale, name, created_at) VALUES (1, 'EUR', 2, 'Euro', 0);

-- Bumped by every transaction that changes balances: a process may trust its cached
-- accounts only while the version is the one it last wrote.
CREATE TABLE ledger_head (
    id BIGINT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO ledger_head (id, version) VALUES (1, 0);

CREATE TABLE ledger_accounts (
    id BLOB PRIMARY KEY NOT NULL,
    ledger BIGINT NOT NULL REFERENCES ledgers(id),
    code BIGINT NOT NULL,
    flags BIGINT NOT NULL,
    user_data BLOB,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    debits_pending BIGINT NOT NULL,
    debits_posted BIGINT NOT NULL,
    credits_pending BIGINT NOT NULL,
    credits_posted BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_kind, owner_id);

CREATE TABLE ledger_transfers (
    seq INTEGER PRIMARY KEY NOT NULL,
    id BLOB NOT NULL UNIQUE,
    debit_account_id BLOB NOT NULL,
    credit_account_id BLOB NOT NULL,
    amount BIGINT NOT NULL,
    requested BIGINT NOT NULL,
    pending_id BLOB,
    timeout BIGINT NOT NULL,
    ledger BIGINT NOT NULL,
    code BIGINT NOT NULL,
    flags BIGINT NOT NULL,
    user_data BLOB,
    at_ms BIGINT NOT NULL,
    expires_at BIGINT,
    debit_prev_seq BIGINT NOT NULL,
    credit_prev_seq BIGINT NOT NULL
);

CREATE TABLE ledger_pending (
    id BLOB PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ledger_pending_due ON ledger_pending (expires_at) WHERE state = 'pending';

CREATE TABLE ledger_notes (
    transfer_id BLOB PRIMARY KEY NOT NULL,
    memo TEXT NOT NULL,
    actor TEXT NOT NULL
);

CREATE TABLE payment_requests (
    id TEXT PRIMARY KEY NOT NULL,
    payee_account BLOB NOT NULL REFERENCES ledger_accounts(id),
    payer_kind TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    ledger BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    memo TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    transfer_id BLOB,
    decided_at BIGINT
);
CREATE INDEX payment_requests_payer ON payment_requests (payer_kind, payer_id, status);
CREATE INDEX payment_requests_payee ON payment_requests (payee_account, status);

ALTER TABLE execution_requests ADD COLUMN result TEXT;
