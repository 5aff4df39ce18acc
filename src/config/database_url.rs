use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

/// Where the database lives; the scheme picks the backend.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

/// The database backend a [`DatabaseUrl`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let scheme = raw.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        match scheme {
            "sqlite" | "postgres" | "postgresql" => Ok(Self(raw.to_owned())),
            "" => Err(format!(
                "`{raw}` is not a URL (expected sqlite://… or postgres://…)"
            )),
            other => Err(format!(
                "unsupported scheme `{other}` (expected sqlite://… or postgres://…)"
            )),
        }
    }

    pub fn backend(&self) -> DatabaseBackend {
        if self.0.starts_with("sqlite:") {
            DatabaseBackend::Sqlite
        } else {
            DatabaseBackend::Postgres
        }
    }

    /// The folder an SQLite file lives in, to be created when missing.
    pub fn sqlite_parent_dir(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced, for printing.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("REDACTED"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}
