//! SMS pumping detection per destination. Pumping fraud (toll fraud) sends
//! codes to number ranges that pay the fraudster per message; nobody types
//! those codes back. So the signal is the share of codes verified: for each
//! number range (country code + 3 national digits, see
//! `PhoneNumber::range_prefix`), codes sent and codes verified are counted
//! over a sliding window, and when at least `min_sends` codes went to a
//! range and fewer than `min_verified_ratio` of them were verified, that
//! range alone is throttled for `throttle_for` (Twilio's Fraud Guard works on
//! the same conversion signal). Sending elsewhere goes on; the global
//! ceiling stays as the last resort. Counts per country are kept too, for
//! the operator's view (`ferrid connection sms stats`).
//!
//! Counted in Redis when configured (every instance sees the same counts),
//! in this process otherwise or while Redis is away (the same fallback as
//! the send limits).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::fallback::SharedRedis;
use crate::clock::SharedClock;
use crate::domain::PhoneNumber;
use crate::store;

/// When a range is throttled, from the settings (`[sms.pumping]`).
#[derive(Clone, Copy, Debug)]
pub struct PumpingRules {
    pub window: Duration,
    /// Codes sent to a range within the window before its ratio counts.
    pub min_sends: u32,
    /// Verified / sent below this throttles the range.
    pub min_verified_ratio: f64,
    pub throttle_for: Duration,
}

/// What the detector says about a new code for a number.
#[derive(Debug, PartialEq)]
pub enum PumpingVerdict {
    Allowed,
    /// The number's range is throttled.
    Throttled,
    /// This request found the range pumped and throttled it.
    NewlyThrottled(PumpingTrip),
}

/// A range that was just throttled, for the alert and the audit log.
#[derive(Debug, PartialEq)]
pub struct PumpingTrip {
    pub prefix: String,
    pub sent: u64,
    pub verified: u64,
}

/// One destination's counts within the window.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DestinationCounts {
    /// A country code (`+44`) or a range prefix (`+44740`).
    pub destination: String,
    pub sent: u64,
    pub verified: u64,
}

/// A throttled range and the seconds left.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThrottledRange {
    pub prefix: String,
    pub seconds_left: u64,
}

/// What `ferrid connection sms stats` shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PumpingStats {
    pub source: &'static str,
    pub window_secs: u64,
    pub destinations: Vec<DestinationCounts>,
    pub throttled: Vec<ThrottledRange>,
}

#[derive(Clone, Copy)]
enum Event {
    Sent,
    Verified,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Verified => "verified",
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// How long ago `then` was; zero if the clock says it is still to come.
fn since(now: DateTime<Utc>, then: DateTime<Utc>) -> Duration {
    (now - then).to_std().unwrap_or(Duration::ZERO)
}

/// Sliding-window counts in this process, on the application's clock.
struct LocalCounts {
    clock: SharedClock,
    events: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    throttled: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl LocalCounts {
    fn add(&self, event: Event, destinations: &[String], window: Duration) {
        let now = self.clock.now();
        let mut events = lock(&self.events);
        for d in destinations {
            events
                .entry(format!("{}:{d}", event.name()))
                .or_default()
                .push_back(now);
        }
        if events.len() > 100_000 {
            events.retain(|_, q| q.back().is_some_and(|t| since(now, *t) < window));
        }
    }

    fn count(&self, prefix: &str, window: Duration) -> (u64, u64, bool) {
        let now = self.clock.now();
        let mut events = lock(&self.events);
        let mut count = |event: Event| {
            let Some(queue) = events.get_mut(&format!("{}:{prefix}", event.name())) else {
                return 0;
            };
            while queue.front().is_some_and(|t| since(now, *t) >= window) {
                queue.pop_front();
            }
            queue.len() as u64
        };
        let (sent, verified) = (count(Event::Sent), count(Event::Verified));
        let throttled = lock(&self.throttled)
            .get(prefix)
            .is_some_and(|until| *until > now);
        (sent, verified, throttled)
    }

    fn throttle(&self, prefix: &str, duration: Duration) {
        let now = self.clock.now();
        let mut throttled = lock(&self.throttled);
        throttled.retain(|_, until| *until > now);
        let duration = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(365));
        throttled.insert(prefix.to_owned(), now + duration);
    }
}

/// Records one event under each destination, on Redis's clock, and keeps
/// the set of destinations seen (for the stats).
/// KEYS[1]: the destinations set; KEYS[2..]: the counters.
/// ARGV[1]: a unique member; ARGV[2]: the window in ms; ARGV[3..]: the destinations.
const RECORD: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  redis.call('PEXPIRE', KEYS[i], window)
end
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[1], now, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
return 0
";

/// A range's counts within the window and whether it is throttled.
/// KEYS: sent, verified, the throttled set. ARGV: the window in ms, the prefix.
const COUNT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = now - tonumber(ARGV[1])
local sent = redis.call('ZCOUNT', KEYS[1], since, '+inf')
local verified = redis.call('ZCOUNT', KEYS[2], since, '+inf')
local untl = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[2]) or '0')
local throttled = 0
if untl > now then throttled = 1 end
return {sent, verified, throttled}
";

/// Throttles a range. KEYS: the throttled set. ARGV: the duration in ms, the prefix.
const THROTTLE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
return 0
";

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The Redis keys of the counts (under `redis_prefix`).
struct Keys<'a>(&'a str);

impl Keys<'_> {
    fn counter(&self, event: Event, destination: &str) -> String {
        format!("{}pump:{}:{destination}", self.0, event.name())
    }
    fn destinations(&self) -> String {
        format!("{}pump:destinations", self.0)
    }
    fn throttled(&self) -> String {
        format!("{}pump:throttled", self.0)
    }
}

/// Counts sends and verifications per destination and throttles pumped ranges.
pub struct PumpingGuard {
    rules: PumpingRules,
    redis: Option<Arc<SharedRedis>>,
    local: LocalCounts,
    record_script: redis::Script,
    count_script: redis::Script,
    throttle_script: redis::Script,
}

impl PumpingGuard {
    pub fn new(rules: PumpingRules, redis: Option<Arc<SharedRedis>>, clock: SharedClock) -> Self {
        Self {
            rules,
            redis,
            local: LocalCounts {
                clock,
                events: Mutex::default(),
                throttled: Mutex::default(),
            },
            record_script: redis::Script::new(RECORD),
            count_script: redis::Script::new(COUNT),
            throttle_script: redis::Script::new(THROTTLE),
        }
    }

    pub fn rules(&self) -> &PumpingRules {
        &self.rules
    }

    /// Before a code is sent: whether the number's range may get it. A range
    /// with enough sends and too few verifications is throttled here.
    pub async fn check(&self, phone: &PhoneNumber) -> PumpingVerdict {
        let prefix = phone.range_prefix();
        let (sent, verified, throttled) = self.count(&prefix).await;
        if throttled {
            return PumpingVerdict::Throttled;
        }
        if sent < u64::from(self.rules.min_sends)
            || verified as f64 >= self.rules.min_verified_ratio * sent as f64
        {
            return PumpingVerdict::Allowed;
        }
        self.throttle(&prefix).await;
        PumpingVerdict::NewlyThrottled(PumpingTrip {
            prefix,
            sent,
            verified,
        })
    }

    /// A code went out to this number (after the send limits passed).
    pub async fn record_sent(&self, phone: &PhoneNumber) {
        self.record(Event::Sent, phone).await;
    }

    /// A code sent to this number was typed back correctly.
    pub async fn record_verified(&self, phone: &PhoneNumber) {
        self.record(Event::Verified, phone).await;
    }

    async fn record(&self, event: Event, phone: &PhoneNumber) {
        let destinations = [phone.country_prefix(), phone.range_prefix()];
        if let Some(redis) = &self.redis {
            let keys = Keys(redis.prefix());
            let mut invocation = self.record_script.prepare_invoke();
            invocation.key(keys.destinations());
            for d in &destinations {
                invocation.key(keys.counter(event, d));
            }
            invocation
                .arg(uuid::Uuid::new_v4().to_string())
                .arg(millis(self.rules.window));
            for d in &destinations {
                invocation.arg(d);
            }
            let mut connection = redis.connection();
            let call = async {
                invocation
                    .invoke_async::<i64>(&mut connection)
                    .await
                    .context("Redis pumping counts")
            };
            if redis.call(call).await.is_some() {
                return;
            }
        }
        self.local.add(event, &destinations, self.rules.window);
    }

    async fn count(&self, prefix: &str) -> (u64, u64, bool) {
        if let Some(redis) = &self.redis {
            let keys = Keys(redis.prefix());
            let mut invocation = self.count_script.prepare_invoke();
            invocation
                .key(keys.counter(Event::Sent, prefix))
                .key(keys.counter(Event::Verified, prefix))
                .key(keys.throttled())
                .arg(millis(self.rules.window))
                .arg(prefix);
            let mut connection = redis.connection();
            let call = async {
                invocation
                    .invoke_async::<(u64, u64, u8)>(&mut connection)
                    .await
                    .context("Redis pumping counts")
            };
            if let Some((sent, verified, throttled)) = redis.call(call).await {
                // A range throttled here while Redis was away stays throttled.
                let local = self.local.count(prefix, self.rules.window).2;
                return (sent, verified, throttled == 1 || local);
            }
        }
        self.local.count(prefix, self.rules.window)
    }

    async fn throttle(&self, prefix: &str) {
        if let Some(redis) = &self.redis {
            let mut invocation = self.throttle_script.prepare_invoke();
            invocation
                .key(Keys(redis.prefix()).throttled())
                .arg(millis(self.rules.throttle_for))
                .arg(prefix);
            let mut connection = redis.connection();
            let call = async {
                invocation
                    .invoke_async::<i64>(&mut connection)
                    .await
                    .context("Redis pumping throttle")
            };
            if redis.call(call).await.is_some() {
                return;
            }
        }
        self.local.throttle(prefix, self.rules.throttle_for);
    }
}

/// The shared counts in Redis, for `ferrid connection sms stats` (a separate
/// process: only Redis, or the audit log, hold what the instances counted).
pub async fn stats_from_redis(
    redis: &SharedRedis,
    window: Duration,
) -> anyhow::Result<PumpingStats> {
    let keys = Keys(redis.prefix());
    let mut connection = redis.connection();
    let (secs, micros): (u64, u64) = redis::cmd("TIME")
        .query_async(&mut connection)
        .await
        .context("Redis TIME")?;
    let now = secs * 1000 + micros / 1000;
    let since = now.saturating_sub(millis(window));
    let destinations: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys.destinations())
        .arg(since)
        .arg("+inf")
        .query_async(&mut connection)
        .await
        .context("Redis pumping destinations")?;
    let mut pipe = redis::pipe();
    for d in &destinations {
        for event in [Event::Sent, Event::Verified] {
            pipe.cmd("ZCOUNT")
                .arg(keys.counter(event, d))
                .arg(since)
                .arg("+inf");
        }
    }
    let counts: Vec<u64> = if destinations.is_empty() {
        Vec::new()
    } else {
        pipe.query_async(&mut connection)
            .await
            .context("Redis pumping counts")?
    };
    let mut rows: Vec<DestinationCounts> = destinations
        .into_iter()
        .zip(counts.chunks(2))
        .map(|(destination, c)| DestinationCounts {
            destination,
            sent: c.first().copied().unwrap_or(0),
            verified: c.get(1).copied().unwrap_or(0),
        })
        .collect();
    rows.sort_by(|a, b| a.destination.cmp(&b.destination));
    let throttled: Vec<(String, f64)> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys.throttled())
        .arg(now)
        .arg("+inf")
        .arg("WITHSCORES")
        .query_async(&mut connection)
        .await
        .context("Redis throttled ranges")?;
    Ok(PumpingStats {
        source: "redis",
        window_secs: window.as_secs(),
        destinations: rows,
        throttled: throttled
            .into_iter()
            .map(|(prefix, until)| ThrottledRange {
                prefix,
                seconds_left: ((until as u64).saturating_sub(now)).div_ceil(1000),
            })
            .collect(),
    })
}

/// The counts from the audit log, for `ferrid connection sms stats` without
/// Redis: every instance records each code sent (`sms.sent`) and verified
/// (`otp.verified`) with its country and range, and each throttling
/// (`sms.pumping_throttled`). The instances' own decisions use their
/// in-process counts, so these totals can be higher than what any one
/// instance saw.
pub async fn stats_from_audit(
    db: &impl store::ConnectionTrait,
    rules: &PumpingRules,
    now: DateTime<Utc>,
) -> anyhow::Result<PumpingStats> {
    let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(365));
    let since = now - span(rules.window.max(rules.throttle_for));
    let counted_since = now - span(rules.window);
    let events = store::audit_events::list_since(
        db,
        &["sms.sent", "otp.verified", "sms.pumping_throttled"],
        since,
    )
    .await?;
    let mut counts: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut throttled: std::collections::BTreeMap<String, u64> = Default::default();
    for event in events {
        let field = |name: &str| event.details[name].as_str().map(str::to_owned);
        match event.kind.as_str() {
            "sms.pumping_throttled" => {
                let Some(prefix) = field("prefix") else {
                    continue;
                };
                let until = event.at + span(rules.throttle_for);
                if until > now {
                    let left = u64::try_from((until - now).num_seconds()).unwrap_or(0);
                    throttled.insert(prefix, left);
                }
            }
            kind if event.at >= counted_since => {
                for destination in [field("country"), field("range")].into_iter().flatten() {
                    let entry = counts.entry(destination).or_default();
                    if kind == "sms.sent" {
                        entry.0 += 1;
                    } else {
                        entry.1 += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(PumpingStats {
        source: "audit log",
        window_secs: rules.window.as_secs(),
        destinations: counts
            .into_iter()
            .map(|(destination, (sent, verified))| DestinationCounts {
                destination,
                sent,
                verified,
            })
            .collect(),
        throttled: throttled
            .into_iter()
            .map(|(prefix, seconds_left)| ThrottledRange {
                prefix,
                seconds_left,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(min_sends: u32) -> PumpingGuard {
        PumpingGuard::new(
            PumpingRules {
                window: Duration::from_secs(3600),
                min_sends,
                min_verified_ratio: 0.2,
                throttle_for: Duration::from_secs(3600),
            },
            None,
            Arc::new(crate::clock::SystemClock),
        )
    }

    fn phone(n: u32) -> PhoneNumber {
        PhoneNumber::parse(&format!("+4474001{n:05}"), None).unwrap()
    }

    #[tokio::test]
    async fn a_range_with_sends_and_no_verifications_is_throttled_alone() {
        let g = guard(5);
        for n in 0..5 {
            assert_eq!(g.check(&phone(n)).await, PumpingVerdict::Allowed);
            g.record_sent(&phone(n)).await;
        }
        assert_eq!(
            g.check(&phone(9)).await,
            PumpingVerdict::NewlyThrottled(PumpingTrip {
                prefix: "+44740".into(),
                sent: 5,
                verified: 0
            })
        );
        assert_eq!(g.check(&phone(9)).await, PumpingVerdict::Throttled);
        // Another range of the same country still gets codes.
        let other = PhoneNumber::parse("+447911123456", None).unwrap();
        assert_eq!(g.check(&other).await, PumpingVerdict::Allowed);
    }

    #[tokio::test]
    async fn verified_traffic_is_not_throttled() {
        let g = guard(5);
        for n in 0..20 {
            assert_eq!(g.check(&phone(n)).await, PumpingVerdict::Allowed);
            g.record_sent(&phone(n)).await;
            if n % 2 == 0 {
                g.record_verified(&phone(n)).await;
            }
        }
    }

    #[test]
    fn prefixes_are_the_country_code_and_three_national_digits() {
        let gb = PhoneNumber::parse("+447400123456", None).unwrap();
        assert_eq!(
            (gb.country_prefix(), gb.range_prefix()),
            ("+44".into(), "+44740".into())
        );
        let us = PhoneNumber::parse("+16505551234", None).unwrap();
        assert_eq!(
            (us.country_prefix(), us.range_prefix()),
            ("+1".into(), "+1650".into())
        );
        let fr = PhoneNumber::parse("+33612345678", None).unwrap();
        assert_eq!(fr.range_prefix(), "+33612");
    }
}
