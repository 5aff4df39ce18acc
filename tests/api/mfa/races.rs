//! One sign-in completes once, however many right answers race to it.

use std::time::Duration;

use ferrid::domain::{Factor, MfaMode};
use ferrid::factors::{self, FactorCheck, TotpStart};

use super::*;
use crate::account_factors::{align_to_step, code_now};
use crate::helpers::{PHONE, RP_REDIRECT, browser, many_sign_ins, spawn_app_with};
use ferrid::domain::ClientType;

/// The user of `PHONE` with an authenticator app and recovery codes: the
/// app's secret and the codes.
async fn user_with_factors(app: &TestApp) -> (uuid::Uuid, String, Vec<String>) {
    let phone = ferrid::domain::PhoneNumber::parse(PHONE, None).unwrap();
    let user = ferrid::store::users::find_by_phone(&app.db, &phone)
        .await
        .unwrap()
        .unwrap()
        .id;
    let txn = ferrid::store::begin_write(&app.state.db).await.unwrap();
    let TotpStart::Started(enrollment) = factors::start_totp_enrollment(&txn, &app.state, user)
        .await
        .unwrap()
    else {
        panic!("no app yet");
    };
    let codes = factors::generate_recovery_codes(&txn, &app.state, user)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let secret = enrollment.secret_base32.replace(' ', "");
    align_to_step(app);
    let txn = ferrid::store::begin_write(&app.state.db).await.unwrap();
    let checked =
        factors::confirm_totp_enrollment(&txn, &app.state, user, &code_now(app, &secret, 0))
            .await
            .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(checked, FactorCheck::Accepted);
    (user, secret, codes)
}

async fn live_sessions(app: &TestApp, user: uuid::Uuid) -> usize {
    ferrid::store::sso_sessions::list_live_for_user(&app.db, user, app.now())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_app_code_and_a_recovery_code_racing_to_one_sign_in_open_one_session() {
    let app = spawn_app_with(|s| {
        many_sign_ins(s);
        s.otp.max_sends_per_phone_per_hour = 100;
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    app.code_for(&client.client_id, &[]).await;
    let (user, secret, codes) = user_with_factors(&app).await;
    require(&app, MfaMode::Required, &Factor::ALL).await;
    let url = app.authorize_url(&client.client_id, &[]);

    for (round, recovery_code) in codes.iter().take(5).enumerate() {
        app.advance(Duration::from_secs(30));
        let before = live_sessions(&app, user).await;
        let b = browser();
        assert_eq!(
            location(&first_factor(&app, &b, &url, PHONE).await),
            "/login/mfa"
        );
        let (_, csrf) = mfa_page(&app, &b).await;
        let totp = code_now(&app, &secret, 0);
        let (a, r) = tokio::join!(
            submit(&app, &b, &csrf, "totp", &totp),
            submit(&app, &b, &csrf, "recovery_code", recovery_code),
        );
        let sent_back = [a, r]
            .iter()
            .filter(|res| location(res).starts_with(RP_REDIRECT))
            .count();
        assert_eq!(sent_back, 1, "round {round}: one answer to the application");
        assert_eq!(
            live_sessions(&app, user).await,
            before + 1,
            "round {round}: one new session"
        );
    }
}
