//! Expenses, with Open Collective's lifecycle: `draft → pending → approved | rejected → paid`,
//! and `cancelled` from any state before payment. Who may move an expense is decided here, once:
//! the submitter, the approvers and the payer are three different people. Below the policy
//! threshold an expense needs `approvals` stewards (N of M); at or above it, a weighted vote.
//! Receipts are PNG, JPEG, WebP or PDF, at most 2 MiB, their type read from their bytes.

use crate::validation::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Pending,
    Approved,
    Rejected,
    Paid,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Draft, Status::Pending, Status::Approved, Status::Rejected, Status::Paid, Status::Cancelled];

    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Paid => "paid",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == raw)
    }
}

/// What someone wants to do to an expense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Submit,
    Approve,
    Reject,
    Pay,
    Cancel,
}

/// Who is asking, as the rule needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub member_id: String,
    pub steward: bool,
}

/// What the rule needs to know about the expense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    pub submitter: String,
    /// Stewards who approved it so far.
    pub approvers: Vec<String>,
    pub amount_minor: u64,
    /// At or above this, stewards alone cannot approve: a weighted vote decides.
    pub vote_threshold_minor: u64,
    /// Stewards' approvals an expense below the threshold needs.
    pub approvals_needed: u32,
}

impl Facts {
    pub fn needs_vote(&self) -> bool {
        self.amount_minor >= self.vote_threshold_minor
    }
}

/// The outcome of an allowed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The expense moves to this status.
    Becomes(Status),
    /// An approval was recorded; more are needed (this many still).
    ApprovalRecorded { still_needed: u32 },
}

/// Why a step is refused: the person may not take it, or the expense is not in a state for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed(&'static str),
    WrongState(&'static str),
}

/// Decides a step: its outcome, or why not (a sentence for people).
pub fn decide(facts: &Facts, who: &Who, step: Step) -> Result<Outcome, Refusal> {
    use Refusal::{NotAllowed as No, WrongState as Not};
    use Status::*;
    use Step::*;
    let submitter = who.member_id == facts.submitter;
    match (step, facts.status) {
        (Submit, Draft) if submitter => Ok(Outcome::Becomes(Pending)),
        (Submit, Draft) => Err(No("only the person who wrote the expense submits it")),
        (Submit, _) => Err(Not("only a draft is submitted")),
        (Approve | Reject, Pending) if !who.steward => Err(No("only stewards approve or reject expenses")),
        (Approve | Reject, Pending) if submitter => Err(No("nobody approves or rejects their own expense")),
        (Approve | Reject, Pending) if facts.needs_vote() => {
            Err(Not("this expense is at or above the vote threshold: a weighted vote decides it"))
        }
        (Approve, Pending) if facts.approvers.contains(&who.member_id) => Err(Not("you approved this expense already")),
        (Approve, Pending) => {
            let have = facts.approvers.len() as u32 + 1;
            if have >= facts.approvals_needed.max(1) {
                Ok(Outcome::Becomes(Approved))
            } else {
                Ok(Outcome::ApprovalRecorded { still_needed: facts.approvals_needed - have })
            }
        }
        (Reject, Pending) => Ok(Outcome::Becomes(Rejected)),
        (Approve | Reject, _) => Err(Not("only a pending expense is approved or rejected")),
        (Pay, Approved) if !who.steward => Err(No("only stewards pay expenses")),
        (Pay, Approved) if submitter => Err(No("nobody pays their own expense")),
        (Pay, Approved) if facts.approvers.contains(&who.member_id) => {
            Err(No("the payer must be someone other than the approvers"))
        }
        (Pay, Approved) => Ok(Outcome::Becomes(Paid)),
        (Pay, _) => Err(Not("only an approved expense is paid")),
        (Cancel, Draft | Pending | Approved) if submitter || who.steward => Ok(Outcome::Becomes(Cancelled)),
        (Cancel, Draft | Pending | Approved) => Err(No("only its submitter or a steward cancels an expense")),
        (Cancel, _) => Err(Not("a paid, rejected or cancelled expense stays as it is")),
    }
}

/// The largest receipt, in bytes.
pub const MAX_RECEIPT_BYTES: usize = 2 * 1024 * 1024;

/// A receipt's type from its first bytes: PNG, JPEG, WebP or PDF; anything else (SVG, HTML,
/// executables) is refused, as is an empty or oversized file.
pub fn receipt_type(bytes: &[u8]) -> Result<&'static str, Invalid> {
    if bytes.is_empty() {
        return Err(Invalid::new("receipt", "the file is empty"));
    }
    if bytes.len() > MAX_RECEIPT_BYTES {
        return Err(Invalid::new("receipt", "a receipt is at most 2 MiB: scan it smaller"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else {
        Err(Invalid::new("receipt", "send a PNG, JPEG, WebP or PDF file"))
    }
}

/// Whether approving `amount` on a budget line would take what is committed (approved and paid)
/// past the line: the warning shown before approval.
pub fn exceeds_line(line_minor: u64, committed_minor: u64, amount_minor: u64) -> bool {
    u128::from(committed_minor) + u128::from(amount_minor) > u128::from(line_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: Status, amount: u64) -> Facts {
        Facts {
            status,
            submitter: "sam".into(),
            approvers: vec![],
            amount_minor: amount,
            vote_threshold_minor: 50_000,
            approvals_needed: 2,
        }
    }

    fn who(id: &str, steward: bool) -> Who {
        Who { member_id: id.into(), steward }
    }

    #[test]
    fn submitter_approvers_and_payer_are_three_people() {
        use Status::*;
        use Step::*;
        let (sam, ann, bea, cid, mo) =
            (who("sam", true), who("ann", true), who("bea", true), who("cid", true), who("mo", false));
        assert_eq!(decide(&facts(Draft, 100), &sam, Submit), Ok(Outcome::Becomes(Pending)));
        assert!(decide(&facts(Draft, 100), &ann, Submit).is_err());
        let mut f = facts(Pending, 100);
        assert!(decide(&f, &sam, Approve).is_err(), "not their own");
        assert!(decide(&f, &mo, Approve).is_err(), "stewards only");
        assert_eq!(decide(&f, &ann, Approve), Ok(Outcome::ApprovalRecorded { still_needed: 1 }));
        f.approvers.push("ann".into());
        assert!(decide(&f, &ann, Approve).is_err(), "once each");
        assert_eq!(decide(&f, &bea, Approve), Ok(Outcome::Becomes(Approved)));
        f.approvers.push("bea".into());
        f.status = Approved;
        assert!(decide(&f, &sam, Pay).is_err(), "not the submitter");
        assert!(decide(&f, &ann, Pay).is_err(), "not an approver");
        assert!(decide(&f, &mo, Pay).is_err(), "stewards only");
        assert_eq!(decide(&f, &cid, Pay), Ok(Outcome::Becomes(Paid)));
        f.status = Paid;
        assert!(decide(&f, &sam, Cancel).is_err());
        assert!(decide(&f, &cid, Pay).is_err(), "paid once");
        // At or above the threshold, stewards cannot approve alone.
        assert!(decide(&facts(Pending, 50_000), &ann, Approve).is_err());
        assert_eq!(
            decide(&facts(Pending, 100), &mo, Cancel),
            Err(Refusal::NotAllowed("only its submitter or a steward cancels an expense"))
        );
        assert_eq!(decide(&facts(Pending, 100), &sam, Cancel), Ok(Outcome::Becomes(Cancelled)));
        assert_eq!(decide(&facts(Pending, 100), &ann, Reject), Ok(Outcome::Becomes(Rejected)));
    }

    #[test]
    fn every_status_and_step_has_an_answer() {
        for status in Status::ALL {
            for step in [Step::Submit, Step::Approve, Step::Reject, Step::Pay, Step::Cancel] {
                for person in [who("sam", true), who("ann", true), who("mo", false)] {
                    let _ = decide(&facts(status, 100), &person, step);
                }
            }
        }
    }

    #[test]
    fn receipts_are_typed_by_their_bytes() {
        assert_eq!(receipt_type(b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert_eq!(receipt_type(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert!(receipt_type(b"<svg onload=alert(1)>").is_err());
        assert!(receipt_type(b"").is_err());
        assert!(receipt_type(&vec![0xFF; MAX_RECEIPT_BYTES + 1]).is_err());
        assert!(exceeds_line(1000, 900, 101));
        assert!(!exceeds_line(1000, 900, 100));
    }
}
