//! The mock server's prompt-cache emulation (tests/support/cache.rs) against hand-computed
//! cases, and the agent request shape against it.

mod support;

use huddle::engine::Message;
use huddle::engine::plan::Plan;
use huddle::engine::protocol::{TurnContext, turn_request};
use huddle::llm::{ChatMessage, LlmRequest, Output, Part, Usage};
use huddle::team;
use support::{LOOKBACK_BLOCKS, PromptCache};

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

/// `n` characters, `n / 4` tokens.
fn text(c: char, n: usize) -> String {
    c.to_string().repeat(n)
}

fn request(system: Vec<Part>, parts: Vec<Part>) -> LlmRequest {
    LlmRequest {
        model: "claude-sonnet-4-5".into(),
        system,
        messages: vec![ChatMessage::user(parts)],
        max_tokens: 100,
        output: Output::Text,
        temperature: None,
    }
}

fn usage(input: u64, write: u64, read: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: 1,
        cache_write_tokens: write,
        cache_read_tokens: read,
    }
}

#[test]
fn a_later_request_reads_the_prefix_at_an_earlier_block_boundary() {
    let mut cache = PromptCache::with_minimum(100);
    let system = || vec![Part::cached(text('s', 400))];
    // 100 + 100 + 100 tokens up to the breakpoint, then a 10-token ask.
    let first = request(
        system(),
        vec![
            Part::new(text('a', 400)),
            Part::cached(text('b', 400)),
            Part::new(text('q', 40)),
        ],
    );
    assert_eq!(cache.usage(&first, "ok"), usage(10, 300, 0));
    // The next turn moves the breakpoint one block on; the old one is a block boundary now.
    let second = request(
        system(),
        vec![
            Part::new(text('a', 400)),
            Part::new(text('b', 400)),
            Part::cached(text('c', 400)),
            Part::new(text('r', 40)),
        ],
    );
    assert_eq!(cache.usage(&second, "ok"), usage(10, 100, 300));
    // The whole transcript as one block changes every turn: only the system prompt is read.
    let one_block = request(
        system(),
        vec![
            Part::cached(text('a', 400) + &text('b', 400) + &text('c', 400) + &text('d', 400)),
            Part::new(text('r', 40)),
        ],
    );
    assert_eq!(cache.usage(&one_block, "ok"), usage(10, 400, 100));
    // The cache is per model.
    let other_model = LlmRequest {
        model: "claude-opus-4-1".into(),
        ..second
    };
    assert_eq!(cache.usage(&other_model, "ok"), usage(10, 400, 0));
}

#[test]
fn a_prefix_below_the_minimum_is_never_cached() {
    // Sonnet caches from 1024 tokens on: 1000 tokens are plain input, every time.
    let mut cache = PromptCache::default();
    let short = request(vec![Part::cached(text('s', 4000))], vec![Part::new("hi")]);
    assert_eq!(cache.usage(&short, "ok"), usage(1001, 0, 0));
    assert_eq!(cache.usage(&short, "ok"), usage(1001, 0, 0));
    // 1500 tokens: cached for Sonnet, but Haiku needs 2048.
    let long = request(vec![Part::cached(text('s', 6000))], vec![Part::new("hi")]);
    assert_eq!(cache.usage(&long, "ok"), usage(1, 1500, 0));
    assert_eq!(cache.usage(&long, "ok"), usage(1, 0, 1500));
    let haiku = LlmRequest {
        model: "claude-haiku-4-5".into(),
        ..long
    };
    assert_eq!(cache.usage(&haiku, "ok"), usage(1501, 0, 0));
    assert_eq!(cache.usage(&haiku, "ok"), usage(1501, 0, 0));
}

#[test]
fn the_lookback_reaches_20_blocks_back_and_no_further() {
    // Messages of 40 tokens each after a 100-token system prompt; the breakpoint on the last.
    let turn = |messages: usize| {
        let mut parts: Vec<Part> = (0..messages)
            .map(|i| Part::new(format!("{i:>3}{}", text('m', 157))))
            .collect();
        parts[messages - 1].cache = true;
        request(vec![Part::cached(text('s', 400))], parts)
    };
    let mut cache = PromptCache::with_minimum(100);
    assert_eq!(cache.usage(&turn(5), "ok"), usage(0, 300, 0));
    // 20 blocks later the old breakpoint is still found...
    assert_eq!(
        cache.usage(&turn(5 + LOOKBACK_BLOCKS), "ok"),
        usage(0, 800, 300)
    );
    // ...21 blocks later it is not: only the system prompt is read.
    let mut cache = PromptCache::with_minimum(100);
    cache.usage(&turn(5), "ok");
    assert_eq!(
        cache.usage(&turn(6 + LOOKBACK_BLOCKS), "ok"),
        usage(0, 1040, 100)
    );
}

#[test]
fn an_agent_whose_view_grew_by_35_messages_still_reads_its_last_turn_from_the_cache() {
    let team = team::preset("conference").unwrap();
    let members: Vec<_> = team.agents.into_iter().take(3).collect();
    let node = Plan {
        id: "venue".into(),
        title: "Venue".into(),
        description: "Find the venue.".into(),
        agents: members.iter().map(|m| m.name.clone()).collect(),
        children: vec![],
    };
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let log: Vec<Message> = (1..=45)
        .map(|seq| Message {
            seq,
            workspace: "venue".into(),
            from: members[1 + seq as usize % 2].name.clone(),
            to: vec!["ALL".into()],
            content: format!("Note {seq}: {}", "the hall seats 500 people. ".repeat(16)),
            at: 0,
        })
        .collect();
    let me = &members[0];
    let mut cache = PromptCache::default();
    let before = turn_request("claude-sonnet-4-5", me, &ctx, &log[..10], 1000);
    let first = cache.usage(&before, "ok");
    let written = first.cache_write_tokens;
    assert!(written > 1024, "{first:?}");
    let after = turn_request("claude-sonnet-4-5", me, &ctx, &log, 1000);
    let second = cache.usage(&after, "ok");
    assert_eq!(second.cache_read_tokens, written, "{second:?}");
    // With the breakpoint on the last message only, the old prefix is 35 blocks back: out of
    // reach, so just the system prompt... which alone is under the minimum: nothing is read.
    let mut cache = PromptCache::default();
    cache.usage(&before, "ok");
    let mut last_only = after.clone();
    let parts = &mut last_only.messages[0].parts;
    let n = parts.len();
    for p in &mut parts[..n - 2] {
        p.cache = false;
    }
    assert_eq!(cache.usage(&last_only, "ok").cache_read_tokens, 0);
}
