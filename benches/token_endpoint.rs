//! Load script: tokens issued per second by the token endpoint, against the
//! raw RS256 signing rate measured on the same machine in the same run.
//!
//!     cargo bench --bench token_endpoint
//!
//! Prints three figures and their ratios:
//! 1. `openssl speed -seconds 3 rsa2048` signatures per second (one core:
//!    the physical limit);
//! 2. ferrid's signer (the once-parsed aws-lc-rs key) on one core;
//! 3. the token endpoint over HTTP on SQLite: authorization code exchanges per
//!    second, each signing two JWTs (access token and ID token), with the
//!    server's workers and the load generator sharing the machine's cores;
//! 4. client-credentials tokens per second (one JWT each) at 16 and at 64
//!    connections, against `openssl speed -multi <cores> rsa2048`: more
//!    connections must not mean fewer tokens.
//!
//! `FERRID_BENCH_POOL` sets ferrid's `database_max_connections` (default 1,
//! SQLite's default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use ferrid::admin::clients::{CreateClient, create_client};
use ferrid::config::{ConfigFile, Overrides, RawSettings, Settings};
use ferrid::crypto::{MasterKey, random_token, sha256_hex};
use ferrid::domain::{ClientName, ClientType, GrantType, PhoneNumber, RedirectUri};
use ferrid::startup::{Application, MigrateOnStart, Parts};
use ferrid::store;

const REDIRECT: &str = "https://rp.example.com/callback";
const CODES: usize = 6_000;
const CONCURRENCY: usize = 8;

fn openssl_rate() -> Option<f64> {
    openssl_rate_on(1)
}

/// `openssl speed rsa2048` signatures/s over `processes` processes.
fn openssl_rate_on(processes: usize) -> Option<f64> {
    let mut cmd = std::process::Command::new("openssl");
    cmd.arg("speed").args(["-seconds", "3"]);
    if processes > 1 {
        cmd.args(["-multi", &processes.to_string()]);
    }
    let out = cmd.arg("rsa2048").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000262s 0.000008s   3811.3 124688.6"
    let line = text.lines().find(|l| {
        l.trim_start().starts_with("rsa 2048 bits") || l.trim_start().starts_with("rsa  2048 bits")
    })?;
    line.split_whitespace().rev().nth(1)?.parse().ok()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    println!(
        "ferrid token endpoint benchmark ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let openssl = openssl_rate();
    match openssl {
        Some(rate) => println!("openssl speed rsa2048 (1 core):        {rate:>8.0} signatures/s"),
        None => println!("openssl speed rsa2048:                  not available"),
    }

    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let env = vec![
        ("FERRID_DEV".to_owned(), "true".to_owned()),
        (
            "FERRID_DATABASE_URL".to_owned(),
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
        ),
        (
            "FERRID_MASTER_KEY".to_owned(),
            MasterKey::generate().to_base64(),
        ),
        (
            "FERRID_DATABASE_MAX_CONNECTIONS".to_owned(),
            std::env::var("FERRID_BENCH_POOL").unwrap_or_else(|_| "1".to_owned()),
        ),
        (
            "FERRID_ISSUER".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
    ];
    let settings = Settings::from_raw(
        RawSettings::load(&ConfigFile::None, env, &Overrides::default()).unwrap(),
    )
    .unwrap();
    let app = Application::build_on(settings, listener, MigrateOnStart::Yes, Parts::default())
        .await
        .unwrap();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());

    // Raw signing rate of ferrid's signer, one thread.
    let signer = state.keys.signer().unwrap();
    let claims = serde_json::json!({ "iss": "https://id.example.com", "sub": "user", "aud": "client", "exp": 2_000_000_000u64, "iat": 1_700_000_000u64 });
    let started = Instant::now();
    let mut signed = 0u32;
    while started.elapsed() < Duration::from_secs(3) {
        signer.sign_jwt("JWT", &claims).unwrap();
        signed += 1;
    }
    let signer_rate = f64::from(signed) / started.elapsed().as_secs_f64();
    println!("ferrid signer, RS256 JWT (1 core):      {signer_rate:>8.0} signatures/s");

    // Codes to exchange, inserted directly: the benchmark measures the token endpoint only.
    let client = create_client(
        &state.db,
        CreateClient {
            client_id: None,
            name: ClientName::parse("Bench").unwrap(),
            client_type: ClientType::Confidential,
            redirect_uris: vec![RedirectUri::parse(REDIRECT).unwrap()],
            post_logout_redirect_uris: vec![],
            allowed_origins: vec![],
            grant_types: vec![GrantType::AuthorizationCode],
            first_party: true,
            allowed_scopes: vec![],
            refresh_without_offline_access: false,
            connections: vec!["sms".to_owned()],
            introspect: false,
            require_mfa: false,
        },
    )
    .await
    .unwrap();
    let client_id = client.client.client_id.as_str().to_owned();
    let secret = client.client_secret.unwrap();
    let now = Utc::now();
    let user = store::users::insert_with_verified_phone(
        &state.db,
        &PhoneNumber::parse("+447400123456", None).unwrap(),
        None,
        now,
    )
    .await
    .unwrap();
    let mut codes = Vec::with_capacity(CODES);
    for _ in 0..CODES {
        let code = random_token();
        let grant = store::authorization_codes::CodeGrant {
            client_id: client_id.clone(),
            user_id: user.id,
            sid: random_token(),
            redirect_uri: REDIRECT.to_owned(),
            scope: "openid phone".to_owned(),
            nonce: Some("n".to_owned()),
            code_challenge: None,
            auth_time: now,
            amr: vec!["sms".to_owned()],
            acr: None,
            // Long enough for the run; codes normally live 60 s.
            expires_at: now + Duration::from_secs(3600),
            id_token_claims: vec![],
        };
        store::authorization_codes::insert(&state.db, sha256_hex(&code), &grant, now)
            .await
            .unwrap();
        codes.push(code);
    }

    let codes = Arc::new(codes);
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("http://127.0.0.1:{port}/token");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (codes, next, url, http, client_id, secret) = (
            codes.clone(),
            next.clone(),
            url.clone(),
            http.clone(),
            client_id.clone(),
            secret.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= codes.len() {
                    break;
                }
                let res = http
                    .post(&url)
                    .basic_auth(&client_id, Some(&secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", codes[i].as_str()),
                        ("redirect_uri", REDIRECT),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    res.status(),
                    200,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
                res.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let exchanges = CODES as f64 / elapsed;
    let jwts = exchanges * 2.0;
    println!(
        "token endpoint (HTTP, SQLite, all cores): {exchanges:>6.0} code exchanges/s = {jwts:.0} JWTs/s"
    );
    if let Some(rate) = openssl {
        println!();
        println!(
            "ferrid signer / openssl:                 {:.2}",
            signer_rate / rate
        );
        println!(
            "token endpoint JWTs/s / openssl (1 core): {:.2}",
            jwts / rate
        );
    }

    client_credentials(&state, port).await;
}

/// Client-credentials tokens per second at 16 and at 64 connections, each
/// point for `CC_SECONDS`, against `openssl speed -multi <cores>` measured
/// just before.
async fn client_credentials(state: &ferrid::app::AppState, port: u16) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let client = create_client(
        &state.db,
        CreateClient {
            client_id: None,
            name: ClientName::parse("Bench service").unwrap(),
            client_type: ClientType::Confidential,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            allowed_origins: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            first_party: false,
            allowed_scopes: vec![],
            refresh_without_offline_access: false,
            connections: vec![],
            introspect: false,
            require_mfa: false,
        },
    )
    .await
    .unwrap();
    let client_id = client.client.client_id.as_str().to_owned();
    let secret = client.client_secret.unwrap();
    let multi = openssl_rate_on(cores);
    println!();
    match multi {
        Some(rate) => {
            println!("openssl speed -multi {cores} rsa2048:       {rate:>8.0} signatures/s")
        }
        None => println!("openssl speed -multi {cores}:            not available"),
    }
    let url = format!("http://127.0.0.1:{port}/token");
    let mut rates = Vec::new();
    for connections in [16usize, 64] {
        let rate = client_credentials_point(&url, &client_id, &secret, connections).await;
        print!("client credentials, {connections:>2} connections:     {rate:>8.0} tokens/s");
        if let Some(multi) = multi {
            print!("  ({:.2}× openssl -multi {cores})", rate / multi);
        }
        println!();
        rates.push(rate);
    }
    println!(
        "client credentials, 64 / 16 connections:  {:.2}",
        rates[1] / rates[0]
    );
}

const CC_SECONDS: u64 = 5;

async fn client_credentials_point(
    url: &str,
    client_id: &str,
    secret: &str,
    connections: usize,
) -> f64 {
    // One connection per task, as `wrk -c N` holds them.
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(CC_SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let (url, client_id, secret, done) = (
            url.to_owned(),
            client_id.to_owned(),
            secret.to_owned(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let res = http
                    .post(&url)
                    .basic_auth(&client_id, Some(&secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    res.status(),
                    200,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
                res.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
