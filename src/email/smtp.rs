//! Delivery over SMTP with lettre: `smtp://` uses STARTTLS when the server
//! offers it (plain otherwise), `smtps://` TLS from the first byte; the
//! user and password of the URL log in.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, MailError, Mailer};
use crate::config::{SmtpSecurity, SmtpUrl};

/// Sends each mail on a new SMTP connection.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for the server the URL names, sending as `from`.
    pub fn new(url: &SmtpUrl, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from `{from}`: {e}"))?;
        let tls = TlsParameters::new(url.host.clone())
            .map_err(|e| anyhow::anyhow!("TLS settings for {}: {e}", url.host))?;
        let tls = match url.security {
            SmtpSecurity::StartTlsWhenOffered => Tls::Opportunistic(tls),
            SmtpSecurity::Tls => Tls::Wrapper(tls),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(user) = &url.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                url.expose_password().unwrap_or_default().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

/// The message with a plain-text and an HTML part.
fn build(from: &Mailbox, mail: &Mail<'_>) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|e| MailError::Permanent(format!("the address cannot be used: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        // RFC 3834 §5: automatic mail, so that responders do not answer it.
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.to_owned(),
            mail.html.to_owned(),
        ))
        .map_err(|e| MailError::Permanent(format!("the message cannot be built: {e}")))
}

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, mail: &Mail<'_>) -> Result<(), MailError> {
        let message = build(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // 5xx: the server will refuse it again.
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            // Connection refused, TLS, timeout, 4xx: another attempt may work.
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}
