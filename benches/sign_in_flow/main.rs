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

mod browser;
mod flow;
mod servers;
mod webhook;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, QueryResult, Statement};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use browser::*;
use flow::*;
use servers::*;
use webhook::*;

pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1/flowbench/callback";
pub(crate) const REFERENCE_PASSWORD: &str = "bench-password";
pub(crate) const MAX_PAGES: usize = 8;

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
    if let Some(db) = &server.database {
        println!("    ferrid's PostgreSQL: {}", db.transport().await);
    }
    rows
}

fn print_header() {
    println!(
        "{:<26} {:>9} {:>4} {:>7} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7}",
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
        "ctx sw",
        "RSS MiB"
    );
}

fn print_row(r: &Row) {
    let p = &r.point;
    let failed: usize = p.failed.values().sum();
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{:<26} {:>9} {:>4} {:>7.1} {:>8.1} {:>8.1} {:>7} {:>7.2} {:>7.2} {:>7.2} {:>7} {:>8} {:>7} {:>7.1}",
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
        p.switches.map_or("-".to_owned(), |v| format!("{v:.0}")),
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
