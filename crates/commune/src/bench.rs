//! `commune bench ledger`: the ledger's throughput on a real store, compared in the same run with
//! the store's raw limit (the same number of rows of the same width, inserted in batches of the
//! same size with the same durability settings) and with a naive ledger (one transaction per
//! transfer). Prints human-readable lines and, last, one JSON object.

use anyhow::Context;
use commune_domain::ledger::payments::{account_code, transfer_code};
use commune_domain::ledger::{Account, CreateAccountResult, CreateTransferResult, Transfer};
use commune_store::{LedgerBatch, NewAccount, Store, TransferRecord};
use std::time::Instant;

pub struct Options {
    pub database_url: String,
    pub transfers: usize,
    pub batch: usize,
    pub accounts: usize,
    pub naive_transfers: usize,
    pub seed: u64,
}

fn bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{what:<22} {{bar:40.cyan/magenta}} {{pos}}/{{len}} ({{per_sec}}, {{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Ids made of a run prefix and a counter: time-ordered like TigerBeetle recommends, unique
/// across runs on the same database.
fn id(run: u64, kind: u64, n: u64) -> u128 {
    (u128::from(run) << 64) | (u128::from(kind) << 56) | u128::from(n)
}

pub async fn ledger(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.transfers > 0, "--transfers must be at least 1");
    anyhow::ensure!((1..=8_190).contains(&options.batch), "--batch must be between 1 and 8190");
    anyhow::ensure!(options.accounts >= 2, "--accounts must be at least 2");
    let store = Store::connect(&options.database_url)
        .await
        .with_context(|| format!("cannot open {}", commune_store::redact(&options.database_url)))?;
    store.migrate().await?;
    let backend = store.backend().as_str();
    let durability = store.durability().await?;
    let run = u64::try_from(commune_store::now_ms()).unwrap_or(1) | 1;
    println!("backend: {backend} ({durability})");
    println!("database: {}", commune_store::redact(&options.database_url));
    println!(
        "workload: {} transfers in batches of {} between {} accounts (seed {}); naive: {} transfers",
        options.transfers, options.batch, options.accounts, options.seed, options.naive_transfers
    );

    // Accounts, in batches.
    let accounts: Vec<NewAccount> = (0..options.accounts as u64)
        .map(|n| NewAccount {
            account: Account { id: id(run, 1, n), ledger: 1, code: account_code::BENCH, ..Account::default() },
            owner_kind: "bench".into(),
            owner_id: format!("run-{run}"),
            only_if_used: false,
        })
        .collect();
    for chunk in accounts.chunks(options.batch.max(1000)) {
        let outcome =
            store.ledger_batch("bench", &LedgerBatch { accounts: chunk.to_vec(), ..LedgerBatch::default() }).await?;
        anyhow::ensure!(outcome.accounts.iter().all(|r| *r == CreateAccountResult::Ok), "creating accounts failed");
    }

    let mut rng = commune_domain::seeded::SplitMix64(options.seed);
    let mut make = |kind: u64, n: usize| -> Vec<Transfer> {
        (0..n as u64)
            .map(|i| {
                let debit = rng.next_u64() % options.accounts as u64;
                let credit = (debit + 1 + rng.next_u64() % (options.accounts as u64 - 1)) % options.accounts as u64;
                Transfer {
                    id: id(run, kind, i),
                    debit_account_id: id(run, 1, debit),
                    credit_account_id: id(run, 1, credit),
                    amount: 1 + rng.next_u64() % 1_000,
                    ledger: 1,
                    code: transfer_code::BENCH,
                    ..Transfer::default()
                }
            })
            .collect()
    };

    // (1) The ledger: engine, checks, balances, audit, one durable transaction per batch.
    let transfers = make(2, options.transfers);
    let progress = bar(transfers.len(), "ledger");
    let started = Instant::now();
    let mut refused = 0usize;
    for chunk in transfers.chunks(options.batch) {
        let outcome =
            store.ledger_batch("bench", &LedgerBatch { transfers: chunk.to_vec(), ..LedgerBatch::default() }).await?;
        refused += outcome.transfers.iter().filter(|r| **r != CreateTransferResult::Ok).count();
        progress.inc(chunk.len() as u64);
    }
    let ledger_s = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    anyhow::ensure!(refused == 0, "{refused} benchmark transfers were refused");
    let transfers_per_s = options.transfers as f64 / ledger_s;
    println!("ledger: {} transfers in {ledger_s:.3} s = {transfers_per_s:.0} transfers/s", options.transfers);

    // (2) The raw limit: the same number of rows of the same width, same batches, same settings.
    let table = "bench_raw_transfers";
    store.create_raw_twin(table).await?;
    let rows: Vec<TransferRecord> = transfers
        .iter()
        .enumerate()
        .map(|(i, t)| TransferRecord {
            seq: i as i64 + 1,
            id: t.id,
            debit_account_id: t.debit_account_id,
            credit_account_id: t.credit_account_id,
            amount: t.amount,
            requested: t.amount,
            pending_id: 0,
            timeout: 0,
            ledger: 1,
            code: t.code,
            flags: 0,
            user_data: 0,
            at_ms: 0,
            expires_at: None,
            debit_prev_seq: i as i64,
            credit_prev_seq: i as i64,
        })
        .collect();
    let progress = bar(rows.len(), "raw rows");
    let started = Instant::now();
    for chunk in rows.chunks(options.batch) {
        store.insert_raw_rows(table, chunk).await?;
        progress.inc(chunk.len() as u64);
    }
    let raw_s = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let raw_rows_per_s = rows.len() as f64 / raw_s;
    println!(
        "raw rows: {} rows in {raw_s:.3} s = {raw_rows_per_s:.0} rows/s (table {table}: same columns, primary key and unique id only)",
        rows.len()
    );

    // (3) A naive ledger: the same kind of transfers, one transaction each.
    let naive = make(3, options.naive_transfers);
    let progress = bar(naive.len(), "naive (1 per tx)");
    let started = Instant::now();
    for t in &naive {
        let outcome =
            store.ledger_batch("bench", &LedgerBatch { transfers: vec![*t], ..LedgerBatch::default() }).await?;
        anyhow::ensure!(outcome.transfers == [CreateTransferResult::Ok], "a naive transfer was refused");
        progress.inc(1);
    }
    let naive_s = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let naive_transfers_per_s = if naive.is_empty() { 0.0 } else { naive.len() as f64 / naive_s };
    println!("naive: {} transfers in {naive_s:.3} s = {naive_transfers_per_s:.0} transfers/s", naive.len());
    let of_raw = transfers_per_s / raw_rows_per_s;
    let vs_naive = if naive_transfers_per_s > 0.0 { transfers_per_s / naive_transfers_per_s } else { 0.0 };
    println!("ledger / raw = {of_raw:.3}; ledger / naive = {vs_naive:.1}x");
    println!(
        "the database stays for inspection; check it with: commune verify --database-url {}",
        commune_store::redact(&options.database_url)
    );
    store.close().await;
    let report = serde_json::json!({
        "backend": backend,
        "durability": durability,
        "batch": options.batch,
        "transfers": options.transfers,
        "accounts": options.accounts,
        "transfers_per_s": transfers_per_s.round(),
        "raw_rows_per_s": raw_rows_per_s.round(),
        "naive_transfers": naive.len(),
        "naive_transfers_per_s": naive_transfers_per_s.round(),
        "ledger_over_raw": (of_raw * 1000.0).round() / 1000.0,
        "ledger_over_naive": (vs_naive * 10.0).round() / 10.0,
    });
    println!("{report}");
    Ok(())
}
