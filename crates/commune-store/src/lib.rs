//! Commune's storage: one [`Store`] over SQLite (embedded, the default) and PostgreSQL.
//!
//! Both backends run the same SQL through sqlx's `Any` driver, so the SQL is written once in the
//! common dialect: `$n` placeholders (numbered in order of appearance), TEXT UUIDv7 ids, BIGINT
//! times in unix milliseconds and BIGINT money. Each backend has its own migration set
//! (`migrations/<backend>/`), and a test checks that both give the same tables and columns.
//!
//! Every change goes through a [`WriteTx`], which appends to the audit chain in the same
//! transaction; reads go straight to the pool.

mod audit;
mod campaigns;
mod capital;
mod chapters;
mod cluster;
mod connect;
mod error;
mod expenses;
mod federation;
mod governance;
mod ideas;
mod inbox;
mod invites;
mod learn;
mod ledger;
mod members;
mod merit;
mod migrate;
mod oidc;
mod orgs;
mod payments;
mod politics;
mod replicas;
mod sessions;
mod settings;
mod sql;
mod tokens;
mod webhooks;
mod work;
mod write;

pub use audit::{AuditStats, ChainReport};
pub use campaigns::{Answer, CampaignTransfer, Candidate, NewCandidate, QuestionnaireItem};
pub use capital::{Contribution, FundingProject, FundingRound, NewRound, PbBallot, PbProject, PbRound};
pub use chapters::{Link, PeerTransfer, RemoteMember, SentBallot};
pub use cluster::{WAIT_FOR_PRIMARY, hosts_of};
pub use connect::Store;
pub use error::{Result, StoreError};
pub(crate) use error::{conflict_as, one_row};
pub use expenses::{
    Budget, BudgetLine, CapitalEntry, Expense, NewBudget, NewExpense, PatronageYear, Receipt, Redemption,
};
pub use federation::{Delivery, Following, Instance, NewActivity, RemoteActor, RemoteQuestionRow, RemoteReply};
pub use governance::{
    BallotCast, BallotRow, Comment, Delegation, Proposal, ProposalDraft, SECRET_BALLOT_ACTOR, TallyRow, VoterContext,
    weight_text,
};
pub use ideas::{
    Bridging, ClosedProposal, Conversation, HelpfulnessRow, Idea, JournalEntry, MetricSeries, NewProblem, Post,
    Problem, Statement, StatementVote,
};
pub use inbox::{NewNotification, Notification, Prefs};
pub use invites::Invite;
pub use learn::{
    Attempt, CardRow, CardState, Circle, CirclePost, Citation, Course, DeckCard, Doc, DocRating, DocText, ExerciseRow,
    ForecastRow, LearnSettings, NewCard, Question, Revision,
};
pub use ledger::{
    AccountPage, AccountRow, BatchOutcome, LedgerBatch, LedgerInfo, MAX_PAGE_LINES, NewAccount, Note, Settle,
    TransferRecord, TransferRow, digest as transfer_digest, id_bytes,
};
pub use members::{Avatar, Counted, Credentials, Member, MemberSearch};
pub use merit::{Attribute, Believability, Dot, Meeting, NewDot};
pub use migrate::{Migration, migrations};
pub use oidc::{Grant, MemberApp, NewGrant, OidcClient, RefreshRow, SigningKey};
pub use orgs::{JoinRequest, Membership, Org, OrgMember};
pub use payments::{NewPaymentRequest, PaymentRequest};
pub use politics::{ChallengeRow, ElectionRow, GradedAttempt, MemberPlace, PlaceRow, SeasonRow};
pub use replicas::{MAX_REPLICA_LAG, on_primary, parse_lsn, reading};
pub use sessions::{Session, SessionInfo};
pub(crate) use sql::values_placeholders;
pub use sql::{Backend, new_id, redact};
pub use tokens::ApiToken;
pub use webhooks::{AttemptOutcome, NewMessage, WebhookEndpoint, WebhookMessage};
pub use work::{
    NewTask, Project, Task, TaskComment, TaskEvent, TaskFilter, TaskReview, WorkCapacity, WorkChoice, WorkOutcome,
    Worklog,
};
pub use write::{WriteTx, now_ms};
