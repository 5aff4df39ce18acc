//! One retry, with a short backoff, for failures that may pass: timeouts,
//! connection errors and 5xx answers. A 4xx is final.

use std::time::Duration;

use super::SmsError;

/// How an attempt ended.
pub(super) enum Attempt<T> {
    Done(T),
    /// A refusal: stop.
    Final(SmsError),
    /// Worth one more try.
    Transient(String),
}

/// Runs `attempt` once, and again after `backoff` if it failed transiently.
pub(super) async fn with_one_retry<T, F, Fut>(
    backoff: Duration,
    mut attempt: F,
) -> Result<T, SmsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    match attempt().await {
        Attempt::Done(v) => return Ok(v),
        Attempt::Final(e) => return Err(e),
        Attempt::Transient(reason) => tracing::warn!(%reason, "SMS provider failed; retrying once"),
    }
    tokio::time::sleep(backoff).await;
    match attempt().await {
        Attempt::Done(v) => Ok(v),
        Attempt::Final(e) => Err(e),
        Attempt::Transient(reason) => Err(SmsError::Unavailable(reason)),
    }
}
