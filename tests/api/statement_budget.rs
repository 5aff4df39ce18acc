//! What one sign-in costs the database, counted statement by statement.
//! The sign-in is ferrid's hot path: a change that adds a statement to it
//! fails here, and whoever makes it raises the budget knowingly, with the
//! reason and the figures in `docs/performance.md`.
//!
//! Counted: every statement run by the requests of one browser sign-in,
//! from `GET /authorize` to the code exchange, on the default settings.
//! Not counted: work that is not done once per sign-in. That is background
//! work (the signing keys' refresh, the email outbox's worker on `outbox`,
//! the sweeper, the SMS connection read again every 2 s: reads of the
//! `settings` table on their own) and the registered client's read (kept in
//! memory, read again at most once a second per instance).

use std::sync::{Arc, Mutex};

use ferrid::domain::ClientType;
use ferrid::store::StatementObserver;

use crate::helpers::{RP_REDIRECT, TestApp, nth_phone, spawn_app_observing};

/// A sign-in that signs the user up: the authorization request (1), the
/// phone page (1), sending the code (the page's read, 5 in one transaction,
/// then the `sms.sent` audit event), verifying it (the page's read, 10 in
/// one transaction, the user inserted among them, then the cooldown's
/// release) and the code exchange (2).
const NEW_USER: usize = 23;
/// A sign-in, in a new browser, of a user who signed in before: as above,
/// with the user found instead of inserted.
const RETURNING_USER: usize = 22;

/// The SQL of the statements run since it was last taken.
#[derive(Clone, Default)]
struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    fn observer(&self) -> StatementObserver {
        let log = self.0.clone();
        Arc::new(move |sql: &str| log.lock().unwrap().push(sql.to_owned()))
    }

    /// The statements since the last call that a sign-in runs.
    fn take_sign_in(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .filter(|sql| once_per_sign_in(sql))
            .collect()
    }
}

fn once_per_sign_in(sql: &str) -> bool {
    let elsewhere = ["\"signing_keys\"", "\"outbox\"", "FROM \"clients\""];
    !elsewhere.iter().any(|table| sql.contains(table)) && !sql.starts_with("SELECT \"settings\".")
}

/// One browser sign-in of `phone`, its code exchanged.
async fn sign_in(app: &TestApp, client: &crate::helpers::TestClient, phone: &str) {
    let tokens = app.tokens_for(client, phone).await;
    assert_eq!(tokens.status(), 200, "{}", tokens.text().await.unwrap());
}

/// Fails with the statements when there are more than `budget`, or when
/// one has a bound `LIMIT`: SQLite plans with a bound limit's value and so
/// prepares such a statement again every time it runs (`store::first`).
fn within_budget(whose: &str, statements: &[String], budget: usize) {
    assert!(
        statements.len() <= budget,
        "{whose} sign-in ran {} statements, over its budget of {budget}:\n{}",
        statements.len(),
        statements.join("\n")
    );
    let bound_limits: Vec<_> = statements
        .iter()
        .filter(|sql| sql.contains("LIMIT ?") || sql.contains("LIMIT $"))
        .collect();
    assert!(
        bound_limits.is_empty(),
        "{whose} sign-in ran statements with a bound LIMIT:\n{bound_limits:#?}"
    );
}

#[tokio::test]
async fn a_sign_in_runs_no_more_statements_than_its_budget() {
    let log = StatementLog::default();
    let app = spawn_app_observing(log.observer()).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let phone = nth_phone(1);
    log.take_sign_in();

    sign_in(&app, &client, &phone).await;
    within_budget("a new user's", &log.take_sign_in(), NEW_USER);
    sign_in(&app, &client, &phone).await;
    within_budget("a returning user's", &log.take_sign_in(), RETURNING_USER);
}
