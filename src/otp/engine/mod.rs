use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::generate_code;
use super::limiter::RateLimiter;
use super::pumping::PumpingGuard;
use crate::clock::SharedClock;
use crate::config::OtpSettings;
use crate::crypto::Pepper;
use crate::domain::{OtpCode, Recipient};
use crate::store::{self, ConnectionTrait, otp_challenges::NewChallenge};

mod limits;

use limits::failure_key;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The hosted login pages.
    Login,
    /// The passwordless API (`/passwordless/start` and the OTP grant).
    Passwordless,
    /// Proving a factor the user has again before a sensitive change on the
    /// account page.
    Reauth,
    /// Proving possession of a phone number or an email address being added
    /// to an account.
    Enroll,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Passwordless => "passwordless",
            Self::Reauth => "reauth",
            Self::Enroll => "enroll",
        }
    }
}

/// The engine's send limits, from the settings.
#[derive(Clone, Debug)]
pub struct OtpRules {
    pub resend_cooldown: Duration,
    pub max_sends_per_phone_per_hour: u32,
    pub max_sends_per_ip_per_hour: u32,
    pub max_sends_per_network_per_hour: u32,
    pub max_sends_per_minute: u32,
    pub circuit_breaker_cooldown: Duration,
    /// Wrong codes a recipient may have, across challenges, per `failure_window`.
    pub max_failures_per_recipient: u32,
    pub failure_window: Duration,
}

impl From<&OtpSettings> for OtpRules {
    fn from(s: &OtpSettings) -> Self {
        Self {
            resend_cooldown: s.resend_cooldown.0,
            max_sends_per_phone_per_hour: s.max_sends_per_phone_per_hour,
            max_sends_per_ip_per_hour: s.max_sends_per_ip_per_hour,
            max_sends_per_network_per_hour: s.max_sends_per_network_per_hour,
            max_sends_per_minute: s.max_sends_per_minute,
            circuit_breaker_cooldown: s.circuit_breaker_cooldown.0,
            max_failures_per_recipient: s.max_failures_per_recipient,
            failure_window: s.failure_window.0,
        }
    }
}

/// How codes look and live: the SMS connection's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePolicy {
    pub length: u8,
    pub ttl: Duration,
    pub max_attempts: u32,
}

/// Where a new code comes from.
#[derive(Clone, Copy, Debug)]
pub enum CodeSource<'a> {
    /// Drawn at random (every real number).
    Random,
    /// An operator-configured test number's fixed code: nothing is sent, so
    /// no send limits, but the cooldown, attempt limits and failure budget
    /// apply as to any number (a fixed code is otherwise guessable).
    Fixed(&'a str),
}

/// A request for a new code.
pub struct IssueRequest<'a> {
    pub purpose: Purpose,
    pub recipient: &'a Recipient,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub policy: &'a CodePolicy,
    pub source: CodeSource<'a>,
}

/// A code to send, and the challenge that checks it.
#[derive(Debug)]
pub struct Issued {
    pub challenge_id: Uuid,
    /// Where the code must go: the recipient the limits were applied to.
    pub recipient: Recipient,
    pub code: OtpCode,
    pub expires_at: DateTime<Utc>,
}

/// Why no code was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("too many codes were sent to this number; try again later")]
    PhoneLimit,
    #[error("too many codes were requested from this network; try again later")]
    IpLimit,
    /// The /24 (IPv4) or /64 (IPv6) around the client sent too many.
    #[error("too many codes were requested from this network; try again later")]
    NetworkLimit,
    /// The global ceiling tripped the circuit breaker: SMS pumping defence.
    #[error("codes cannot be sent right now; try again in a few minutes")]
    Ceiling,
    /// The number's range is throttled: SMS pumping detected there.
    #[error("codes cannot be sent right now; try again in a few minutes")]
    RangeThrottled,
    #[error("a new code can be requested in {0} seconds")]
    Cooldown(u64),
    /// The recipient's failure budget is spent: answered like `PhoneLimit`,
    /// so that nothing tells the two apart.
    #[error("too many codes were sent to this number; try again later")]
    FailureBudget,
    #[error("the challenge no longer exists")]
    UnknownChallenge,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The result of checking a code.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    Verified {
        recipient: Recipient,
    },
    Wrong {
        attempts_left: u32,
    },
    /// Every attempt was used: the challenge is dead until a new code is sent.
    TooManyAttempts,
    Expired,
    /// Already used once (codes are single use).
    AlreadyUsed,
    UnknownChallenge,
}

impl VerifyOutcome {
    /// The audit event kind and result of this outcome (never the code).
    pub fn audit(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Self::Verified { .. } => ("otp.verified", "success"),
            Self::Wrong { .. } => ("otp.failed", "wrong_code"),
            Self::TooManyAttempts => ("otp.locked", "too_many_attempts"),
            Self::Expired => ("otp.failed", "expired"),
            Self::AlreadyUsed => ("otp.failed", "already_used"),
            Self::UnknownChallenge => return None,
        })
    }
}

/// Issues and checks codes.
pub struct OtpEngine {
    rules: OtpRules,
    pepper: Pepper,
    limiter: Arc<dyn RateLimiter>,
    pumping: Option<PumpingGuard>,
    clock: SharedClock,
}

impl OtpEngine {
    pub fn new(
        rules: OtpRules,
        pepper: Pepper,
        limiter: Arc<dyn RateLimiter>,
        clock: SharedClock,
    ) -> Self {
        Self {
            rules,
            pepper,
            limiter,
            pumping: None,
            clock,
        }
    }

    /// The time on the engine's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Adds pumping detection per destination (see `pumping`).
    pub fn with_pumping(mut self, pumping: PumpingGuard) -> Self {
        self.pumping = Some(pumping);
        self
    }

    pub fn rules(&self) -> &OtpRules {
        &self.rules
    }

    fn code_hmac(&self, id: Uuid, code: &OtpCode) -> String {
        self.pepper
            .mac_hex(&[id.as_bytes(), code.as_str().as_bytes()])
    }

    /// The checks every new code passes, test numbers included: the
    /// recipient's failure budget, then its cooldown (claimed atomically, so
    /// that concurrent requests from any form, API or instance send one
    /// code), then the send limits for codes that are really sent.
    async fn make_code(
        &self,
        db: &impl ConnectionTrait,
        recipient: &Recipient,
        client_id: Option<&str>,
        ip: Option<&str>,
        policy: &CodePolicy,
        source: CodeSource<'_>,
    ) -> Result<OtpCode, IssueError> {
        // NIST SP 800-63B §5.2.2: failures are capped per account, not per
        // code, or every new code would bring fresh guesses.
        if self.budget_spent(recipient).await? {
            tracing::warn!(to = %recipient.masked(), "a code was refused: the number's failure budget is spent");
            crate::audit::record(
                db,
                self.clock.now(),
                "otp.failure_budget_spent",
                Some(recipient.masked()),
                client_id,
                ip,
                serde_json::json!({
                    "result": "refused",
                    "max_failures": self.rules.max_failures_per_recipient,
                    "window_secs": self.rules.failure_window.as_secs(),
                }),
            )
            .await;
            return Err(IssueError::FailureBudget);
        }
        let now = self.clock.now();
        // Without a cooldown there is nothing to claim; claiming anyway would
        // refuse a request whose clock reading came just before another's.
        if !self.rules.resend_cooldown.is_zero() {
            self.claim_cooldown(db, recipient, now).await?;
        }
        match source {
            CodeSource::Random => {
                self.check_pumping(db, recipient, ip).await?;
                self.acquire_send(recipient, ip).await?;
                if let (Some(pumping), Some(phone)) = (&self.pumping, recipient.phone()) {
                    pumping.record_sent(phone).await;
                }
                Ok(generate_code(policy.length))
            }
            CodeSource::Fixed(code) => Ok(OtpCode::from_generated(code.to_owned())),
        }
    }

    /// Creates a challenge with a fresh code, within the send limits.
    pub async fn issue(
        &self,
        db: &impl ConnectionTrait,
        req: IssueRequest<'_>,
    ) -> Result<Issued, IssueError> {
        let code = self
            .make_code(
                db,
                req.recipient,
                req.client_id,
                req.ip,
                req.policy,
                req.source,
            )
            .await?;
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let expires_at = now + req.policy.ttl;
        store::otp_challenges::insert(
            db,
            NewChallenge {
                id,
                purpose: req.purpose.as_str(),
                recipient: req.recipient,
                code_hmac: self.code_hmac(id, &code),
                expires_at,
                max_attempts: req.policy.max_attempts,
                client_id: req.client_id,
                ip: req.ip,
                now,
            },
        )
        .await
        .map_err(|e| IssueError::Unexpected(e.into()))?;
        // Only the newest code for a recipient and client works: an older
        // one still open would otherwise come back once the newest is used.
        store::otp_challenges::update_expire_others(db, req.recipient, req.client_id, id, now)
            .await
            .map_err(|e| IssueError::Unexpected(e.into()))?;
        Ok(Issued {
            challenge_id: id,
            recipient: req.recipient.clone(),
            code,
            expires_at,
        })
    }

    /// Seconds until a new code may be sent for this challenge (0: now).
    pub fn cooldown_left(&self, last_sent_at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
        let ready_at = last_sent_at + self.rules.resend_cooldown;
        let left = (ready_at - now).num_milliseconds();
        if left <= 0 {
            0
        } else {
            (left as u64).div_ceil(1000)
        }
    }

    /// The recipient of an open challenge: where its resends go, and what
    /// their limits apply to.
    pub async fn recipient_of(
        &self,
        db: &impl ConnectionTrait,
        challenge_id: Uuid,
    ) -> Result<Recipient, IssueError> {
        store::otp_challenges::find_by_id(db, challenge_id)
            .await
            .map_err(|e| IssueError::Unexpected(e.into()))?
            .filter(|c| c.consumed_at.is_none())
            .and_then(|c| c.recipient)
            .ok_or(IssueError::UnknownChallenge)
    }

    /// Sends a new code for an existing challenge of `recipient` after the
    /// cooldown; the previous code stops working and the attempts start again.
    pub async fn reissue(
        &self,
        db: &impl ConnectionTrait,
        challenge_id: Uuid,
        recipient: &Recipient,
        ip: Option<&str>,
        policy: &CodePolicy,
        source: CodeSource<'_>,
    ) -> Result<Issued, IssueError> {
        let challenge = store::otp_challenges::find_by_id(db, challenge_id)
            .await
            .map_err(|e| IssueError::Unexpected(e.into()))?
            .filter(|c| c.consumed_at.is_none())
            .ok_or(IssueError::UnknownChallenge)?;
        // The limits below apply to the recipient the code is sent to.
        if challenge.recipient.as_ref() != Some(recipient) {
            return Err(IssueError::UnknownChallenge);
        }
        let now = self.clock.now();
        let left = self.cooldown_left(challenge.last_sent_at, now);
        if left > 0 {
            return Err(IssueError::Cooldown(left));
        }
        let client_id = challenge.client_id.as_deref();
        let code = self
            .make_code(db, recipient, client_id, ip, policy, source)
            .await?;
        let expires_at = now + policy.ttl;
        let updated = store::otp_challenges::update_code(
            db,
            challenge_id,
            self.code_hmac(challenge_id, &code),
            expires_at,
            now,
        )
        .await
        .map_err(|e| IssueError::Unexpected(e.into()))?;
        if !updated {
            return Err(IssueError::UnknownChallenge);
        }
        store::otp_challenges::update_expire_others(db, recipient, client_id, challenge_id, now)
            .await
            .map_err(|e| IssueError::Unexpected(e.into()))?;
        Ok(Issued {
            challenge_id,
            recipient: recipient.clone(),
            code,
            expires_at,
        })
    }

    /// After a verified code, once its transaction has committed: the next
    /// sign-in need not wait for the cooldown. Not part of the verification's
    /// transaction: issuing a code locks the recipient's row before its
    /// challenges, verifying locks the challenge first, so the two orders
    /// would deadlock on PostgreSQL when a new code races a right one.
    pub async fn release_cooldown(
        &self,
        db: &impl ConnectionTrait,
        recipient: &Recipient,
    ) -> anyhow::Result<()> {
        // Without a cooldown nothing was claimed (see `issue`).
        if !self.rules.resend_cooldown.is_zero() {
            store::otp_recipients::delete(db, recipient.as_str()).await?;
        }
        Ok(())
    }

    /// Checks a code. Every check counts as an attempt, atomically, so
    /// concurrent guesses cannot exceed the limit; a correct code marks the
    /// challenge used in the same statement.
    pub async fn verify(
        &self,
        db: &impl ConnectionTrait,
        challenge_id: Uuid,
        code: &OtpCode,
    ) -> anyhow::Result<VerifyOutcome> {
        let Some(challenge) = store::otp_challenges::find_by_id(db, challenge_id).await? else {
            return Ok(VerifyOutcome::UnknownChallenge);
        };
        if challenge.consumed_at.is_some() {
            return Ok(VerifyOutcome::AlreadyUsed);
        }
        if challenge.expires_at <= self.clock.now() {
            return Ok(VerifyOutcome::Expired);
        }
        let recipient = challenge
            .recipient
            .clone()
            .ok_or_else(|| anyhow::anyhow!("challenge without a recipient"))?;
        // A spent budget stops guesses on challenges still open, too: the cap
        // is on wrong codes per recipient, whichever challenge they go to.
        if self.budget_spent(&recipient).await? {
            return Ok(VerifyOutcome::TooManyAttempts);
        }
        let parts: [&[u8]; 2] = [challenge_id.as_bytes(), code.as_str().as_bytes()];
        let right = self.pepper.verify_hex(&parts, &challenge.code_hmac);
        // One statement counts the attempt and, for the right code, uses the
        // challenge: nothing is told before it has counted, and concurrent
        // guesses cannot exceed the limit or use the code twice.
        let used_at = right.then(|| self.clock.now());
        if !store::otp_challenges::update_attempt(db, challenge_id, used_at).await? {
            // No attempt left, or used by a concurrent request.
            return Ok(
                match store::otp_challenges::find_by_id(db, challenge_id).await? {
                    Some(c) if c.consumed_at.is_some() => VerifyOutcome::AlreadyUsed,
                    _ => VerifyOutcome::TooManyAttempts,
                },
            );
        }
        if !right {
            // The attempt above commits with the caller's transaction: an
            // error here would roll it back and give the guess for free, so
            // a limiter that cannot record the failure is logged, not fatal.
            if let Err(e) = self
                .limiter
                .add_event(&failure_key(&recipient), self.rules.failure_window)
                .await
            {
                tracing::error!(to = %recipient.masked(), error = %e, "recording a wrong code in the failure budget failed");
            }
            let used = challenge.attempts + 1;
            let left = challenge.max_attempts.saturating_sub(used);
            return Ok(if left == 0 {
                VerifyOutcome::TooManyAttempts
            } else {
                VerifyOutcome::Wrong {
                    attempts_left: left,
                }
            });
        }
        if let (Some(pumping), Some(phone)) = (&self.pumping, recipient.phone()) {
            pumping.record_verified(phone).await;
        }
        Ok(VerifyOutcome::Verified { recipient })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::domain::PhoneNumber;
    use crate::otp::InMemoryRateLimiter;

    fn engine(cooldown_secs: u64) -> OtpEngine {
        OtpEngine::new(
            OtpRules {
                resend_cooldown: Duration::from_secs(cooldown_secs),
                max_sends_per_phone_per_hour: 2,
                max_sends_per_ip_per_hour: 3,
                max_sends_per_network_per_hour: 4,
                max_sends_per_minute: 6,
                circuit_breaker_cooldown: Duration::from_secs(60),
                max_failures_per_recipient: 20,
                failure_window: Duration::from_secs(86_400),
            },
            Pepper::new([1; 32]),
            Arc::new(InMemoryRateLimiter::new(Arc::new(SystemClock))),
            Arc::new(SystemClock),
        )
    }

    #[test]
    fn the_cooldown_counts_whole_seconds_up() {
        let e = engine(30);
        let sent = Utc::now();
        assert_eq!(e.cooldown_left(sent, sent), 30);
        assert_eq!(
            e.cooldown_left(sent, sent + chrono::Duration::milliseconds(29_100)),
            1
        );
        assert_eq!(
            e.cooldown_left(sent, sent + chrono::Duration::seconds(30)),
            0
        );
        assert_eq!(
            e.cooldown_left(sent, sent + chrono::Duration::seconds(90)),
            0
        );
    }

    #[tokio::test]
    async fn send_limits_apply_per_phone_ip_network_and_globally() {
        let e = engine(0);
        let phone = |n: u32| {
            Recipient::Phone(PhoneNumber::parse(&format!("+4474001234{n:02}"), None).unwrap())
        };
        let send = |n: u32, ip: &'static str| {
            let p = phone(n);
            let e = &e;
            async move { e.acquire_send(&p, Some(ip)).await }
        };
        assert!(send(1, "10.0.0.1").await.is_ok());
        assert!(send(1, "10.0.0.1").await.is_ok());
        assert!(matches!(
            send(1, "10.0.0.1").await,
            Err(IssueError::PhoneLimit)
        ));
        assert!(send(2, "10.0.0.1").await.is_ok());
        assert!(matches!(
            send(3, "10.0.0.1").await,
            Err(IssueError::IpLimit)
        ));
        // Another address in the same /24 shares the network's limit of 4.
        assert!(send(4, "10.0.0.2").await.is_ok());
        assert!(matches!(
            send(5, "10.0.0.3").await,
            Err(IssueError::NetworkLimit)
        ));
        // Elsewhere: the global ceiling of 6 a minute trips the breaker.
        assert!(send(6, "192.0.2.1").await.is_ok());
        assert!(send(7, "198.51.100.1").await.is_ok());
        assert!(matches!(
            send(8, "203.0.113.1").await,
            Err(IssueError::Ceiling)
        ));
        assert!(
            matches!(send(9, "203.0.113.9").await, Err(IssueError::Ceiling)),
            "the breaker stays open"
        );
    }

    #[test]
    fn networks_are_the_24_or_64_around_an_address() {
        use super::limits::network_of;
        assert_eq!(network_of("10.1.2.3").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(
            network_of("2001:db8:1:2:3:4:5:6").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(network_of("nonsense"), None);
    }

    #[test]
    fn the_code_hmac_binds_the_challenge_id() {
        let e = engine(0);
        let code = OtpCode::parse("123456", 6).unwrap();
        let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(e.code_hmac(x, &code), e.code_hmac(y, &code));
        assert_eq!(e.code_hmac(x, &code).len(), 64);
    }
}
