//! Retry with backoff (SPEC §4): exponential backoff with full jitter that never waits less than the
//! server asked for, and that gives up at once when the call is cancelled. Each attempt may first
//! pass a [`Gate`]: the engine's adaptive cap on calls in flight.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::{Client, DeltaSink, LlmError, LlmRequest, LlmResponse};

/// The longest server-requested wait honoured; a larger `retry-after` is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How often and how patiently to retry a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 means a single attempt.
    pub max_retries: u32,
    /// Upper bound of the first retry's wait; doubles with every retry.
    pub base_delay: Duration,
    /// Upper bound of any wait, unless the server asks for longer.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1 for the first retry) after `err`: a uniformly random
    /// wait up to `base_delay * 2^(attempt-1)` (at most `max_delay`), but never shorter than the
    /// server's `retry-after` (itself capped at [`MAX_RETRY_AFTER`]).
    pub fn backoff<R: Rng + ?Sized>(&self, attempt: u32, err: &LlmError, rng: &mut R) -> Duration {
        let ceiling = self.ceiling(attempt);
        let jitter = Duration::from_nanos(rng.random_range(0..=saturating_nanos(ceiling)));
        match err.retry_after() {
            Some(asked) => jitter.max(asked.min(MAX_RETRY_AFTER)),
            None => jitter,
        }
    }

    /// The largest jittered wait before retry number `attempt`.
    fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Told to the caller before each wait. It also means that any text already passed to the
/// `on_delta` sink belongs to a failed attempt and will be streamed again from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryNotice {
    /// Which retry comes next: 1 for the first.
    pub attempt: u32,
    /// How long the wait before it is.
    pub delay: Duration,
    /// Why the previous attempt failed.
    pub error: LlmError,
}

/// Whether an error says the provider wants fewer requests at once: 429 (rate limited) and 529
/// (overloaded), also when they arrive as an error event inside the stream. An adaptive cap on
/// calls in flight lowers its limit on these and no other errors.
pub fn is_overload(error: &LlmError) -> bool {
    match error {
        LlmError::Http { status, .. } => matches!(status, 429 | 529),
        LlmError::Api { kind, .. } => {
            matches!(kind.as_str(), "rate_limit_error" | "overloaded_error")
        }
        _ => false,
    }
}

/// Decides when each attempt of a call may start, and hears how it ended. The engine's adaptive
/// cap on calls in flight plugs in here, so that an attempt holds its place only while it runs
/// and a retry queues again behind the cap, which may have been lowered meanwhile.
pub trait Gate: Sync {
    /// Held while an attempt runs. Dropped without [`Gate::settle`] when the call is cancelled.
    type Pass<'a>: Send
    where
        Self: 'a;
    /// Waits for room for one more attempt. Dropping the future gives up the wait.
    fn admit(&self) -> impl Future<Output = Self::Pass<'_>> + Send;
    /// Hears how the attempt ended and takes its place back.
    fn settle(&self, pass: Self::Pass<'_>, outcome: Result<(), &LlmError>);
}

/// No cap: every attempt starts at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ungated;

impl Gate for Ungated {
    type Pass<'a> = ();
    fn admit(&self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
    fn settle(&self, (): (), _: Result<(), &LlmError>) {}
}

/// Calls `client` until it succeeds, fails with an error that is not retryable, or the retries of
/// `policy` are used up (then the last error is returned). `on_retry` hears of each retry before
/// its wait. Cancelling `cancel` ends an attempt in flight or a wait at once with
/// [`LlmError::Cancelled`].
pub async fn call_with_retry(
    client: &Client,
    req: &LlmRequest,
    on_delta: DeltaSink<'_>,
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    on_retry: &(dyn Fn(&RetryNotice) + Send + Sync),
) -> Result<LlmResponse, LlmError> {
    call_with_retry_gated(client, req, on_delta, policy, cancel, on_retry, &Ungated).await
}

/// [`call_with_retry`], with every attempt let through `gate` first. The backoff wait comes
/// before the gate: a retry neither holds a place while it waits nor skips the queue after.
pub async fn call_with_retry_gated<G: Gate>(
    client: &Client,
    req: &LlmRequest,
    on_delta: DeltaSink<'_>,
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    on_retry: &(dyn Fn(&RetryNotice) + Send + Sync),
    gate: &G,
) -> Result<LlmResponse, LlmError> {
    let mut attempt = 0;
    loop {
        let pass = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(LlmError::Cancelled),
            pass = gate.admit() => pass,
        };
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(LlmError::Cancelled),
            result = client.stream(req, on_delta) => result,
        };
        gate.settle(pass, result.as_ref().map(|_| ()));
        let error = match result {
            Ok(response) => return Ok(response),
            Err(error) if error.is_retryable() && attempt < policy.max_retries => error,
            Err(error) => return Err(error),
        };
        attempt += 1;
        let delay = policy.backoff(attempt, &error, &mut rand::rng());
        tracing::info!(
            provider = client.provider(),
            attempt,
            delay_ms = delay.as_millis() as u64,
            %error,
            "retrying model call"
        );
        on_retry(&RetryNotice {
            attempt,
            delay,
            error,
        });
        tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(LlmError::Cancelled),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }

    fn http(status: u16, retry_after: Option<Duration>) -> LlmError {
        LlmError::Http {
            status,
            message: "busy".into(),
            retry_after,
        }
    }

    /// The largest and smallest of many sampled waits.
    fn spread(policy: &RetryPolicy, attempt: u32, err: &LlmError) -> (Duration, Duration) {
        let mut rng = StdRng::seed_from_u64(7);
        let samples: Vec<Duration> = (0..2000)
            .map(|_| policy.backoff(attempt, err, &mut rng))
            .collect();
        (
            *samples.iter().min().unwrap(),
            *samples.iter().max().unwrap(),
        )
    }

    #[test]
    fn ceiling_doubles_up_to_max_delay() {
        let p = policy();
        let ceilings: Vec<u128> = (1..=8).map(|a| p.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(p.ceiling(0), Duration::from_millis(500));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jitter_spans_zero_to_ceiling() {
        let p = policy();
        let err = LlmError::Stream("dropped".into());
        for attempt in [1, 3, 7, 40] {
            let (min, max) = spread(&p, attempt, &err);
            let ceiling = p.ceiling(attempt);
            assert!(max <= ceiling, "attempt {attempt}: {max:?} > {ceiling:?}");
            // Full jitter: samples cover the range, from near zero to near the ceiling.
            assert!(min < ceiling / 20, "attempt {attempt}: min {min:?}");
            assert!(max > ceiling * 19 / 20, "attempt {attempt}: max {max:?}");
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = policy();
        let err = http(429, Some(Duration::from_secs(3)));
        let (min, max) = spread(&p, 1, &err);
        assert_eq!(min, Duration::from_secs(3));
        assert_eq!(
            max,
            Duration::from_secs(3),
            "attempt 1 jitter never exceeds 500 ms"
        );
        // Later attempts may wait longer than asked, never shorter.
        let (min, max) = spread(&p, 5, &err);
        assert_eq!(min, Duration::from_secs(3));
        assert!(max > Duration::from_secs(7), "{max:?}");
    }

    #[test]
    fn retry_after_beyond_max_delay_is_honoured_up_to_two_minutes() {
        let p = policy();
        let (min, max) = spread(&p, 2, &http(503, Some(Duration::from_secs(90))));
        assert_eq!(
            (min, max),
            (Duration::from_secs(90), Duration::from_secs(90))
        );
        let (min, max) = spread(&p, 2, &http(503, Some(Duration::from_secs(3600))));
        assert_eq!((min, max), (MAX_RETRY_AFTER, MAX_RETRY_AFTER));
    }

    #[test]
    fn only_rate_limits_and_overload_ask_for_fewer_calls() {
        assert!(is_overload(&http(429, None)) && is_overload(&http(529, None)));
        for status in [408, 500, 503] {
            assert!(!is_overload(&http(status, None)), "{status}");
        }
        let event = |kind: &str| LlmError::Api {
            kind: kind.into(),
            message: "busy".into(),
        };
        assert!(is_overload(&event("overloaded_error")) && is_overload(&event("rate_limit_error")));
        assert!(!is_overload(&event("api_error")));
        assert!(!is_overload(&LlmError::Stream("dropped".into())));
    }
}
