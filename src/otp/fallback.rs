//! Staying up when Redis is away. Every Redis call goes through
//! [`SharedRedis::call`]: a short timeout, and on failure the caller falls
//! back to counting in this process, so limits still hold on each instance
//! (never unlimited). While Redis is away an error with
//! `alert="redis_unavailable"` is logged at most once a minute, and Redis is
//! tried again every few seconds; when it answers, ferrid uses it again
//! without a restart (the connection manager reconnects by itself).

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::clock::SharedClock;

use super::limiter::{InMemoryRateLimiter, Limit, RateLimiter, RedisRateLimiter};

/// How long a Redis call may take before the in-process fallback answers:
/// a request must never hang on an unreachable Redis.
const CALL_TIMEOUT: Duration = Duration::from_millis(800);

/// While Redis is away, how often one call tries it again.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// How often the `redis_unavailable` alert is logged while Redis is away.
const ALERT_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Health {
    /// Since when Redis has been failing; `None` while it answers.
    down_since: Option<Instant>,
    /// While down, the next time a call tries Redis again.
    retry_at: Option<Instant>,
    last_alert: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The Redis connection every shared counter uses, and whether it answers.
pub struct SharedRedis {
    connection: ConnectionManager,
    prefix: String,
    health: Mutex<Health>,
}

impl SharedRedis {
    /// Prepares the connection without waiting for Redis: ferrid starts, and
    /// counts in-process, even when Redis is away at start.
    pub async fn open(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("the Redis URL")?;
        // Short timeouts and one reconnection attempt per failure: the
        // fallback, not the connection manager, keeps requests moving.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .context("preparing the Redis connection")?;
        let redis = Self {
            connection,
            prefix: prefix.to_owned(),
            health: Mutex::new(Health::default()),
        };
        redis.ping().await;
        Ok(redis)
    }

    /// A clone of the connection (clones share one multiplexed connection).
    pub(super) fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// The prefix of every key ferrid writes.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Asks Redis whether it answers, and records the answer.
    pub async fn ping(&self) -> bool {
        let mut connection = self.connection();
        let answer = tokio::time::timeout(
            CALL_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok(_)) => {
                self.succeeded();
                true
            }
            Ok(Err(e)) => {
                self.failed(&anyhow::Error::new(e));
                false
            }
            Err(_) => {
                self.failed(&anyhow::anyhow!("Redis did not answer in time"));
                false
            }
        }
    }

    /// Whether the last call to Redis failed: limits are counted in this
    /// process until it answers again.
    pub fn is_degraded(&self) -> bool {
        lock(&self.health).down_since.is_some()
    }

    /// Runs a Redis call within the timeout. `None` when Redis failed, did
    /// not answer in time, or is away and not due for another try: the
    /// caller then counts in this process.
    pub(super) async fn call<T>(&self, call: impl Future<Output = anyhow::Result<T>>) -> Option<T> {
        if !self.due() {
            return None;
        }
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(e)) => {
                self.failed(&e);
                None
            }
            Err(_) => {
                self.failed(&anyhow::anyhow!("Redis did not answer in time"));
                None
            }
        }
    }

    /// Whether to try Redis now: it answers, or it is time to try again.
    fn due(&self) -> bool {
        let mut health = lock(&self.health);
        match health.retry_at {
            None => true,
            Some(at) if Instant::now() >= at => {
                // Only this call tries; the others keep to the fallback.
                health.retry_at = Some(Instant::now() + RETRY_EVERY);
                true
            }
            Some(_) => false,
        }
    }

    fn failed(&self, error: &anyhow::Error) {
        let now = Instant::now();
        let mut health = lock(&self.health);
        let since = *health.down_since.get_or_insert(now);
        health.retry_at = Some(now + RETRY_EVERY);
        if health
            .last_alert
            .is_none_or(|at| now.duration_since(at) >= ALERT_EVERY)
        {
            health.last_alert = Some(now);
            tracing::error!(
                alert = "redis_unavailable",
                error = %error,
                down_for_secs = now.duration_since(since).as_secs(),
                "Redis is unavailable: send limits are counted in this process only until it answers again"
            );
        }
    }

    fn succeeded(&self) {
        let mut health = lock(&self.health);
        if let Some(since) = health.down_since.take() {
            tracing::warn!(
                down_for_secs = since.elapsed().as_secs(),
                "Redis answers again: send limits are shared again"
            );
        }
        health.retry_at = None;
    }
}

/// Send limits in Redis, and in this process while Redis is away.
pub struct FallbackRateLimiter {
    redis: std::sync::Arc<SharedRedis>,
    shared: RedisRateLimiter,
    local: InMemoryRateLimiter,
}

impl FallbackRateLimiter {
    /// The fallback counts on `clock`; Redis counts on its own.
    pub fn new(redis: std::sync::Arc<SharedRedis>, clock: SharedClock) -> Self {
        Self {
            shared: RedisRateLimiter::on(redis.connection(), redis.prefix()),
            redis,
            local: InMemoryRateLimiter::new(clock),
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for FallbackRateLimiter {
    async fn try_acquire(&self, limits: &[Limit]) -> anyhow::Result<Result<(), usize>> {
        match self.redis.call(self.shared.try_acquire(limits)).await {
            Some(answer) => Ok(answer),
            None => self.local.try_acquire(limits).await,
        }
    }

    /// Where the event was recorded is not known: Redis when it answers,
    /// else here (an event recorded here while Redis was away stays
    /// counted until its window ends).
    async fn refund(&self, limits: &[Limit]) -> anyhow::Result<()> {
        match self.redis.call(self.shared.refund(limits)).await {
            Some(()) => Ok(()),
            None => self.local.refund(limits).await,
        }
    }

    async fn trip(&self, name: &str, duration: Duration) -> anyhow::Result<()> {
        match self.redis.call(self.shared.trip(name, duration)).await {
            Some(()) => Ok(()),
            None => self.local.trip(name, duration).await,
        }
    }

    /// Open here or in Redis: a breaker tripped while Redis was away stays
    /// open on this instance when Redis comes back.
    async fn is_tripped(&self, name: &str) -> anyhow::Result<bool> {
        if self.local.is_tripped(name).await? {
            return Ok(true);
        }
        Ok(self
            .redis
            .call(self.shared.is_tripped(name))
            .await
            .unwrap_or(false))
    }

    async fn add_event(&self, key: &str, window: Duration) -> anyhow::Result<()> {
        match self.redis.call(self.shared.add_event(key, window)).await {
            Some(()) => Ok(()),
            None => self.local.add_event(key, window).await,
        }
    }

    /// Events are recorded in Redis or, while it is away, here: the count is
    /// both, so failures made during an outage still count once it is back.
    async fn count_events(&self, key: &str, window: Duration) -> anyhow::Result<u32> {
        let local = self.local.count_events(key, window).await?;
        let shared = self
            .redis
            .call(self.shared.count_events(key, window))
            .await
            .unwrap_or(0);
        Ok(local.saturating_add(shared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(max: u32) -> Limit {
        Limit {
            key: "otp:phone:x".into(),
            max,
            window: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_limits_in_this_process() {
        // Nothing listens on port 1.
        let redis = std::sync::Arc::new(
            SharedRedis::open("redis://127.0.0.1:1", "t:")
                .await
                .unwrap(),
        );
        assert!(redis.is_degraded());
        let limiter = FallbackRateLimiter::new(
            redis.clone(),
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        let started = Instant::now();
        assert!(limiter.try_acquire(&[limit(2)]).await.unwrap().is_ok());
        assert!(limiter.try_acquire(&[limit(2)]).await.unwrap().is_ok());
        assert_eq!(limiter.try_acquire(&[limit(2)]).await.unwrap(), Err(0));
        limiter.trip("b", Duration::from_secs(60)).await.unwrap();
        assert!(limiter.is_tripped("b").await.unwrap());
        limiter
            .add_event("otp:failures:x", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            limiter
                .count_events("otp:failures:x", Duration::from_secs(60))
                .await
                .unwrap(),
            1
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
