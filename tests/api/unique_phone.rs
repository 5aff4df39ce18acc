//! `unique_phone`: with it off (SMS only a second factor), two accounts
//! each verify the same number on the account page; with it on, a number
//! is one account's, and it cannot be turned on while a number is shared.
//! The migration that made this possible keeps every row.

use std::collections::BTreeSet;

use ferrid::admin::policy::{self, PolicyChange, SetPolicyOutcome};
use ferrid::config::DatabaseUrl;
use ferrid::domain::{Connection, Factor, MfaMode, PhoneNumber, PolicyProblem};
use ferrid::store::{self, ConnectionTrait, StoreError, users::PhoneOwnership};
use migrations::{Migrator, MigratorTrait};

use crate::account_support::{FIREFOX_LINUX, browser_as, post, sign_in_at_account};
use crate::helpers::{TestApp, TestDatabase, location, nth_phone, spawn_app_with};
use crate::policy::{run_on, stored};

/// How many accounts have `phone` verified.
async fn accounts_with(app: &TestApp, phone: &str) -> i64 {
    count_users(&app.db, phone).await
}

async fn count_users(db: &impl ConnectionTrait, phone: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => {
                    "SELECT COUNT(*) AS n FROM users WHERE phone_e164 = $1 AND phone_verified_at IS NOT NULL"
                }
                _ => "SELECT COUNT(*) AS n FROM users WHERE phone_e164 = ? AND phone_verified_at IS NOT NULL",
            },
            [phone.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Adds and verifies `phone` on the account page of the signed-in `b`:
/// the answer to its code.
async fn add_phone(app: &TestApp, b: &reqwest::Client, phone: &str) -> reqwest::Response {
    let res = post(app, b, "/account/phone", &[("phone", phone)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/phone/verify");
    let code = app.sms.last_code(phone);
    post(app, b, "/account/phone/verify", &[("code", code.as_str())]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_unique_phone_off_two_accounts_each_verify_the_same_number() {
    let app = spawn_app_with(crate::account_support::account_settings).await;
    let (a, b) = (browser_as(FIREFOX_LINUX), browser_as(FIREFOX_LINUX));
    sign_in_at_account(&app, &a, &nth_phone(51)).await;
    sign_in_at_account(&app, &b, &nth_phone(52)).await;

    // SMS only as a second factor: first factors {email}.
    let change = PolicyChange {
        first_factors: Some(BTreeSet::from([Connection::Email])),
        mfa: Some(MfaMode::Optional),
        second_factors: Some(BTreeSet::from([Factor::Sms, Factor::Totp])),
        unique_phone: Some(false),
        ..PolicyChange::default()
    };
    let outcome = policy::set(&app.db, true, &change, app.now())
        .await
        .unwrap();
    assert!(
        matches!(outcome, SetPolicyOutcome::Changed { .. }),
        "{outcome:?}"
    );

    let shared = nth_phone(53);
    let res = add_phone(&app, &a, &shared).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=phone_saved");
    let res = add_phone(&app, &b, &shared).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(location(&res), "/account?notice=phone_saved");
    assert_eq!(accounts_with(&app, &shared).await, 2, "both saved");

    // Turning unique_phone back on is refused while a number is shared.
    let on = PolicyChange {
        unique_phone: Some(true),
        ..PolicyChange::default()
    };
    let outcome = policy::set(&app.db, true, &on, app.now()).await.unwrap();
    assert_eq!(
        outcome,
        SetPolicyOutcome::Refused(vec![PolicyProblem::PhonesOnSeveralAccounts { count: 1 }])
    );
    let (ok, _, err) = run_on(&app, &["policy", "set", "--unique-phone", "on"]);
    assert!(!ok);
    assert!(err.contains("1 phone number(s)"), "{err}");
    assert!(!stored(&app).await.unique_phone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_unique_phone_back_on_makes_every_number_one_accounts_again() {
    let app = spawn_app_with(crate::account_support::account_settings).await;
    let (a, b) = (browser_as(FIREFOX_LINUX), browser_as(FIREFOX_LINUX));
    sign_in_at_account(&app, &a, &nth_phone(61)).await;
    sign_in_at_account(&app, &b, &nth_phone(62)).await;
    let (ok, _, err) = run_on(
        &app,
        &[
            "policy",
            "set",
            "--first-factors",
            "email",
            "--unique-phone",
            "off",
        ],
    );
    assert!(ok, "{err}");
    // A number saved while it was off …
    let number = nth_phone(63);
    let res = add_phone(&app, &a, &number).await;
    assert_eq!(location(&res), "/account?notice=phone_saved");

    let (ok, _, err) = run_on(
        &app,
        &[
            "policy",
            "set",
            "--first-factors",
            "sms,email",
            "--unique-phone",
            "on",
        ],
    );
    assert!(ok, "{err}");
    // … is that account's alone once it is on again.
    let res = add_phone(&app, &b, &number).await;
    assert_eq!(res.status(), 409);
    assert_eq!(accounts_with(&app, &number).await, 1);
}

#[tokio::test]
async fn the_migration_to_shared_numbers_keeps_every_user_and_what_points_at_them() {
    let database = TestDatabase::create().await;
    let db = store::connect(&DatabaseUrl::parse(&database.url).unwrap(), 2)
        .await
        .unwrap();
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261202_000101_alter_users")
        .unwrap();
    Migrator::up(&db, Some(before as u32)).await.unwrap();
    let id = uuid::Uuid::new_v4();
    let phone = nth_phone(71);
    let at = "2026-11-30 00:00:00+00:00";
    db.execute_unprepared(&format!(
        "INSERT INTO users (id, phone_e164, phone_verified_at, created_at, updated_at) \
         VALUES ('{id}', '{phone}', '{at}', '{at}', '{at}')"
    ))
    .await
    .unwrap();
    // A row that cascades from users: dropping the old table must not take it.
    db.execute_unprepared(&format!(
        "INSERT INTO consents (user_id, client_id, scope, granted_at) \
         VALUES ('{id}', 'shop', 'openid', '{at}')"
    ))
    .await
    .unwrap();
    store::migrate(&db).await.unwrap();

    assert_eq!(count_users(&db, &phone).await, 1);
    let consents = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM consents",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(consents, 1, "the consent survived");

    // The number stored before is one account's: a second account can hold
    // it only as shared.
    let number = PhoneNumber::parse(&phone, None).unwrap();
    let now = chrono::Utc::now();
    assert!(matches!(
        store::users::insert_with_verified_phone(&db, &number, None, now).await,
        Err(StoreError::Conflict)
    ));
    let other = store::users::insert_with_verified_phone(
        &db,
        &PhoneNumber::parse(&nth_phone(72), None).unwrap(),
        None,
        now,
    )
    .await
    .unwrap();
    assert!(matches!(
        store::users::update_phone_as(&db, other.id, Some(&number), PhoneOwnership::Sole, now)
            .await,
        Err(StoreError::Conflict)
    ));
    store::users::update_phone_as(&db, other.id, Some(&number), PhoneOwnership::Shared, now)
        .await
        .unwrap();
    assert_eq!(count_users(&db, &phone).await, 2);
    assert_eq!(store::users::count_shared_phones(&db).await.unwrap(), 1);
    db.close().await.unwrap();
}
