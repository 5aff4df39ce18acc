//! Authorization requests are stored while the user signs in: each
//! parameter has a length limit, and one address may keep only so many
//! sign-ins pending.

use ferrid::domain::ClientType;
use ferrid::store::ConnectionTrait;

use crate::helpers::{RP_REDIRECT, browser, location, param, spawn_app, spawn_app_with};

#[tokio::test]
async fn oversized_parameters_are_invalid_request() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let big = "a".repeat(250 * 1024);
    let cases = [
        ("state", "s".repeat(1025)),
        ("nonce", "n".repeat(513)),
        ("login_hint", "+".repeat(257)),
        ("ui_locales", "en ".repeat(100)),
        (
            "claims",
            format!(r#"{{"id_token":{{"{}":null}}}}"#, "x".repeat(5000)),
        ),
        ("acr_values", big.clone()),
    ];
    for (name, value) in &cases {
        let url = app.authorize_url(&client.client_id, &[(name, value.as_str())]);
        // POST: the body is not limited the way a URL is.
        let (path, query) = url.split_once('?').unwrap();
        let res = browser()
            .post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{name}");
        let back = url::Url::parse(&location(&res))
            .unwrap_or_else(|_| panic!("{name}: back to the client, got {}", location(&res)));
        assert!(back.as_str().starts_with(RP_REDIRECT), "{name}: {back}");
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{name}"
        );
        assert!(
            param(&back, "error_description").unwrap().contains(name),
            "the description names {name}"
        );
        if *name != "state" {
            assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
        } else {
            assert!(
                param(&back, "state").is_none(),
                "an oversized state is not echoed"
            );
        }
    }
    // At the limits, the request is fine.
    let url = app.authorize_url(
        &client.client_id,
        &[("state", &"s".repeat(1024)), ("nonce", &"n".repeat(512))],
    );
    let res = browser().get(url).send().await.unwrap();
    assert_eq!(location(&res), "/login");

    // Before the client is trusted, an oversized request gets ferrid's page.
    let url = app.authorize_url(&big[..4096], &[]);
    let res = browser().get(url).send().await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(location(&res).is_empty());
}

#[tokio::test]
async fn one_address_keeps_a_bounded_number_of_pending_sign_ins() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app.authorize_url(&client.client_id, &[]);
    for i in 0..30 {
        let res = browser().get(&url).send().await.unwrap();
        assert_eq!(location(&res), "/login", "sign-in {i}");
    }
    let res = browser().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(
        location(&res).is_empty(),
        "an error page, no sign-in stored"
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many"), "{body}");
}

#[tokio::test]
async fn the_pending_limit_is_per_address_and_configurable() {
    let app = spawn_app_with(|s| {
        s.login.max_pending_per_ip = 3;
        s.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app.authorize_url(&client.client_id, &[]);
    let from = |ip: &'static str| {
        let url = url.clone();
        async move {
            browser()
                .get(url)
                .header("x-forwarded-for", ip)
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(location(&from("203.0.113.7").await), "/login");
    }
    let refused = from("203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    // Another address is not held back by the first one's sign-ins.
    assert_eq!(location(&from("203.0.113.8").await), "/login");
}

#[tokio::test]
async fn with_redis_two_instances_share_the_pending_limit() {
    let prefix = format!("ferrid-test-{}:", uuid::Uuid::new_v4().simple());
    let configure = |p: String| {
        move |s: &mut ferrid::config::RawSettings| {
            s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
            s.redis_prefix = p;
            s.login.max_pending_per_ip = 2;
        }
    };
    let one = spawn_app_with(configure(prefix.clone())).await;
    let two = spawn_app_with(configure(prefix)).await;
    let client_one = one.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let client_two = two.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let open = |app: &crate::helpers::TestApp, client_id: &str| {
        let url = app.authorize_url(client_id, &[]);
        async move { browser().get(url).send().await.unwrap() }
    };
    assert_eq!(location(&open(&one, &client_one.client_id).await), "/login");
    assert_eq!(location(&open(&two, &client_two.client_id).await), "/login");
    let res = open(&one, &client_one.client_id).await;
    assert_eq!(res.status(), 429, "the other instance's sign-ins count");
    assert_eq!(open(&two, &client_two.client_id).await.status(), 429);
}

/// Opens `rounds` sign-ins at `app` for `client_id`: each response.
async fn open_sign_ins(
    app: &crate::helpers::TestApp,
    client_id: &str,
    rounds: usize,
) -> Vec<reqwest::Response> {
    let url = app.authorize_url(client_id, &[]);
    let mut answers = Vec::new();
    for _ in 0..rounds {
        answers.push(browser().get(&url).send().await.unwrap());
    }
    answers
}

/// Sign-ins that could not be stored (the database failed) use up none of
/// the address's pending sign-ins: once the database is back, the address
/// signs in. Before, an outage left a whole network refused for the
/// sign-in lifetime (30 minutes).
async fn a_sign_in_that_was_not_stored_gives_its_pending_slot_back(
    adjust: impl FnOnce(&mut ferrid::config::RawSettings),
) {
    let app = spawn_app_with(|s| {
        s.login.max_pending_per_ip = 2;
        adjust(s);
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    app.db
        .execute_unprepared(&rename("login_transactions", "login_transactions_away"))
        .await
        .unwrap();
    for res in open_sign_ins(&app, &client.client_id, 4).await {
        assert!(
            res.status().is_server_error(),
            "a sign-in that cannot be stored fails: {}",
            res.status()
        );
    }
    app.db
        .execute_unprepared(&rename("login_transactions_away", "login_transactions"))
        .await
        .unwrap();
    let answers = open_sign_ins(&app, &client.client_id, 3).await;
    assert_eq!(location(&answers[0]), "/login");
    assert_eq!(location(&answers[1]), "/login");
    assert_eq!(answers[2].status(), 429, "the limit itself still holds");
}

#[tokio::test]
async fn a_sign_in_that_was_not_stored_uses_up_no_pending_sign_in() {
    a_sign_in_that_was_not_stored_gives_its_pending_slot_back(|_| {}).await;
}

#[tokio::test]
async fn with_redis_a_sign_in_that_was_not_stored_uses_up_no_pending_sign_in() {
    let prefix = format!("ferrid-test-{}:", uuid::Uuid::new_v4().simple());
    a_sign_in_that_was_not_stored_gives_its_pending_slot_back(|s| {
        s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
        s.redis_prefix = prefix;
    })
    .await;
}
