//! Load script: complete browser sign-ins per second, against the reference
//! provider and the RS256 signing rate measured in the same run.
//!
//!     cargo bench --bench sign_in_flow
//!
//! ferrid runs as a child process (`ferrid serve`, the binary cargo builds
//! with this benchmark) so that its CPU time and peak RSS are its own and not
//! the load driver's. It starts on a fresh SQLite database, or on a fresh
//! PostgreSQL database created next to `FERRID_BENCH_DATABASE_URL`, with the
//! webhook SMS provider pointed at a receiver inside this benchmark.
//!
//! Each virtual user loops over complete flows as a browser does: a fresh
//! cookie jar per flow, PKCE S256, state and nonce, the hosted pages' forms
//! (found by their inputs: `autocomplete=one-time-code`, `type=tel`,
//! `type=password`), the callback's code and the token exchange with
//! `client_secret_basic`. Connections are kept alive in one pool, as a
//! browser's are.
//!
//! Environment:
//! - `CONCS` concurrencies (default "16 64"), `DURATION` seconds per point
//!   (default 10), `WARMUP` seconds before each point (default 2);
//! - `USERS` "new returning" (default both): a new phone number per flow,
//!   or one per virtual user (signed up in the warm-up);
//! - `FERRID_BENCH_DATABASE_URL` `postgres://…` to run on PostgreSQL;
//! - `FLOWBENCH_DIR` the reference provider (default `../shared/flowbench`
//!   next to the repository; it needs `npm ci`, so a read-only copy is
//!   skipped with a hint); `REFERENCE=0` skips it;
//! - `FERRID_BENCH_PG_LOG_STATEMENTS=1` has PostgreSQL log every statement
//!   of the run's database;
//! - `FERRID_BENCH_LOG` ferrid's `RUST_LOG` (default `warn`) and
//!   `FERRID_BENCH_SERVER_LOG` a file for its output;
//! - `FERRID_BENCH_POOL` ferrid's `database_max_connections`, and
//!   `FERRID_BENCH_BIN` another ferrid binary to run (a build of another
//!   commit, for before/after figures from the same driver);
//! - `SERVER_CPUS`, `DRIVER_CPUS` pin the servers and this driver with
//!   `taskset` (for example 1 and 0), so that flows/s ≈ 1000 / CPU ms per flow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

const REDIRECT_URI: &str = "http://127.0.0.1/flowbench/callback";
const REFERENCE_PASSWORD: &str = "bench-password";
const MAX_PAGES: usize = 8;

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

fn openssl_rate() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000262s 0.000008s   3811.3 124688.6"
    let line = text.lines().find(|l| {
        l.trim_start().starts_with("rsa 2048 bits") || l.trim_start().starts_with("rsa  2048 bits")
    })?;
    line.split_whitespace().rev().nth(1)?.parse().ok()
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn random_b64url(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

// ---------------------------------------------------------------- processes

/// CPU time (user, kernel) of a process in milliseconds, from /proc/PID/stat.
fn cpu_ms(pid: u32, tick_ms: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime * tick_ms, stime * tick_ms))
}

/// Peak resident set (VmHWM) in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn clock_tick_ms() -> f64 {
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    1000.0 / hz
}

/// A server under test; killed when dropped.
struct Server {
    name: String,
    child: Child,
    base: String,
    client_id: String,
    client_secret: String,
    scope: String,
    login: LoginKind,
    database: Option<BenchDatabase>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy, PartialEq)]
enum LoginKind {
    SmsCode,
    Password,
}

fn pinned(program: &str, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", cpus, program]);
            cmd
        }
        None => Command::new(program),
    }
}

async fn wait_until_up(url: &str, child: &mut Child) {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited while starting: {status}");
        }
        if let Ok(res) = http.get(url).send().await
            && res.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer within 60 s");
}

/// A fresh PostgreSQL database for one run, dropped at the end.
struct BenchDatabase {
    admin: DatabaseConnection,
    url: String,
    name: String,
}

impl BenchDatabase {
    async fn create(admin_url: &str) -> Self {
        let admin = Database::connect(admin_url).await.unwrap();
        let name = format!(
            "ferrid_bench_{}",
            random_b64url(6).to_lowercase().replace(['-', '_'], "x")
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        // `FERRID_BENCH_PG_LOG_STATEMENTS=1`: PostgreSQL logs every statement of
        // this database (its server log), to count round trips per flow.
        if env_or("FERRID_BENCH_PG_LOG_STATEMENTS", "0") == "1" {
            admin
                .execute_unprepared(&format!("ALTER DATABASE {name} SET log_statement = 'all'"))
                .await
                .unwrap();
        }
        let mut url = url::Url::parse(admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            admin,
            url: url.to_string(),
            name,
        }
    }

    /// Commits in this database so far (`pg_stat_database`, updated by the
    /// backends when they go idle).
    async fn commits(&self) -> f64 {
        let row = self
            .admin
            .query_one_raw(Statement::from_string(
                self.admin.get_database_backend(),
                format!(
                    "SELECT xact_commit::float8 AS n FROM pg_stat_database WHERE datname = '{}'",
                    self.name
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<f64>("", "n").unwrap()
    }

    /// The backends serving this database.
    async fn backend_pids(&self) -> Vec<u32> {
        let rows = self
            .admin
            .query_all_raw(Statement::from_string(
                self.admin.get_database_backend(),
                format!(
                    "SELECT pid FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
                    self.name
                ),
            ))
            .await
            .unwrap();
        rows.iter()
            .filter_map(|r| r.try_get::<i32>("", "pid").ok())
            .map(|p| p as u32)
            .collect()
    }
}

async fn start_ferrid(webhook_port: u16, cpus: Option<&str>, dir: &Path) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let database = match std::env::var("FERRID_BENCH_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(BenchDatabase::create(&url).await),
        _ => None,
    };
    let database_url = match &database {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.join("ferrid.db").display()),
    };
    let mut master = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut master);
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let mut env: Vec<(&str, String)> = vec![
        ("FERRID_DATABASE_URL", database_url),
        ("FERRID_MASTER_KEY", STANDARD.encode(master)),
        ("FERRID_BIND", format!("127.0.0.1:{port}")),
        ("FERRID_ISSUER", base.clone()),
        ("FERRID_DATA_DIR", dir.display().to_string()),
        // Every flow comes from 127.0.0.1 and one number range.
        ("FERRID_OTP__MAX_SENDS_PER_PHONE_PER_HOUR", "1000000".into()),
        ("FERRID_OTP__MAX_SENDS_PER_IP_PER_HOUR", "1000000".into()),
        (
            "FERRID_OTP__MAX_SENDS_PER_NETWORK_PER_HOUR",
            "1000000".into(),
        ),
        ("FERRID_OTP__MAX_SENDS_PER_MINUTE", "1000000".into()),
        ("FERRID_OTP__RESEND_COOLDOWN", "0s".into()),
        ("FERRID_LOGIN__MAX_PENDING_PER_IP", "1000000".into()),
        ("FERRID_SMS__PUMPING__MIN_SENDS", "1000000".into()),
        ("FERRID_SMS__PROVIDER", "webhook".into()),
        (
            "FERRID_SMS__WEBHOOK_URL",
            format!("http://127.0.0.1:{webhook_port}/sms"),
        ),
        (
            "FERRID_SMS__WEBHOOK_SECRET",
            format!("whsec_{}", STANDARD.encode(secret)),
        ),
        // Per-request logging at the reference's level: none.
        ("RUST_LOG", env_or("FERRID_BENCH_LOG", "warn")),
    ];
    // `FERRID_BENCH_POOL=n`: the server's `database_max_connections`.
    if let Ok(pool) = std::env::var("FERRID_BENCH_POOL") {
        env.push(("FERRID_DATABASE_MAX_CONNECTIONS", pool));
    }
    // `FERRID_BENCH_BIN=path`: another build of ferrid (a before/after
    // comparison run back to back with the same driver).
    let bin_override = std::env::var("FERRID_BENCH_BIN").ok();
    let bin = bin_override
        .as_deref()
        .unwrap_or(env!("CARGO_BIN_EXE_ferrid"));
    let command = |args: &[&str], cpus: Option<&str>| {
        let mut cmd = pinned(bin, cpus);
        cmd.current_dir(dir).args(args);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRID_")) {
            cmd.env_remove(key);
        }
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd
    };
    // `FERRID_BENCH_SERVER_LOG=file` keeps the server's output (with
    // `FERRID_BENCH_LOG=warn,sqlx::query=debug`, one line per statement).
    let output = || match std::env::var("FERRID_BENCH_SERVER_LOG") {
        Ok(path) => Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap(),
        ),
        Err(_) => Stdio::null(),
    };
    let mut child = command(&["serve"], cpus)
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("start ferrid serve");
    wait_until_up(&format!("{base}/healthz"), &mut child).await;
    println!("ferrid serve: pid {} on {base}", child.id());
    let out = command(
        &[
            "client",
            "create",
            "--name",
            "flowbench",
            "--redirect-uri",
            REDIRECT_URI,
            "--connection",
            "sms",
            "--first-party",
            "--json",
        ],
        None,
    )
    .output()
    .expect("ferrid client create");
    assert!(
        out.status.success(),
        "client create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Server {
        name: if database.is_some() {
            "ferrid (PostgreSQL)".into()
        } else {
            "ferrid (SQLite)".into()
        },
        child,
        base,
        client_id: created["client_id"].as_str().unwrap().to_owned(),
        client_secret: created["client_secret"].as_str().unwrap().to_owned(),
        scope: "openid phone".into(),
        login: LoginKind::SmsCode,
        database,
    }
}

/// The reference provider, when its folder is present and installed.
fn reference_dir() -> Option<PathBuf> {
    if env_or("REFERENCE", "1") == "0" {
        return None;
    }
    let dir = std::env::var("FLOWBENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/flowbench"));
    if !dir.join("op-server.mjs").is_file() {
        println!("reference: {} not found, skipped", dir.display());
        return None;
    }
    if !dir.join("node_modules").is_dir() {
        println!(
            "reference: {} has no node_modules; run `cp -r {} /tmp/flowbench && cd /tmp/flowbench && npm ci` \
             and set FLOWBENCH_DIR=/tmp/flowbench",
            dir.display(),
            dir.display()
        );
        return None;
    }
    Some(dir)
}

async fn start_reference(dir: &Path, cpus: Option<&str>) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = pinned("node", cpus)
        .current_dir(dir)
        .arg("op-server.mjs")
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("NODE_ENV", "production")
        .stdout(Stdio::null())
        .spawn()
        .expect("start node op-server.mjs");
    wait_until_up(
        &format!("{base}/.well-known/openid-configuration"),
        &mut child,
    )
    .await;
    Server {
        name: "oidc-provider (reference)".into(),
        child,
        base,
        client_id: "bench".into(),
        client_secret: "bench-secret".into(),
        scope: "openid".into(),
        login: LoginKind::Password,
        database: None,
    }
}

// ---------------------------------------------------------------- the SMS receiver

/// Receives ferrid's webhook and hands each code to the flow waiting for it.
#[derive(Default)]
struct Receiver {
    waiting: Mutex<HashMap<String, oneshot::Sender<String>>>,
    connections: AtomicU64,
    messages: AtomicU64,
}

impl Receiver {
    fn expect(&self, phone: &str) -> oneshot::Receiver<String> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(phone.to_owned(), tx);
        rx
    }

    fn deliver(&self, body: &[u8]) {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let factor = &payload["factor"];
        let (Some(phone), Some(code)) = (
            factor["phoneNumber"].as_str(),
            factor["verificationCode"].as_str(),
        ) else {
            return;
        };
        self.messages.fetch_add(1, Ordering::Relaxed);
        if let Some(tx) = self.waiting.lock().unwrap().remove(phone) {
            let _ = tx.send(code.to_owned());
        }
    }
}

async fn serve_webhook(listener: tokio::net::TcpListener, receiver: Arc<Receiver>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        receiver.connections.fetch_add(1, Ordering::Relaxed);
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            loop {
                // One request: the head, then Content-Length bytes.
                let (head_end, length) = loop {
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                receiver.deliver(&buf[head_end..head_end + length]);
                buf.drain(..head_end + length);
                if stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

// ---------------------------------------------------------------- a browser

/// One browser's cookies (a single host): name and path → value.
#[derive(Default)]
struct Jar(HashMap<(String, String), String>);

impl Jar {
    fn header(&self, path: &str) -> String {
        self.0
            .iter()
            .filter(|((_, p), _)| {
                path == p
                    || (path.starts_with(p.as_str())
                        && (p.ends_with('/') || path.as_bytes().get(p.len()) == Some(&b'/')))
            })
            .map(|((n, _), v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn store(&mut self, request_path: &str, res: &reqwest::Response) {
        for line in res.headers().get_all(SET_COOKIE) {
            let Ok(line) = line.to_str() else { continue };
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let mut path = match request_path.rfind('/') {
                Some(0) | None => "/".to_owned(),
                Some(i) => request_path[..i].to_owned(),
            };
            let mut dead = value.trim().is_empty();
            for attr in parts {
                let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "path" if v.trim().starts_with('/') => path = v.trim().to_owned(),
                    "max-age" => dead |= v.trim().parse::<i64>().map(|s| s <= 0).unwrap_or(false),
                    _ => {}
                }
            }
            let key = (name.trim().to_owned(), path);
            if dead {
                self.0.remove(&key);
            } else {
                self.0.insert(key, value.trim().to_owned());
            }
        }
    }
}

#[derive(Debug)]
struct StepError {
    step: &'static str,
    message: String,
}

fn fail<T>(step: &'static str, message: impl Into<String>) -> Result<T, StepError> {
    Err(StepError {
        step,
        message: message.into(),
    })
}

/// A page reached by following redirects, or the callback's URL.
enum Landing {
    Page { url: url::Url, html: String },
    Callback(url::Url),
}

struct Browser<'a> {
    http: &'a reqwest::Client,
    jar: Jar,
}

impl Browser<'_> {
    /// Sends a request and follows redirects until a page or the callback.
    async fn go(
        &mut self,
        step: &'static str,
        mut method: reqwest::Method,
        mut url: url::Url,
        mut body: Option<String>,
    ) -> Result<Landing, StepError> {
        for _ in 0..MAX_PAGES {
            if url.as_str().starts_with(REDIRECT_URI) {
                return Ok(Landing::Callback(url));
            }
            let mut req = self.http.request(method.clone(), url.clone());
            let cookies = self.jar.header(url.path());
            if !cookies.is_empty() {
                req = req.header(COOKIE, cookies);
            }
            if let Some(body) = body.take() {
                req = req
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body);
            }
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) => return fail(step, format!("{} {}: {e:?}", method, url.path())),
            };
            self.jar.store(url.path(), &res);
            let status = res.status();
            if status.is_redirection() {
                let Some(location) = res.headers().get(LOCATION).and_then(|l| l.to_str().ok())
                else {
                    return fail(step, "a redirect without Location");
                };
                url = url.join(location).map_err(|e| StepError {
                    step,
                    message: e.to_string(),
                })?;
                method = reqwest::Method::GET;
                let _ = res.bytes().await;
                continue;
            }
            let html = res.text().await.map_err(|e| StepError {
                step,
                message: format!("{e:?}"),
            })?;
            if !status.is_success() {
                return fail(
                    step,
                    format!("HTTP {status} at {}: {}", url.path(), text_of(&html)),
                );
            }
            return Ok(Landing::Page { url, html });
        }
        fail(step, "too many redirects")
    }
}

fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(160)
        .collect()
}

// ---------------------------------------------------------------- forms

type Attrs = HashMap<String, String>;

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The attributes of a tag, from just after its name to its `>`.
fn attrs(tag: &str) -> Attrs {
    let mut out = Attrs::new();
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let vstart = i + 1;
                i = vstart;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                value = unescape(&tag[vstart..i.min(b.len())]);
                i += 1;
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = unescape(&tag[vstart..i]);
            }
        }
        out.insert(name, value);
    }
    out
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum FormKind {
    Code,
    Phone,
    Login,
    Other,
}

impl FormKind {
    fn step(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Phone => "phone",
            Self::Login => "login",
            Self::Other => "consent",
        }
    }
}

struct Form {
    kind: FormKind,
    method: String,
    action: String,
    /// `input`s and `button`s, in order.
    fields: Vec<(String, Attrs)>,
}

/// Every tag `<name …>` in `html`, as (attributes).
fn tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = (usize, Attrs)> + 'a {
    let open = format!("<{name}");
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let at = from + html[from..].find(&open)?;
            let after = at + open.len();
            from = after;
            let next = html.as_bytes().get(after).copied().unwrap_or(b'>');
            if !(next.is_ascii_whitespace() || next == b'>' || next == b'/') {
                continue;
            }
            let end = after + html[after..].find('>')?;
            from = end + 1;
            return Some((at, attrs(&html[after..end])));
        }
    })
}

fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for (at, form_attrs) in tags(html, "form") {
        let body_end = html[at..].find("</form").map_or(html.len(), |e| at + e);
        let body = &html[at..body_end];
        let mut fields: Vec<(usize, String, Attrs)> = tags(body, "input")
            .map(|(i, a)| (i, "input".to_owned(), a))
            .chain(tags(body, "button").map(|(i, a)| (i, "button".to_owned(), a)))
            .collect();
        fields.sort_by_key(|(i, _, _)| *i);
        let inputs: Vec<&Attrs> = fields
            .iter()
            .filter(|(_, t, _)| t == "input")
            .map(|(_, _, a)| a)
            .collect();
        let has = |k: &str, v: &str| inputs.iter().any(|a| a.get(k).is_some_and(|x| x == v));
        let kind = if has("autocomplete", "one-time-code") {
            FormKind::Code
        } else if has("type", "tel") || has("autocomplete", "tel") {
            FormKind::Phone
        } else if has("type", "password") {
            FormKind::Login
        } else {
            FormKind::Other
        };
        out.push(Form {
            kind,
            method: form_attrs
                .get("method")
                .cloned()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            action: form_attrs.get("action").cloned().unwrap_or_default(),
            fields: fields.into_iter().map(|(_, t, a)| (t, a)).collect(),
        });
    }
    out
}

/// The form a user submits on a page: code > phone > login > any POST form.
fn pick(html: &str) -> Option<Form> {
    let mut all = forms(html);
    for kind in [FormKind::Code, FormKind::Phone, FormKind::Login] {
        if let Some(i) = all.iter().position(|f| f.kind == kind) {
            return Some(all.swap_remove(i));
        }
    }
    let i = all.iter().position(|f| f.method == "post")?;
    Some(all.swap_remove(i))
}

/// Every named field at its default value, `fill` overriding, plus the
/// first submit button.
fn form_body(form: &Form, fill: impl Fn(&Attrs) -> Option<String>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut button = false;
    for (tag, a) in &form.fields {
        let Some(name) = a.get("name") else { continue };
        let kind = a
            .get("type")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        let is_button = tag == "button" || kind == "submit";
        if is_button {
            if !button {
                button = true;
                pairs.push((name.clone(), a.get("value").cloned().unwrap_or_default()));
            }
            continue;
        }
        if (kind == "checkbox" || kind == "radio") && !a.contains_key("checked") {
            continue;
        }
        let value = fill(a).unwrap_or_else(|| a.get("value").cloned().unwrap_or_default());
        pairs.push((name.clone(), value));
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

// ---------------------------------------------------------------- one flow

struct Target {
    server: Arc<ServerInfo>,
    receiver: Arc<Receiver>,
}

struct ServerInfo {
    authorize: url::Url,
    token: String,
    client_id: String,
    client_secret: String,
    scope: String,
    login: LoginKind,
}

/// One complete sign-in; the steps' names and durations, or where it failed.
async fn flow(
    http: &reqwest::Client,
    target: &Target,
    phone: &str,
    user: &str,
) -> Result<(), StepError> {
    let server = &target.server;
    let verifier = random_b64url(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_b64url(16);
    let mut authorize = server.authorize.clone();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &server.client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", &server.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &random_b64url(16))
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut browser = Browser {
        http,
        jar: Jar::default(),
    };
    let mut landing = browser
        .go("authorize", reqwest::Method::GET, authorize, None)
        .await?;
    let mut code_wait = None;
    let mut seen = Vec::new();
    let callback = loop {
        let (url, html) = match landing {
            Landing::Callback(url) => break url,
            Landing::Page { url, html } => (url, html),
        };
        if seen.len() >= MAX_PAGES {
            return fail("authorize", "too many pages");
        }
        let Some(form) = pick(&html) else {
            return fail(
                "authorize",
                format!("no form at {}: {}", url.path(), text_of(&html)),
            );
        };
        let step = form.kind.step();
        if seen.contains(&form.kind) {
            return fail(step, format!("{step} page shown again: {}", text_of(&html)));
        }
        seen.push(form.kind);
        let body = match form.kind {
            FormKind::Phone => {
                code_wait = Some(target.receiver.expect(phone));
                form_body(&form, |a| {
                    (a.get("type").is_some_and(|t| t == "tel")
                        || a.get("autocomplete").is_some_and(|t| t == "tel"))
                    .then(|| phone.to_owned())
                })
            }
            FormKind::Code => {
                let Some(rx) = code_wait.take() else {
                    return fail("code", "a code page before the phone page");
                };
                let code = match tokio::time::timeout(Duration::from_secs(10), rx).await {
                    Ok(Ok(code)) => code,
                    _ => return fail("code_wait", "no SMS within 10 s"),
                };
                form_body(&form, |a| {
                    a.get("autocomplete")
                        .is_some_and(|t| t == "one-time-code")
                        .then(|| code.clone())
                })
            }
            FormKind::Login => form_body(&form, |a| {
                if a.get("type").is_some_and(|t| t == "password") {
                    Some(REFERENCE_PASSWORD.to_owned())
                } else if a.get("name").is_some_and(|n| n == "login")
                    || a.get("autocomplete").is_some_and(|t| t == "username")
                {
                    Some(user.to_owned())
                } else {
                    None
                }
            }),
            FormKind::Other => form_body(&form, |_| None),
        };
        let action = if form.action.is_empty() {
            url.clone()
        } else {
            url.join(&form.action).map_err(|e| StepError {
                step,
                message: e.to_string(),
            })?
        };
        landing = if form.method == "post" {
            browser
                .go(step, reqwest::Method::POST, action, Some(body))
                .await?
        } else {
            let mut action = action;
            action.set_query(Some(&body));
            browser.go(step, reqwest::Method::GET, action, None).await?
        };
    };
    let params: HashMap<String, String> = callback.query_pairs().into_owned().collect();
    if params.get("state") != Some(&state) {
        return fail("callback", format!("state mismatch: {callback}"));
    }
    let Some(code) = params.get("code") else {
        return fail("callback", format!("no code: {callback}"));
    };
    let basic = STANDARD.encode(format!(
        "{}:{}",
        urlencode(&server.client_id),
        urlencode(&server.client_secret)
    ));
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ])
    .unwrap();
    let res = http
        .post(&server.token)
        .header(AUTHORIZATION, format!("Basic {basic}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| StepError {
            step: "token",
            message: format!("{e:?}"),
        })?;
    let status = res.status();
    let text = res.text().await.map_err(|e| StepError {
        step: "token",
        message: format!("{e:?}"),
    })?;
    if !status.is_success() {
        return fail("token", format!("HTTP {status}: {text}"));
    }
    let tokens: serde_json::Value = serde_json::from_str(&text).map_err(|e| StepError {
        step: "token",
        message: e.to_string(),
    })?;
    if !tokens["id_token"].is_string() || !tokens["access_token"].is_string() {
        return fail("token", format!("no tokens: {text}"));
    }
    Ok(())
}

/// RFC 6749 §2.3.1: client_secret_basic form-encodes id and secret first.
fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------- a point

/// How long each point warms up and measures, and the length of a CPU tick.
#[derive(Clone, Copy)]
struct Timing {
    warmup: Duration,
    duration: Duration,
    tick_ms: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Users {
    New,
    Returning,
}

struct Point {
    flows: usize,
    flows_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: HashMap<&'static str, usize>,
    samples: Vec<String>,
    user_ms: f64,
    sys_ms: f64,
    db_ms: Option<f64>,
    commits: Option<f64>,
    sms_connections: Option<f64>,
}

static PHONES: AtomicU64 = AtomicU64::new(0);

fn phone_for(users: Users, vu: usize) -> String {
    match users {
        Users::New => format!(
            "+447400{:06}",
            PHONES.fetch_add(1, Ordering::Relaxed) % 1_000_000
        ),
        Users::Returning => format!("+447911{:06}", vu),
    }
}

async fn db_cpu(server: &Server, tick_ms: f64) -> Option<HashMap<u32, f64>> {
    let db = server.database.as_ref()?;
    Some(
        db.backend_pids()
            .await
            .into_iter()
            .filter_map(|pid| cpu_ms(pid, tick_ms).map(|(u, s)| (pid, u + s)))
            .collect(),
    )
}

async fn run_point(
    server: &Server,
    target: &Target,
    http: &reqwest::Client,
    users: Users,
    concurrency: usize,
    timing: Timing,
) -> Point {
    let Timing {
        warmup,
        duration,
        tick_ms,
    } = timing;
    // The warm-up signs every returning user up once.
    let warm_until = Instant::now() + warmup;
    let measure_until = warm_until + duration;
    let results = Arc::new(Mutex::new((Vec::<f64>::new(), HashMap::new(), Vec::new())));
    let pid = server.child.id();
    let mut tasks = Vec::new();
    let target = Arc::new(Target {
        server: target.server.clone(),
        receiver: target.receiver.clone(),
    });
    for vu in 0..concurrency {
        let (http, target, results) = (http.clone(), target.clone(), results.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let started = Instant::now();
                if started >= measure_until {
                    break;
                }
                let phone = phone_for(users, vu);
                let outcome = flow(&http, &target, &phone, &format!("flowbench-{vu}")).await;
                let ended = Instant::now();
                if started < warm_until || ended > measure_until {
                    continue;
                }
                let mut r = results.lock().unwrap();
                match outcome {
                    Ok(()) => r.0.push((ended - started).as_secs_f64() * 1000.0),
                    Err(e) => {
                        *r.1.entry(e.step).or_insert(0usize) += 1;
                        if r.2.len() < 5 {
                            r.2.push(format!("{}: {}", e.step, e.message));
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep_until(warm_until.into()).await;
    let cpu0 = cpu_ms(pid, tick_ms).unwrap_or_default();
    let db0 = db_cpu(server, tick_ms).await;
    let commits0 = match &server.database {
        Some(db) => Some(db.commits().await),
        None => None,
    };
    let sms0 = target.receiver.connections.load(Ordering::Relaxed) as f64;
    let msg0 = target.receiver.messages.load(Ordering::Relaxed) as f64;
    tokio::time::sleep_until(measure_until.into()).await;
    let cpu1 = cpu_ms(pid, tick_ms).unwrap_or_default();
    let db1 = db_cpu(server, tick_ms).await;
    let sms1 = target.receiver.connections.load(Ordering::Relaxed) as f64;
    let msg1 = target.receiver.messages.load(Ordering::Relaxed) as f64;
    for task in tasks {
        task.await.unwrap();
    }
    // pg_stat_database is updated when backends go idle: read it after the tail.
    let commits1 = match &server.database {
        Some(db) => {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            Some(db.commits().await)
        }
        None => None,
    };
    let (mut lat, failed, samples) = std::mem::take(&mut *results.lock().unwrap());
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let flows = lat.len();
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)]
        }
    };
    let per_flow = |v: f64| if flows == 0 { 0.0 } else { v / flows as f64 };
    let db_ms = match (db0, db1) {
        (Some(a), Some(b)) => Some(per_flow(
            b.iter()
                .map(|(pid, ms)| ms - a.get(pid).copied().unwrap_or(0.0))
                .sum(),
        )),
        _ => None,
    };
    Point {
        flows,
        flows_per_s: flows as f64 / duration.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        failed,
        samples,
        user_ms: per_flow(cpu1.0 - cpu0.0),
        sys_ms: per_flow(cpu1.1 - cpu0.1),
        db_ms,
        commits: match (commits0, commits1) {
            (Some(a), Some(b)) => Some(per_flow(b - a)),
            _ => None,
        },
        sms_connections: (server.login == LoginKind::SmsCode && msg1 > msg0)
            .then(|| (sms1 - sms0) / (msg1 - msg0)),
    }
}

async fn discover(server: &Server) -> ServerInfo {
    let doc: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    ServerInfo {
        authorize: url::Url::parse(doc["authorization_endpoint"].as_str().unwrap()).unwrap(),
        token: doc["token_endpoint"].as_str().unwrap().to_owned(),
        client_id: server.client_id.clone(),
        client_secret: server.client_secret.clone(),
        scope: server.scope.clone(),
        login: server.login,
    }
}

struct Row {
    server: String,
    users: &'static str,
    concurrency: usize,
    point: Point,
    rss: f64,
}

async fn measure(
    server: &Server,
    receiver: &Arc<Receiver>,
    concs: &[usize],
    users: &[Users],
    timing: Timing,
) -> Vec<Row> {
    let info = Arc::new(discover(server).await);
    let target = Target {
        server: info.clone(),
        receiver: receiver.clone(),
    };
    // One pool for every virtual user, kept alive as a browser's (reqwest
    // keeps idle connections 90 s).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap();
    // One traced flow first: a setup problem fails loudly here.
    if let Err(e) = flow(&http, &target, &phone_for(Users::New, 0), "flowbench-0").await {
        panic!(
            "{}: the first flow failed at {}: {}",
            server.name, e.step, e.message
        );
    }
    let mut rows = Vec::new();
    for &u in users {
        if info.login == LoginKind::Password && u == Users::Returning {
            // The reference keeps no users: every password sign-in is the same.
            continue;
        }
        for &c in concs {
            let point = run_point(server, &target, &http, u, c, timing).await;
            let row = Row {
                server: server.name.clone(),
                users: match u {
                    Users::New => "new",
                    Users::Returning => "returning",
                },
                concurrency: c,
                point,
                rss: peak_rss_mib(server.child.id()).unwrap_or(0.0),
            };
            print_row(&row);
            rows.push(row);
        }
    }
    rows
}

fn print_header() {
    println!(
        "{:<26} {:>9} {:>4} {:>7} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7}",
        "server",
        "users",
        "c",
        "flows/s",
        "p50 ms",
        "p99 ms",
        "failed",
        "usr ms",
        "sys ms",
        "cpu ms",
        "db ms",
        "commits",
        "RSS MiB"
    );
}

fn print_row(r: &Row) {
    let p = &r.point;
    let failed: usize = p.failed.values().sum();
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{:<26} {:>9} {:>4} {:>7.1} {:>8.1} {:>8.1} {:>7} {:>7.2} {:>7.2} {:>7.2} {:>7} {:>8} {:>7.1}",
        r.server,
        r.users,
        r.concurrency,
        p.flows_per_s,
        p.p50_ms,
        p.p99_ms,
        failed,
        p.user_ms,
        p.sys_ms,
        p.user_ms + p.sys_ms,
        opt(p.db_ms),
        opt(p.commits),
        r.rss,
    );
    if failed > 0 {
        let mut by_step: Vec<_> = p.failed.iter().collect();
        by_step.sort();
        println!("    failed by step: {by_step:?}");
        for s in &p.samples {
            println!("    e.g. {s}");
        }
    }
    if let Some(c) = p.sms_connections {
        println!(
            "    outgoing SMS webhook connections per message: {c:.2} ({} flows)",
            p.flows
        );
    }
}

fn pin_self(cpus: Option<&str>) {
    if let Some(cpus) = cpus {
        let _ = Command::new("taskset")
            .args(["-a", "-p", "-c", cpus, &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status();
    }
}

fn main() {
    let server_cpus = std::env::var("SERVER_CPUS").ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(server_cpus.as_deref()));
}

async fn run(server_cpus: Option<&str>) {
    let concs: Vec<usize> = env_or("CONCS", "16 64")
        .split_whitespace()
        .map(|c| c.parse().expect("CONCS: numbers"))
        .collect();
    let duration =
        Duration::from_secs_f64(env_or("DURATION", "10").parse().expect("DURATION: seconds"));
    let warmup = Duration::from_secs_f64(env_or("WARMUP", "2").parse().expect("WARMUP: seconds"));
    let users: Vec<Users> = env_or("USERS", "new returning")
        .split_whitespace()
        .map(|u| match u {
            "new" => Users::New,
            "returning" => Users::Returning,
            other => panic!("USERS: `{other}` is not new or returning"),
        })
        .collect();
    let tick_ms = clock_tick_ms();
    println!(
        "ferrid sign-in flow benchmark ({} cores; servers pinned to {}, driver to {})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        server_cpus.unwrap_or("any"),
        std::env::var("DRIVER_CPUS").unwrap_or_else(|_| "any".into()),
    );
    let openssl = openssl_rate();
    match openssl {
        Some(rate) => println!(
            "openssl speed rsa2048 (1 core): {rate:.0} signatures/s; two per flow = {:.2} ms",
            2000.0 / rate
        ),
        None => println!("openssl speed rsa2048: not available"),
    }
    // After the runtime's threads exist, so that all of them are pinned.
    pin_self(std::env::var("DRIVER_CPUS").ok().as_deref());

    let receiver = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook_port = listener.local_addr().unwrap().port();
    tokio::spawn(serve_webhook(listener, receiver.clone()));

    let timing = Timing {
        warmup,
        duration,
        tick_ms,
    };
    let mut rows = Vec::new();
    print_header();
    if let Some(dir) = reference_dir() {
        let reference = start_reference(&dir, server_cpus).await;
        rows.extend(measure(&reference, &receiver, &concs, &[Users::New], timing).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let ferrid = start_ferrid(webhook_port, server_cpus, dir.path()).await;
    rows.extend(measure(&ferrid, &receiver, &concs, &users, timing).await);
    let database = ferrid
        .database
        .as_ref()
        .map(|d| (d.admin.clone(), d.name.clone()));
    drop(ferrid);
    if let Some((admin, name)) = database {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }

    println!();
    println!("ratios, same run (reference = oidc-provider at the same concurrency, new users):");
    let reference: HashMap<usize, &Row> = rows
        .iter()
        .filter(|r| r.server.starts_with("oidc-provider"))
        .map(|r| (r.concurrency, r))
        .collect();
    for r in rows.iter().filter(|r| r.server.starts_with("ferrid")) {
        let p = &r.point;
        let cpu = p.user_ms + p.sys_ms;
        let mut line = format!("{:<26} {:>9} c={:<4}", r.server, r.users, r.concurrency);
        if let Some(base) = reference.get(&r.concurrency) {
            let b = &base.point;
            line += &format!(
                " flows/s {:.2}x, CPU/flow {:.2}x",
                p.flows_per_s / b.flows_per_s.max(f64::MIN_POSITIVE),
                cpu / (b.user_ms + b.sys_ms).max(f64::MIN_POSITIVE),
            );
        }
        if let Some(rate) = openssl {
            // Two RS256 signatures per flow on one core: the work the flow needs.
            line += &format!(", CPU/flow = {:.1}x two signatures", cpu / (2000.0 / rate));
        }
        println!("{line}");
    }
    println!(
        "SMS received: {} messages over {} connections",
        receiver.messages.load(Ordering::Relaxed),
        receiver.connections.load(Ordering::Relaxed)
    );
    let failed: usize = rows
        .iter()
        .map(|r| r.point.failed.values().sum::<usize>())
        .sum();
    println!("failed flows in this run: {failed}");
}
