//! The expiry sweep.

use std::time::Duration;

use ferrid::admin::maintenance::sweep_expired;
use ferrid::config::Span;
use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, browser, spawn_app_with};

#[tokio::test]
async fn the_sweep_deletes_what_expired_and_keeps_what_lives() {
    let app = spawn_app_with(|s| {
        s.tokens.authorization_code_ttl = Span(Duration::from_secs(1));
        s.otp.ttl = Span(Duration::from_secs(1));
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    // A sign-in that leaves a consumed challenge, a code, a session.
    app.code_for(&client.client_id, &[]).await;
    // A pending sign-in whose transaction is still live.
    let b = browser();
    app.open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;

    let nothing_yet = sweep_expired(&app.db, app.now()).await.unwrap();
    assert_eq!(
        nothing_yet.total(),
        0,
        "a minute's margin: nothing is swept at once"
    );

    // Move time: expire the short-lived rows by rewriting their dates.
    use ferrid::store::ConnectionTrait;
    let past = "2000-01-01 00:00:00+00:00";
    for table in ["otp_challenges", "authorization_codes"] {
        app.db
            .execute_unprepared(&format!("UPDATE {table} SET expires_at = '{past}'"))
            .await
            .unwrap();
    }
    let report = sweep_expired(&app.db, app.now()).await.unwrap();
    assert_eq!(report.otp_challenges, 1);
    assert_eq!(report.authorization_codes, 1);
    assert_eq!(report.login_transactions, 0, "the pending sign-in lives");
    assert_eq!(report.sso_sessions, 0, "the session lives");
    // The pending sign-in still works.
    assert_eq!(b.get(app.url("/login")).send().await.unwrap().status(), 200);
}
