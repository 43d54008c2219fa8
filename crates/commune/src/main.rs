//! `commune`: the one binary. `serve` runs the server, `migrate` prepares a database, `demo`
//! loads the demo commune, `verify` re-checks every stored proof, `openapi` prints the API
//! document.

mod bench;
mod config;
mod ideas;
mod learn;
mod merit;
mod pb;
mod tally;
mod work;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use commune_app::{AppState, Config};
use commune_store::{ChainReport, Store};
use config::Settings;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "commune",
    version,
    about = "The operating system for cooperatively owned businesses.",
    long_about = "The operating system for cooperatively owned businesses: members learn, earn, decide and pool \
capital together. One binary: a web UI, a JSON API, and offline tools that share the same core.\n\n\
Settings come from flags, then COMMUNE_* environment variables, then a TOML file (--config), then defaults."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives and how to log: only the commands that open a database take these, so
/// the offline tools' help lists only what applies to them.
#[derive(clap::Args, Clone, Default)]
struct StoreArgs {
    /// TOML file with `listen`, `database_url`, `secure_cookies`, `log_format`.
    #[arg(long, env = "COMMUNE_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Where the data lives: sqlite://PATH (default sqlite://./commune-data/commune.db) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "COMMUNE_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Log format: text (default) or json.
    #[arg(long, env = "COMMUNE_LOG_FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: web UI, JSON API under /api/v1, /healthz and /metrics.
    ///
    /// Migrates the database on start. On an empty database the first page sets up the commune
    /// and its first steward, or loads the demo commune with one click.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "COMMUNE_LISTEN")]
        listen: Option<String>,
        /// Fill an empty database with the demo commune before serving.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set this when Commune is served over HTTPS).
        #[arg(long, env = "COMMUNE_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Sign-ups and log-ins allowed per client address per minute.
        #[arg(long, env = "COMMUNE_CLIENT_RATE_PER_MINUTE", default_value_t = 30)]
        client_rate_per_minute: u32,
        /// A bearer token that opens /metrics on the main address (without it, /metrics is not
        /// served there).
        #[arg(long, env = "COMMUNE_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Serve /metrics, without a token, on this separate address (e.g. 127.0.0.1:9090).
        #[arg(long, env = "COMMUNE_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// Close a connection that sends nothing for this many seconds (idle, or a half-sent
        /// request).
        #[arg(long, env = "COMMUNE_READ_TIMEOUT_S", default_value_t = 30)]
        read_timeout_s: u64,
        /// Send members' email digests through this SMTP relay (HOST:PORT, e.g. a local Postfix
        /// on 127.0.0.1:25); without it no mail is sent.
        #[arg(long, env = "COMMUNE_SMTP_RELAY")]
        smtp_relay: Option<String>,
        /// The sender of digests, e.g. "Commune <commune@example.org>" (with --smtp-relay).
        #[arg(long, env = "COMMUNE_MAIL_FROM", default_value = "Commune <commune@localhost>")]
        mail_from: String,
        /// The address members and apps reach this instance at: the OpenID Connect issuer and the
        /// base of links in email (default: http://LISTEN).
        #[arg(long, env = "COMMUNE_PUBLIC_URL")]
        public_url: Option<String>,
        /// The instance key file (32 random bytes as hex, mode 0600) that seals signing keys at
        /// rest; created on first start (default: commune.key beside the SQLite database, or
        /// ./commune-data/commune.key).
        #[arg(long, env = "COMMUNE_KEY_FILE")]
        key_file: Option<std::path::PathBuf>,
        /// Address ranges webhooks may be sent to although they are not public, e.g.
        /// 127.0.0.1/32 for a receiver on this machine (comma separated; default none: only
        /// public addresses, never loopback, private, link-local or metadata ones).
        #[arg(long, env = "COMMUNE_WEBHOOK_ALLOW", value_delimiter = ',')]
        webhook_allow: Vec<String>,
        /// A streaming replica to read from (a one-host postgres:// URL; repeat the flag for
        /// more): GET and HEAD requests read from a replica that is up, within
        /// --replica-max-lag-ms of the primary and past the member's own last write; otherwise
        /// from the primary.
        #[arg(
            long = "read-replica-url",
            env = "COMMUNE_READ_REPLICA_URLS",
            value_delimiter = ' ',
            hide_env_values = true
        )]
        read_replica_urls: Vec<String>,
        /// How far behind the primary a replica may be and still serve reads (milliseconds,
        /// 0 to 60,000).
        #[arg(long, env = "COMMUNE_REPLICA_MAX_LAG_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        replica_max_lag_ms: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Load the demo commune (about 50 members, 4 co-op businesses, a chapter) into an empty database.
    Demo {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-check every stored proof: the audit hash chain, and every closed tally recounted from
    /// its stored ballots, weights and delegations. Exits non-zero and names what broke.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the OpenAPI 3.1 document of the JSON API.
    Openapi,
    /// Count a ballot file offline, with the same core as the server; prints one JSON object.
    ///
    /// PrefLib files (the default format) take --method plurality, borda, irv, schulze,
    /// copeland, ranked-pairs or minimax, and print {"method", "winners" (alternative numbers,
    /// ascending), "winner_names" (when the file names its alternatives), "scores", ...}.
    ///
    /// Snapshot files (--format snapshot) take --method single-choice, approval, quadratic,
    /// ranked-choice, weighted or copeland, and print {"scores": [...]} as snapshot.js
    /// getScores() does.
    ///
    /// Method names ignore case; `_` or a space may stand for `-`.
    Tally {
        /// The counting method: one of the format's methods listed above.
        #[arg(long)]
        method: String,
        /// The file's format.
        #[arg(long, value_enum, default_value = "preflib")]
        format: tally::Format,
        /// The ballot file (.soc, .soi, .toc, .toi, or snapshot JSON); '-' reads standard input.
        file: std::path::PathBuf,
    },
    /// Decide a participatory-budgeting election in Pabulib's .pb format offline, with the same
    /// rules as the rounds; prints one JSON object {"rule", "selected" (project ids as strings,
    /// ascending), "cost", "budget", ...}.
    ///
    /// Rules: equal-shares (Method of Equal Shares as equalshares.net runs it), mes, mes-add1,
    /// greedy, phragmen — pabutools' definitions, exact arithmetic, ties to the smallest id.
    Pb {
        /// The rule: equal-shares, mes, mes-add1, greedy or phragmen.
        #[arg(long, default_value = "equal-shares")]
        rule: String,
        /// Also print the order of selection and MES's effective vote counts.
        #[arg(long)]
        explain: bool,
        /// The .pb file; '-' reads standard input.
        file: std::path::PathBuf,
    },
    /// The skill model offline: `fit` outcomes and predict P(success), `eval` held out on a
    /// test's answers, `simulate` the matching policies.
    #[command(subcommand)]
    Skill(SkillCommand),
    /// Solve a linear assignment problem: C.csv is a numeric matrix without header (rows =
    /// people, columns = tasks; rectangular allowed); prints {"pairs": [[row, col], ...],
    /// "total": x} with 0-based indices, the optimum scipy's linear_sum_assignment finds.
    Assign {
        /// The cost matrix (CSV, no header); '-' reads standard input.
        #[arg(long)]
        costs: std::path::PathBuf,
        /// Find the greatest total instead of the least.
        #[arg(long)]
        maximize: bool,
    },
    /// The person-optimal stable matching with capacities (deferred acceptance, people
    /// proposing); prints {"matching": {task: [person ids, ascending]}}.
    ///
    /// P.csv: a header, then person,preferences (task ids by preference, separated by spaces).
    /// T.csv: task,capacity,preferences (person ids by preference). A pair counts only when both
    /// list each other.
    Match {
        /// The people and their preferences.
        #[arg(long)]
        people: std::path::PathBuf,
        /// The tasks, their capacities and preferences.
        #[arg(long)]
        tasks: std::path::PathBuf,
    },
    /// Spaced repetition offline (FSRS-6): memory states after review logs, fitted parameters
    /// and predicted recall.
    #[command(subcommand)]
    Learn(LearnCommand),
    /// Forecast scoring offline: Brier, log score and calibration per forecaster.
    #[command(subcommand)]
    Forecast(ForecastCommand),
    /// Bridging-based ranking offline (Community Notes' model): R.csv has the header
    /// rater,item,rating with ratings yes/somewhat/no or 1/0.5/0, one per rater and item.
    /// Prints item,intercept,factor,status (helpful, not_helpful or needs_more).
    Bridge {
        #[arg(long)]
        ratings: std::path::PathBuf,
    },
    /// The opinion map offline (Pol.is): V.csv has the header participant,statement,vote with
    /// votes 1 / -1 / 0, one per participant and statement. Prints JSON with groups
    /// (participants with fewer than 7 votes get none), consensus and repness.
    Opinions {
        #[arg(long)]
        votes: std::path::PathBuf,
    },
    /// The believability model offline: `fit` peer ratings (and predict or score with it), or
    /// `simulate` manipulation attacks.
    #[command(subcommand)]
    Merit(MeritCommand),
    /// The ledger: exports any accountant can read, and balances as the journal sums them.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Benchmarks that compare against a reference in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Write the whole ledger as an hledger journal (default) or CSV to standard output.
    Export {
        /// `hledger` (a plain-text journal hledger and ledger read) or `csv`.
        #[arg(long, default_value = "hledger")]
        format: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print account,currency,posted,pending per account (debits positive, as hledger sums a
    /// journal), for comparing with `hledger balance --cleared` and `--pending`.
    Balances {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Run N transfers in batches of B on a store (default: a fresh SQLite file with durable
    /// settings), then in the same run the store's raw limit (the same rows inserted in the
    /// same batches) and a naive ledger (one transaction per transfer). The last line is JSON:
    /// backend, batch, transfers, transfers_per_s, raw_rows_per_s, naive_transfers_per_s.
    /// Give --database-url to bench another store (e.g. PostgreSQL).
    Ledger {
        /// Transfers to apply through the ledger (and to insert raw, for the limit).
        #[arg(long, default_value_t = 1_000_000)]
        transfers: usize,
        /// Transfers per batch (TigerBeetle's is 8,190).
        #[arg(long, default_value_t = 8_190)]
        batch: usize,
        /// Accounts the transfers move money between (each pair drawn at random).
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// Transfers for the naive comparison (one transaction each); at most --transfers.
        #[arg(long, default_value_t = 2_000)]
        naive_transfers: usize,
        /// Seed of the workload's random pairs and amounts (the same seed, the same workload).
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

impl Command {
    /// The storage arguments of a command that opens a database; `None` for the offline tools.
    fn store(&self) -> Option<&StoreArgs> {
        match self {
            Command::Serve { store, .. }
            | Command::Migrate { store }
            | Command::Demo { store }
            | Command::Verify { store }
            | Command::Ledger(LedgerCommand::Export { store, .. } | LedgerCommand::Balances { store })
            | Command::Bench(BenchCommand::Ledger { store, .. }) => Some(store),
            Command::Openapi
            | Command::Tally { .. }
            | Command::Pb { .. }
            | Command::Merit(_)
            | Command::Skill(_)
            | Command::Assign { .. }
            | Command::Match { .. }
            | Command::Learn(_)
            | Command::Forecast(_)
            | Command::Bridge { .. }
            | Command::Opinions { .. } => None,
        }
    }
}

#[derive(Subcommand)]
enum SkillCommand {
    /// Fit a 2PL item response model (marginal maximum likelihood) on R.csv (a header, then
    /// person,item,outcome with outcome 0 or 1) and print person,item,p for every row of P.csv
    /// (a header, then person,item), in order: p is the probability of success averaged over the
    /// person's posterior ability (a person or item never seen gets the population's).
    Fit {
        #[arg(long)]
        responses: std::path::PathBuf,
        #[arg(long)]
        predict: std::path::PathBuf,
    },
    /// Hold out a seeded share of the answered cells of a wide 0/1 matrix (header; the first
    /// column names the person; empty = not answered), fit on the rest and print AUC and
    /// log-loss of item success rates, the 1PL (Rasch) and the 2PL.
    Eval {
        #[arg(long)]
        wide: std::path::PathBuf,
        #[arg(long, default_value_t = 10)]
        held_out_percent: u64,
        #[arg(long, default_value_t = 20261130)]
        seed: u64,
    },
    /// The seeded matching simulation: Thompson sampling against greedy-by-mean, random and an
    /// oracle over rounds of tasks; prints successes and regret (JSON).
    Simulate {
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
        #[arg(long, default_value_t = 40)]
        members: usize,
        /// Consecutive seeds to run from --seed (the report averages over them).
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// Tasks each round (each member takes at most one a round).
        #[arg(long, default_value_t = 12)]
        tasks: usize,
    },
}

#[derive(Subcommand)]
enum LearnCommand {
    /// R.csv: a header, then card,rating,day (rating 1-4, day an integer day number; one
    /// card's rows in time order). Prints card,stability,difficulty after each card's last
    /// review with FSRS-6 default parameters.
    Memory {
        #[arg(long)]
        reviews: std::path::PathBuf,
    },
    /// Fit FSRS-6 parameters on R.csv and print them as a JSON array of 21 numbers; with
    /// --predict P.csv (a header, then card,day; each day on or after that card's last review)
    /// print card,day,p instead, p the predicted probability of recall.
    Fit {
        #[arg(long)]
        reviews: std::path::PathBuf,
        #[arg(long)]
        predict: Option<std::path::PathBuf>,
    },
    /// The time-ordered evaluation on a seeded synthetic log (or --reviews R.csv): log-loss and
    /// AUC of recall predictions for FSRS-6 defaults, fitted parameters and a constant.
    Eval {
        #[arg(long)]
        reviews: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 1000)]
        cards: usize,
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// The share of review days (from the first) the parameters are fitted on.
        #[arg(long, default_value_t = 70)]
        train_percent: u64,
    },
}

#[derive(Subcommand)]
enum ForecastCommand {
    /// F.csv: a header, then forecaster,question,p (p the probability of yes, in [0, 1]; a later
    /// row replaces an earlier one of the same forecaster and question). O.csv: question,outcome
    /// (1 or 0). Prints Brier, log score and ten calibration bins per forecaster as JSON.
    Score {
        #[arg(long)]
        forecasts: std::path::PathBuf,
        #[arg(long)]
        outcomes: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum MeritCommand {
    /// Fit the model on a CSV of ratings (header with at least rater,ratee,score; ids are strings).
    ///
    /// --predict P.csv (header rater,ratee) prints rater,ratee,predicted for each row of P, in
    /// order; --scores prints member,believability,lower for every rated member.
    Fit {
        /// The ratings to fit (CSV whose header names rater, ratee and score; other columns are ignored).
        #[arg(long)]
        ratings: std::path::PathBuf,
        /// Pairs to predict (CSV: rater,ratee): prints rater,ratee,predicted.
        #[arg(long)]
        predict: Option<std::path::PathBuf>,
        /// Print member,believability,lower for every rated member.
        #[arg(long)]
        scores: bool,
    },
    /// Run the seeded manipulation-resistance simulation and print its report (JSON).
    Simulate {
        /// Seed of the simulated community and its attacks.
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
        /// Members of the simulated community.
        #[arg(long, default_value_t = 400)]
        members: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Offline tools need no database, settings or runtime.
    if let Command::Merit(command) = &cli.command {
        let result = match command {
            MeritCommand::Fit { ratings, predict, scores } => merit::fit(ratings, predict.as_deref(), *scores),
            MeritCommand::Simulate { seed, members } => merit::simulate(*seed, *members),
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    let work = match &cli.command {
        Command::Skill(SkillCommand::Fit { responses, predict }) => {
            Some(work::skill_fit(responses, predict).map(|()| None))
        }
        Command::Skill(SkillCommand::Eval { wide, held_out_percent, seed }) => {
            Some(work::skill_eval(wide, *held_out_percent, *seed).map(Some))
        }
        Command::Skill(SkillCommand::Simulate { seed, rounds, members, seeds, tasks }) => {
            let setup = commune_domain::work::simulate::Setup {
                seed: *seed,
                rounds: *rounds,
                members: *members,
                tasks_per_round: (*tasks).max(1),
                ..Default::default()
            };
            Some(Ok(Some(work::skill_simulate(setup, *seeds))))
        }
        Command::Assign { costs, maximize } => Some(work::assign(costs, *maximize).map(Some)),
        Command::Match { people, tasks } => Some(work::matching(people, tasks).map(Some)),
        Command::Learn(LearnCommand::Memory { reviews }) => Some(learn::memory_states(reviews).map(|()| None)),
        Command::Learn(LearnCommand::Fit { reviews, predict }) => Some(learn::fit(reviews, predict.as_deref())),
        Command::Learn(LearnCommand::Eval { reviews, seed, cards, days, train_percent }) => {
            Some(learn::eval(reviews.as_deref(), *seed, *cards, *days, *train_percent).map(Some))
        }
        Command::Forecast(ForecastCommand::Score { forecasts, outcomes }) => {
            Some(learn::score(forecasts, outcomes).map(Some))
        }
        Command::Bridge { ratings } => Some(ideas::bridge(ratings).map(|()| None)),
        Command::Opinions { votes } => Some(ideas::opinions(votes).map(|()| None)),
        _ => None,
    };
    if let Some(result) = work {
        return match result {
            Ok(json) => {
                if let Some(json) = json {
                    println!("{json}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Tally { method, format, file } = &cli.command {
        return match tally::run(*format, method, file) {
            Ok(result) => {
                println!("{result}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Pb { rule, explain, file } = &cli.command {
        return match pb::run(rule, file, *explain) {
            Ok(result) => {
                println!("{result}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    // The benchmark writes to a fresh SQLite file unless a database is named.
    let store = cli.command.store().cloned().unwrap_or_default();
    let database_url = match (&cli.command, store.database_url) {
        (Command::Bench(_), None) => {
            let path = format!("./commune-bench/ledger-{}.db", commune_store::now_ms());
            Some(format!("sqlite://{path}"))
        }
        (_, url) => url,
    };
    let settings = match Settings::resolve(store.config.as_deref(), database_url, store.log_format) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    config::init_logging(&settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The addresses this server answers on, which webhooks never go to (a wildcard listen address
/// counts as loopback too).
fn own_addresses(listen: &str) -> Vec<std::net::SocketAddr> {
    let Ok(addr) = listen.parse::<std::net::SocketAddr>() else { return Vec::new() };
    let mut own = vec![addr];
    if addr.ip().is_unspecified() {
        own.push(std::net::SocketAddr::from(([127, 0, 0, 1], addr.port())));
        own.push(std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())));
    }
    own
}

async fn open(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", commune_store::redact(&settings.database_url)))?;
    let applied = store.migrate().await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    Ok(store)
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            listen,
            demo,
            secure_cookies,
            client_rate_per_minute,
            metrics_token,
            metrics_listen,
            read_timeout_s,
            smtp_relay,
            mail_from,
            public_url,
            key_file,
            webhook_allow,
            read_replica_urls,
            replica_max_lag_ms,
            ..
        } => {
            let listen = listen.or(settings.listen.clone()).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
            let public_url = public_url.unwrap_or_else(|| format!("http://{listen}")).trim_end_matches('/').to_owned();
            if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
                anyhow::bail!("--public-url '{public_url}' must start with http:// or https://");
            }
            let key_path = key_file.or_else(|| config::default_key_path(&settings.database_url));
            let instance_key = config::instance_key(key_path.as_deref())?;
            let webhook_allow = webhook_allow
                .iter()
                .filter(|r| !r.trim().is_empty())
                .map(|r| commune_domain::webhooks::AllowedRange::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let self_addresses = own_addresses(&listen);
            let mail = match smtp_relay {
                Some(relay) => {
                    Some(commune_app::state::Mail::parse(&relay, &mail_from, &public_url).map_err(anyhow::Error::msg)?)
                }
                None => None,
            };
            let config = Config {
                mail,
                secure_cookies: secure_cookies || settings.secure_cookies,
                requests_per_client_per_minute: client_rate_per_minute,
                metrics_token: metrics_token.filter(|t| !t.trim().is_empty()),
                read_timeout_ms: read_timeout_s.clamp(1, 3600) * 1000,
                public_url,
                instance_key,
                webhook_allow,
                self_addresses,
                ..Config::default()
            };
            let replicas: Vec<String> = read_replica_urls.into_iter().filter(|u| !u.trim().is_empty()).collect();
            let replicas = (replicas, std::time::Duration::from_millis(replica_max_lag_ms));
            serve(&settings, &listen, demo, config, metrics_listen, replicas).await
        }
        Command::Migrate { .. } => {
            let store = Store::connect(&settings.database_url).await?;
            let applied = store.migrate().await?;
            println!("applied {} migration(s) on {}", applied.len(), store.backend().as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { .. } => {
            let store = open(&settings).await?;
            let state = AppState::new(store, Config::default());
            if !commune_app::service::needs_setup(&state).await? {
                bail!("this database already holds a commune; the demo loads only into an empty one");
            }
            load_demo(&state).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { .. } => verify(&settings).await,
        Command::Ledger(LedgerCommand::Export { format, .. }) => {
            let format = match format.as_str() {
                "hledger" | "journal" | "ledger" => commune_app::export::Format::Journal,
                "csv" => commune_app::export::Format::Csv,
                other => bail!("unknown format '{other}': use hledger or csv"),
            };
            let store = open(&settings).await?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            commune_app::export::write(&store, format, &mut out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger(LedgerCommand::Balances { .. }) => {
            let store = open(&settings).await?;
            println!("account,currency,posted,pending");
            let ledgers = store.ledgers().await?;
            for (account, currency, posted, pending) in commune_app::export::journal_balances(&store).await? {
                let scale = ledgers.iter().find(|l| l.asset == currency).map_or(0, |l| l.scale);
                let show = |v| commune_domain::ledger::amount::format(v, scale);
                println!("{account},{currency},{},{}", show(posted), show(pending));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Ledger { transfers, batch, accounts, naive_transfers, seed, .. }) => {
            bench::ledger(bench::Options {
                database_url: settings.database_url.clone(),
                transfers,
                batch,
                accounts,
                naive_transfers: naive_transfers.min(transfers),
                seed,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            print!("{}", commune_server::openapi::document());
            Ok(ExitCode::SUCCESS)
        }
        Command::Tally { .. }
        | Command::Pb { .. }
        | Command::Merit(_)
        | Command::Skill(_)
        | Command::Assign { .. }
        | Command::Match { .. }
        | Command::Learn(_)
        | Command::Forecast(_)
        | Command::Bridge { .. }
        | Command::Opinions { .. } => {
            bail!("offline tools run before the runtime starts")
        }
    }
}

/// `commune serve`: the server (and, with `--metrics-listen`, the metrics listener) until a
/// shutdown signal.
async fn serve(
    settings: &Settings,
    listen: &str,
    demo: bool,
    config: Config,
    metrics_listen: Option<String>,
    (replicas, max_lag): (Vec<String>, std::time::Duration),
) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?.with_replicas(&replicas, max_lag)?;
    if !replicas.is_empty() {
        tracing::info!(replicas = replicas.len(), max_lag_ms = max_lag.as_millis() as u64, "reading from replicas");
    }
    let state = AppState::new(store.clone(), config);
    if demo {
        load_demo(&state).await?;
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = store.backend().as_str(), "Commune is serving");
    println!("Commune is running at http://{address}/");
    report_durability(&store).await;
    if let Some(metrics_listen) = metrics_listen {
        let metrics = tokio::net::TcpListener::bind(&metrics_listen)
            .await
            .with_context(|| format!("cannot listen on {metrics_listen} for metrics"))?;
        tracing::info!(address = %metrics.local_addr()?, "metrics are served");
        let (router, config) = (commune_server::metrics_app(state.clone()), state.config.clone());
        tokio::spawn(async move {
            if let Err(e) = commune_server::serve_router(metrics, router, &config, std::future::pending()).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    commune_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(ExitCode::SUCCESS)
}

/// Says at start-up what an acknowledged write survives with this database.
async fn report_durability(store: &Store) {
    match store.durability_settings().await {
        Ok(settings) => {
            use std::io::Write;
            let g = commune_domain::durability::guarantee_of(&settings);
            tracing::info!(level = ?g.level, "durability: {}", g.says);
            // Written, not `println!`: a server whose standard output was closed keeps serving.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Durability: {}.", g.says);
            if let Some(warning) = g.warning {
                tracing::warn!("durability: {warning}");
                let _ = writeln!(out, "Warning: {warning}.");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the database's durability settings"),
    }
}

async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    if commune_app::service::needs_setup(state).await? {
        commune_app::demo::load(state).await.map_err(|e| anyhow::anyhow!("loading the demo failed: {e}"))?;
        println!("Loaded the demo commune. Log in as ada / {}.", commune_app::demo::DEMO_PASSWORD);
    } else {
        println!("The database already holds a commune; not loading the demo.");
    }
    Ok(())
}

async fn verify(settings: &Settings) -> anyhow::Result<ExitCode> {
    // Verifying never creates what it verifies.
    let store = Store::connect_existing(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", commune_store::redact(&settings.database_url)))?;
    let head = store.audit_head().await.context("this database has no audit chain; is it a Commune database?")?;
    let bar = indicatif::ProgressBar::new(u64::try_from(head.entries).unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "verifying audit chain {bar:40.cyan/magenta} {pos}/{len} entries ({eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = store.verify_audit(|done| bar.set_position(u64::try_from(done).unwrap_or(0))).await?;
    bar.finish_and_clear();
    let mut ok = match report {
        ChainReport::Intact { entries } => {
            println!("audit chain: OK ({entries} entries, head {})", &head.head_hash[..16.min(head.head_hash.len())]);
            true
        }
        ChainReport::Broken(broken) => {
            println!("audit chain: BROKEN at entry {}: {}", broken.seq, broken.reason);
            false
        }
    };
    let tallied = store.tallied_proposals().await?;
    let bar = indicatif::ProgressBar::new(tallied.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("recounting tallies {bar:40.cyan/magenta} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut mismatches = 0;
    for id in &tallied {
        match commune_app::tally::verify_tally(&store, id).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => {
                bar.suspend(|| println!("tally of proposal {id}: MISMATCH: {why}"));
                mismatches += 1;
            }
            Err(e) => {
                bar.suspend(|| println!("tally of proposal {id}: cannot recount: {e}"));
                mismatches += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if mismatches == 0 {
        println!("tallies: OK ({} recounted from stored ballots and weights)", tallied.len());
    } else {
        println!("tallies: {mismatches} of {} do not match their stored ballots", tallied.len());
        ok = false;
    }
    let seasons = commune_app::politics::seasons::verify(&store).await?;
    let wrong: Vec<&(String, Result<(), String>)> = seasons.iter().filter(|s| s.1.is_err()).collect();
    for (name, verdict) in &wrong {
        if let Err(why) = verdict {
            println!("season {name}: MISMATCH: {why}");
        }
    }
    if wrong.is_empty() {
        println!("seasons: OK ({} finished season(s) recomputed from the ledger and the audit log)", seasons.len());
    } else {
        ok = false;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("re-deriving the ledger from its transfers");
    let report =
        commune_app::export::verify_ledger(&store, |n| bar.set_message(format!("{n} transfers re-derived"))).await?;
    bar.finish_and_clear();
    if report.problems.is_empty() {
        let totals: Vec<String> = report
            .totals
            .iter()
            .map(|(ledger, (debits, _))| format!("ledger {ledger}: debits = credits = {debits}"))
            .collect();
        println!(
            "ledger: OK ({} accounts, {} transfers; every balance re-derived; {})",
            report.accounts,
            report.transfers,
            if totals.is_empty() { "no money yet".to_owned() } else { totals.join(", ") }
        );
    } else {
        for problem in &report.problems {
            println!("ledger: {problem}");
        }
        println!("ledger: BROKEN ({} problem(s))", report.problems.len());
        ok = false;
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
