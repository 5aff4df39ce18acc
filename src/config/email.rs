//! `[email]`: the SMTP server, the sender, and the outbox's delivery rules.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::{ConfigError, Span};

/// `[email]` as the sources give it.
#[derive(Clone, Debug, Deserialize)]
pub struct RawEmailSettings {
    pub smtp_url: Option<SecretString>,
    pub from: String,
    pub max_attempts: u32,
    pub max_age: Span,
    pub retry_base: Span,
    pub smtp_timeout: Span,
    pub poll_interval: Span,
}

/// Outgoing email (enrollment notifications, email codes), checked.
#[derive(Clone, Debug)]
pub struct EmailSettings {
    /// Where mail is sent; unset, mail is kept (dev mode) or waits in the
    /// outbox (otherwise).
    pub smtp_url: Option<SmtpUrl>,
    /// The `From` of ferrid's emails, a mailbox (`Name <addr@example.com>`).
    pub from: String,
    /// Sending attempts before a message is abandoned.
    pub max_attempts: u32,
    /// Age after which an undelivered message is abandoned.
    pub max_age: Span,
    /// The first retry's delay; each next one doubles, with jitter.
    pub retry_base: Span,
    /// How long one SMTP conversation may take.
    pub smtp_timeout: Span,
    /// How often the delivery worker looks for due messages when nothing
    /// wakes it.
    pub poll_interval: Span,
}

impl EmailSettings {
    /// How long a worker holds a message it took: longer than an SMTP
    /// conversation can last, so that only a worker that died loses it.
    pub fn lease(&self) -> Duration {
        self.smtp_timeout.0 * 2 + Duration::from_secs(30)
    }
}

/// How ferrid talks to the SMTP server: `smtp://` (STARTTLS when the server
/// offers it) or `smtps://` (TLS from the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTlsWhenOffered,
    Tls,
}

/// `email.smtp_url`, parsed. It may hold a password: it never prints
/// (`Debug` and [`SmtpUrl::redacted`] hide the credentials).
#[derive(Clone)]
pub struct SmtpUrl {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

impl SmtpUrl {
    /// Parses `smtp://[user:password@]host[:port]` (port 25 when absent)
    /// or `smtps://…` (port 465); user and password are percent-decoded.
    pub fn parse(raw: &str) -> Result<Self, String> {
        // The URL is never quoted back: it may hold the password.
        let url = Url::parse(raw).map_err(|e| {
            format!("not a URL like smtp://host:587 or smtps://user:password@host:465 ({e})")
        })?;
        let security = match url.scheme() {
            "smtp" => SmtpSecurity::StartTlsWhenOffered,
            "smtps" => SmtpSecurity::Tls,
            other => {
                return Err(format!(
                    "unsupported scheme `{other}` (expected smtp://… or smtps://…)"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(
                "the URL must be scheme://[user:password@]host[:port], nothing after".into(),
            );
        }
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::StartTlsWhenOffered => 25,
            SmtpSecurity::Tls => 465,
        });
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "the user or password is not valid UTF-8".to_owned())
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = match url.password() {
            None => None,
            Some(p) => Some(SecretString::from(decode(p)?)),
        };
        if password.is_some() && user.is_none() {
            return Err("a password without a user".into());
        }
        Ok(Self {
            security,
            host,
            port,
            user,
            password,
        })
    }

    /// The URL with the user shown and the password replaced, for printing.
    pub fn redacted(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::StartTlsWhenOffered => "smtp",
            SmtpSecurity::Tls => "smtps",
        };
        let credentials = match (&self.user, &self.password) {
            (Some(user), Some(_)) => format!("{user}:(set)@"),
            (Some(user), None) => format!("{user}@"),
            _ => String::new(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{credentials}{host}:{}", self.port)
    }

    /// The password, for the SMTP login only.
    pub fn expose_password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose_secret())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({})", self.redacted())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Checks `[email]`; the error names the key.
pub(super) fn check_email(raw: RawEmailSettings) -> Result<EmailSettings, ConfigError> {
    let smtp_url = match &raw.smtp_url {
        Some(url) => Some(
            SmtpUrl::parse(url.expose_secret())
                .map_err(|p| ConfigError::invalid("email.smtp_url", p))?,
        ),
        None => None,
    };
    if raw.from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::invalid(
            "email.from",
            format!(
                "`{}` is not a mailbox like `Example <id@example.com>` or `id@example.com`",
                raw.from
            ),
        ));
    }
    if raw.max_attempts == 0 || raw.max_attempts > 100 {
        return Err(ConfigError::invalid(
            "email.max_attempts",
            "must be between 1 and 100",
        ));
    }
    for (key, span) in [
        ("email.max_age", raw.max_age),
        ("email.retry_base", raw.retry_base),
        ("email.smtp_timeout", raw.smtp_timeout),
        ("email.poll_interval", raw.poll_interval),
    ] {
        if span.0.is_zero() {
            return Err(ConfigError::invalid(key, "must be longer than zero"));
        }
    }
    if raw.max_age.0 > Duration::from_secs(30 * 24 * 3600) {
        return Err(ConfigError::invalid("email.max_age", "must be 30d or less"));
    }
    if raw.smtp_timeout.0 > Duration::from_secs(300) {
        return Err(ConfigError::invalid(
            "email.smtp_timeout",
            "must be 5m or less",
        ));
    }
    if raw.poll_interval.0 > Duration::from_secs(3600) {
        return Err(ConfigError::invalid(
            "email.poll_interval",
            "must be 1h or less",
        ));
    }
    Ok(EmailSettings {
        smtp_url,
        from: raw.from,
        max_attempts: raw.max_attempts,
        max_age: raw.max_age,
        retry_base: raw.retry_base,
        smtp_timeout: raw.smtp_timeout,
        poll_interval: raw.poll_interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_parse_with_their_security_and_default_ports() {
        let plain = SmtpUrl::parse("smtp://mail.example.com:2525").unwrap();
        assert_eq!(plain.security, SmtpSecurity::StartTlsWhenOffered);
        assert_eq!(
            (plain.host.as_str(), plain.port),
            ("mail.example.com", 2525)
        );
        assert!(plain.user.is_none());
        let tls = SmtpUrl::parse("smtps://ada%40example.com:p%40ss@mail.example.com").unwrap();
        assert_eq!(tls.security, SmtpSecurity::Tls);
        assert_eq!(tls.port, 465);
        assert_eq!(tls.user.as_deref(), Some("ada@example.com"));
        assert_eq!(tls.expose_password(), Some("p@ss"));
        assert_eq!(SmtpUrl::parse("smtp://[::1]").unwrap().host, "::1");
    }

    #[test]
    fn the_password_never_prints() {
        let url = SmtpUrl::parse("smtps://ada:hunter2@mail.example.com:465").unwrap();
        assert_eq!(url.redacted(), "smtps://ada:(set)@mail.example.com:465");
        assert!(!format!("{url:?}").contains("hunter2"));
        let err = SmtpUrl::parse("http://ada:hunter2@mail.example.com").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn bad_smtp_urls_are_refused() {
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://",
            "smtp://mail.example.com/path",
            "smtp://mail.example.com?tls=no",
            "smtp://:secret@mail.example.com",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
