//! The database goes away and comes back: a PostgreSQL cluster of the
//! test's own (whatever `FERRID_TEST_DATABASE_URL` says), created in a
//! temporary folder, stopped under a load of sign-ins and started again.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, TestApp, browser, csrf_of, location, spawn_app_with};

/// Users signing in again and again during the outage test.
const USERS: usize = 4;

/// A PostgreSQL cluster in a temporary folder, stopped on drop.
struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// initdb refuses to run as root: then everything runs as `postgres`.
    as_postgres: bool,
}

fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgCluster {
    fn create(bin: PathBuf) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ferrid-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["postgres:postgres", &dir.path().display().to_string()])
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown the cluster folder to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres"]);
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        };
    }
}

/// One sign-in through the hosted pages; the status of the first answer
/// that is not the expected one, or `None` when the user got back to the
/// application with a code.
async fn try_sign_in(app: &TestApp, client_id: &str, phone: &str) -> Result<(), u16> {
    let b = browser();
    let check = |res: &reqwest::Response, want: u16| {
        if res.status().as_u16() == want {
            Ok(())
        } else {
            Err(res.status().as_u16())
        }
    };
    let res = b
        .get(app.authorize_url(client_id, &[]))
        .send()
        .await
        .map_err(|_| 0u16)?;
    check(&res, 303)?;
    let page = b.get(app.url("/login")).send().await.map_err(|_| 0u16)?;
    check(&page, 200)?;
    let csrf = csrf_of(&page.text().await.map_err(|_| 0u16)?);
    let sent = app.submit_phone(&b, &csrf, phone).await;
    check(&sent, 303)?;
    let code = app.sms.sent_to(phone).pop().ok_or(503u16)?.code;
    let done = app.submit_code(&b, &csrf, &code).await;
    check(&done, 303)?;
    if location(&done).starts_with(RP_REDIRECT) {
        Ok(())
    } else {
        Err(done.status().as_u16())
    }
}

#[tokio::test]
async fn while_the_database_restarts_requests_get_503_and_sign_ins_work_again_afterwards() {
    let Some(bin) = pg_bin() else {
        eprintln!("skipped: no PostgreSQL binaries under /usr/lib/postgresql");
        return;
    };
    let cluster = PgCluster::create(bin);
    cluster.start();
    let url = cluster.url();
    let app = spawn_app_with(|s| {
        s.database_url = url.clone();
        // The load below signs in many times from one address and one number.
        s.otp.max_sends_per_phone_per_hour = 1000;
        s.otp.max_sends_per_ip_per_hour = 1000;
        s.otp.max_sends_per_network_per_hour = 1000;
        s.login.max_pending_per_ip = 1000;
        s.otp.resend_cooldown = ferrid::config::Span(Duration::ZERO);
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    try_sign_in(&app, &client.client_id, "+447400200000")
        .await
        .expect("a sign-in before the outage");
    assert_eq!(app.get("/readyz").await.status(), 200);

    // A bounded load: 4 users signing in again and again until told to stop.
    let app = Arc::new(app);
    let outage = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    // How many users have been answered during the outage.
    let met_outage = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..USERS)
        .map(|n| {
            let (app, client_id) = (app.clone(), client.client_id.clone());
            let (outage, stop, met_outage) = (outage.clone(), stop.clone(), met_outage.clone());
            tokio::spawn(async move {
                let phone = format!("+44740020000{}", n + 1);
                let mut during = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let down = outage.load(Ordering::SeqCst);
                    let result = try_sign_in(&app, &client_id, &phone).await;
                    if down && outage.load(Ordering::SeqCst) {
                        if during.is_empty() {
                            met_outage.fetch_add(1, Ordering::SeqCst);
                        }
                        during.push(result);
                    } else if let Err(status) = result {
                        assert!(status < 500 || status == 503, "{status} outside the outage");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                during
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    outage.store(true, Ordering::SeqCst);
    cluster.stop();
    // Readiness, an OAuth endpoint and a page, at once.
    let authorize_url = app.authorize_url(&client.client_id, &[]);
    let (ready, token, page) = tokio::join!(
        app.get("/readyz"),
        app.token(
            &[("grant_type", "authorization_code"), ("code", "x")],
            Some((&client.client_id, client.secret.as_deref().unwrap())),
        ),
        async { browser().get(&authorize_url).send().await.unwrap() },
    );
    assert_eq!(ready.status(), 503, "readyz during the outage");
    assert_eq!(token.status(), 503);
    assert!(token.headers().contains_key("retry-after"));
    assert_eq!(
        token.json::<serde_json::Value>().await.unwrap()["error"],
        "temporarily_unavailable"
    );
    assert_eq!(page.status(), 503);
    assert!(page.headers().contains_key("retry-after"));
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Temporarily unavailable")
    );
    // Until each user has run into the outage at least once (a request
    // waits up to the pool's 5 s acquire timeout).
    let deadline = Instant::now() + Duration::from_secs(30);
    while met_outage.load(Ordering::SeqCst) < USERS {
        assert!(Instant::now() < deadline, "the users never met the outage");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    outage.store(false, Ordering::SeqCst);
    cluster.start();

    // Back: /readyz turns 200 by itself, and sign-ins succeed again.
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get("/readyz").await.status() != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    try_sign_in(&app, &client.client_id, "+447400200009")
        .await
        .expect("a sign-in after the outage");
    stop.store(true, Ordering::SeqCst);
    let mut during = Vec::new();
    for worker in workers {
        during.extend(worker.await.expect("no panic in the load"));
    }
    assert!(!during.is_empty(), "the load ran during the outage");
    for result in &during {
        assert_eq!(
            *result,
            Err(503),
            "every answer during the outage: {during:?}"
        );
    }
}
