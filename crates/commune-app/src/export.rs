//! Whole-ledger exports (an `hledger` journal, CSV) and the ledger's re-check, streamed page by
//! page from the store so a database of millions of transfers fits in memory.

use anyhow::Context;
use commune_domain::ledger::check::{Recheck, Report};
use commune_domain::ledger::export::{self, Commodity};
use commune_domain::ledger::payments::transfer_code;
use commune_domain::ledger::statement;
use commune_domain::ledger::{Account, amount};
use commune_store::{AccountRow, Store, TransferRow};
use std::collections::HashMap;
use std::io::Write;

/// Transfers read per page.
const PAGE: i64 = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Journal,
    Csv,
}

/// Each account's journal name, from its owner's handle or slug.
async fn names(store: &Store, accounts: &[AccountRow]) -> anyhow::Result<HashMap<u128, String>> {
    let mut names = HashMap::with_capacity(accounts.len());
    for row in accounts {
        let label = match &*row.owner_kind {
            "member" => store.member_by_id(&row.owner_id).await?.map_or_else(|| row.owner_id.to_string(), |m| m.handle),
            "org" => store.org_by_id(&row.owner_id).await?.map_or_else(|| row.owner_id.to_string(), |o| o.slug),
            _ => row.owner_id.to_string(),
        };
        names.insert(row.account.id, export::account_name(&row.owner_kind, &label, row.account.id));
    }
    Ok(names)
}

async fn pages(store: &Store, mut each: impl FnMut(&TransferRow) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let mut after = 0;
    loop {
        let page = store.transfers_after(after, PAGE).await?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.record.seq;
        for row in &page {
            each(row)?;
        }
    }
}

/// Writes the whole ledger in `format` to `out`.
pub async fn write(store: &Store, format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    let ledgers = store.ledgers().await?;
    let commodities: HashMap<u32, Commodity> =
        ledgers.iter().map(|l| (l.id, Commodity { ledger: l.id, asset: l.asset.clone(), scale: l.scale })).collect();
    let accounts = store.ledger_accounts().await?;
    let names = names(store, &accounts).await?;
    let name = |id: u128| names.get(&id).cloned().unwrap_or_else(|| format!("unknown:{id:032x}"));
    match format {
        Format::Journal => {
            let mut listed: Vec<Commodity> = commodities.values().cloned().collect();
            listed.sort_by_key(|c| c.ledger);
            out.write_all(export::journal_header(&listed).as_bytes())?;
        }
        Format::Csv => out.write_all(
            b"seq,date,time_ms,transfer_id,kind,debit_account,credit_account,amount,currency,status,pending_id,memo\n",
        )?,
    }
    pages(store, |row| {
        let r = row.record;
        let commodity =
            commodities.get(&r.ledger).with_context(|| format!("transfer {} names ledger {}", r.seq, r.ledger))?;
        let memo = row.memo.as_deref().unwrap_or("");
        match format {
            Format::Journal => {
                let entry = export::journal_entry(
                    &r.stored(),
                    row.state,
                    commodity,
                    &name(r.debit_account_id),
                    &name(r.credit_account_id),
                    memo,
                );
                if let Some(entry) = entry {
                    out.write_all(entry.as_bytes())?;
                }
            }
            Format::Csv => {
                let flags = r.flags();
                let status = match (flags.pending, row.state) {
                    (true, Some(s)) => s.as_str(),
                    _ if flags.void_pending_transfer => "void",
                    _ if flags.post_pending_transfer => "post",
                    _ => "posted",
                };
                let pending = if r.pending_id == 0 { String::new() } else { crate::payments::show_id(r.pending_id) };
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    r.seq,
                    export::date_of(r.at_ms),
                    r.at_ms,
                    crate::payments::show_id(r.id),
                    transfer_code::name(r.code),
                    export::csv_field(&name(r.debit_account_id)),
                    export::csv_field(&name(r.credit_account_id)),
                    amount::format(i128::from(r.amount), commodity.scale),
                    commodity.asset,
                    status,
                    pending,
                    export::csv_field(memo)
                )?;
            }
        }
        Ok(())
    })
    .await?;
    out.flush()?;
    Ok(())
}

/// Per journal account and currency: (posted, pending) as hledger sums them (debits positive),
/// for comparing with `hledger balance --cleared` and `--pending`.
pub async fn journal_balances(store: &Store) -> anyhow::Result<Vec<(String, String, i128, i128)>> {
    let ledgers = store.ledgers().await?;
    let accounts = store.ledger_accounts().await?;
    let names = names(store, &accounts).await?;
    let mut out = Vec::new();
    for row in &accounts {
        let a = row.account;
        let asset = ledgers.iter().find(|l| l.id == a.ledger).map_or("?", |l| l.asset.as_str());
        out.push((
            names.get(&a.id).cloned().unwrap_or_default(),
            asset.to_owned(),
            i128::from(a.debits_posted) - i128::from(a.credits_posted),
            i128::from(a.debits_pending) - i128::from(a.credits_pending),
        ));
    }
    out.sort();
    Ok(out)
}

/// Re-derives every balance from the transfer log, and checks each batch's digest in the audit
/// chain against the rows it covers (so rows edited or added outside a batch are found).
pub async fn verify_ledger(store: &Store, mut progress: impl FnMut(u64)) -> anyhow::Result<Report> {
    let accounts: Vec<Account> = store.ledger_accounts().await?.into_iter().map(|r| r.account).collect();
    let mut recheck = Recheck::new(&accounts);
    let mut checkpoints = Checkpoints::default();
    let mut last_seq = 0;
    let mut seen = 0u64;
    pages(store, |row| {
        recheck.transfer(&row.record.stored(), row.state);
        checkpoints.transfer(&row.record);
        last_seq = row.record.seq;
        seen += 1;
        if seen.is_multiple_of(PAGE as u64) {
            progress(seen);
        }
        Ok(())
    })
    .await?;
    let mut report = recheck.finish(&accounts);
    checkpoints.compare(store, &mut report.problems).await?;
    let mut covered_to = 0i64;
    for entry in store.audit_entries("ledger.batch").await? {
        let change: serde_json::Value = serde_json::from_str(&entry.payload)?;
        let (Some(first), Some(last), Some(digest)) =
            (change["first_seq"].as_i64(), change["last_seq"].as_i64(), change["digest"].as_str())
        else {
            report.problems.push(format!("audit entry {} does not describe a ledger batch", entry.seq));
            continue;
        };
        if first != covered_to + 1 {
            report.problems.push(format!(
                "transfers {}..{} are not covered by any audited batch",
                covered_to + 1,
                first - 1
            ));
        }
        covered_to = last;
        let rows = store.transfer_records(first, last).await?;
        if commune_store::transfer_digest(&rows) != digest {
            report
                .problems
                .push(format!("the batch of transfers {first}..{last} (audit entry {}) was altered", entry.seq));
        }
    }
    if covered_to != last_seq {
        report.problems.push(format!("transfers {}..{last_seq} are not covered by any audited batch", covered_to + 1));
    }
    // Every payment request is paid exactly when the transfer that pays it exists.
    let mut after = String::new();
    loop {
        let page = store.payment_requests_page(&after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for request in &page {
            let id = commune_domain::ledger::payments::derive_id(&["payment-request", &request.id]);
            let moved = store.ledger_transfer(id).await?.is_some();
            if (request.status == "paid") != moved {
                report.problems.push(format!(
                    "payment request {} is {} but its transfer {}",
                    request.id,
                    request.status,
                    if moved { "exists" } else { "does not exist" }
                ));
            }
        }
    }
    Ok(report)
}

/// The statement checkpoints re-derived from the log: every account's transfer count and posted
/// totals wherever `statement::checkpoint_due`, compared with what the batches stored.
#[derive(Default)]
struct Checkpoints {
    running: HashMap<u128, (i64, u64, u64)>,
    expected: Vec<(u128, i64, u64, u64)>,
}

impl Checkpoints {
    fn transfer(&mut self, r: &commune_store::TransferRecord) {
        let posted = statement::posted_amount(r.flags(), r.amount);
        for (account, debit) in [(r.debit_account_id, true), (r.credit_account_id, false)] {
            let (count, debits, credits) = self.running.entry(account).or_default();
            *count += 1;
            let total = if debit { &mut *debits } else { &mut *credits };
            *total = total.wrapping_add(posted);
            if statement::checkpoint_due(*count) {
                self.expected.push((account, r.seq, *debits, *credits));
            }
        }
    }

    async fn compare(mut self, store: &Store, problems: &mut Vec<String>) -> anyhow::Result<()> {
        let mut stored = store.ledger_checkpoints().await?;
        stored.sort_unstable();
        self.expected.sort_unstable();
        if stored != self.expected {
            let wrong = stored
                .iter()
                .zip(&self.expected)
                .find(|(s, e)| s != e)
                .map_or(format!("{} stored, {} expected", stored.len(), self.expected.len()), |(s, _)| {
                    format!("the first wrong one is account {:032x} at transfer {}", s.0, s.1)
                });
            problems.push(format!("the statement checkpoints differ from the transfer log: {wrong}"));
        }
        for row in store.ledger_accounts().await? {
            let counted = self.running.get(&row.account.id).map_or(0, |r| r.0);
            if counted != row.transfers {
                problems.push(format!(
                    "account {:032x} counts {} transfers, the log holds {counted}",
                    row.account.id, row.transfers
                ));
            }
        }
        Ok(())
    }
}
