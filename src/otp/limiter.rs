use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One limit: at most `max` events per `window` for `key`.
#[derive(Clone, Debug)]
pub struct Limit {
    pub key: String,
    pub max: u32,
    pub window: Duration,
}

/// Counts events against limits. `try_acquire` records one event under
/// every key only when none of the limits is reached, and otherwise says
/// which limit (by index) was hit.
pub trait RateLimiter: Send + Sync {
    fn try_acquire(&self, limits: &[Limit]) -> Result<(), usize>;
}

/// Sliding-window counters in this process (the default; Redis-backed
/// limits shared between instances arrive with the SMS connection work).
#[derive(Default)]
pub struct InMemoryRateLimiter {
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter for InMemoryRateLimiter {
    fn try_acquire(&self, limits: &[Limit]) -> Result<(), usize> {
        let now = Instant::now();
        let mut events = match self.events.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (i, limit) in limits.iter().enumerate() {
            let queue = events.entry(limit.key.clone()).or_default();
            while queue
                .front()
                .is_some_and(|t| now.duration_since(*t) >= limit.window)
            {
                queue.pop_front();
            }
            if queue.len() >= limit.max as usize {
                return Err(i);
            }
        }
        for limit in limits {
            events.entry(limit.key.clone()).or_default().push_back(now);
        }
        // Keep the map from growing without bound.
        if events.len() > 100_000 {
            events.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(3600))
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(key: &str, max: u32) -> Limit {
        Limit {
            key: key.into(),
            max,
            window: Duration::from_secs(3600),
        }
    }

    #[test]
    fn the_limit_is_reached_after_max_events_and_names_itself() {
        let l = InMemoryRateLimiter::default();
        for _ in 0..3 {
            assert!(
                l.try_acquire(&[limit("ip:1", 5), limit("phone:a", 3)])
                    .is_ok()
            );
        }
        assert_eq!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:a", 3)]),
            Err(1)
        );
        // A refused attempt counts against nothing.
        assert!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:b", 3)])
                .is_ok()
        );
        assert!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:b", 3)])
                .is_ok()
        );
        assert_eq!(
            l.try_acquire(&[limit("ip:1", 5), limit("phone:c", 3)]),
            Err(0)
        );
    }

    #[test]
    fn events_leave_the_window() {
        let l = InMemoryRateLimiter::default();
        let short = Limit {
            key: "k".into(),
            max: 1,
            window: Duration::from_millis(20),
        };
        assert!(l.try_acquire(std::slice::from_ref(&short)).is_ok());
        assert!(l.try_acquire(std::slice::from_ref(&short)).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(l.try_acquire(std::slice::from_ref(&short)).is_ok());
    }
}
