//! The ferrid binary run as a command in a test: its own database, master
//! key and working folder, and only the `FERRID_*` variables a test gives.

use std::path::PathBuf;

use ferrid::crypto::MasterKey;

use crate::helpers::TestDatabase;

/// The path of the ferrid binary built for these tests.
pub fn ferrid_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ferrid"))
}

/// Runs the ferrid binary with only the given `FERRID_*` variables set (the
/// test environment's own are removed), in `dir`.
pub fn run_ferrid(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(ferrid_bin());
    cmd.current_dir(dir).args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRID_")) {
        cmd.env_remove(key);
    }
    cmd.env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the ferrid binary")
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
