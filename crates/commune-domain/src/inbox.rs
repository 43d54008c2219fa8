//! What tells a member that something needs them or happened to them: which audit events
//! become notifications, and for whom. Pure: the operations layer resolves an [`Audience`] to
//! members and words a [`Notice`] with names it looks up; here is only the rule.

use serde_json::Value;

/// What a notification is about; its name is stored and shown as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A proposal entered discussion.
    Discussion,
    /// Voting opened on a proposal the member may vote on.
    VotingOpen,
    /// Voting closed: the result is in.
    Result,
    /// A proposal did not open (its floors were not met at the voting time).
    DidNotOpen,
    /// Someone asks the member (or an organisation they steward) to pay.
    PaymentRequested,
    /// A payment request the member made was paid or declined.
    RequestAnswered,
    /// Someone asks to join an organisation the member stewards.
    JoinRequested,
    /// The member's own join request was decided.
    JoinAnswered,
    /// Someone delegated their vote to the member.
    Delegated,
    /// Someone commented on the member's proposal.
    Comment,
    /// A task was given to the member, handed to them for review, or their task was reviewed.
    Task,
    /// The library and courses: a suggestion on the member's document, their suggestion merged
    /// or rejected, their free-text answer graded.
    Learning,
    /// The issue log and the opinion map: a problem names the member responsible, their
    /// statement was approved or rejected by a moderator.
    Ideas,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Discussion,
        Kind::VotingOpen,
        Kind::Result,
        Kind::DidNotOpen,
        Kind::PaymentRequested,
        Kind::RequestAnswered,
        Kind::JoinRequested,
        Kind::JoinAnswered,
        Kind::Delegated,
        Kind::Comment,
        Kind::Task,
        Kind::Learning,
        Kind::Ideas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Discussion => "discussion",
            Kind::VotingOpen => "voting_open",
            Kind::Result => "result",
            Kind::DidNotOpen => "did_not_open",
            Kind::PaymentRequested => "payment_requested",
            Kind::RequestAnswered => "request_answered",
            Kind::JoinRequested => "join_requested",
            Kind::JoinAnswered => "join_answered",
            Kind::Delegated => "delegated",
            Kind::Comment => "comment",
            Kind::Task => "task",
            Kind::Learning => "learning",
            Kind::Ideas => "ideas",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// A short human label, for filters and the digest's headings.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Discussion => "New proposals",
            Kind::VotingOpen => "Votes open",
            Kind::Result => "Results",
            Kind::DidNotOpen => "Proposals that did not open",
            Kind::PaymentRequested => "Requests to pay",
            Kind::RequestAnswered => "Answers to your requests",
            Kind::JoinRequested => "Join requests",
            Kind::JoinAnswered => "Your join requests",
            Kind::Delegated => "Delegations to you",
            Kind::Comment => "Comments on your proposals",
            Kind::Task => "Your tasks and reviews",
            Kind::Learning => "Your lessons, suggestions and answers",
            Kind::Ideas => "Problems you are named in, your statements' moderation",
        }
    }
}

/// Who a notice goes to, before the operations layer looks the people up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Member(String),
    /// Every member of the organisation.
    OrgMembers(String),
    /// The stewards of the organisation.
    OrgStewards(String),
    /// Those who may vote on the proposal (its weight snapshot; its organisation's members
    /// before one exists).
    Voters(String),
    /// The proposal's author.
    ProposalAuthor(String),
    /// Whoever made the payment request.
    RequestCreator(String),
    /// Whoever asked to join, by join request id.
    JoinRequester(String),
    /// The payer of a request: a member (`member:<id>`) or an organisation's stewards (`org:<id>`).
    Payer(String),
}

/// One notice an audit event gives: what, to whom, about which subject, never to the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: Kind,
    pub audience: Audience,
    /// The proposal, request or organisation id the words and the link are built from.
    pub subject: String,
    /// Free detail from the event (an outcome, a status, an amount), for the words.
    pub detail: String,
}

fn text<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The notices one audit event gives; most events give none.
pub fn notices(action: &str, subject: &str, payload: &Value) -> Vec<Notice> {
    let notice = |kind, audience, detail: &str| Notice {
        kind,
        audience,
        subject: subject.to_owned(),
        detail: detail.to_owned(),
    };
    match action {
        "proposal.advance" => match (text(payload, "from"), text(payload, "to")) {
            ("draft", "discussion") => vec![notice(Kind::Discussion, Audience::Voters(subject.into()), "")],
            ("discussion", "voting") => vec![notice(Kind::VotingOpen, Audience::Voters(subject.into()), "")],
            ("voting", "closed") => vec![notice(Kind::Result, Audience::Voters(subject.into()), "")],
            ("discussion", "failed") => {
                vec![notice(Kind::DidNotOpen, Audience::ProposalAuthor(subject.into()), text(payload, "outcome"))]
            }
            _ => Vec::new(),
        },
        "payment_request.create" => {
            vec![notice(Kind::PaymentRequested, Audience::Payer(text(payload, "payer").into()), "")]
        }
        "payment_request.decide" => {
            vec![notice(Kind::RequestAnswered, Audience::RequestCreator(subject.into()), text(payload, "status"))]
        }
        "join_request.create" => {
            vec![notice(Kind::JoinRequested, Audience::OrgStewards(text(payload, "org_id").into()), "")]
        }
        "join_request.decide" => {
            vec![notice(Kind::JoinAnswered, Audience::JoinRequester(subject.into()), text(payload, "status"))]
        }
        "delegation.create" => vec![Notice {
            kind: Kind::Delegated,
            audience: Audience::Member(text(payload, "delegate").into()),
            subject: text(payload, "org_id").into(),
            detail: text(payload, "domain").into(),
        }],
        "comment.create" => vec![notice(Kind::Comment, Audience::ProposalAuthor(subject.into()), "")],
        // A task given to a doer, handed to its reviewer, or reviewed (for its doer).
        "task.move" => match (text(payload, "from"), text(payload, "to")) {
            (from, "assigned") if from != "assigned" => {
                vec![notice(Kind::Task, Audience::Member(text(payload, "doer_id").into()), "assigned")]
            }
            ("in_progress", "review") => {
                vec![notice(Kind::Task, Audience::Member(text(payload, "reviewer_id").into()), "review")]
            }
            _ => Vec::new(),
        },
        "task.review" => vec![notice(Kind::Task, Audience::Member(text(payload, "doer_id").into()), "reviewed")],
        // The library: a suggestion reaches the document's author; a decision reaches the
        // suggestion's author; a grade reaches whoever answered.
        "doc.suggest" => {
            vec![notice(Kind::Learning, Audience::Member(text(payload, "doc_author").into()), "suggested")]
        }
        "doc.merge" => vec![notice(Kind::Learning, Audience::Member(text(payload, "author_id").into()), "merged")],
        "doc.reject" => vec![notice(Kind::Learning, Audience::Member(text(payload, "author_id").into()), "rejected")],
        "exercise.grade" => {
            let verdict = if payload.get("correct").and_then(Value::as_bool) == Some(true) { "right" } else { "wrong" };
            vec![notice(Kind::Learning, Audience::Member(text(payload, "member_id").into()), verdict)]
        }
        // The issue log names whoever was responsible; a moderated statement reaches its author.
        "problem.log" => match payload.get("responsible").and_then(Value::as_str) {
            Some(m) if !m.is_empty() => vec![notice(Kind::Ideas, Audience::Member(m.into()), "responsible")],
            _ => Vec::new(),
        },
        "statement.moderate" => {
            vec![notice(Kind::Ideas, Audience::Member(text(payload, "author_id").into()), text(payload, "state"))]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn proposal_phases_reach_voters_and_failures_reach_the_author() {
        let open = notices("proposal.advance", "p1", &json!({"from": "discussion", "to": "voting", "outcome": ""}));
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].kind, Kind::VotingOpen);
        assert_eq!(open[0].audience, Audience::Voters("p1".into()));
        let failed =
            notices("proposal.advance", "p1", &json!({"from": "discussion", "to": "failed", "outcome": "quorum"}));
        assert_eq!(failed[0].audience, Audience::ProposalAuthor("p1".into()));
        assert_eq!(failed[0].detail, "quorum");
        assert!(notices("proposal.advance", "p1", &json!({"from": "closed", "to": "executed"})).is_empty());
    }

    #[test]
    fn learning_events_reach_the_author_and_the_answerer() {
        let n = notices("doc.merge", "r1", &json!({"doc_id": "d", "author_id": "a"}));
        assert_eq!(
            (n[0].kind, n[0].audience.clone(), n[0].detail.as_str()),
            (Kind::Learning, Audience::Member("a".into()), "merged")
        );
        let n = notices("exercise.grade", "x1", &json!({"correct": true, "member_id": "m"}));
        assert_eq!((n[0].audience.clone(), n[0].detail.as_str()), (Audience::Member("m".into()), "right"));
        assert_eq!(notices("doc.suggest", "r2", &json!({"doc_author": "o"}))[0].audience, Audience::Member("o".into()));
    }

    #[test]
    fn task_moves_reach_the_doer_and_the_reviewer() {
        let given =
            notices("task.move", "t1", &json!({"from": "open", "to": "assigned", "doer_id": "d", "reviewer_id": null}));
        assert_eq!((given[0].kind, given[0].audience.clone()), (Kind::Task, Audience::Member("d".into())));
        let handed = notices(
            "task.move",
            "t1",
            &json!({"from": "in_progress", "to": "review", "doer_id": "d", "reviewer_id": "r"}),
        );
        assert_eq!(handed[0].audience, Audience::Member("r".into()));
        assert_eq!(handed[0].detail, "review");
        let reviewed = notices("task.review", "t1", &json!({"doer_id": "d", "success": true}));
        assert_eq!(reviewed[0].audience, Audience::Member("d".into()));
        assert!(notices("task.move", "t1", &json!({"from": "assigned", "to": "assigned", "doer_id": "d"})).is_empty());
        assert!(
            notices("task.move", "t1", &json!({"from": "assigned", "to": "in_progress", "doer_id": "d"})).is_empty()
        );
    }

    #[test]
    fn most_events_give_no_notice_and_kinds_round_trip() {
        for action in ["ballot.cast", "session.create", "ledger.batch", "dot.create"] {
            assert!(notices(action, "x", &json!({})).is_empty(), "{action}");
        }
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        let delegated =
            notices("delegation.create", "d1", &json!({"org_id": "o", "delegate": "m2", "domain": "finance"}));
        assert_eq!(delegated[0].audience, Audience::Member("m2".into()));
        assert_eq!((delegated[0].subject.as_str(), delegated[0].detail.as_str()), ("o", "finance"));
    }
}

/// How often a member's digest is emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Off,
    Daily,
    Weekly,
}

impl Digest {
    pub fn as_str(self) -> &'static str {
        match self {
            Digest::Off => "off",
            Digest::Daily => "daily",
            Digest::Weekly => "weekly",
        }
    }

    /// How long after one digest the next is due.
    pub fn period_ms(self) -> Option<i64> {
        match self {
            Digest::Off => None,
            Digest::Daily => Some(24 * 3600 * 1000),
            Digest::Weekly => Some(7 * 24 * 3600 * 1000),
        }
    }
}

/// A member's inbox preferences, validated (the time zone is checked against the time-zone
/// database by the caller, which has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefs {
    pub digest: Digest,
    pub email: String,
    pub time_zone: String,
}

/// The longest address SMTP carries (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

impl Prefs {
    pub fn parse(
        digest: &str,
        email: &str,
        time_zone: &str,
        known_zone: impl Fn(&str) -> bool,
    ) -> Result<Prefs, crate::Violations> {
        let mut problems = crate::Violations::default();
        let digest = match digest.trim() {
            "off" | "" => Some(Digest::Off),
            "daily" => Some(Digest::Daily),
            "weekly" => Some(Digest::Weekly),
            _ => problems.check(Err(crate::Invalid::new("digest", "choose off, daily or weekly"))),
        };
        let email = email.trim();
        if !email.is_empty() && !plausible_email(email) {
            problems.0.push(crate::Invalid::new("email", "an address like name@example.org, with no spaces"));
        }
        if digest.is_some_and(|d| d != Digest::Off) && email.is_empty() {
            problems.0.push(crate::Invalid::new("email", "a digest needs an address to go to"));
        }
        let time_zone = time_zone.trim();
        let time_zone = if time_zone.is_empty() { "UTC" } else { time_zone };
        if time_zone.len() > 64 || !known_zone(time_zone) {
            problems.0.push(crate::Invalid::new("time_zone", "a time zone like Europe/Rome, America/Bogota or UTC"));
        }
        problems.into_result()?;
        Ok(Prefs { digest: digest.unwrap_or(Digest::Off), email: email.to_owned(), time_zone: time_zone.to_owned() })
    }
}

/// One `@`, something on each side, a dot in the domain, no spaces or control characters, at
/// most [`MAX_EMAIL`] bytes: what a form can check; the mail server checks the rest.
fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= MAX_EMAIL
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',')
}

#[cfg(test)]
mod prefs_tests {
    use super::*;

    #[test]
    fn prefs_need_an_address_for_a_digest_and_a_known_zone() {
        let known = |z: &str| z == "UTC" || z == "Europe/Rome";
        let p = Prefs::parse("daily", " ada@example.org ", "Europe/Rome", known).expect("valid");
        assert_eq!((p.digest, p.email.as_str()), (Digest::Daily, "ada@example.org"));
        assert_eq!(Prefs::parse("", "", "", known).expect("defaults").time_zone, "UTC");
        let bad = Prefs::parse("hourly", "ada at example", "Mars/Olympus", known).expect_err("three problems");
        let fields: Vec<&str> = bad.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["digest", "email", "time_zone"]);
        let no_address = Prefs::parse("weekly", "", "UTC", known).expect_err("needs an address");
        assert_eq!(no_address.0[0].field, "email");
        for hostile in
            ["a@b.c\r\nBcc: x@y.z", "a@b.c, x@y.z", "<a@b.c>", "@b.c", "a@.c", &format!("{}@b.c", "a".repeat(260))]
        {
            assert!(Prefs::parse("off", hostile, "UTC", known).is_err(), "{hostile:?}");
        }
    }
}
