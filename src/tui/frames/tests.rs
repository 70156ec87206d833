use super::*;

/// Plays a change every `every` for `span` of tokio time, drawing whenever a frame is due;
/// returns the frames drawn.
async fn flood(limiter: &mut FrameLimiter, every: Duration, span: Duration) -> usize {
    let end = Instant::now() + span;
    let mut frames = 0;
    while Instant::now() < end {
        limiter.changed();
        if limiter.due().is_some_and(|d| d <= Instant::now()) {
            limiter.drawn(Instant::now());
            frames += 1;
        }
        tokio::time::sleep(every).await;
    }
    frames
}

#[tokio::test(start_paused = true)]
async fn a_flood_draws_at_most_sixty_frames_a_second_and_still_draws() {
    let mut limiter = FrameLimiter::default();
    // 10k changes a second for two seconds.
    let frames = flood(
        &mut limiter,
        Duration::from_micros(100),
        Duration::from_secs(2),
    )
    .await;
    assert!(frames <= 121, "{frames} frames in 2 s");
    assert!(
        frames >= 100,
        "{frames} frames in 2 s: the flood starved the screen"
    );
}

#[tokio::test(start_paused = true)]
async fn no_change_no_frame_and_the_first_change_after_a_pause_draws_at_once() {
    let mut limiter = FrameLimiter::default();
    assert!(limiter.due().is_some_and(|d| d <= Instant::now()));
    limiter.drawn(Instant::now());
    assert_eq!(limiter.due(), None);
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(limiter.due(), None, "nothing changed: nothing to draw");
    limiter.changed();
    assert!(limiter.due().is_some_and(|d| d <= Instant::now()));
    limiter.drawn(Instant::now());
    limiter.changed();
    assert_eq!(limiter.due(), Some(Instant::now() + FRAME));
}
