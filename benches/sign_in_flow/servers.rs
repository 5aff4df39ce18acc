//! The servers under test: ferrid as a child process on a fresh database, the reference provider, and what is read of them (CPU time, peak RSS).

use super::*;

pub(crate) fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

pub(crate) fn openssl_rate() -> Option<f64> {
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

pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn random_b64url(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

// ---------------------------------------------------------------- processes

/// CPU time (user, kernel) of a process in milliseconds, from /proc/PID/stat.
pub(crate) fn cpu_ms(pid: u32, tick_ms: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime * tick_ms, stime * tick_ms))
}

/// Context switches (voluntary and not) of a process's threads so far,
/// from /proc/PID/task/*/status; a thread that ended takes its count with it.
pub(crate) fn context_switches(pid: u32) -> Option<f64> {
    let mut total = 0.0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(status) = std::fs::read_to_string(task.ok()?.path().join("status")) else {
            continue;
        };
        total += status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .sum::<f64>();
    }
    Some(total)
}

/// Peak resident set (VmHWM) in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub(crate) fn clock_tick_ms() -> f64 {
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
pub(crate) struct Server {
    pub(crate) name: String,
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) scope: String,
    pub(crate) login: LoginKind,
    pub(crate) database: Option<BenchDatabase>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum LoginKind {
    SmsCode,
    Password,
}

pub(crate) fn pinned(program: &str, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", cpus, program]);
            cmd
        }
        None => Command::new(program),
    }
}

pub(crate) async fn wait_until_up(url: &str, child: &mut Child) {
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
pub(crate) struct BenchDatabase {
    pub(crate) admin: DatabaseConnection,
    pub(crate) url: String,
    pub(crate) name: String,
}

impl BenchDatabase {
    pub(crate) async fn create(admin_url: &str) -> Self {
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

    /// The one row a statistics query on the admin connection answers.
    async fn row(&self, sql: String) -> QueryResult {
        self.admin
            .query_one_raw(Statement::from_string(
                self.admin.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .unwrap()
    }

    /// Commits in this database so far (`pg_stat_database`, updated by the
    /// backends when they go idle).
    pub(crate) async fn commits(&self) -> f64 {
        let row = self
            .row(format!(
                "SELECT xact_commit::float8 AS n FROM pg_stat_database WHERE datname = '{}'",
                self.name
            ))
            .await;
        row.try_get::<f64>("", "n").unwrap()
    }

    /// How ferrid reaches this database: its connections, how many of them
    /// speak TLS and how many came through the Unix socket. A URL without
    /// `sslmode` speaks TLS whenever the server offers it, on loopback too,
    /// and that costs PostgreSQL about a third more CPU per flow.
    pub(crate) async fn transport(&self) -> String {
        let row = self
            .row(format!(
                "SELECT count(*) AS n, count(*) FILTER (WHERE s.ssl) AS tls, \
                 count(*) FILTER (WHERE a.client_addr IS NULL) AS socket \
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
                 WHERE a.datname = '{}' AND a.pid <> pg_backend_pid()",
                self.name
            ))
            .await;
        let count = |c: &str| row.try_get::<i64>("", c).unwrap();
        format!(
            "{} connections, {} over TLS, {} on the Unix socket",
            count("n"),
            count("tls"),
            count("socket")
        )
    }

    /// The backends serving this database.
    pub(crate) async fn backend_pids(&self) -> Vec<u32> {
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

pub(crate) async fn start_ferrid(webhook_port: u16, cpus: Option<&str>, dir: &Path) -> Server {
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
pub(crate) fn reference_dir() -> Option<PathBuf> {
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

pub(crate) async fn start_reference(dir: &Path, cpus: Option<&str>) -> Server {
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
