//! What an acknowledged write survives, read from the database's settings: Commune says it at
//! start-up, so an operator knows whether a ballot or a payment the server confirmed survives a
//! crash of the process, of the machine, or the loss of the primary.

/// The settings that decide it, as the database reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settings {
    Sqlite {
        /// `PRAGMA journal_mode`, lower case (`wal`, `delete`, ...).
        journal_mode: String,
        /// `PRAGMA synchronous`: 0 off, 1 normal, 2 full, 3 extra.
        synchronous: i64,
    },
    Postgres {
        /// `SHOW synchronous_commit`: `off`, `local`, `remote_write`, `on` or `remote_apply`.
        synchronous_commit: String,
        /// `SHOW fsync`.
        fsync: bool,
        /// `SHOW synchronous_standby_names` (empty: none).
        synchronous_standby_names: String,
        /// Standbys streaming from this server with `sync_state` `sync` or `quorum`.
        sync_standbys: i64,
        /// `pg_is_in_recovery()`: a standby (read-only).
        in_recovery: bool,
    },
}

/// The strongest loss an acknowledged write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Not even a crash of the database: the last writes may be lost.
    None,
    /// A crash of the database process, not of the machine (no flush to disk on commit).
    ProcessCrash,
    /// A crash of the machine (flushed to its disk), not the loss of that disk or machine.
    MachineCrash,
    /// The loss of the primary: each commit is on a synchronous standby before it is
    /// acknowledged.
    PrimaryLoss,
}

/// A guarantee and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarantee {
    pub level: Level,
    pub says: String,
    /// Something the operator should fix (a commit that would wait forever, a read-only server).
    pub warning: Option<String>,
}

fn guarantee(level: Level, says: impl Into<String>) -> Guarantee {
    Guarantee { level, says: says.into(), warning: None }
}

/// What an acknowledged write survives under `settings`.
pub fn guarantee_of(settings: &Settings) -> Guarantee {
    match settings {
        Settings::Sqlite { journal_mode, synchronous } => match (journal_mode.as_str(), synchronous) {
            (_, 0) => guarantee(
                Level::ProcessCrash,
                "SQLite with synchronous=OFF: a crash of the machine may lose or corrupt recent writes",
            ),
            ("wal", 1) => guarantee(
                Level::ProcessCrash,
                "SQLite in WAL mode with synchronous=NORMAL: a crash of the machine may lose the last acknowledged writes",
            ),
            (mode, _) => guarantee(
                Level::MachineCrash,
                format!(
                    "SQLite ({mode} journal, synchronous={}): an acknowledged write survives a crash of the process or the machine, not the loss of its disk",
                    if *synchronous >= 3 {
                        "EXTRA"
                    } else if *synchronous == 2 {
                        "FULL"
                    } else {
                        "NORMAL"
                    }
                ),
            ),
        },
        Settings::Postgres { synchronous_commit, fsync, synchronous_standby_names, sync_standbys, in_recovery } => {
            let mut g = if !fsync {
                guarantee(Level::None, "PostgreSQL with fsync=off: a crash may lose or corrupt acknowledged writes")
            } else if synchronous_commit == "off" {
                guarantee(
                    Level::ProcessCrash,
                    "PostgreSQL with synchronous_commit=off: a crash may lose the last acknowledged writes",
                )
            } else if synchronous_standby_names.trim().is_empty() || synchronous_commit == "local" {
                guarantee(
                    Level::MachineCrash,
                    format!(
                        "PostgreSQL (synchronous_commit={synchronous_commit}, no synchronous standby): an acknowledged write survives a crash of the primary, not the loss of its disk or machine"
                    ),
                )
            } else if *sync_standbys > 0 {
                let how = match synchronous_commit.as_str() {
                    "remote_apply" => "written, flushed and applied",
                    "remote_write" => "written (not yet flushed)",
                    _ => "written and flushed",
                };
                guarantee(
                    Level::PrimaryLoss,
                    format!(
                        "PostgreSQL with synchronous standby ({synchronous_standby_names}; {sync_standbys} connected): each acknowledged write is {how} on a standby before it is acknowledged, so it survives the loss of the primary"
                    ),
                )
            } else {
                Guarantee {
                    level: Level::MachineCrash,
                    says: format!(
                        "PostgreSQL waits for a synchronous standby ({synchronous_standby_names}) and none is connected (or this role cannot see them: grant it pg_monitor)"
                    ),
                    warning: Some("commits wait until a synchronous standby connects".into()),
                }
            };
            if *in_recovery {
                g.warning = Some("this server is a standby in recovery: it cannot take writes".into());
            }
            g
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(commit: &str, fsync: bool, names: &str, standbys: i64) -> Settings {
        Settings::Postgres {
            synchronous_commit: commit.into(),
            fsync,
            synchronous_standby_names: names.into(),
            sync_standbys: standbys,
            in_recovery: false,
        }
    }

    #[test]
    fn only_a_connected_synchronous_standby_survives_the_loss_of_the_primary() {
        assert_eq!(guarantee_of(&pg("on", true, "", 0)).level, Level::MachineCrash);
        assert_eq!(guarantee_of(&pg("on", true, "FIRST 1 (standby1)", 1)).level, Level::PrimaryLoss);
        assert_eq!(guarantee_of(&pg("remote_apply", true, "standby1", 1)).level, Level::PrimaryLoss);
        assert!(guarantee_of(&pg("remote_apply", true, "standby1", 1)).says.contains("applied"));
        let waiting = guarantee_of(&pg("on", true, "standby1", 0));
        assert_eq!(waiting.level, Level::MachineCrash);
        assert!(waiting.warning.is_some(), "a commit would wait forever");
        assert_eq!(
            guarantee_of(&pg("local", true, "standby1", 1)).level,
            Level::MachineCrash,
            "local skips the standby"
        );
        assert_eq!(guarantee_of(&pg("off", true, "standby1", 1)).level, Level::ProcessCrash);
        assert_eq!(guarantee_of(&pg("on", false, "standby1", 1)).level, Level::None);
        let standby = Settings::Postgres {
            synchronous_commit: "on".into(),
            fsync: true,
            synchronous_standby_names: String::new(),
            sync_standbys: 0,
            in_recovery: true,
        };
        assert!(guarantee_of(&standby).warning.is_some_and(|w| w.contains("standby")));
    }

    #[test]
    fn sqlite_survives_a_machine_crash_only_with_a_full_sync() {
        let sqlite = |mode: &str, sync| Settings::Sqlite { journal_mode: mode.into(), synchronous: sync };
        assert_eq!(guarantee_of(&sqlite("wal", 2)).level, Level::MachineCrash);
        assert_eq!(guarantee_of(&sqlite("delete", 2)).level, Level::MachineCrash);
        assert_eq!(guarantee_of(&sqlite("wal", 1)).level, Level::ProcessCrash);
        assert_eq!(guarantee_of(&sqlite("wal", 0)).level, Level::ProcessCrash);
        assert!(guarantee_of(&sqlite("wal", 2)).says.contains("not the loss of its disk"));
    }
}
