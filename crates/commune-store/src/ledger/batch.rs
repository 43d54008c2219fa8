//! Writing the ledger: one batch in one audited transaction, and the expiry of holds.

use crate::error::{Result, StoreError};
use crate::sql::{list_placeholders, values_placeholders};
use crate::write::WriteTx;
use commune_domain::ledger::engine::Ledger;
use commune_domain::ledger::statement;
use commune_domain::ledger::{Account, CreateAccountResult, CreateTransferResult, PendingState, Transfer};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

use super::cache::*;
use super::rows::*;

impl crate::Store {
    /// Applies one batch in one audited transaction (see the module comment).
    pub async fn ledger_batch(&self, actor: &str, batch: &LedgerBatch) -> Result<BatchOutcome> {
        let mut tx = self.write(actor).await?;
        let base = tx.claim_ledger().await?;
        let closed = tx.closed_requests(&batch.settles).await?;
        let skipped: HashSet<u128> = batch
            .settles
            .iter()
            .filter(|s| closed.contains(&s.request_id))
            .flat_map(|s| s.chain.iter().copied())
            .collect();
        let (outcome, changed) = if skipped.is_empty() {
            tx.apply_batch(batch, &self.ledger_cache, base).await?
        } else {
            let kept = LedgerBatch {
                transfers: batch.transfers.iter().filter(|t| !skipped.contains(&t.id)).copied().collect(),
                ..batch.clone()
            };
            let (kept_outcome, changed) = tx.apply_batch(&kept, &self.ledger_cache, base).await?;
            let mut answers = kept_outcome.transfers.iter();
            let transfers = batch
                .transfers
                .iter()
                .map(|t| {
                    if skipped.contains(&t.id) {
                        CreateTransferResult::LinkedEventFailed
                    } else {
                        *answers.next().expect("one answer per kept transfer")
                    }
                })
                .collect();
            (BatchOutcome { transfers, ..kept_outcome }, changed)
        };
        tx.mark_paid(batch, &outcome).await?;
        let outcome = BatchOutcome { closed_requests: closed, ..outcome };
        if tx.appended() > 0 {
            let max_written = batch
                .transfers
                .iter()
                .zip(&outcome.transfers)
                .filter(|(_, r)| **r == CreateTransferResult::Ok)
                .map(|(t, _)| t.id)
                .max();
            self.commit_ledger(tx, base, changed, max_written).await?;
        }
        Ok(outcome)
    }

    async fn commit_ledger(
        &self,
        tx: WriteTx,
        base: i64,
        changed: Vec<AccountRow>,
        max_written: Option<u128>,
    ) -> Result<()> {
        match tx.commit().await {
            Ok(()) => {
                after_commit(&self.ledger_cache, base, changed, max_written);
                Ok(())
            }
            Err(e) => {
                // A failed commit may or may not have landed: trust nothing cached.
                with_cache(&self.ledger_cache, |c| c.reset(-1));
                Err(e)
            }
        }
    }

    /// Expires every pending transfer due at `now_ms` (at most `limit`), each exactly once.
    pub async fn ledger_expire(&self, now_ms: i64, limit: i64) -> Result<Vec<u128>> {
        let mut tx = self.write("system").await?;
        let rows = sqlx::query(&format!(
            "{SELECT_TRANSFERS} WHERE t.id IN \
             (SELECT id FROM ledger_pending WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2)"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx.tx)
        .await?;
        let due: Vec<TransferRow> = rows.iter().map(transfer_row).collect::<Result<_>>()?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let base = tx.claim_ledger().await?;
        let mut engine = Ledger::default();
        let mut account_ids = Vec::with_capacity(due.len() * 2);
        for row in &due {
            account_ids.extend([row.record.debit_account_id, row.record.credit_account_id]);
            engine.restore_transfer(row.record.recorded(), row.state);
        }
        let accounts = tx.cached_accounts(&account_ids, &self.ledger_cache, base).await?;
        for a in accounts.values() {
            engine.restore_account(a.account);
        }
        let expired = engine.expire(now_ms);
        let states: Vec<(u128, PendingState, Option<i64>)> = due
            .iter()
            .filter(|r| expired.contains(&r.record.id))
            .map(|r| (r.record.id, PendingState::Expired, r.record.expires_at))
            .collect();
        tx.upsert_pending(&states).await?;
        let touched: Vec<AccountRow> = accounts
            .values()
            .filter_map(|a| engine.account(a.account.id).map(|now| AccountRow { account: *now, ..a.clone() }))
            .collect();
        tx.update_balances(&touched).await?;
        let ids: Vec<String> = expired.iter().map(|id| format!("{id:032x}")).collect();
        tx.audit("ledger.expire", "ledger", serde_json::json!({ "expired": ids })).await?;
        self.commit_ledger(tx, base, touched, None).await?;
        Ok(expired)
    }
}

impl WriteTx {
    /// Bumps the ledger version; returns the version this transaction starts from.
    async fn claim_ledger(&mut self) -> Result<i64> {
        let row = sqlx::query("UPDATE ledger_head SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get::<i64, _>(0)? - 1)
    }

    /// The accounts named, from the cache when it is at `base`, else from the database (and
    /// then cached: what this transaction reads is the state at `base`).
    async fn cached_accounts(&mut self, ids: &[u128], cache: &Cache, base: i64) -> Result<HashMap<u128, AccountRow>> {
        let (mut found, missing) = with_cache(cache, |c| {
            if c.version != base {
                c.reset(base);
            }
            let mut found = HashMap::with_capacity(ids.len());
            let mut missing = Vec::new();
            for id in ids {
                match c.accounts.get(id) {
                    Some(row) => {
                        found.insert(*id, row.clone());
                    }
                    None => missing.push(*id),
                }
            }
            (found, missing)
        });
        if missing.is_empty() {
            return Ok(found);
        }
        let loaded = self.load_accounts(&missing).await?;
        with_cache(cache, |c| {
            if c.version == base && c.accounts.len() + loaded.len() <= CACHE_MAX_ACCOUNTS {
                c.accounts.extend(loaded.iter().map(|(id, row)| (*id, row.clone())));
            }
        });
        found.extend(loaded);
        Ok(found)
    }

    /// Checks an imported batch's time: not in the future, not before the last transfer.
    async fn imported_time(&mut self, at: i64) -> Result<i64> {
        if at > self.at_ms() {
            return Err(StoreError::Rule("imported transfers cannot be dated in the future".into()));
        }
        let last = sqlx::query("SELECT at_ms FROM ledger_transfers ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        if last.is_some_and(|last| at < last) {
            return Err(StoreError::Rule("imported transfers must not be dated before the last transfer".into()));
        }
        Ok(at)
    }

    /// The largest stored transfer id (None: no transfer yet), cached per ledger version.
    async fn max_transfer_id(&mut self, cache: &Cache, base: i64) -> Result<Option<u128>> {
        let known = with_cache(cache, |c| {
            if c.version != base {
                c.reset(base);
            }
            c.max_transfer_id
        });
        if known.is_some() {
            return Ok(known);
        }
        // PostgreSQL has no MAX(bytea); the unique index answers this on both backends.
        let row = sqlx::query("SELECT id FROM ledger_transfers ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        let max = row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?.map(|b| id_from(&b)).transpose()?;
        with_cache(cache, |c| {
            if c.version == base {
                c.max_transfer_id = max;
            }
        });
        Ok(max)
    }

    async fn load_accounts(&mut self, ids: &[u128]) -> Result<HashMap<u128, AccountRow>> {
        let ids: Vec<u128> = ids.iter().copied().filter(|id| *id != 0).collect();
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id IN ({})",
                list_placeholders(self.backend, 0, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id_bytes(*id));
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                let a = account_row(&row)?;
                found.insert(a.account.id, a);
            }
        }
        Ok(found)
    }

    async fn load_transfers(&mut self, ids: &[u128]) -> Result<Vec<TransferRow>> {
        let ids: Vec<u128> = ids.iter().copied().filter(|id| *id != 0).collect();
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let sql = format!(
                "SELECT {TRANSFER_COLUMNS}, p.state, NULL AS memo FROM ledger_transfers t \
                 LEFT JOIN ledger_pending p ON p.id = t.id WHERE t.id IN ({})",
                list_placeholders(self.backend, 0, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id_bytes(*id));
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                found.push(transfer_row(&row)?);
            }
        }
        Ok(found)
    }

    /// Creates ledgers (currencies); an existing asset code is a conflict.
    pub async fn create_ledger(&mut self, asset: &str, scale: u32, name: &str) -> Result<LedgerInfo> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM ledgers").fetch_one(&mut *self.tx).await?;
        let id: i64 = row.try_get(0)?;
        sqlx::query("INSERT INTO ledgers (id, asset, scale, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(asset)
            .bind(i64::from(scale))
            .bind(name)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await
            .map_err(crate::conflict_as("a ledger with this asset code"))?;
        let info = LedgerInfo { id: small(id, "ledger")?, asset: asset.to_owned(), scale, name: name.to_owned() };
        self.audit(
            "ledger.create",
            asset,
            serde_json::json!({ "id": id, "asset": asset, "scale": scale, "name": name }),
        )
        .await?;
        Ok(info)
    }

    /// The engine's work for one batch, inside this transaction: the outcome, and every account
    /// row created or changed. Appends audit entries only when something was written; the
    /// caller commits.
    async fn apply_batch(
        &mut self,
        batch: &LedgerBatch,
        cache: &Cache,
        base: i64,
    ) -> Result<(BatchOutcome, Vec<AccountRow>)> {
        let now = match batch.imported_at_ms {
            None => self.at_ms(),
            Some(at) => self.imported_time(at).await?,
        };
        let mut engine = Ledger::default();
        let mut accounts = self.restore_touched(batch, cache, base, &mut engine).await?;
        let account_inputs: Vec<Account> = batch.accounts.iter().map(|a| a.account).collect();
        let account_results = engine.create_accounts(&account_inputs);
        let results = engine.create_transfers(&batch.transfers, now);
        let created = kept_accounts(batch, &account_results, &results, now);
        for row in &created {
            accounts.insert(row.account.id, row.clone());
        }
        self.insert_accounts(&created).await?;
        let (written, mut changed) = self.write_transfers(&engine, batch, &results, &mut accounts).await?;
        let untouched: Vec<AccountRow> =
            created.iter().filter(|c| !changed.iter().any(|r| r.account.id == c.account.id)).cloned().collect();
        changed.extend(untouched);
        self.audit_batch(&created, &written, results.len()).await?;
        Ok((
            BatchOutcome { accounts: account_results, transfers: results, at_ms: now, closed_requests: Vec::new() },
            changed,
        ))
    }

    /// Loads into `engine` what the batch touches: its own transfer ids (retries), the pending
    /// transfers it settles, and every account either of those names (returned as rows).
    async fn restore_touched(
        &mut self,
        batch: &LedgerBatch,
        cache: &Cache,
        base: i64,
        engine: &mut Ledger,
    ) -> Result<HashMap<u128, AccountRow>> {
        let max_stored = self.max_transfer_id(cache, base).await?;
        let mut transfer_ids: Vec<u128> =
            batch.transfers.iter().map(|t| t.id).filter(|id| max_stored.is_none_or(|max| *id <= max)).collect();
        transfer_ids.extend(batch.transfers.iter().map(|t| t.pending_id).filter(|id| *id != 0));
        sorted_unique(&mut transfer_ids);
        let loaded = self.load_transfers(&transfer_ids).await?;
        let mut account_ids: Vec<u128> = batch.accounts.iter().map(|a| a.account.id).collect();
        for t in &batch.transfers {
            account_ids.extend([t.debit_account_id, t.credit_account_id]);
        }
        for row in &loaded {
            account_ids.extend([row.record.debit_account_id, row.record.credit_account_id]);
            engine.restore_transfer(row.record.recorded(), row.state);
        }
        sorted_unique(&mut account_ids);
        let accounts = self.cached_accounts(&account_ids, cache, base).await?;
        for a in accounts.values() {
            engine.restore_account(a.account);
        }
        Ok(accounts)
    }

    /// The audit entries of a batch: the accounts it created, and its transfer rows' digest.
    async fn audit_batch(
        &mut self,
        created: &[AccountRow],
        written: &[TransferRecord],
        submitted: usize,
    ) -> Result<()> {
        if !created.is_empty() {
            let ids: Vec<String> = created.iter().map(|a| format!("{:032x}", a.account.id)).collect();
            self.audit("ledger.accounts", "ledger", serde_json::json!({ "created": ids })).await?;
        }
        if let (Some(first), Some(last)) = (written.first(), written.last()) {
            let subject = format!("seq:{}-{}", first.seq, last.seq);
            let change = serde_json::json!({
                "first_seq": first.seq,
                "last_seq": last.seq,
                "transfers": written.len(),
                "refused": submitted - written.len(),
                "digest": digest(written),
            });
            self.audit("ledger.batch", &subject, change).await?;
        }
        Ok(())
    }

    async fn write_transfers(
        &mut self,
        engine: &Ledger,
        batch: &LedgerBatch,
        results: &[CreateTransferResult],
        accounts: &mut HashMap<u128, AccountRow>,
    ) -> Result<(Vec<TransferRecord>, Vec<AccountRow>)> {
        let ok: Vec<&Transfer> = batch
            .transfers
            .iter()
            .zip(results)
            .filter(|(_, r)| **r == CreateTransferResult::Ok)
            .map(|(t, _)| t)
            .collect();
        if ok.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM ledger_transfers").fetch_one(&mut *self.tx).await?;
        let mut seq: i64 = row.try_get(0)?;
        let mut written = Vec::with_capacity(ok.len());
        let mut fates: Vec<(u128, PendingState, Option<i64>)> = Vec::new();
        let mut touched: Vec<u128> = Vec::with_capacity(ok.len() * 2);
        let mut checkpoints: Vec<(u128, i64, u64, u64)> = Vec::new();
        for t in ok {
            let recorded = engine
                .transfer(t.id)
                .ok_or_else(|| StoreError::Corrupt(format!("transfer {:032x} succeeded but is missing", t.id)))?;
            let pending = engine.transfer(t.pending_id).filter(|_| t.flags.settles());
            seq += 1;
            let mut record = TransferRecord::from_recorded(seq, recorded, pending);
            touched.extend([record.debit_account_id, record.credit_account_id]);
            link(&mut record, accounts, &mut checkpoints)?;
            if t.flags.pending {
                fates.push((t.id, PendingState::Pending, recorded.expires_at_ms));
            }
            written.push(record);
        }
        settled_fates(engine, batch, results, &mut fates);
        self.insert_transfer_rows("ledger_transfers", &written).await?;
        self.upsert_pending(&fates).await?;
        sorted_unique(&mut touched);
        let changed: Vec<AccountRow> = touched
            .iter()
            .filter_map(|id| {
                let now_account = engine.account(*id)?;
                let row = accounts.get_mut(id)?;
                // The posted totals folded transfer by transfer are the engine's: the rule the
                // statements and checkpoints follow is the engine's rule.
                assert_eq!(
                    (row.account.debits_posted, row.account.credits_posted),
                    (now_account.debits_posted, now_account.credits_posted),
                    "account {id:032x}: posted totals folded from the batch's rows differ from the engine's"
                );
                row.account = *now_account;
                Some(row.clone())
            })
            .collect();
        self.update_balances(&changed).await?;
        self.insert_checkpoints(&checkpoints).await?;
        let memos: Vec<(u128, &Note)> =
            written.iter().filter_map(|r| batch.notes.get(&r.id).map(|m| (r.id, m))).collect();
        for chunk in memos.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_notes (transfer_id, memo, actor) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (id, note) in chunk {
                query = query.bind(id_bytes(*id)).bind(note.memo.clone()).bind(note.actor.clone());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok((written, changed))
    }

    /// The requests among `settles` that can no longer be paid by their transfer: not open, and
    /// not already paid by that very transfer (a retry, which the engine answers `exists`).
    async fn closed_requests(&mut self, settles: &[Settle]) -> Result<Vec<String>> {
        let mut closed = Vec::new();
        for s in settles {
            let row = sqlx::query("SELECT status, transfer_id FROM payment_requests WHERE id = $1")
                .bind(&s.request_id)
                .fetch_optional(&mut *self.tx)
                .await?;
            let open = match row {
                Some(r) => {
                    let status: String = r.try_get(0)?;
                    let paid_by: Option<Vec<u8>> = r.try_get(1)?;
                    status == "open" || (status == "paid" && paid_by == Some(id_bytes(s.transfer_id)))
                }
                None => false,
            };
            if !open {
                closed.push(s.request_id.clone());
            }
        }
        Ok(closed)
    }

    /// Marks paid every request whose paying transfer this batch wrote (or found written).
    async fn mark_paid(&mut self, batch: &LedgerBatch, outcome: &BatchOutcome) -> Result<()> {
        for s in &batch.settles {
            let result =
                batch.transfers.iter().zip(&outcome.transfers).find(|(t, _)| t.id == s.transfer_id).map(|(_, r)| *r);
            if matches!(result, Some(CreateTransferResult::Ok | CreateTransferResult::Exists)) {
                // False when it is already paid by this transfer: a retry changes nothing.
                self.decide_payment_request(&s.request_id, "paid", Some(s.transfer_id)).await?;
            }
        }
        Ok(())
    }

    /// Multi-row insert of transfer rows into `table` (the ledger's, or the benchmark's raw twin).
    pub async fn insert_transfer_rows(&mut self, table: &str, rows: &[TransferRecord]) -> Result<()> {
        insert_rows(&mut self.tx, self.backend, table, rows).await
    }

    async fn insert_checkpoints(&mut self, rows: &[(u128, i64, u64, u64)]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_checkpoints (account_id, seq, debits_posted, credits_posted) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for (account, seq, debits, credits) in chunk {
                query = query.bind(id_bytes(*account)).bind(*seq).bind(amount_in(*debits)).bind(amount_in(*credits));
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn upsert_pending(&mut self, fates: &[(u128, PendingState, Option<i64>)]) -> Result<()> {
        let now = self.at_ms();
        for chunk in fates.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_pending (id, state, expires_at, updated_at) VALUES {} \
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                values_placeholders(self.backend, chunk.len(), 4)
            );
            let mut query = sqlx::query(&sql);
            for (id, state, expires) in chunk {
                query = query.bind(id_bytes(*id)).bind(state.as_str()).bind(*expires).bind(now);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes the balances, flags and history heads of existing accounts, seven parameters a row.
    async fn update_balances(&mut self, rows: &[AccountRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH v (id, flags, debits_pending, debits_posted, credits_pending, credits_posted, last_seq, \
                 transfer_count) AS (VALUES {}) \
                 UPDATE ledger_accounts SET flags = v.flags, debits_pending = v.debits_pending, \
                 debits_posted = v.debits_posted, credits_pending = v.credits_pending, \
                 credits_posted = v.credits_posted, last_seq = v.last_seq, transfer_count = v.transfer_count \
                 FROM v WHERE ledger_accounts.id = v.id",
                values_placeholders(self.backend, chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                let a = &r.account;
                query = query
                    .bind(id_bytes(a.id))
                    .bind(i64::from(a.flags.bits()))
                    .bind(amount_in(a.debits_pending))
                    .bind(amount_in(a.debits_posted))
                    .bind(amount_in(a.credits_pending))
                    .bind(amount_in(a.credits_posted))
                    .bind(r.last_seq)
                    .bind(r.transfers);
            }
            let updated = query.execute(&mut *self.tx).await?.rows_affected();
            if updated != chunk.len() as u64 {
                return Err(StoreError::Corrupt(format!("{updated} of {} account balances updated", chunk.len())));
            }
        }
        Ok(())
    }

    async fn insert_accounts(&mut self, rows: &[AccountRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO ledger_accounts ({ACCOUNT_COLUMNS}) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 14)
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                let a = &r.account;
                query = query
                    .bind(id_bytes(a.id))
                    .bind(i64::from(a.ledger))
                    .bind(i64::from(a.code))
                    .bind(i64::from(a.flags.bits()))
                    .bind((a.user_data != 0).then(|| id_bytes(a.user_data)))
                    .bind(r.owner_kind.to_string())
                    .bind(r.owner_id.to_string())
                    .bind(amount_in(a.debits_pending))
                    .bind(amount_in(a.debits_posted))
                    .bind(amount_in(a.credits_pending))
                    .bind(amount_in(a.credits_posted))
                    .bind(r.last_seq)
                    .bind(r.created_at)
                    .bind(r.transfers);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

/// Links `record` into both accounts' history chains, keeps their posted totals running (the rows
/// hold the state before the batch; the caller asserts the result against the engine), and
/// checkpoints the transfers `statement::checkpoint_due` names.
fn link(
    record: &mut TransferRecord,
    accounts: &mut HashMap<u128, AccountRow>,
    checkpoints: &mut Vec<(u128, i64, u64, u64)>,
) -> Result<()> {
    let seq = record.seq;
    let posted = statement::posted_amount(record.flags(), record.amount);
    for (account, prev, debit) in [
        (record.debit_account_id, &mut record.debit_prev_seq, true),
        (record.credit_account_id, &mut record.credit_prev_seq, false),
    ] {
        let row = accounts
            .get_mut(&account)
            .ok_or_else(|| StoreError::Corrupt(format!("account {account:032x} moved money but was not loaded")))?;
        *prev = row.last_seq;
        row.last_seq = seq;
        row.transfers += 1;
        let total = if debit { &mut row.account.debits_posted } else { &mut row.account.credits_posted };
        *total = total
            .checked_add(posted)
            .ok_or_else(|| StoreError::Corrupt(format!("account {account:032x} overflowed its posted totals")))?;
        if statement::checkpoint_due(row.transfers) {
            checkpoints.push((account, seq, row.account.debits_posted, row.account.credits_posted));
        }
    }
    Ok(())
}

/// The final fate of every pending transfer the batch created (already in `fates`) or settled.
fn settled_fates(
    engine: &Ledger,
    batch: &LedgerBatch,
    results: &[CreateTransferResult],
    fates: &mut Vec<(u128, PendingState, Option<i64>)>,
) {
    for (id, state, _) in fates.iter_mut() {
        *state = engine.pending_state(*id).unwrap_or(*state);
    }
    for (t, _) in
        batch.transfers.iter().zip(results).filter(|(t, r)| **r == CreateTransferResult::Ok && t.flags.settles())
    {
        if !fates.iter().any(|f| f.0 == t.pending_id) {
            let state = engine.pending_state(t.pending_id).unwrap_or(PendingState::Pending);
            let expires = engine.transfer(t.pending_id).and_then(|p| p.expires_at_ms);
            fates.push((t.pending_id, state, expires));
        }
    }
}

/// The accounts a batch keeps: created, and either wanted outright or used by a transfer that
/// succeeded (a wallet made on the way to a refused payment is not kept; a post or void names no
/// accounts, but its pending transfer's accounts exist already).
fn kept_accounts(
    batch: &LedgerBatch,
    account_results: &[CreateAccountResult],
    results: &[CreateTransferResult],
    now: i64,
) -> Vec<AccountRow> {
    let used: HashSet<u128> = batch
        .transfers
        .iter()
        .zip(results)
        .filter(|(_, r)| **r == CreateTransferResult::Ok)
        .flat_map(|(t, _)| [t.debit_account_id, t.credit_account_id])
        .collect();
    batch
        .accounts
        .iter()
        .zip(account_results)
        .filter(|(new, result)| {
            **result == CreateAccountResult::Ok && (!new.only_if_used || used.contains(&new.account.id))
        })
        .map(|(new, _)| AccountRow {
            account: new.account,
            owner_kind: new.owner_kind.as_str().into(),
            owner_id: new.owner_id.as_str().into(),
            last_seq: 0,
            created_at: now,
            transfers: 0,
        })
        .collect()
}
