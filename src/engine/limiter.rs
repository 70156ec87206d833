//! The cap on model calls in flight, made adaptive (AIMD: additive increase, multiplicative
//! decrease). A rate-limit answer halves the number of calls allowed at once, never below one;
//! every later success allows one more again, up to the configured cap (`--concurrency`).
//!
//! Calls already in flight are never cancelled: when the limit drops below the number of calls
//! holding a permit, the surplus permits are retired as those calls end. A permit is held for one
//! attempt, so a call that is retried queues again behind the lowered limit.
//!
//! Many calls in flight often hit the same rate limit at once. Only the first of those answers
//! halves the limit: a permit taken before the latest lowering neither lowers the limit again nor
//! raises it, since its attempt was started under the old limit (one decrease per congestion
//! signal, as TCP does).

use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::runtime::lock;

/// A change worth telling the person about. Only the first lowering of an episode and later
/// record lows are told, and the return to the cap once, so that a run hitting its rate limit
/// now and then does not flood the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// At most this many calls at once from now on.
    Lowered(usize),
    /// Back at the configured cap.
    Restored(usize),
}

/// An adaptive cap on calls in flight. See the module documentation.
#[derive(Debug)]
pub(crate) struct Limiter {
    cap: usize,
    /// Holds `limit + debt` permits, handed out or not.
    permits: Semaphore,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Calls allowed at once now, 1..=cap.
    limit: usize,
    /// Permits to retire as soon as they come back: the limit dropped while they were held.
    debt: usize,
    /// Bumped by every lowering; tells permits taken before it from those taken after.
    epoch: u64,
    /// The lowest limit told since the limit was last at the cap.
    told: Option<usize>,
}

/// Room for one attempt. Dropping it frees the room without saying how the attempt went (it was
/// cancelled, or failed for a reason that says nothing about load).
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    permit: Option<SemaphorePermit<'a>>,
    epoch: u64,
}

impl Limiter {
    /// A limiter allowing `cap` calls at once (at least one).
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            cap,
            permits: Semaphore::new(cap),
            state: Mutex::new(State {
                limit: cap,
                debt: 0,
                epoch: 0,
                told: None,
            }),
        }
    }

    /// Waits for room for one more call. Waiters are served in order. Dropping the future (to
    /// react to a cancellation) gives up the place in the queue.
    pub async fn acquire(&self) -> Permit<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the limiter never closes its semaphore");
        let epoch = lock(&self.state).epoch;
        Permit {
            limiter: self,
            permit: Some(permit),
            epoch,
        }
    }

    /// Calls allowed at once now.
    #[cfg(test)]
    pub fn limit(&self) -> usize {
        lock(&self.state).limit
    }

    fn lower(&self, epoch: u64) -> Option<Change> {
        let mut s = lock(&self.state);
        if epoch != s.epoch {
            return None;
        }
        s.epoch += 1;
        let lowered = (s.limit / 2).max(1);
        let cut = s.limit - lowered;
        if cut == 0 {
            return None;
        }
        s.limit = lowered;
        let retired = self.permits.forget_permits(cut);
        s.debt += cut - retired;
        if s.told.is_some_and(|low| low <= lowered) {
            return None;
        }
        s.told = Some(lowered);
        Some(Change::Lowered(lowered))
    }

    fn raise(&self, epoch: u64) -> Option<Change> {
        let mut s = lock(&self.state);
        if epoch != s.epoch || s.limit >= self.cap {
            return None;
        }
        s.limit += 1;
        if s.debt > 0 {
            s.debt -= 1;
        } else {
            self.permits.add_permits(1);
        }
        if s.limit == self.cap && s.told.take().is_some() {
            return Some(Change::Restored(self.cap));
        }
        None
    }
}

impl Permit<'_> {
    /// The attempt was refused for load (429, 529): halves the limit, unless an earlier refusal
    /// already did for calls started under the old limit.
    pub fn rate_limited(self) -> Option<Change> {
        self.limiter.lower(self.epoch)
    }

    /// The attempt succeeded: allows one more call at once, up to the cap, if it was started
    /// under the current limit.
    pub fn succeeded(self) -> Option<Change> {
        self.limiter.raise(self.epoch)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut s = lock(&self.limiter.state);
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        }
        // Otherwise the permit goes back to the semaphore when dropped here.
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Permits in circulation: free ones plus those held.
    fn circulating(l: &Limiter, held: usize) -> usize {
        l.permits.available_permits() + held
    }

    #[tokio::test]
    async fn a_rate_limit_halves_the_limit_down_to_one() {
        let l = Limiter::new(8);
        let mut limits = vec![l.limit()];
        let mut changes = vec![];
        for _ in 0..5 {
            changes.push(l.acquire().await.rate_limited());
            limits.push(l.limit());
        }
        assert_eq!(limits, [8, 4, 2, 1, 1, 1]);
        assert_eq!(
            changes,
            [
                Some(Change::Lowered(4)),
                Some(Change::Lowered(2)),
                Some(Change::Lowered(1)),
                None,
                None
            ]
        );
        assert_eq!(l.permits.available_permits(), 1);
    }

    #[tokio::test]
    async fn successes_raise_it_one_at_a_time_up_to_the_cap() {
        let l = Limiter::new(5);
        assert_eq!(l.acquire().await.rate_limited(), Some(Change::Lowered(2)));
        let mut changes = vec![];
        for _ in 0..6 {
            changes.push(l.acquire().await.succeeded());
            assert_eq!(l.permits.available_permits(), l.limit());
        }
        assert_eq!(l.limit(), 5, "never above the cap");
        assert_eq!(
            changes,
            [None, None, Some(Change::Restored(5)), None, None, None],
            "the return to the cap is told once"
        );
        // Successes at the cap change nothing.
        assert_eq!(Limiter::new(3).acquire().await.succeeded(), None);
    }

    #[tokio::test]
    async fn one_burst_of_refusals_halves_once_and_old_successes_do_not_undo_it() {
        let l = Limiter::new(8);
        let mut held = vec![];
        for _ in 0..8 {
            held.push(l.acquire().await);
        }
        assert_eq!(l.permits.available_permits(), 0);
        let mut burst = held.split_off(4);
        assert_eq!(
            burst.pop().unwrap().rate_limited(),
            Some(Change::Lowered(4))
        );
        for p in burst {
            assert_eq!(p.rate_limited(), None, "started under the old limit");
        }
        assert_eq!(l.limit(), 4);
        // The first four permits were retired as they came back; the rest are still held.
        assert_eq!(circulating(&l, held.len()), 4);
        for p in held {
            assert_eq!(p.succeeded(), None, "started under the old limit");
        }
        assert_eq!((l.limit(), l.permits.available_permits()), (4, 4));
        // An attempt started under the lowered limit that is refused halves it again.
        assert_eq!(l.acquire().await.rate_limited(), Some(Change::Lowered(2)));
    }

    /// One attempt that succeeds or is rate limited; collects what is told, returns the limit.
    async fn step(l: &Limiter, ok: bool, told: &mut Vec<Change>) -> usize {
        let permit = l.acquire().await;
        let change = if ok {
            permit.succeeded()
        } else {
            permit.rate_limited()
        };
        told.extend(change);
        l.limit()
    }

    #[tokio::test]
    async fn only_new_lows_and_the_return_to_the_cap_are_told() {
        let l = Limiter::new(8);
        let mut told = vec![];
        let mut limits = vec![step(&l, false, &mut told).await];
        for ok in [true, true, true, false, true, true, true, false] {
            limits.push(step(&l, ok, &mut told).await);
        }
        for _ in 0..5 {
            limits.push(step(&l, true, &mut told).await);
        }
        limits.push(step(&l, false, &mut told).await);
        assert_eq!(limits, [4, 5, 6, 7, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 4]);
        assert_eq!(
            told,
            [
                Change::Lowered(4),
                Change::Lowered(3),
                Change::Restored(8),
                Change::Lowered(4)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_respect_the_current_limit() {
        let l = Arc::new(Limiter::new(6));
        assert_eq!(l.acquire().await.rate_limited(), Some(Change::Lowered(3)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (l, running, peak) = (l.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    let permit = l.acquire().await;
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    drop(permit);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(l.permits.available_permits(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_gives_up_its_place() {
        let l = Limiter::new(1);
        let held = l.acquire().await;
        let waited = tokio::time::timeout(Duration::from_millis(50), l.acquire()).await;
        assert!(waited.is_err());
        drop(held);
        let again = tokio::time::timeout(Duration::from_millis(50), l.acquire()).await;
        assert!(again.is_ok(), "the freed permit went to a live waiter");
    }
}
