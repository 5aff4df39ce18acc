//! Races on second factors: parallel submissions of one TOTP code, of one
//! recovery code, and parallel wrong guesses, each with real concurrency
//! and repeated.

use std::collections::BTreeMap;
use std::time::Duration;

use ferrid::factors::FactorCheck;
use ferrid::store;

use crate::account_factors::{
    align_to_step, check, code_now, codes_of, secret_of, signed_in_user, start_enrollment, use_code,
};
use crate::account_support::{
    FIREFOX_LINUX, account_settings, browser_as, overview, post, sign_in_at_account,
};
use crate::helpers::{PHONE, csrf_of, location, spawn_app_with};

const PARALLEL: usize = 8;

#[tokio::test]
async fn one_totp_code_submitted_in_parallel_saves_the_app_once() {
    let app = spawn_app_with(account_settings).await;
    let (mut b, user) = signed_in_user(&app).await;
    for round in 0..3 {
        align_to_step(&app);
        let secret = secret_of(&start_enrollment(&app, &b).await);
        let code = code_now(&app, &secret, 0);
        let csrf = csrf_of(&overview(&app, &b).await);
        let url = app.url("/account/totp/confirm");
        let tasks: Vec<_> = (0..PARALLEL)
            .map(|_| {
                let (b, url, csrf, code) = (b.clone(), url.clone(), csrf.clone(), code.clone());
                tokio::spawn(async move {
                    let res = b
                        .post(url)
                        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
                        .send()
                        .await
                        .unwrap();
                    let saved =
                        res.status() == 303 && location(&res) == "/account?notice=totp_added";
                    (
                        saved,
                        format!("{} {}", res.status().as_u16(), location(&res)),
                    )
                })
            })
            .collect();
        let mut saved = 0;
        for t in tasks {
            let (ok, status) = t.await.unwrap();
            if ok {
                saved += 1;
            } else {
                // Refused: the code again (400), nothing pending any more
                // (409), or, refused once the winner saved the app, back to
                // the account (303).
                assert!(
                    ["400 ", "409 ", "303 /account"].contains(&status.as_str())
                        || status.starts_with("400")
                        || status.starts_with("409"),
                    "round {round}: {status}"
                );
            }
        }
        assert_eq!(
            saved, 1,
            "round {round}: exactly one submission saves the app"
        );
        // And the code cannot sign in afterwards either.
        assert_eq!(check(&app, user, &code).await, FactorCheck::Replayed);

        // Parallel sign-in checks of the next step's code: one accepted.
        app.advance(Duration::from_secs(30));
        let next = code_now(&app, &secret, 0);
        let tasks: Vec<_> = (0..PARALLEL)
            .map(|_| {
                let (state, next) = (app.state.clone(), next.clone());
                tokio::spawn(async move {
                    let txn = store::begin_write(&state.db).await.unwrap();
                    let checked = ferrid::factors::check_totp(&txn, &state, user, &next)
                        .await
                        .unwrap();
                    txn.commit().await.unwrap();
                    checked
                })
            })
            .collect();
        let mut outcomes = BTreeMap::new();
        for t in tasks {
            *outcomes
                .entry(format!("{:?}", t.await.unwrap()))
                .or_insert(0) += 1;
        }
        assert_eq!(
            outcomes.get("Accepted"),
            Some(&1),
            "round {round}: {outcomes:?}"
        );
        // The others were told the code was used; counted as failures, the
        // last of them may find the factor locked.
        assert!(
            outcomes
                .keys()
                .all(|k| ["Accepted", "Replayed", "Locked"].contains(&k.as_str())),
            "{outcomes:?}"
        );

        // The losers counted as wrong codes: the next round after the
        // failure window, signed in again.
        app.advance(Duration::from_secs(86_400 + 1));
        b = browser_as(FIREFOX_LINUX);
        sign_in_at_account(&app, &b, PHONE).await;
        let res = post(&app, &b, "/account/totp/remove", &[]).await;
        assert_eq!(location(&res), "/account?notice=totp_removed");
    }
}

#[tokio::test]
async fn parallel_wrong_codes_cannot_pass_the_limit() {
    let app = spawn_app_with(account_settings).await;
    let (mut b, user) = signed_in_user(&app).await;
    for round in 0..3 {
        align_to_step(&app);
        let secret = secret_of(&start_enrollment(&app, &b).await);
        let right = code_now(&app, &secret, 0);
        let wrong = format!(
            "{:06}",
            (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
        );
        let csrf = csrf_of(&overview(&app, &b).await);
        let url = app.url("/account/totp/confirm");
        let tasks: Vec<_> = (0..25)
            .map(|_| {
                let (b, url, csrf, wrong) = (b.clone(), url.clone(), csrf.clone(), wrong.clone());
                tokio::spawn(async move {
                    let res = b
                        .post(url)
                        .form(&[("csrf", csrf.as_str()), ("code", wrong.as_str())])
                        .send()
                        .await
                        .unwrap();
                    res.text().await.unwrap().contains("attempts left")
                })
            })
            .collect();
        let mut told_wrong = 0;
        for t in tasks {
            if t.await.unwrap() {
                told_wrong += 1;
            }
        }
        // 10 failures are counted, the 10th already answered "locked".
        assert!(told_wrong <= 9, "round {round}: {told_wrong}");
        let failures = store::factor_failures::find_failures(
            &app.db,
            user,
            Duration::from_secs(86_400),
            app.now(),
        )
        .await
        .unwrap();
        assert_eq!(failures, 10, "round {round}");
        assert_eq!(check(&app, user, &right).await, FactorCheck::NotEnrolled);
        let res = post(
            &app,
            &b,
            "/account/totp/confirm",
            &[("code", right.as_str())],
        )
        .await;
        assert_eq!(res.status(), 400, "locked: even the right code is refused");
        // The next round after the window has passed (and a new sign-in,
        // the old one being past the re-authentication window).
        app.advance(Duration::from_secs(86_400 + 1));
        b = browser_as(FIREFOX_LINUX);
        sign_in_at_account(&app, &b, PHONE).await;
    }
}

#[tokio::test]
async fn one_recovery_code_used_in_parallel_succeeds_once() {
    let app = spawn_app_with(account_settings).await;
    let (b, user) = signed_in_user(&app).await;
    let res = post(&app, &b, "/account/recovery-codes", &[]).await;
    let codes = codes_of(&res.text().await.unwrap());
    for code in codes.iter().take(4) {
        let tasks: Vec<_> = (0..PARALLEL)
            .map(|_| {
                let (state, code) = (app.state.clone(), code.clone());
                tokio::spawn(async move {
                    let txn = store::begin_write(&state.db).await.unwrap();
                    let checked = ferrid::factors::use_recovery_code(&txn, &state, user, &code)
                        .await
                        .unwrap();
                    txn.commit().await.unwrap();
                    checked
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let accepted = outcomes
            .iter()
            .filter(|o| **o == FactorCheck::Accepted)
            .count();
        assert_eq!(accepted, 1, "{code}: {outcomes:?}");
        assert_ne!(use_code(&app, user, code).await, FactorCheck::Accepted);
        // The losers counted as wrong codes: the next round after the
        // failure window.
        app.advance(Duration::from_secs(86_400 + 1));
    }
    assert_eq!(
        ferrid::factors::recovery_codes_left(&app.db, user)
            .await
            .unwrap(),
        6
    );
}
