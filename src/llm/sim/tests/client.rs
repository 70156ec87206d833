//! The streaming client: usage and caching, pacing, faults.

use super::*;

#[test]
fn a_broken_reply_is_fixed_when_asked_again() {
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let log = vec![msg(1, USER, &[ALL], TASK)];
    let req = turn_request("sim", &members[0], &ctx, &log, 2048);
    let sim = SimClient::new(1)
        .with_pacing(Pacing::instant())
        .with_faults(SimFaults::parse("protocol=1").unwrap());
    let mut kinds = HashSet::new();
    for seed in 0..12 {
        let sim = SimClient {
            seed,
            ..sim.clone()
        };
        let bad = futures_util::FutureExt::now_or_never(sim.stream(&req, &|_| {}))
            .unwrap()
            .unwrap()
            .text;
        let err = parse_reply(&bad, &members[0].name, &members).unwrap_err();
        kinds.insert(err.split(' ').next().unwrap_or_default().to_string());
        let again = reask_request(req.clone(), &bad, &err);
        let good = futures_util::FutureExt::now_or_never(sim.stream(&again, &|_| {}))
            .unwrap()
            .unwrap()
            .text;
        assert!(
            parse_reply(&good, &members[0].name, &members).is_ok(),
            "{good}"
        );
    }
    assert!(kinds.len() >= 2, "{kinds:?}");
}

#[test]
fn usage_counts_cache_writes_then_reads() {
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let sim = SimClient::new(1).with_pacing(Pacing::instant());
    // Below the minimum cacheable length nothing is cached.
    let short = turn_request(
        "sim",
        &members[1],
        &ctx,
        &[msg(1, USER, &[ALL], TASK)],
        1024,
    );
    let u0 = block_on(sim.stream(&short, &|_| {})).unwrap().usage;
    assert_eq!((u0.cache_read_tokens, u0.cache_write_tokens), (0, 0));
    // The prefix: the system prompt and every message part, not the ask after them.
    let prefix = |req: &crate::llm::LlmRequest| {
        let parts = &req.messages[0].parts;
        let log: String = parts[..parts.len() - 1]
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        estimate_tokens(&(req.system_text() + &log))
    };
    let brief = format!(
        "{TASK}\n{}",
        "Keep the budget in view at every step. ".repeat(120)
    );
    let mut log = vec![msg(1, USER, &[ALL], &brief)];
    let first = turn_request("sim", &members[1], &ctx, &log, 1024);
    let u1 = block_on(sim.stream(&first, &|_| {})).unwrap().usage;
    let prefix1 = prefix(&first);
    assert!(prefix1 >= 1024);
    assert_eq!(u1.cache_read_tokens, 0);
    assert_eq!(u1.cache_write_tokens, prefix1);
    assert!(u1.input_tokens > 0 && u1.input_tokens < 40, "{u1:?}");
    assert_eq!(u1.output_tokens, estimate_tokens(&reply_text(&first, 1)));

    log.push(msg(
        2,
        "venue_coordinator",
        &["catering_manager"],
        "Please send the per-head cost.",
    ));
    log.push(msg(
        3,
        "catering_manager",
        &["venue_coordinator"],
        "Per-head cost: $45/day.",
    ));
    log.push(msg(
        4,
        "venue_coordinator",
        &["catering_manager"],
        "Can it come down by 10%?",
    ));
    let second = turn_request("sim", &members[1], &ctx, &log, 1024);
    // A clone shares the cache, as the engine's clones do.
    let u2 = block_on(sim.clone().stream(&second, &|_| {}))
        .unwrap()
        .usage;
    let prefix2 = prefix(&second);
    assert_eq!(u2.cache_read_tokens, prefix1, "{u2:?}");
    assert_eq!(u2.cache_write_tokens, prefix2 - prefix1);
    let all = second.system_text() + &second.messages[0].text();
    assert_eq!(
        u2.input_tokens + u2.cache_read_tokens + u2.cache_write_tokens,
        estimate_tokens(&all)
    );

    // The same request again reads everything; another seed's client has its own cache.
    let u3 = block_on(sim.stream(&second, &|_| {})).unwrap().usage;
    assert_eq!((u3.cache_read_tokens, u3.cache_write_tokens), (prefix2, 0));
    let fresh = block_on(
        SimClient::new(2)
            .with_pacing(Pacing::instant())
            .stream(&second, &|_| {}),
    )
    .unwrap()
    .usage;
    assert_eq!(fresh.cache_read_tokens, 0);
}

#[test]
fn the_client_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let sim = SimClient::new(1);
    send_sync(&sim);
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    send(&sim.stream(&req, &|_| {}));
}

#[test]
fn streaming_concatenates_to_the_reply() {
    let team = team::preset("launch").unwrap();
    let req = plan_request("claude-x", "Launch our app", &team, 2, None, None, &[]);
    let got = Mutex::new(Vec::<String>::new());
    let resp = block_on(
        SimClient::new(5)
            .with_pacing(Pacing::instant())
            .stream(&req, &|d| got.lock().unwrap().push(d.to_string())),
    )
    .unwrap();
    let pieces = got.into_inner().unwrap();
    assert_eq!(pieces.concat(), reply_text(&req, 5));
    assert_eq!(resp.text, pieces.concat());
    assert!(pieces.iter().all(|p| (1..=5).contains(&p.chars().count())));
    assert!(pieces.len() > 50);
    assert_eq!(resp.model, "claude-x");
    assert_eq!(resp.stop_reason.as_deref(), Some("tool_use"));
    let text_req = LlmRequest {
        output: Output::Text,
        ..req
    };
    let resp = block_on(
        SimClient::new(5)
            .with_pacing(Pacing::instant())
            .stream(&text_req, &|_| {}),
    )
    .unwrap();
    assert_eq!(resp.stop_reason.as_deref(), Some("end_turn"));
}

#[test]
fn instant_pacing_does_not_wait() {
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    let started = std::time::Instant::now();
    for seed in 0..20 {
        block_on(
            SimClient::new(seed)
                .with_pacing(Pacing::instant())
                .stream(&req, &|_| {}),
        )
        .unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn realistic_pacing_takes_first_token_plus_output_time() {
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    let first_at = Mutex::new(None);
    let start = tokio::time::Instant::now();
    let resp = SimClient::new(3)
        .stream(&req, &|_| {
            first_at
                .lock()
                .unwrap()
                .get_or_insert_with(tokio::time::Instant::now);
        })
        .await
        .unwrap();
    let total = start.elapsed();
    let first = first_at.into_inner().unwrap().unwrap() - start;
    assert!(
        first >= Duration::from_millis(300) && first <= Duration::from_millis(700),
        "{first:?}"
    );
    let output = resp.text.chars().count() as f64 / 4.0 / 90.0;
    let expected = first.as_secs_f64() + output;
    assert!(
        (total.as_secs_f64() - expected).abs() < 0.1,
        "{total:?} vs {expected}"
    );
    assert!(total > Duration::from_secs(2), "{total:?}");
}

#[tokio::test(start_paused = true)]
async fn http_faults_fail_fast_with_retry_after_and_a_retry_can_succeed() {
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    let sim = SimClient::new(1).with_faults(SimFaults {
        http_error_rate: 0.5,
        ..SimFaults::default()
    });
    let mut errors = 0;
    for _ in 0..20 {
        match sim.stream(&req, &|_| {}).await {
            Err(LlmError::Http {
                status,
                retry_after: Some(wait),
                ..
            }) => {
                assert!(status == 529 || status == 429);
                assert!(wait <= Duration::from_secs(2));
                errors += 1;
            }
            Err(e) => panic!("{e}"),
            Ok(resp) => assert_eq!(resp.text, reply_text(&req, 1)),
        }
    }
    assert!((3..=17).contains(&errors), "{errors}");
}

#[test]
fn dropped_streams_break_off_part_way() {
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    let sim = SimClient::new(1)
        .with_pacing(Pacing::instant())
        .with_faults(SimFaults::parse("drop=1").unwrap());
    let got = Mutex::new(String::new());
    let err = block_on(sim.stream(&req, &|d| got.lock().unwrap().push_str(d))).unwrap_err();
    assert!(matches!(err, LlmError::Stream(_)) && err.is_retryable());
    let partial = got.into_inner().unwrap();
    let full = reply_text(&req, 1);
    assert!(!partial.is_empty() && partial.len() < full.len() && full.starts_with(&partial));
}

#[test]
fn fault_specs_parse_or_say_what_is_wrong() {
    let f = SimFaults::parse("protocol=0.3, http=0.1,drop=0.05").unwrap();
    assert_eq!(
        f,
        SimFaults {
            protocol_error_rate: 0.3,
            http_error_rate: 0.1,
            stream_drop_rate: 0.05
        }
    );
    assert_eq!(SimFaults::parse("").unwrap(), SimFaults::default());
    assert_eq!(SimFaults::parse("http=1").unwrap().http_error_rate, 1.0);
    assert!(
        SimFaults::parse("protocol")
            .unwrap_err()
            .contains("name=rate")
    );
    assert!(
        SimFaults::parse("protocol=2")
            .unwrap_err()
            .contains("from 0 to 1")
    );
    assert!(SimFaults::parse("http=abc").unwrap_err().contains("'abc'"));
    assert!(
        SimFaults::parse("latency=0.1")
            .unwrap_err()
            .contains("unknown fault 'latency'")
    );
}

#[test]
fn a_summary_request_gets_one_line_per_message_within_the_limit() {
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let log: Vec<_> = (1..=30)
        .map(|i| {
            let text = format!("Point {i}: the venue holds {} seats.\nMore detail.", i * 10);
            msg(i, "venue_coordinator", &["catering_manager"], &text)
        })
        .collect();
    let prev = crate::engine::context::Summary {
        through_seq: 4,
        text: "- #2 venue_coordinator → catering_manager: Point 2".into(),
    };
    let req = crate::engine::context::summary_request("sim", &ctx, Some(&prev), &log, 8, 256);
    let text = reply_text(&req, 1);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "- #2 venue_coordinator → catering_manager: Point 2"
    );
    assert_eq!(
        lines[1],
        "- #5 venue_coordinator → catering_manager: Point 5: the venue holds 50 seats."
    );
    assert_eq!(lines.len(), 5, "{text}");
    // Over the limit, the oldest lines go first.
    let req = crate::engine::context::summary_request("sim", &ctx, None, &log, 30, 256);
    let text = reply_text(&req, 1);
    assert!(estimate_tokens(&text) <= 256, "{text}");
    assert!(
        text.ends_with("Point 30: the venue holds 300 seats."),
        "{text}"
    );
}
