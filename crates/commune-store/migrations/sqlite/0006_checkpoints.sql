-- Statement checkpoints: every account's posted totals after each 128th transfer on it, so a page
-- of an account's history gets true running balances by walking at most 127 lines from the
-- nearest checkpoint (the account row itself being the newest), never the whole history.

ALTER TABLE ledger_accounts ADD COLUMN transfer_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE ledger_checkpoints (
    account_id BLOB NOT NULL,
    seq BIGINT NOT NULL,
    debits_posted BIGINT NOT NULL,
    credits_posted BIGINT NOT NULL,
    PRIMARY KEY (account_id, seq)
);

-- Transfers already stored: count them, and checkpoint their history. A hold (flag 2) or a void
-- (flag 8) moves no posted balance.
WITH sides AS (
    SELECT debit_account_id AS account_id, seq,
        CASE WHEN (flags & 10) = 0 THEN amount ELSE 0 END AS debit, 0 AS credit
    FROM ledger_transfers
    UNION ALL
    SELECT credit_account_id, seq, 0, CASE WHEN (flags & 10) = 0 THEN amount ELSE 0 END
    FROM ledger_transfers
), running AS (
    SELECT account_id, seq, SUM(debit) OVER w AS debits_posted, SUM(credit) OVER w AS credits_posted,
        ROW_NUMBER() OVER w AS n
    FROM sides
    WINDOW w AS (PARTITION BY account_id ORDER BY seq)
)
INSERT INTO ledger_checkpoints (account_id, seq, debits_posted, credits_posted)
SELECT account_id, seq, debits_posted, credits_posted FROM running WHERE n % 128 = 0;

WITH counts AS (
    SELECT account_id, COUNT(*) AS n FROM (
        SELECT debit_account_id AS account_id FROM ledger_transfers
        UNION ALL
        SELECT credit_account_id FROM ledger_transfers
    ) s GROUP BY account_id
)
UPDATE ledger_accounts SET transfer_count = counts.n FROM counts WHERE ledger_accounts.id = counts.account_id;
