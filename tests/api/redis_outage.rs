//! Redis goes away and comes back: a real `redis-server` of the test's own,
//! on a free port, killed and started again (the shared Redis is never
//! touched).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, TestApp, browser, spawn_app_with};

/// A `redis-server` child process, killed on drop.
struct RedisServer {
    port: u16,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for this test");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(mut self) -> u16 {
        self.kill();
        self.port
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Opens the login page with a fresh browser and posts the phone form.
async fn send(app: &TestApp, client_id: &str, phone: &str) -> reqwest::StatusCode {
    let b = browser();
    let res = b
        .get(app.authorize_url(client_id, &[]))
        .send()
        .await
        .unwrap();
    if res.status() != 303 {
        return res.status();
    }
    let page = b.get(app.url("/login")).send().await.unwrap();
    if page.status() != 200 {
        return page.status();
    }
    let csrf = crate::helpers::csrf_of(&page.text().await.unwrap());
    app.submit_phone(&b, &csrf, phone).await.status()
}

async fn readyz(app: &TestApp) -> (u16, serde_json::Value) {
    let res = app.get("/readyz").await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn redis_has(url: &str, key: &str) -> bool {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<bool>(&mut connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn send_limits_hold_in_process_while_redis_is_away_and_use_redis_again_when_it_returns() {
    let server = RedisServer::start(free_port());
    let url = server.url();
    let prefix = format!("ferrid-outage-{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(|s| {
        s.redis_url = Some(url.clone().into());
        s.redis_prefix = prefix.clone();
        s.otp.max_sends_per_phone_per_hour = 3;
        s.otp.resend_cooldown = ferrid::config::Span(Duration::ZERO);
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["redis"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    assert_eq!(send(&app, &client.client_id, "+447400100001").await, 303);
    assert!(redis_has(&url, &format!("{prefix}otp:phone:+447400100001")).await);

    let port = server.stop();

    // A bounded load of sign-in sends: 4 numbers, 6 tries each, in parallel.
    // Each number gets exactly its 3 codes (limits hold, counted here), the
    // rest a 429, never a 5xx, and no request waits on the missing Redis.
    let started = Instant::now();
    let phones = [
        "+447400100011",
        "+447400100012",
        "+447400100013",
        "+447400100014",
    ];
    let tries = phones.iter().flat_map(|p| std::iter::repeat_n(*p, 6));
    let (app_ref, client_id) = (&app, client.client_id.as_str());
    let statuses = futures_util::future::join_all(
        tries.map(|phone| async move { (phone, send(app_ref, client_id, phone).await) }),
    )
    .await;
    for phone in phones {
        let mine: Vec<u16> = statuses
            .iter()
            .filter(|(p, _)| *p == phone)
            .map(|(_, s)| s.as_u16())
            .collect();
        assert_eq!(mine.iter().filter(|s| **s == 303).count(), 3, "{mine:?}");
        assert_eq!(mine.iter().filter(|s| **s == 429).count(), 3, "{mine:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "requests waited on Redis: {:?}",
        started.elapsed()
    );
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redis"], "unavailable", "{body}");
    assert_eq!(body["status"], "degraded", "{body}");

    // Redis comes back on the same port: ferrid uses it again, no restart.
    let _server = RedisServer::start(port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = readyz(&app).await;
        assert_eq!(status, 200, "{body}");
        if body["redis"] == "ok" {
            break;
        }
        assert!(Instant::now() < deadline, "ferrid never used Redis again");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(send(&app, &client.client_id, "+447400100021").await, 303);
    assert!(
        redis_has(&url, &format!("{prefix}otp:phone:+447400100021")).await,
        "the send after the outage is counted in Redis again"
    );
}
