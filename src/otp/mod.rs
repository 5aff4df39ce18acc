//! The one-time-code engine for any recipient: issue, hash, verify,
//! attempts, expiry, resend cooldown and send limits; `send` is the one
//! pipeline that sends a code. Codes are stored only as
//! HMAC-SHA256(pepper, challenge id ‖ code) and compared in constant time.

mod code;
mod engine;
mod fallback;
mod limiter;
pub mod pumping;
pub mod send;

pub use code::generate_code;
pub use engine::{
    CodePolicy, CodeSource, IssueError, IssueRequest, Issued, OtpEngine, OtpRules, Purpose,
    VerifyOutcome,
};
pub use fallback::{FallbackRateLimiter, SharedRedis};
pub use limiter::{InMemoryRateLimiter, Limit, RateLimiter, RedisRateLimiter};
pub use pumping::{PumpingGuard, PumpingRules};
pub use send::{
    Pending, Refusal, SendCode, SendOutcome, SentCode, To, deliver_code, issue_code, send_code,
};
