//! The one-time-code engine: issue, hash, verify, attempts, expiry, resend
//! cooldown and send limits. Codes are stored only as
//! HMAC-SHA256(pepper, challenge id ‖ code) and compared in constant time.

mod code;
mod engine;
mod fallback;
mod limiter;
pub mod pumping;

pub use code::generate_code;
pub use engine::{
    CodePolicy, CodeSource, IssueError, IssueRequest, Issued, OtpEngine, OtpRules, Purpose,
    VerifyOutcome,
};
pub use fallback::{FallbackRateLimiter, SharedRedis};
pub use limiter::{InMemoryRateLimiter, Limit, RateLimiter, RedisRateLimiter};
pub use pumping::{PumpingGuard, PumpingRules};
