//! The checks a new code passes before it is sent: the recipient's failure
//! budget and cooldown, pumping detection, and the send limits per
//! recipient, address, network and globally.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{IssueError, OtpEngine};
use crate::domain::Recipient;
use crate::otp::limiter::Limit;
use crate::otp::pumping::PumpingVerdict;
use crate::store::{self, ConnectionTrait};

/// The /24 (IPv4) or /64 (IPv6) network of an address, as a key.
pub(super) fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
        }
    }
}

const CEILING_BREAKER: &str = "otp-global-ceiling";

/// The limiter key of a recipient's failure budget.
pub(super) fn failure_key(recipient: &Recipient) -> String {
    format!("otp:failures:{}", recipient.as_str())
}

impl OtpEngine {
    /// Refuses a number whose range is throttled for pumping, and throttles
    /// a range that looks pumped (alert and audit event, with the prefix).
    pub(super) async fn check_pumping(
        &self,
        db: &impl ConnectionTrait,
        recipient: &Recipient,
        ip: Option<&str>,
    ) -> Result<(), IssueError> {
        let (Some(pumping), Some(phone)) = (&self.pumping, recipient.phone()) else {
            return Ok(());
        };
        match pumping.check(phone).await {
            PumpingVerdict::Allowed => Ok(()),
            PumpingVerdict::Throttled => Err(IssueError::RangeThrottled),
            PumpingVerdict::NewlyThrottled(trip) => {
                let rules = pumping.rules();
                tracing::error!(
                    alert = "sms_pumping",
                    prefix = %trip.prefix,
                    sent = trip.sent,
                    verified = trip.verified,
                    window_secs = rules.window.as_secs(),
                    throttle_secs = rules.throttle_for.as_secs(),
                    "few codes sent to this number range are verified (possible SMS pumping); the range is throttled"
                );
                crate::audit::record(
                    db,
                    self.clock.now(),
                    "sms.pumping_throttled",
                    Some(trip.prefix.clone()),
                    None,
                    ip,
                    serde_json::json!({
                        "prefix": trip.prefix,
                        "sent": trip.sent,
                        "verified": trip.verified,
                        "window_secs": rules.window.as_secs(),
                        "throttle_secs": rules.throttle_for.as_secs(),
                    }),
                )
                .await;
                Err(IssueError::RangeThrottled)
            }
        }
    }

    pub(super) async fn acquire_send(
        &self,
        recipient: &Recipient,
        ip: Option<&str>,
    ) -> Result<(), IssueError> {
        match recipient {
            Recipient::Phone(_) => self.acquire_sms(recipient, ip).await,
            Recipient::Email(_) => self.acquire_email(recipient, ip).await,
        }
    }

    /// The limits of a code by email, keyed apart from the SMS ones: per
    /// address and per client address, with the hourly numbers of the SMS
    /// limits. The global ceiling and the network limit defend against
    /// SMS pumping, which costs per message; mail does not, and one user's
    /// SMS traffic must not stop their email codes (nor the reverse).
    async fn acquire_email(
        &self,
        recipient: &Recipient,
        ip: Option<&str>,
    ) -> Result<(), IssueError> {
        let hour = Duration::from_secs(3600);
        let mut limits = vec![Limit {
            key: format!("otp:email:{}", recipient.as_str().to_lowercase()),
            max: self.rules.max_sends_per_phone_per_hour,
            window: hour,
        }];
        if let Some(ip) = ip {
            limits.push(Limit {
                key: format!("otp:email-ip:{ip}"),
                max: self.rules.max_sends_per_ip_per_hour,
                window: hour,
            });
        }
        match self.limiter.try_acquire(&limits).await? {
            Ok(()) => Ok(()),
            Err(0) => Err(IssueError::PhoneLimit),
            Err(_) => Err(IssueError::IpLimit),
        }
    }

    async fn acquire_sms(&self, recipient: &Recipient, ip: Option<&str>) -> Result<(), IssueError> {
        if self.limiter.is_tripped(CEILING_BREAKER).await? {
            return Err(IssueError::Ceiling);
        }
        let hour = Duration::from_secs(3600);
        let mut limits = vec![
            Limit {
                key: "otp:global".to_owned(),
                max: self.rules.max_sends_per_minute,
                window: Duration::from_secs(60),
            },
            Limit {
                key: format!("otp:phone:{}", recipient.as_str()),
                max: self.rules.max_sends_per_phone_per_hour,
                window: hour,
            },
        ];
        if let Some(ip) = ip {
            limits.push(Limit {
                key: format!("otp:ip:{ip}"),
                max: self.rules.max_sends_per_ip_per_hour,
                window: hour,
            });
            if let Some(network) = network_of(ip) {
                limits.push(Limit {
                    key: format!("otp:net:{network}"),
                    max: self.rules.max_sends_per_network_per_hour,
                    window: hour,
                });
            }
        }
        match self.limiter.try_acquire(&limits).await? {
            Ok(()) => Ok(()),
            Err(0) => {
                self.limiter
                    .trip(CEILING_BREAKER, self.rules.circuit_breaker_cooldown)
                    .await?;
                tracing::error!(
                    alert = "sms_send_ceiling",
                    max_per_minute = self.rules.max_sends_per_minute,
                    cooldown_secs = self.rules.circuit_breaker_cooldown.as_secs(),
                    "the global SMS send ceiling was reached; sending is paused (possible SMS pumping)"
                );
                Err(IssueError::Ceiling)
            }
            Err(1) => Err(IssueError::PhoneLimit),
            Err(2) => Err(IssueError::IpLimit),
            Err(_) => Err(IssueError::NetworkLimit),
        }
    }

    /// Whether the recipient has used up its wrong codes for the window.
    pub(super) async fn budget_spent(&self, recipient: &Recipient) -> anyhow::Result<bool> {
        let failures = self
            .limiter
            .count_events(&failure_key(recipient), self.rules.failure_window)
            .await?;
        Ok(failures >= self.rules.max_failures_per_recipient)
    }

    /// Takes the recipient's resend cooldown, for one of any number of
    /// concurrent requests.
    pub(super) async fn claim_cooldown(
        &self,
        db: &impl ConnectionTrait,
        recipient: &Recipient,
        now: DateTime<Utc>,
    ) -> Result<(), IssueError> {
        match store::otp_recipients::update_claim(
            db,
            recipient.as_str(),
            now,
            self.rules.resend_cooldown,
        )
        .await
        .map_err(|e| IssueError::Unexpected(e.into()))?
        {
            store::otp_recipients::Claim::Claimed => {}
            store::otp_recipients::Claim::Cooling(last_sent_at) => {
                return Err(IssueError::Cooldown(
                    self.cooldown_left(last_sent_at, now).max(1),
                ));
            }
        }
        Ok(())
    }
}
