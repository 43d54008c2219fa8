//! Commune's integration tests: one binary, driving the public surface (API, pages, CLI).
//! The whole suite runs on SQLite by default and on PostgreSQL when
//! `COMMUNE_TEST_DATABASE_URL=postgres://...` is set; the browser test runs when
//! `COMMUNE_WEBDRIVER_URL` points at a running chromedriver.

mod accessibility;
mod api;
mod architecture;
mod audit;
mod authz;
mod browser;
mod capital;
mod cli;
mod federation;
mod governance;
mod ideas;
mod inbox;
mod invites;
mod learn;
mod ledger;
mod merit;
mod oidc;
mod openapi;
mod peer_transfers;
mod politics;
mod schema;
mod support;
mod trust;
mod web;
mod webhooks;
mod work;
