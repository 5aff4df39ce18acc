//! Guesses sent in parallel at one challenge: the attempt is counted, and
//! the code used, in one conditional statement, so no interleaving lets more
//! guesses through than the challenge allows, or one code sign in twice.

use futures_util::future::join_all;

use crate::helpers::{
    TestApp, TestClient, nth_phone, passwordless_client, spawn_app_with, wrong_code,
};

const ATTEMPTS: u32 = 3;
const PARALLEL: usize = 20;
const ROUNDS: usize = 5;

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.otp.max_attempts = ATTEMPTS;
        // Only the challenge's attempts may stop these guesses.
        s.otp.max_failures_per_recipient = 1_000;
        s.otp.max_sends_per_phone_per_hour = 100;
    })
    .await
}

async fn start(app: &TestApp, client: &TestClient, phone: &str) -> String {
    let res = app.passwordless_start(client, phone).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.sms.last_code(phone)
}

/// Each answer's `error_description`, in the order sent.
async fn guesses(
    app: &TestApp,
    client: &TestClient,
    phone: &str,
    code: &str,
) -> Vec<(u16, String)> {
    join_all((0..PARALLEL).map(|_| async {
        let res = app.otp_grant(client, phone, code).await;
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        (
            status,
            body["error_description"].as_str().unwrap_or("").to_owned(),
        )
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_codes_get_no_more_checks_than_the_challenge_allows() {
    let app = app().await;
    let client = passwordless_client(&app).await;
    for round in 0..ROUNDS {
        let phone = nth_phone(round);
        let code = start(&app, &client, &phone).await;
        let answers = guesses(&app, &client, &phone, &wrong_code(&code)).await;
        assert!(
            answers.iter().all(|(status, _)| *status == 400),
            "{answers:?}"
        );
        // A guess that was checked and had attempts left says so; every
        // other guess is told the attempts are spent.
        let checked = answers
            .iter()
            .filter(|(_, d)| !d.starts_with("Too many"))
            .count();
        assert!(
            checked <= ATTEMPTS as usize,
            "round {round}: {checked} guesses were checked with attempts left, of {ATTEMPTS} attempts: {answers:?}"
        );
        let res = app.otp_grant(&client, &phone, &code).await;
        assert_eq!(
            res.status(),
            400,
            "round {round}: the right code after the attempts were spent"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_right_codes_sign_in_once() {
    let app = app().await;
    let client = passwordless_client(&app).await;
    for round in 0..ROUNDS {
        let phone = nth_phone(round);
        let code = start(&app, &client, &phone).await;
        let answers = guesses(&app, &client, &phone, &code).await;
        let signed_in = answers.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(signed_in, 1, "round {round}: {answers:?}");
    }
}
