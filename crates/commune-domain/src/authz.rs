//! Who may do what. The shell describes the caller relative to the organisation at hand as an
//! [`Actor`]; [`authorize`] decides. Every endpoint names its [`Action`], so the rules live in one
//! table that the tests enumerate.

use crate::org::Role;
use crate::token::Scope;

/// The caller as seen from one organisation (or from the instance, for org-less actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    /// A signed-in member: their role in the organisation at hand (if any), and whether they
    /// steward the root commune (which makes them an instance steward).
    Member {
        role: Option<Role>,
        instance_steward: bool,
    },
    /// An API token: whether it belongs to the organisation at hand, and its scopes.
    Token {
        same_org: bool,
        scopes: Vec<Scope>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the member directory, profiles, and the organisation list and pages.
    ReadDirectory,
    EditOwnProfile,
    CreateOrg,
    ReadOrgMembers,
    RequestToJoin,
    LeaveOrg,
    ReadJoinRequests,
    DecideJoinRequest,
    SetRole,
    ManageTokens,
    AdministerInstance,
    /// Read the organisation's proposals, discussions and results.
    ReadProposals,
    /// Draft a proposal, discuss, vote and delegate inside the organisation.
    Participate,
    /// Read the organisation's treasury: wallet, statements, revenue and funnel history.
    ReadTreasury,
    /// Issue a one-time recovery link for a member who lost their password.
    IssueRecovery,
    /// Run the organisation's capital: open budgeting rounds on passed budgets, review projects,
    /// move phases, mark milestones delivered; set budgets; approve and pay expenses.
    ManageCapital,
    /// Read the organisation's projects, tasks, worklogs and recommendations.
    ReadWork,
    /// Create and edit tasks, comment, take and do tasks, review, log hours, score impact (API
    /// tokens with `work:write` create, edit and comment; the rest is for members).
    DoWork,
    /// Run the organisation's work: projects, capacities of others, the period's assignment,
    /// paying logged hours from a budget.
    ManageWork,
    /// Read and write the organisation's library, take its courses, review cards, forecast and
    /// join its study circles (members only; maintainers are a document's author and stewards).
    Learn,
    /// Log and diagnose problems, keep a journal, post, discuss and rate ideas, take part in
    /// opinion maps (members only).
    Ideas,
    /// Read the organisation's dashboards and pushed metrics (members; tokens with
    /// `metrics:read`).
    ReadAnalytics,
    /// Push the organisation's own metrics (stewards; tokens with `metrics:write`).
    PushMetrics,
    /// Run the commune's politics: import places and elections, open seasons, record
    /// challenges (stewards, members only).
    ManagePolitics,
}

impl Action {
    pub const ALL: [Action; 24] = [
        Action::ReadDirectory,
        Action::EditOwnProfile,
        Action::CreateOrg,
        Action::ReadOrgMembers,
        Action::RequestToJoin,
        Action::LeaveOrg,
        Action::ReadJoinRequests,
        Action::DecideJoinRequest,
        Action::SetRole,
        Action::ManageTokens,
        Action::AdministerInstance,
        Action::ReadProposals,
        Action::Participate,
        Action::ReadTreasury,
        Action::IssueRecovery,
        Action::ManageCapital,
        Action::ReadWork,
        Action::DoWork,
        Action::ManageWork,
        Action::Learn,
        Action::Ideas,
        Action::ReadAnalytics,
        Action::PushMetrics,
        Action::ManagePolitics,
    ];
}

/// Why an action was refused; the shell maps these to 401 and 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign in first")]
    NotAuthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("this token belongs to another organisation")]
    WrongOrg,
    #[error("this token lacks the '{}' scope", .0.as_str())]
    MissingScope(Scope),
    #[error("API tokens cannot do this; sign in as a member")]
    MembersOnly,
}

/// The right to vote on one proposal: granted only by [`may_vote`], and required by the ballot
/// writer, so no ballot is recorded that this rule did not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteRight {
    _granted: (),
}

/// A member of the proposal's organisation (who may [`Action::Participate`]) who was in the
/// electorate snapshotted when voting opened may vote.
pub fn may_vote(actor: &Actor, eligible: bool) -> Result<VoteRight, Denied> {
    authorize(actor, Action::Participate)?;
    if !eligible {
        return Err(Denied::Forbidden(
            "you were not a member when voting opened, so you are not eligible on this proposal",
        ));
    }
    Ok(VoteRight { _granted: () })
}

/// Decides whether `actor` may perform `action`.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), Denied> {
    use Action::*;
    match actor {
        Actor::Anonymous => Err(Denied::NotAuthenticated),
        Actor::Token { same_org, scopes } => {
            let needed = match action {
                ReadDirectory => return Ok(()),
                ReadOrgMembers | ReadJoinRequests => Scope::MembersRead,
                DecideJoinRequest => Scope::MembersWrite,
                ReadProposals => Scope::ProposalsRead,
                ReadTreasury => Scope::PaymentsRead,
                ReadWork => Scope::WorkRead,
                DoWork => Scope::WorkWrite,
                ReadAnalytics => Scope::MetricsRead,
                PushMetrics => Scope::MetricsWrite,
                EditOwnProfile | CreateOrg | RequestToJoin | LeaveOrg | SetRole | ManageTokens | AdministerInstance
                | Participate | IssueRecovery | ManageCapital | ManageWork | Learn | Ideas | ManagePolitics => {
                    return Err(Denied::MembersOnly);
                }
            };
            if !same_org {
                Err(Denied::WrongOrg)
            } else if !scopes.contains(&needed) {
                Err(Denied::MissingScope(needed))
            } else {
                Ok(())
            }
        }
        Actor::Member { role, instance_steward } => {
            let steward = *role == Some(Role::Steward);
            match action {
                ReadDirectory | EditOwnProfile | CreateOrg => Ok(()),
                ReadOrgMembers if role.is_some() || *instance_steward => Ok(()),
                ReadOrgMembers => Err(Denied::Forbidden("only members of this organisation see its members")),
                RequestToJoin if role.is_none() => Ok(()),
                RequestToJoin => Err(Denied::Forbidden("you are already a member of this organisation")),
                LeaveOrg if role.is_some() => Ok(()),
                LeaveOrg => Err(Denied::Forbidden("you are not a member of this organisation")),
                ReadJoinRequests | DecideJoinRequest | SetRole | ManageTokens | ManageCapital | ManageWork
                | PushMetrics | ManagePolitics
                    if steward =>
                {
                    Ok(())
                }
                ReadJoinRequests | DecideJoinRequest | SetRole | ManageTokens | ManageCapital | ManageWork
                | PushMetrics | ManagePolitics => {
                    Err(Denied::Forbidden("only this organisation's stewards may do this"))
                }
                ReadProposals | Participate if role.is_some() => Ok(()),
                ReadProposals | Participate => {
                    Err(Denied::Forbidden("only members of this organisation take part in its decisions"))
                }
                ReadWork | DoWork if role.is_some() => Ok(()),
                ReadWork | DoWork => Err(Denied::Forbidden("only members of this organisation see and do its work")),
                Learn if role.is_some() => Ok(()),
                Learn => Err(Denied::Forbidden("only members of this organisation learn in its library")),
                Ideas if role.is_some() => Ok(()),
                Ideas => Err(Denied::Forbidden("only members of this organisation log problems and share ideas in it")),
                ReadAnalytics if role.is_some() || *instance_steward => Ok(()),
                ReadAnalytics => Err(Denied::Forbidden("only members of this organisation see its dashboards")),
                ReadTreasury if role.is_some() || *instance_steward => Ok(()),
                ReadTreasury => Err(Denied::Forbidden("only members of this organisation see its treasury")),
                AdministerInstance if *instance_steward => Ok(()),
                AdministerInstance => Err(Denied::Forbidden("only stewards of the commune administer the instance")),
                IssueRecovery if *instance_steward => Ok(()),
                IssueRecovery => Err(Denied::Forbidden("only stewards of the commune issue recovery links")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Option<Role>) -> Actor {
        Actor::Member { role, instance_steward: false }
    }

    fn token(same_org: bool, scopes: &[Scope]) -> Actor {
        Actor::Token { same_org, scopes: scopes.to_vec() }
    }

    /// The whole table: each row is an actor and the actions it may perform; every other action
    /// must be refused.
    #[test]
    fn who_may_do_what() {
        use Action::*;
        let rows: Vec<(Actor, Vec<Action>)> = vec![
            (Actor::Anonymous, vec![]),
            (member(None), vec![ReadDirectory, EditOwnProfile, CreateOrg, RequestToJoin]),
            (
                member(Some(Role::Member)),
                vec![
                    ReadDirectory,
                    EditOwnProfile,
                    CreateOrg,
                    ReadOrgMembers,
                    LeaveOrg,
                    ReadProposals,
                    Participate,
                    ReadTreasury,
                    ReadWork,
                    DoWork,
                    Learn,
                    Ideas,
                    ReadAnalytics,
                ],
            ),
            (
                member(Some(Role::Steward)),
                vec![
                    ReadDirectory,
                    EditOwnProfile,
                    CreateOrg,
                    ReadOrgMembers,
                    LeaveOrg,
                    ReadJoinRequests,
                    DecideJoinRequest,
                    SetRole,
                    ManageTokens,
                    ReadProposals,
                    Participate,
                    ReadTreasury,
                    ManageCapital,
                    ReadWork,
                    DoWork,
                    ManageWork,
                    Learn,
                    Ideas,
                    ReadAnalytics,
                    PushMetrics,
                    ManagePolitics,
                ],
            ),
            (
                Actor::Member { role: None, instance_steward: true },
                vec![
                    ReadDirectory,
                    EditOwnProfile,
                    CreateOrg,
                    ReadOrgMembers,
                    RequestToJoin,
                    AdministerInstance,
                    ReadTreasury,
                    IssueRecovery,
                    ReadAnalytics,
                ],
            ),
            (token(true, &[]), vec![ReadDirectory]),
            (token(true, &[Scope::MembersRead]), vec![ReadDirectory, ReadOrgMembers, ReadJoinRequests]),
            (token(true, &[Scope::MembersWrite]), vec![ReadDirectory, DecideJoinRequest]),
            (token(true, &[Scope::ProposalsRead]), vec![ReadDirectory, ReadProposals]),
            (token(true, &[Scope::PaymentsRead]), vec![ReadDirectory, ReadTreasury]),
            (token(true, &[Scope::PaymentsWrite]), vec![ReadDirectory]),
            (token(true, &[Scope::WorkRead]), vec![ReadDirectory, ReadWork]),
            (token(true, &[Scope::WorkWrite]), vec![ReadDirectory, DoWork]),
            (token(true, &[Scope::MetricsRead]), vec![ReadDirectory, ReadAnalytics]),
            (token(true, &[Scope::MetricsWrite]), vec![ReadDirectory, PushMetrics]),
            (token(false, &Scope::ALL), vec![ReadDirectory]),
        ];
        for (actor, allowed) in rows {
            for action in Action::ALL {
                let result = authorize(&actor, action);
                assert_eq!(result.is_ok(), allowed.contains(&action), "{actor:?} {action:?}: {result:?}");
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(authorize(&Actor::Anonymous, Action::CreateOrg), Err(Denied::NotAuthenticated));
        assert_eq!(authorize(&token(false, &Scope::ALL), Action::ReadOrgMembers), Err(Denied::WrongOrg));
        assert_eq!(
            authorize(&token(true, &[Scope::MembersRead]), Action::DecideJoinRequest),
            Err(Denied::MissingScope(Scope::MembersWrite))
        );
        assert_eq!(authorize(&token(true, &Scope::ALL), Action::ManageTokens), Err(Denied::MembersOnly));
    }
}
