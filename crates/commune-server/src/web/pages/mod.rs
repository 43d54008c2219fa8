//! The pages outside governance, merit and money, one room per area (children import each other,
//! never this module):
//!
//! - [`home`]: the docket, first-run setup and the demo;
//! - [`inbox`]: what needs the member, notifications, inbox settings, the theme switch;
//! - [`invites`]: invite links, made by stewards and accepted (with sign-up) by newcomers;
//! - [`account`]: joining, logging in and out, the profile, password and sessions, recovery;
//! - [`directory`]: the member directory and member cards;
//! - [`orgs`]: organisations, joining them, roles, join requests and API tokens;
//! - [`admin`]: the instance steward's overview, the audit check and recovery links;
//! - [`style`]: every component on one page.

pub mod account;
pub mod admin;
pub mod directory;
pub mod home;
pub mod inbox;
pub mod invites;
pub mod orgs;
pub mod style;

pub use account::{
    change_password, home_callback, home_sign_in, login, login_page, logout, profile, profile_page, recover,
    recover_page, revoke_session, security, signup, signup_page,
};
pub use admin::{admin, admin_recovery, admin_verify};
pub use directory::{member, members};
pub use home::{home, setup, setup_demo, setup_page};
pub use orgs::{
    create_token, decide, join, leave, org, org_new, org_new_page, orgs, requests, revoke_token, set_role, tokens,
};
pub use style::style;
