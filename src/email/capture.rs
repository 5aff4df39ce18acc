use super::{Mail, MailError, Mailer};

/// Dev mode without an SMTP server: mail is kept, not sent. The outbox
/// row is the copy kept (marked sent), read at `/dev/mail`.
#[derive(Default)]
pub struct DevCapture;

#[async_trait::async_trait]
impl Mailer for DevCapture {
    fn name(&self) -> &'static str {
        "dev capture"
    }

    async fn send(&self, mail: &Mail<'_>) -> Result<(), MailError> {
        tracing::info!(to = %mail.to.masked(), "email kept for /dev/mail");
        Ok(())
    }
}
