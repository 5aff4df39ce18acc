//! The ferrid binary run as a command in a test: its own database, master
//! key and working folder, and only the `FERRID_*` variables a test gives.

use std::cell::Cell;
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, RuntimeFlavor};

use ferrid::crypto::MasterKey;

use crate::helpers::TestDatabase;

/// The path of the ferrid binary built for these tests.
pub fn ferrid_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ferrid"))
}

/// How long one command may run before the test fails: far beyond any
/// command's real time, short enough that a hung command fails its test
/// instead of the whole run.
const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

thread_local! {
    /// Whether this test started a ferrid on a current-thread runtime. Every
    /// test runs on a thread of its own, so this is per test.
    static APP_ON_CURRENT_THREAD_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// Called by `spawn_app` and friends: the app's tasks run on this test's
/// runtime.
pub fn note_app_spawned() {
    if Handle::current().runtime_flavor() == RuntimeFlavor::CurrentThread {
        APP_ON_CURRENT_THREAD_RUNTIME.with(|spawned| spawned.set(true));
    }
}

/// Runs the ferrid binary with only the given `FERRID_*` variables set (the
/// test environment's own are removed), in `dir`.
///
/// Waiting blocks the test's thread. A test that also runs a ferrid must use
/// a multi-thread runtime (`#[tokio::test(flavor = "multi_thread")]`): on a
/// current-thread runtime the app stops while the command runs, with
/// whatever it holds in the database (an unfinished transaction, a
/// connection not yet back in its pool) held until the command ends, and a
/// command waiting for it never ends.
pub fn run_ferrid(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    assert!(
        !APP_ON_CURRENT_THREAD_RUNTIME.with(Cell::get),
        "this test runs a ferrid on a current-thread runtime, which stops while \
         `ferrid {}` runs: use #[tokio::test(flavor = \"multi_thread\")]",
        args.join(" ")
    );
    let mut cmd = std::process::Command::new(ferrid_bin());
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRID_")) {
        cmd.env_remove(key);
    }
    cmd.env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run the ferrid binary");
    let stdout = read_all(child.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + COMMAND_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the ferrid binary") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`ferrid {}` did not finish within {COMMAND_DEADLINE:?}; it printed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&stderr.join().expect("read stderr"))
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().expect("read stdout"),
        stderr: stderr.join().expect("read stderr"),
    }
}

/// Reads a pipe to its end on a thread of its own.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        pipe.read_to_end(&mut out)
            .expect("read the ferrid binary's output");
        out
    })
}

/// The ferrid binary with its own database, master key and working folder.
pub struct CliEnv {
    pub database: TestDatabase,
    pub dir: tempfile::TempDir,
    pub key: String,
}

impl CliEnv {
    pub async fn new() -> Self {
        Self {
            database: TestDatabase::create().await,
            dir: tempfile::tempdir().expect("temp dir"),
            key: MasterKey::generate().to_base64(),
        }
    }

    /// Runs `ferrid ARGS`: exit code, stdout, stderr.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let env = [
            ("FERRID_DATABASE_URL", self.database.url.as_str()),
            ("FERRID_MASTER_KEY", self.key.as_str()),
        ];
        let out = run_ferrid(self.dir.path(), &env, args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes a file in the working folder; its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a file");
        path.display().to_string()
    }
}
