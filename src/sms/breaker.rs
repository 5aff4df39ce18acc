//! A circuit breaker around the live provider. A provider that fails every
//! request (5xx, timeouts, connection errors, after the sender's one retry)
//! is left alone after `failures` consecutive failures: for `cooldown` no
//! message is handed to it and the user is told to try again in a minute,
//! instead of every sign-in waiting on timeouts and retrying into an outage.
//! After the cooldown one request is let through as a probe (half-open): its
//! success closes the breaker, its failure opens it for another cooldown.
//! A refusal (4xx) is the provider answering, so it counts as a success.
//! The state is per instance: each instance learns of an outage on its own
//! after a few failed sends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Delivery, SmsError, SmsMessage, SmsSender};
use crate::clock::SharedClock;

/// When the breaker opens and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the breaker.
    pub failures: u32,
    /// How long it stays open before one probe is let through.
    pub cooldown: Duration,
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: DateTime<Utc>,
    },
    /// One probe is in flight; every other send is refused until it ends
    /// (or, if its request was abandoned, until another cooldown passed).
    HalfOpen {
        since: DateTime<Utc>,
    },
}

/// A sender that stops calling a failing provider for a while.
pub struct BreakerSender {
    inner: Arc<dyn SmsSender>,
    settings: BreakerSettings,
    clock: SharedClock,
    state: Mutex<State>,
}

impl BreakerSender {
    pub fn new(inner: Arc<dyn SmsSender>, settings: BreakerSettings, clock: SharedClock) -> Self {
        Self {
            inner,
            settings,
            clock,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Whether this send may go to the provider (and becomes the probe when
    /// the cooldown is over).
    fn admit(&self) -> bool {
        let now = self.clock.now();
        let mut state = self.state();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { since } if now >= since + self.cooldown() => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } | State::HalfOpen { .. } => false,
        }
    }

    fn record(&self, outcome: &Result<Delivery, SmsError>) {
        let provider_failed =
            matches!(outcome, Err(SmsError::Unavailable(_) | SmsError::Failed(_)));
        let mut state = self.state();
        let next = match (&*state, provider_failed) {
            (State::HalfOpen { .. }, false) => {
                tracing::warn!(
                    provider = self.inner.provider(),
                    "the SMS provider answers again; sending resumes"
                );
                State::Closed { failures: 0 }
            }
            (State::HalfOpen { .. }, true) => self.open("the probe after the cooldown failed too"),
            (State::Closed { failures }, true) if failures + 1 >= self.settings.failures => {
                self.open("consecutive failures")
            }
            (State::Closed { failures }, true) => State::Closed {
                failures: failures + 1,
            },
            (State::Closed { .. }, false) => State::Closed { failures: 0 },
            // A send admitted before the breaker opened: the breaker stays open.
            (State::Open { until }, _) => State::Open { until: *until },
        };
        *state = next;
    }

    fn open(&self, why: &str) -> State {
        tracing::error!(
            alert = "sms_provider_unavailable",
            provider = self.inner.provider(),
            failures = self.settings.failures,
            cooldown_secs = self.settings.cooldown.as_secs(),
            "the SMS provider keeps failing ({why}); no message is handed to it until the cooldown ends"
        );
        State::Open {
            until: self.clock.now() + self.cooldown(),
        }
    }

    fn cooldown(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.cooldown).unwrap_or(chrono::Duration::days(1))
    }
}

#[async_trait::async_trait]
impl SmsSender for BreakerSender {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }

    async fn send(&self, message: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
        if !self.admit() {
            return Err(SmsError::Paused);
        }
        let outcome = self.inner.send(message).await;
        self.record(&outcome);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use chrono::Utc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::{MessageUsage, OtpCode, PhoneNumber};

    struct Flaky {
        calls: AtomicU32,
        failing: AtomicBool,
    }

    #[async_trait::async_trait]
    impl SmsSender for Flaky {
        fn provider(&self) -> &'static str {
            "flaky"
        }
        async fn send(&self, _: &SmsMessage<'_>) -> Result<Delivery, SmsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                Err(SmsError::Unavailable("500".into()))
            } else {
                Ok(Delivery::default())
            }
        }
    }

    #[tokio::test]
    async fn the_breaker_opens_after_n_failures_probes_once_and_closes_on_success() {
        let flaky = Arc::new(Flaky {
            calls: AtomicU32::new(0),
            failing: AtomicBool::new(true),
        });
        let clock = Arc::new(ManualClock::starting_now());
        let breaker = BreakerSender::new(
            flaky.clone(),
            BreakerSettings {
                failures: 3,
                cooldown: Duration::from_secs(60),
            },
            clock.clone(),
        );
        let phone = PhoneNumber::parse("+447400123456", None).unwrap();
        let code = OtpCode::parse("123456", 6).unwrap();
        let message = SmsMessage {
            to: &phone,
            body: "code",
            code: Some(&code),
            usage: MessageUsage::Login,
            expires_at: Utc::now(),
            user_id: None,
        };
        for _ in 0..3 {
            assert!(matches!(
                breaker.send(&message).await,
                Err(SmsError::Unavailable(_))
            ));
        }
        for _ in 0..5 {
            assert!(matches!(
                breaker.send(&message).await,
                Err(SmsError::Paused)
            ));
        }
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 3, "open: not called");
        clock.advance(Duration::from_secs(59));
        assert!(matches!(
            breaker.send(&message).await,
            Err(SmsError::Paused)
        ));
        clock.advance(Duration::from_secs(1));
        // The probe fails: open again, without a second call.
        assert!(breaker.send(&message).await.is_err());
        assert!(matches!(
            breaker.send(&message).await,
            Err(SmsError::Paused)
        ));
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 4);
        clock.advance(Duration::from_secs(60));
        flaky.failing.store(false, Ordering::SeqCst);
        assert!(breaker.send(&message).await.is_ok());
        assert!(breaker.send(&message).await.is_ok());
        assert_eq!(flaky.calls.load(Ordering::SeqCst), 6, "closed again");
    }
}
