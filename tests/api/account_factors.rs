//! Second factors on the account page: an authenticator app saved only
//! after its first valid code, codes accepted once within one time step,
//! the lockout after 10 wrong codes, recovery codes shown once and stored
//! hashed, removal refused when the policy requires MFA, and the notices.

use std::time::Duration;

use ferrid::domain::{EmailAddress, Factor, MfaMode, SignInPolicy};
use ferrid::factors::{self, FactorCheck};
use ferrid::store;
use totp_rs::{Algorithm, Builder, Secret};

use crate::account_support::{
    FIREFOX_LINUX, account_settings, browser_as, overview, owner_of, post, sign_in_at_account,
};
use crate::helpers::{PHONE, TestApp, location, spawn_app_with};

pub const ADA: &str = "ada@example.com";

/// The key shown on the enrollment page, without its spaces.
pub fn secret_of(html: &str) -> String {
    let tag = "<code class=\"secret\">";
    let start = html.find(tag).expect("the key") + tag.len();
    let rest = &html[start..];
    rest[..rest.find("</code>").unwrap()].replace(' ', "")
}

/// The code an authenticator app with `secret` shows at `unix_secs`.
pub fn code_at(secret: &str, unix_secs: i64) -> String {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(0)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    totp.generate(u64::try_from(unix_secs).unwrap()).to_string()
}

/// The code of the time step `steps` away from now on ferrid's clock.
pub fn code_now(app: &TestApp, secret: &str, steps: i64) -> String {
    code_at(secret, app.now().timestamp() + steps * 30)
}

/// Moves ferrid's clock to one second into the next time step, so that a
/// test has most of a step before the step changes under it.
pub fn align_to_step(app: &TestApp) {
    let now = app.now();
    let into = now.timestamp().rem_euclid(30) as u64;
    let ms = u64::from(now.timestamp_subsec_millis());
    app.advance(Duration::from_millis((30 - into) * 1000 - ms + 1000));
}

/// A signed-in user at `/account` (recently, so no re-authentication).
pub async fn signed_in_user(app: &TestApp) -> (reqwest::Client, uuid::Uuid) {
    let b = browser_as(FIREFOX_LINUX);
    sign_in_at_account(app, &b, PHONE).await;
    (b, owner_of(app, PHONE).await.unwrap())
}

/// Starts adding an app; the enrollment page's HTML.
pub async fn start_enrollment(app: &TestApp, b: &reqwest::Client) -> String {
    let res = post(app, b, "/account/totp", &[]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account/totp");
    let page = b.get(app.url("/account/totp")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// Adds an app with its first code; its secret.
pub async fn enroll(app: &TestApp, b: &reqwest::Client) -> String {
    align_to_step(app);
    let secret = secret_of(&start_enrollment(app, b).await);
    let code = code_now(app, &secret, 0);
    let res = post(app, b, "/account/totp/confirm", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account?notice=totp_added");
    secret
}

/// `check_totp` in a transaction of its own, committed.
pub async fn check(app: &TestApp, user: uuid::Uuid, code: &str) -> FactorCheck {
    let txn = store::begin_write(&app.state.db).await.unwrap();
    let checked = factors::check_totp(&txn, &app.state, user, code)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    checked
}

/// `use_recovery_code` in a transaction of its own, committed.
pub async fn use_code(app: &TestApp, user: uuid::Uuid, code: &str) -> FactorCheck {
    let txn = store::begin_write(&app.state.db).await.unwrap();
    let checked = factors::use_recovery_code(&txn, &app.state, user, code)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    checked
}

/// The codes on the recovery-codes page.
pub fn codes_of(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn an_authenticator_app_is_saved_only_after_a_valid_code() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    let now = app.now();
    store::users::update_email(&app.db, user, Some(&EmailAddress::parse(ADA).unwrap()), now)
        .await
        .unwrap();
    let html = overview(&app, &b).await;
    assert!(html.contains("Two-step verification"), "{html}");
    assert!(html.contains("No authenticator app."), "{html}");

    align_to_step(&app);
    let page = start_enrollment(&app, &b).await;
    assert!(
        page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{page}"
    );
    assert!(!page.contains("<?xml"), "{page}");
    assert!(
        page.contains(r#"autocomplete="one-time-code" inputmode="numeric""#),
        "{page}"
    );
    let secret = secret_of(&page);
    assert_eq!(secret.len(), 32, "160 bits in base32");
    // The secret is stored sealed, and is no factor yet.
    let stored = store::factors::find_by_user(&app.db, user, "totp")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.verified_at.is_none());
    assert!(!stored.secret_enc.contains(&secret));
    assert!(
        !factors::enrolled(&app.db, user)
            .await
            .unwrap()
            .contains(&Factor::Totp)
    );

    // A wrong code keeps nothing: the page again, with the problem.
    let wrong = if code_now(&app, &secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let res = post(&app, &b, "/account/totp/confirm", &[("code", wrong)]).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("attempts left"), "{html}");
    assert!(
        !factors::enrolled(&app.db, user)
            .await
            .unwrap()
            .contains(&Factor::Totp)
    );

    let code = code_now(&app, &secret, 0);
    let res = post(
        &app,
        &b,
        "/account/totp/confirm",
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(location(&res), "/account?notice=totp_added");
    assert_eq!(
        factors::enrolled(&app.db, user).await.unwrap(),
        vec![Factor::Totp, Factor::Sms, Factor::Email]
    );
    let html = overview(&app, &b).await;
    assert!(html.contains("An authenticator app is set up."), "{html}");
    // Nothing waits any more: the page goes back to the account.
    let res = b.get(app.url("/account/totp")).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    // Adding a second app goes through removing the first.
    let res = post(&app, &b, "/account/totp", &[]).await;
    assert_eq!(res.status(), 409);

    // The notices: an email to the verified address and an SMS warning.
    let mail = ferrid::email::dev_mail(&app.db).await.unwrap();
    let notice = mail
        .iter()
        .find(|m| m.to == ADA && m.usage == "factor_added")
        .expect("an email notice");
    assert!(
        notice.subject.contains("authenticator app"),
        "{}",
        notice.subject
    );
    let sms = app.sms.sent_to(PHONE).pop().unwrap();
    assert!(sms.body.contains("two-step verification"), "{}", sms.body);
    // The activity page shows the enrollment and the failed code.
    let html = b
        .get(app.url("/account/activity"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Authenticator app added"), "{html}");
    assert!(html.contains("Wrong authenticator app code"), "{html}");
}

#[tokio::test]
async fn a_code_is_accepted_once_within_one_step_either_side_and_not_two() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    let secret = enroll(&app, &b).await;

    // The enrollment's code is used: it cannot sign in again.
    assert_eq!(
        check(&app, user, &code_now(&app, &secret, 0)).await,
        FactorCheck::Replayed
    );
    app.advance(Duration::from_secs(30));
    let code = code_now(&app, &secret, 0);
    assert_eq!(check(&app, user, &code).await, FactorCheck::Accepted);
    assert_eq!(check(&app, user, &code).await, FactorCheck::Replayed);

    // One step behind, then one ahead.
    app.advance(Duration::from_secs(120));
    assert_eq!(
        check(&app, user, &code_now(&app, &secret, -1)).await,
        FactorCheck::Accepted
    );
    assert_eq!(
        check(&app, user, &code_now(&app, &secret, 1)).await,
        FactorCheck::Accepted
    );
    // An earlier step than the last accepted is refused, even in the window.
    assert_eq!(
        check(&app, user, &code_now(&app, &secret, 0)).await,
        FactorCheck::Replayed
    );
    // Two steps off either way: wrong.
    app.advance(Duration::from_secs(120));
    assert!(matches!(
        check(&app, user, &code_now(&app, &secret, -2)).await,
        FactorCheck::Wrong { .. }
    ));
    assert!(matches!(
        check(&app, user, &code_now(&app, &secret, 2)).await,
        FactorCheck::Wrong { .. }
    ));
}

#[tokio::test]
async fn ten_wrong_codes_lock_the_second_factors_until_the_window_passes() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    let secret = enroll(&app, &b).await;
    app.advance(Duration::from_secs(30));
    let right = code_now(&app, &secret, 0);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    for left in (1..=9).rev() {
        assert_eq!(
            check(&app, user, &wrong).await,
            FactorCheck::Wrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(check(&app, user, &wrong).await, FactorCheck::Locked);
    assert_eq!(
        check(&app, user, &right).await,
        FactorCheck::Locked,
        "even the right one"
    );
    assert_eq!(
        use_code(&app, user, "aaaaa-aaaaa").await,
        FactorCheck::NotEnrolled
    );

    // The failure window (24 hours) passes.
    app.advance(Duration::from_secs(24 * 3600 + 1));
    let right = code_now(&app, &secret, 0);
    assert_eq!(check(&app, user, &right).await, FactorCheck::Accepted);
    let locked = store::audit_events::count_for_user(
        &app.db,
        user,
        "factor.locked",
        app.now() - chrono::Duration::days(2),
    )
    .await
    .unwrap();
    assert_eq!(locked, 1);
}

#[tokio::test]
async fn recovery_codes_are_ten_distinct_hashed_single_use_and_regenerating_voids_them() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    store::users::update_email(
        &app.db,
        user,
        Some(&EmailAddress::parse(ADA).unwrap()),
        app.now(),
    )
    .await
    .unwrap();
    let res = post(&app, &b, "/account/recovery-codes", &[]).await;
    assert_eq!(res.status(), 200);
    let codes = codes_of(&res.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
    );
    // At rest: hashes only.
    let stored = store::recovery_codes::list_unused(&app.db, user)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for s in &stored {
        assert_eq!(s.code_hash.len(), 64);
        for c in &codes {
            assert!(!s.code_hash.contains(&c.replace('-', "")));
            assert_ne!(s.code_hash, ferrid::crypto::sha256_hex(&c.replace('-', "")));
        }
    }
    assert!(
        overview(&app, &b)
            .await
            .contains("Recovery codes left: 10.")
    );
    assert!(
        factors::enrolled(&app.db, user)
            .await
            .unwrap()
            .contains(&Factor::RecoveryCode)
    );

    // Typed in capitals with spaces: the same code. Once.
    let typed = format!(" {} ", codes[0].to_uppercase().replace('-', " "));
    assert_eq!(use_code(&app, user, &typed).await, FactorCheck::Accepted);
    assert!(matches!(
        use_code(&app, user, &codes[0]).await,
        FactorCheck::Wrong { .. }
    ));
    assert!(overview(&app, &b).await.contains("Recovery codes left: 9."));
    // The use is told by email, with the count left, and audited.
    let mail = ferrid::email::dev_mail(&app.db).await.unwrap();
    let used = mail
        .iter()
        .find(|m| m.to == ADA && m.usage == "factor_changed")
        .expect("a notice of the use");
    assert!(used.subject.contains("recovery codes"), "{}", used.subject);
    assert!(used.text.contains(": 9"), "{}", used.text);
    let html = b
        .get(app.url("/account/activity"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Recovery code used"), "{html}");

    // New codes void the old ones.
    let res = post(&app, &b, "/account/recovery-codes", &[]).await;
    let fresh = codes_of(&res.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    assert!(matches!(
        use_code(&app, user, &codes[1]).await,
        FactorCheck::Wrong { .. }
    ));
    assert_eq!(use_code(&app, user, &fresh[1]).await, FactorCheck::Accepted);
}

#[tokio::test]
async fn removing_the_app_is_refused_while_the_policy_requires_it() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    enroll(&app, &b).await;
    let mut policy = SignInPolicy::seeded(true);
    policy.mfa = MfaMode::Required;
    policy.second_factors = [Factor::Totp, Factor::RecoveryCode].into_iter().collect();
    ferrid::policy::save(&app.db, &policy, app.now())
        .await
        .unwrap();

    let res = post(&app, &b, "/account/totp/remove", &[]).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("Two-step verification is required"), "{html}");
    assert!(factors::has_totp(&app.db, user).await.unwrap());

    // With recovery codes left, the app is not the last second factor.
    let res = post(&app, &b, "/account/recovery-codes", &[]).await;
    assert_eq!(res.status(), 200);
    let res = post(&app, &b, "/account/totp/remove", &[]).await;
    assert_eq!(location(&res), "/account?notice=totp_removed");
    assert!(!factors::has_totp(&app.db, user).await.unwrap());
    assert!(overview(&app, &b).await.contains("No authenticator app."));
}

#[tokio::test]
async fn adding_an_app_after_the_reauth_window_asks_for_a_code_first() {
    let app = spawn_app_with(account_settings).await;
    let (b, _user) = signed_in_user(&app).await;
    app.advance(Duration::from_secs(61));
    let res = post(&app, &b, "/account/totp", &[]).await;
    assert_eq!(location(&res), "/account/reauth");
    // The pending secret is not shown to an old session.
    let res = b.get(app.url("/account/totp")).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    let code = app.sms.last_code(PHONE);
    let res = post(&app, &b, "/account/reauth", &[("code", code.as_str())]).await;
    assert_eq!(location(&res), "/account/totp");
    let page = b.get(app.url("/account/totp")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<svg"));
}
