//! SMS pumping detection per number range: a burst of codes that nobody
//! verifies throttles that range only; verified traffic never trips it; the
//! stats command shows the counts.

use std::time::Duration;

use ferrid::config::RawSettings;
use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, TestApp, TestClient, browser, run_ferrid, spawn_app_with};

fn pumping(s: &mut RawSettings) {
    s.sms.pumping.min_sends = 5;
    s.sms.pumping.min_verified_ratio = 0.2;
    s.otp.max_sends_per_ip_per_hour = 1000;
    s.otp.max_sends_per_network_per_hour = 1000;
    s.otp.resend_cooldown = ferrid::config::Span(Duration::ZERO);
}

/// Posts the phone form for a new sign-in: status and page.
async fn send(app: &TestApp, client: &TestClient, phone: &str) -> (u16, String) {
    let b = browser();
    let csrf = app
        .open_login(&b, &app.authorize_url(&client.client_id, &[]))
        .await;
    let res = app.submit_phone(&b, &csrf, phone).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// `ferrid connection sms stats` against the app's database (and Redis).
fn stats(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let key = app.state.master_key.to_base64();
    let mut env = vec![
        (
            "FERRID_DATABASE_URL",
            app.state.settings.database_url.as_str(),
        ),
        ("FERRID_MASTER_KEY", key.as_str()),
        ("FERRID_SMS__PUMPING__MIN_SENDS", "5"),
    ];
    env.extend_from_slice(extra);
    let out = run_ferrid(dir.path(), &env, &["connection", "sms", "stats"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The counts line of a destination in the stats output.
fn row<'a>(stats: &'a str, destination: &str) -> Vec<&'a str> {
    stats
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&destination) && cols.len() == 4)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_codes_to_one_range_throttle_that_range_only_and_the_stats_show_it() {
    let app = spawn_app_with(pumping).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    for n in 0..5 {
        let (status, _) = send(&app, &client, &format!("+4474001000{n:02}")).await;
        assert_eq!(status, 303);
    }
    // The range +44 740 now has 5 codes and none verified: throttled, with
    // the same answer as any pause, and nothing sent.
    let before = app.sms.sent_to("+447400100099").len();
    let (status, page) = send(&app, &client, "+447400100099").await;
    assert_eq!(status, 429);
    assert!(page.contains("Codes cannot be sent right now"), "{page}");
    assert_eq!(app.sms.sent_to("+447400100099").len(), before);
    assert_eq!(send(&app, &client, "+447400100098").await.0, 429);
    let events =
        ferrid::store::audit_events::list_recent(&app.db, Some("sms.pumping_throttled"), 5)
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["prefix"], "+44740");
    assert_eq!(events[0].details["sent"], 5);

    // Another range of the same country, and another country, still get codes.
    assert_eq!(send(&app, &client, "+447911123456").await.0, 303);
    assert_eq!(send(&app, &client, "+33612345678").await.0, 303);

    let out = stats(&app, &[]);
    assert!(out.contains("audit log"), "{out}");
    assert_eq!(row(&out, "+44740"), ["+44740", "5", "0", "0.00"], "{out}");
    assert_eq!(row(&out, "+44791"), ["+44791", "1", "0", "0.00"], "{out}");
    assert_eq!(row(&out, "+44"), ["+44", "6", "0", "0.00"], "{out}");
    assert_eq!(row(&out, "+33"), ["+33", "1", "0", "0.00"], "{out}");
    let throttled = out.split("throttled ranges").nth(1).unwrap();
    assert!(throttled.contains("+44740"), "{out}");
    assert!(!throttled.contains("+44791"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_codes_do_not_trip_pumping_detection() {
    let app = spawn_app_with(pumping).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let url = app.authorize_url(&client.client_id, &[]);
    for n in 0..12 {
        // Every sign-in completes: the range's codes are all verified.
        let back = app
            .sign_in(&browser(), &url, &format!("+4474001000{n:02}"))
            .await;
        assert!(back.as_str().starts_with(RP_REDIRECT));
    }
    let events =
        ferrid::store::audit_events::list_recent(&app.db, Some("sms.pumping_throttled"), 5)
            .await
            .unwrap();
    assert!(events.is_empty());
    let out = stats(&app, &[]);
    assert_eq!(row(&out, "+44740"), ["+44740", "12", "12", "1.00"], "{out}");
    assert!(out.contains("throttled ranges: none"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_counts_and_the_throttle_are_shared_and_the_stats_read_them() {
    let prefix = format!("ferrid-pump-{}:", uuid::Uuid::new_v4().simple());
    let configure = |p: String| {
        move |s: &mut RawSettings| {
            pumping(s);
            s.redis_url = Some("redis://127.0.0.1:6379".to_owned().into());
            s.redis_prefix = p;
        }
    };
    let one = spawn_app_with(configure(prefix.clone())).await;
    let two = spawn_app_with(configure(prefix.clone())).await;
    let c1 = one.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let c2 = two.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    for n in 0..5 {
        let (app, client) = if n % 2 == 0 { (&one, &c1) } else { (&two, &c2) };
        assert_eq!(
            send(app, client, &format!("+4474001000{n:02}")).await.0,
            303
        );
    }
    // The other instance's sends count: the range is throttled on both.
    assert_eq!(send(&one, &c1, "+447400100050").await.0, 429);
    assert_eq!(send(&two, &c2, "+447400100051").await.0, 429);
    assert_eq!(send(&two, &c2, "+447911123456").await.0, 303);

    let out = stats(
        &one,
        &[
            ("FERRID_REDIS_URL", "redis://127.0.0.1:6379"),
            ("FERRID_REDIS_PREFIX", prefix.as_str()),
        ],
    );
    assert!(out.contains("redis"), "{out}");
    assert_eq!(row(&out, "+44740"), ["+44740", "5", "0", "0.00"], "{out}");
    assert_eq!(row(&out, "+44"), ["+44", "6", "0", "0.00"], "{out}");
    let throttled = out.split("throttled ranges").nth(1).unwrap();
    assert!(throttled.contains("+44740"), "{out}");
}
