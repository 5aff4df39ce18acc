//! Send limits: sliding windows per key, and a circuit breaker. In this
//! process by default; in Redis when configured, so that every instance
//! counts against the same limits.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::clock::SharedClock;

/// One limit: at most `max` events per `window` for `key`.
#[derive(Clone, Debug)]
pub struct Limit {
    pub key: String,
    pub max: u32,
    pub window: Duration,
}

/// Counts events against limits.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    /// Records one event under every key only when none of the limits is
    /// reached; otherwise says which limit (by index) was hit.
    async fn try_acquire(&self, limits: &[Limit]) -> anyhow::Result<Result<(), usize>>;
    /// Takes back one event under every key of `limits`: one that
    /// `try_acquire` recorded for a request that then failed before doing
    /// what is counted. Only the count matters, so the newest event goes.
    async fn refund(&self, limits: &[Limit]) -> anyhow::Result<()>;
    /// Opens the named breaker for `duration`.
    async fn trip(&self, name: &str, duration: Duration) -> anyhow::Result<()>;
    /// Whether the named breaker is open.
    async fn is_tripped(&self, name: &str) -> anyhow::Result<bool>;
    /// Records one event under `key`, kept for `window`, with no limit
    /// (a wrong code counted against a recipient's failure budget).
    async fn add_event(&self, key: &str, window: Duration) -> anyhow::Result<()>;
    /// How many events `key` has had within the last `window`.
    async fn count_events(&self, key: &str, window: Duration) -> anyhow::Result<u32>;
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

/// Sliding-window counters in this process, on the application's clock.
pub struct InMemoryRateLimiter {
    clock: SharedClock,
    events: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    breakers: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Events without a limit (failure budgets), apart from the send
    /// windows so that their one-hour clean-up never drops them.
    counted: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl InMemoryRateLimiter {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            events: Mutex::default(),
            breakers: Mutex::default(),
            counted: Mutex::default(),
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn try_acquire(&self, limits: &[Limit]) -> anyhow::Result<Result<(), usize>> {
        let now = self.clock.now();
        let mut events = lock(&self.events);
        for (i, limit) in limits.iter().enumerate() {
            let queue = events.entry(limit.key.clone()).or_default();
            while queue
                .front()
                .is_some_and(|t| since(now, *t) >= limit.window)
            {
                queue.pop_front();
            }
            if queue.len() >= limit.max as usize {
                return Ok(Err(i));
            }
        }
        for limit in limits {
            events.entry(limit.key.clone()).or_default().push_back(now);
        }
        // Keep the map from growing without bound.
        if events.len() > 100_000 {
            events.retain(|_, q| {
                q.back()
                    .is_some_and(|t| since(now, *t) < Duration::from_secs(3600))
            });
        }
        Ok(Ok(()))
    }

    async fn refund(&self, limits: &[Limit]) -> anyhow::Result<()> {
        let mut events = lock(&self.events);
        for limit in limits {
            if let Some(queue) = events.get_mut(&limit.key) {
                queue.pop_back();
            }
        }
        Ok(())
    }

    async fn trip(&self, name: &str, duration: Duration) -> anyhow::Result<()> {
        let until = self.clock.now() + chrono::Duration::from_std(duration)?;
        lock(&self.breakers).insert(name.to_owned(), until);
        Ok(())
    }

    async fn is_tripped(&self, name: &str) -> anyhow::Result<bool> {
        Ok(lock(&self.breakers)
            .get(name)
            .is_some_and(|until| *until > self.clock.now()))
    }

    async fn add_event(&self, key: &str, window: Duration) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut counted = lock(&self.counted);
        let queue = counted.entry(key.to_owned()).or_default();
        while queue.front().is_some_and(|t| since(now, *t) >= window) {
            queue.pop_front();
        }
        queue.push_back(now);
        if counted.len() > 100_000 {
            counted.retain(|_, q| q.back().is_some_and(|t| since(now, *t) < window));
        }
        Ok(())
    }

    async fn count_events(&self, key: &str, window: Duration) -> anyhow::Result<u32> {
        let now = self.clock.now();
        let events = lock(&self.counted);
        let count = events.get(key).map_or(0, |queue| {
            queue.iter().filter(|t| since(now, **t) < window).count()
        });
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

/// Checks every limit, then records the event under every key, atomically,
/// on Redis's clock. Returns the 0-based index of the first limit reached, or -1.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= max then
    return i - 1
  end
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, window)
end
return -1
";

/// Records one event under KEYS[1] for ARGV[2] ms, on Redis's clock.
const ADD_EVENT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
";

/// Counts the events of KEYS[1] within the last ARGV[1] ms, on Redis's clock.
const COUNT_EVENTS: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
";

/// Sliding-window counters in Redis, shared by every instance.
pub struct RedisRateLimiter {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    script: redis::Script,
}

impl RedisRateLimiter {
    /// Counts on an existing connection (see `SharedRedis`, which adds the
    /// timeout and the in-process fallback).
    pub fn on(connection: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            prefix: prefix.to_owned(),
            script: redis::Script::new(ACQUIRE),
        }
    }

    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("the Redis URL")?;
        let connection =
            tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
                .await
                .context("connecting to Redis timed out")?
                .context("connecting to Redis")?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            script: redis::Script::new(ACQUIRE),
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn try_acquire(&self, limits: &[Limit]) -> anyhow::Result<Result<(), usize>> {
        let mut invocation = self.script.prepare_invoke();
        // A unique member per event, or two events in one millisecond would count once.
        invocation.arg(uuid::Uuid::new_v4().to_string());
        for limit in limits {
            invocation.key(format!("{}{}", self.prefix, limit.key));
            invocation.arg(limit.max).arg(millis(limit.window));
        }
        let mut connection = self.connection.clone();
        let hit: i64 = invocation
            .invoke_async(&mut connection)
            .await
            .context("Redis rate limit")?;
        Ok(match usize::try_from(hit) {
            Ok(index) => Err(index),
            Err(_) => Ok(()),
        })
    }

    async fn refund(&self, limits: &[Limit]) -> anyhow::Result<()> {
        let mut pipe = redis::pipe();
        for limit in limits {
            pipe.cmd("ZPOPMAX")
                .arg(format!("{}{}", self.prefix, limit.key))
                .ignore();
        }
        let mut connection = self.connection.clone();
        pipe.query_async::<()>(&mut connection)
            .await
            .context("Redis rate limit refund")
    }

    async fn trip(&self, name: &str, duration: Duration) -> anyhow::Result<()> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(format!("{}breaker:{name}", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(millis(duration))
            .query_async::<()>(&mut connection)
            .await
            .context("Redis breaker")
    }

    async fn is_tripped(&self, name: &str) -> anyhow::Result<bool> {
        let mut connection = self.connection.clone();
        redis::cmd("EXISTS")
            .arg(format!("{}breaker:{name}", self.prefix))
            .query_async::<bool>(&mut connection)
            .await
            .context("Redis breaker")
    }

    async fn add_event(&self, key: &str, window: Duration) -> anyhow::Result<()> {
        let mut connection = self.connection.clone();
        redis::Script::new(ADD_EVENT)
            .key(format!("{}{key}", self.prefix))
            .arg(uuid::Uuid::new_v4().to_string())
            .arg(millis(window))
            .invoke_async::<i64>(&mut connection)
            .await
            .context("Redis event")?;
        Ok(())
    }

    async fn count_events(&self, key: &str, window: Duration) -> anyhow::Result<u32> {
        let mut connection = self.connection.clone();
        let count: u64 = redis::Script::new(COUNT_EVENTS)
            .key(format!("{}{key}", self.prefix))
            .arg(millis(window))
            .invoke_async(&mut connection)
            .await
            .context("Redis event count")?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ManualClock, SystemClock};

    fn limit(key: &str, max: u32) -> Limit {
        Limit {
            key: key.into(),
            max,
            window: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn the_limit_is_reached_after_max_events_and_names_itself() {
        let l = InMemoryRateLimiter::new(Arc::new(SystemClock));
        for _ in 0..3 {
            assert!(
                l.try_acquire(&[limit("ip:1", 5), limit("phone:a", 3)])
                    .await
                    .unwrap()
                    .is_ok()
            );
        }
        assert_eq!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:a", 3)])
                .await
                .unwrap(),
            Err(1)
        );
        // A refused attempt counts against nothing.
        assert!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:b", 3)])
                .await
                .unwrap()
                .is_ok()
        );
        assert!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:b", 3)])
                .await
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:c", 3)])
                .await
                .unwrap(),
            Err(0)
        );
    }

    #[tokio::test]
    async fn events_leave_the_window_and_breakers_close_again() {
        let clock = Arc::new(ManualClock::starting_now());
        let l = InMemoryRateLimiter::new(clock.clone());
        let short = Limit {
            key: "k".into(),
            max: 1,
            window: Duration::from_millis(20),
        };
        assert!(
            l.try_acquire(std::slice::from_ref(&short))
                .await
                .unwrap()
                .is_ok()
        );
        assert!(
            l.try_acquire(std::slice::from_ref(&short))
                .await
                .unwrap()
                .is_err()
        );
        l.trip("b", Duration::from_millis(20)).await.unwrap();
        assert!(l.is_tripped("b").await.unwrap());
        clock.advance(Duration::from_millis(19));
        assert!(
            l.is_tripped("b").await.unwrap(),
            "still within its duration"
        );
        clock.advance(Duration::from_millis(1));
        assert!(
            l.try_acquire(std::slice::from_ref(&short))
                .await
                .unwrap()
                .is_ok()
        );
        assert!(!l.is_tripped("b").await.unwrap());
    }

    #[tokio::test]
    async fn counted_events_have_no_limit_and_leave_their_window() {
        let clock = Arc::new(ManualClock::starting_now());
        let l = InMemoryRateLimiter::new(clock.clone());
        let window = Duration::from_millis(40);
        for _ in 0..3 {
            l.add_event("fail:a", window).await.unwrap();
        }
        assert_eq!(l.count_events("fail:a", window).await.unwrap(), 3);
        assert_eq!(l.count_events("fail:b", window).await.unwrap(), 0);
        clock.advance(Duration::from_millis(39));
        assert_eq!(l.count_events("fail:a", window).await.unwrap(), 3);
        clock.advance(Duration::from_millis(1));
        assert_eq!(l.count_events("fail:a", window).await.unwrap(), 0);
    }
}
