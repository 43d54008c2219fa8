//! Accessibility, measured: axe-core (from npm, `COMMUNE_AXE_JS`) runs on every page of the demo
//! commune at desktop (1280 px) and phone (360 px) widths and finds no serious or critical
//! violation; no page scrolls sideways at 360 px; and one walk-through is done with the keyboard
//! only (log in, go to the inbox, open a vote, cast a ballot).
//!
//! Runs when `COMMUNE_WEBDRIVER_URL` points at a chromedriver; `.ci/run` also installs axe-core
//! and sets `COMMUNE_AXE_JS`. Under `CI=true` a missing axe-core fails the test.

use crate::browser::{Result, Session, start};
use crate::support::TestApp;
use fantoccini::Locator;
use fantoccini::key::Key;
use std::time::Duration;

/// What axe found that matters: serious and critical violations, as `rule: nodes`.
const RUN_AXE: &str = "var done = arguments[0];
axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
  done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
    .map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(' | '); }));
}, function (e) { done(['axe failed: ' + e]); });";

const OVERFLOW: &str = "return document.documentElement.scrollWidth - window.innerWidth;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_page_passes_axe_at_both_widths_and_a_keyboard_can_vote() {
    let Ok(webdriver) = std::env::var("COMMUNE_WEBDRIVER_URL") else {
        eprintln!("accessibility test: skipped (set COMMUNE_WEBDRIVER_URL to a running chromedriver to run it)");
        return;
    };
    let axe = match std::env::var("COMMUNE_AXE_JS").ok().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(source) => source,
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI must provide axe-core: set COMMUNE_AXE_JS")
        }
        None => {
            eprintln!("accessibility test: skipped (set COMMUNE_AXE_JS to axe-core's axe.min.js)");
            return;
        }
    };
    let app = TestApp::empty().await;
    commune_app::demo::load(&app.state).await.expect("the demo loads");
    let invite = invite_link(&app).await;
    let running = start(&app, &webdriver).await;
    let outcome = sweep(&running.session, &axe, &invite).await;
    running.finish(outcome, "accessibility").await;
}

/// A live invite link to the commune, made as a steward would (its secret known to the test).
async fn invite_link(app: &TestApp) -> String {
    let secret = format!("inv_{}", "5a".repeat(32));
    let root = app.store.list_orgs().await.expect("orgs").into_iter().find(|o| o.is_root).expect("the commune");
    let steward = app.store.member_by_handle("ada").await.expect("read").expect("ada");
    let mut tx = app.store.write(&steward.id).await.expect("write");
    let week = commune_store::now_ms() + 7 * 24 * 3_600_000;
    tx.create_invite(&root.id, &commune_domain::token::secret_hash(&secret), &steward.id, "", 5, week)
        .await
        .expect("invite");
    tx.commit().await.expect("commit");
    format!("/join/{secret}")
}

async fn sweep(s: &Session, axe: &str, invite: &str) -> Result {
    let mut problems = Vec::new();
    s.c.set_window_size(1280, 900).await?;
    for path in ["/login", "/signup", "/", invite] {
        for (width, height) in [(1280, 900), (360, 800)] {
            s.c.set_window_size(width, height).await?;
            problems.extend(check(s, axe, path, width).await?);
        }
    }
    s.c.set_window_size(1280, 900).await?;
    keyboard_walk(s).await?;
    let mut pages: Vec<String> = [
        "/",
        "/inbox",
        "/settings/inbox",
        "/orgs",
        "/orgs/neon-valley",
        "/orgs/solar-forge",
        "/orgs/neon-valley/proposals",
        "/orgs/neon-valley/proposals/new",
        "/orgs/neon-valley/proposals/new?kind=policy",
        "/orgs/neon-valley/proposals/new?kind=allocation",
        "/orgs/neon-valley/proposals/new?kind=election",
        "/orgs/neon-valley/proposals/new?kind=endorsement",
        "/members",
        "/members?domain=finance",
        "/m/ada",
        "/m/bayo",
        "/wallet",
        "/orgs/neon-valley/treasury",
        "/orgs/solar-forge/treasury",
        "/orgs/neon-valley/delegations",
        "/orgs/neon-valley/meetings",
        "/orgs/neon-valley/requests",
        "/orgs/neon-valley/invites",
        "/orgs/neon-valley/tokens",
        "/orgs/common-code/apps",
        "/orgs/common-code/webhooks",
        "/settings/apps",
        "/orgs/common-code/federation",
        "/orgs/neon-valley/rounds",
        "/orgs/common-code/rounds",
        "/orgs/common-code/budgets",
        "/orgs/common-code/expenses",
        "/orgs/byte-bakery/patronage",
        "/orgs/neon-valley/funding",
        "/orgs/common-code/work",
        "/orgs/common-code/work?view=list",
        "/orgs/common-code/learn",
        "/learn",
        "/review",
        "/ideas",
        "/journal",
        "/orgs/neon-valley/ideas",
        "/orgs/neon-valley/conversations",
        "/orgs/common-code/problems",
        "/orgs/common-code/analytics",
        "/orgs/neon-valley/analytics",
        "/numbers",
        "/map",
        "/map?focus=de",
        "/seasons",
        "/candidates",
        "/disclosures",
        "/leverage",
        "/transparency",
        "/work",
        "/admin",
        "/admin/books",
        "/api",
        "/style",
        "/settings/profile",
        "/settings/security",
        invite,
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    s.open("/orgs/neon-valley/proposals").await?;
    pages.extend(links(s, "/p/").await?);
    s.open("/orgs/neon-valley/meetings").await?;
    pages.extend(links(s, "/meetings/").await?.into_iter().take(1));
    s.open("/orgs/common-code/expenses").await?;
    pages.extend(links(s, "/expenses/").await?.into_iter().take(3));
    s.open("/orgs/neon-valley/funding").await?;
    pages.extend(links(s, "/funding/").await?);
    s.open("/orgs/common-code/work").await?;
    pages.extend(links(s, "/tasks/").await?.into_iter().take(3));
    s.open("/orgs/common-code/learn").await?;
    for prefix in ["/learn/", "/courses/", "/questions/", "/circles/"] {
        pages.extend(links(s, prefix).await?.into_iter().take(2));
    }
    s.open("/orgs/neon-valley/ideas").await?;
    pages.extend(links(s, "/ideas/").await?.into_iter().take(1));
    s.open("/orgs/neon-valley/conversations").await?;
    pages.extend(links(s, "/conversations/").await?.into_iter().take(1));
    s.open("/orgs/common-code/problems").await?;
    pages.extend(links(s, "/problems/").await?.into_iter().take(1));
    s.open("/seasons").await?;
    pages.extend(links(s, "/seasons/").await?);
    s.open("/candidates").await?;
    pages.extend(links(s, "/candidates/").await?.into_iter().take(1));
    for org in ["neon-valley", "common-code"] {
        s.open(&format!("/orgs/{org}/rounds")).await?;
        pages.extend(links(s, "/rounds/").await?.into_iter().filter(|l| !l.ends_with(".pb")));
    }
    for (width, height) in [(1280, 900), (360, 800)] {
        s.c.set_window_size(width, height).await?;
        for path in &pages {
            problems.extend(check(s, axe, path, width).await?);
        }
    }
    if problems.is_empty() {
        eprintln!("accessibility: {} pages at 1280 and 360 px, no serious or critical violation", pages.len() + 4);
        Ok(())
    } else {
        Err(format!("{} problems:\n{}", problems.len(), problems.join("\n")).into())
    }
}

/// The distinct links on the page that start with `prefix`.
async fn links(s: &Session, prefix: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for a in s.c.find_all(Locator::Css(&format!("main a[href^='{prefix}']"))).await? {
        if let Some(href) = a.attr("href").await?
            && !found.contains(&href)
        {
            found.push(href);
        }
    }
    Ok(found)
}

/// axe's serious and critical violations on one page, and sideways scrolling on a phone.
async fn check(s: &Session, axe: &str, path: &str, width: u32) -> Result<Vec<String>> {
    s.open(path).await?;
    s.c.execute(&format!("{axe}\nreturn true;"), vec![]).await?;
    let found = s.c.execute_async(RUN_AXE, vec![]).await?;
    let mut problems: Vec<String> = found
        .as_array()
        .map(|v| v.iter().filter_map(|x| x.as_str()).map(|x| format!("{path} at {width} px: {x}")).collect())
        .unwrap_or_default();
    let overflow = s.c.execute(OVERFLOW, vec![]).await?.as_i64().unwrap_or(0);
    if width <= 400 && overflow > 0 {
        problems.push(format!("{path} at {width} px scrolls sideways by {overflow} px"));
    }
    Ok(problems)
}

/// Presses `key` on whatever has the focus.
async fn press(s: &Session, key: &str) -> Result {
    s.c.active_element().await?.send_keys(key).await?;
    Ok(())
}

/// Tabs forward until the focused element matches `css` (at most `limit` presses).
async fn tab_to(s: &Session, css: &str, limit: usize) -> Result {
    let probe = format!("return document.activeElement && document.activeElement.matches({css:?});");
    for _ in 0..limit {
        if s.c.execute(&probe, vec![]).await?.as_bool() == Some(true) {
            return Ok(());
        }
        press(s, &Key::Tab.to_string()).await?;
    }
    Err(format!("Tab never reached {css}").into())
}

/// The keyboard only: log in, `g i` to the inbox and `g h` back to the docket, Tab to a vote
/// and Enter, choose with Space
/// (or Enter on "Rank"), Tab to the cast button and Enter.
async fn keyboard_walk(s: &Session) -> Result {
    s.open("/login").await?;
    // The handle field has the focus when the page opens.
    tab_to(s, "input[name=handle]", 20).await?;
    press(s, "ada").await?;
    press(s, &Key::Tab.to_string()).await?;
    press(s, commune_app::demo::DEMO_PASSWORD).await?;
    press(s, &Key::Enter.to_string()).await?;
    s.see("Today, ").await?;
    press(s, "g").await?;
    press(s, "i").await?;
    s.see("Needs you").await?;
    press(s, "g").await?;
    press(s, "h").await?;
    s.see("Daily docket").await?;
    tab_to(s, "main a.card.governance[href^='/p/']", 120).await?;
    press(s, &Key::Enter.to_string()).await?;
    s.see("Your ballot").await?;
    tab_to(s, "#ballot-form input[type=radio], #ballot-form input[type=checkbox], #ballot-form button.rank, #ballot-form input.qv, #ballot-form input.pts", 80).await?;
    let kind = s.c.execute("return document.activeElement.type || document.activeElement.className;", vec![]).await?;
    match kind.as_str().unwrap_or("") {
        "radio" | "checkbox" => press(s, " ").await?,
        "number" => press(s, "1").await?,
        _ => press(s, &Key::Enter.to_string()).await?,
    }
    tab_to(s, "#ballot-form button[type=submit]", 80).await?;
    press(s, &Key::Enter.to_string()).await?;
    tokio::time::timeout(Duration::from_secs(20), s.see("Your receipt"))
        .await
        .map_err(|_| "no receipt after voting")??;
    Ok(())
}
