//! Property tests for the parsers that read what comes from outside: the agent reply and the plan
//! (`engine::protocol`), the team file (`team::parse`) and the server-sent event reader
//! (`llm::sse::Events`), plus the streamed-content decoder and the plan repair built on them.
//!
//! Cases per property, 17,000 in all, each run with no panic (about 10 s in a debug build on 2
//! cores):
//!
//! | property                                                         | cases |
//! |------------------------------------------------------------------|-------|
//! | `extract_json`/`parse_plan`/`parse_reply` on arbitrary text      | 2000  |
//! | the same on JSON-ish text (nesting, escapes, unicode, cut short) | 1000  |
//! | a JSON object in prose or a fence is found again                 | 1000  |
//! | a plan, bare, in prose, fenced or wrapped, parses back equal     | 500   |
//! | a reply `{"to", "content"}` parses back to the same message      | 2000  |
//! | a `TO:` text reply parses back, whatever its content             | 2000  |
//! | the content decoder yields the content at any split              | 1000  |
//! | `validate`/`repair` on arbitrary plans; repair makes them valid  | 1000  |
//! | `team::parse` on arbitrary text: errors name `file:line:col`     | 2000  |
//! | a team written as TOML parses back with the same agents          | 500   |
//! | a damaged team file: errors name a `file:line:col` inside it     | 1000  |
//! | a name taken ignoring case, or `USER`/`ALL`, is refused there    | 500   |
//! | SSE: arbitrary bytes, split anywhere, read as unsplit            | 1000  |
//! | SSE: generated events, split anywhere, read back equal           | 1000  |
//! | SSE: the API key in event data is blanked out                    | 500   |

use std::collections::HashSet;
use std::time::Duration;

use huddle::engine::plan::{Plan, repair, validate};
use huddle::engine::protocol::{ContentStream, extract_json, parse_plan, parse_reply};
use huddle::engine::{ALL, USER};
use huddle::llm::LlmError;
use huddle::llm::sse::Events;
use huddle::team::{self, Agent, Team, TeamError};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

/// `cases` cases; a failing case is shrunk and reported, not saved to a file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Text that stresses JSON and prose parsing: arbitrary unicode, braces, quotes and escapes.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        prop::collection::vec(
            prop_oneof![
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just("\"".to_owned()),
                Just("\\".to_owned()),
                Just("\\u".to_owned()),
                Just("\\ud83d".to_owned()),
                Just(":".to_owned()),
                Just(",".to_owned()),
                Just("[".to_owned()),
                Just("]".to_owned()),
                Just("```json\n".to_owned()),
                Just("```".to_owned()),
                Just("TO:".to_owned()),
                Just("\n".to_owned()),
                Just("\"to\"".to_owned()),
                Just("\"content\"".to_owned()),
                Just("\"plan\"".to_owned()),
                "\\PC{0,6}",
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Any JSON value, nested a few levels, with unicode and control characters in its strings.
/// Floats are left out: without serde_json's `float_roundtrip` a float may not read back bit-equal.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(any::<String>(), json_value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// How a model may wrap a JSON object in its reply. `before` never holds a `{`: the object is
/// then the first one in the text.
#[derive(Debug, Clone)]
enum Wrap {
    Bare,
    Padded,
    Prose { before: String, after: String },
    Fence { before: String, after: String },
}

fn wrap() -> impl Strategy<Value = Wrap> {
    let before = "[^{]{0,30}";
    prop_oneof![
        Just(Wrap::Bare),
        Just(Wrap::Padded),
        (before, tricky_text()).prop_map(|(before, after)| Wrap::Prose { before, after }),
        (before, tricky_text()).prop_map(|(before, after)| Wrap::Fence { before, after }),
    ]
}

impl Wrap {
    fn apply(&self, json: &str) -> String {
        match self {
            Wrap::Bare => json.to_owned(),
            Wrap::Padded => format!("\n  {json}\n\n"),
            Wrap::Prose { before, after } => format!("{before} {json} {after}"),
            Wrap::Fence { before, after } => format!("{before}\n```json\n{json}\n```\n{after}"),
        }
    }
}

/// Any plan: arbitrary strings everywhere, up to four levels deep.
fn any_plan() -> impl Strategy<Value = Plan> {
    let node = (
        any::<String>(),
        any::<String>(),
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..4),
    );
    node.clone()
        .prop_map(|(id, title, description, agents)| Plan {
            id,
            title,
            description,
            agents,
            children: vec![],
        })
        .prop_recursive(4, 32, 4, move |inner| {
            (node.clone(), prop::collection::vec(inner, 0..4)).prop_map(
                |((id, title, description, agents), children)| Plan {
                    id,
                    title,
                    description,
                    agents,
                    children,
                },
            )
        })
}

const CONFERENCE: [&str; 9] = [
    "venue_coordinator",
    "catering_manager",
    "tech_setup",
    "program_director",
    "speaker_coordinator",
    "content_reviewer",
    "marketing_manager",
    "social_media_specialist",
    "registration_coordinator",
];

/// Plans a model might send for the conference roster: repeated and malformed ids, unknown and
/// repeated agents, shared agents among siblings, too deep, too few agents.
fn rough_plan() -> impl Strategy<Value = Plan> {
    let id = prop_oneof![
        Just("venue".to_owned()),
        Just("talks".to_owned()),
        Just("".to_owned()),
        Just("Not A Slug!".to_owned()),
        Just("x".repeat(60)),
        "[a-z]{1,6}",
        any::<String>(),
    ];
    let agent = prop_oneof![
        4 => prop::sample::select(CONFERENCE.to_vec()).prop_map(str::to_owned),
        1 => Just("ghost".to_owned()),
        1 => any::<String>(),
    ];
    let node = (id, "\\PC{0,20}", prop::collection::vec(agent, 0..4));
    node.clone()
        .prop_map(|(id, title, agents)| Plan {
            id,
            title,
            description: String::new(),
            agents,
            children: vec![],
        })
        .prop_recursive(4, 16, 4, move |inner| {
            (node.clone(), prop::collection::vec(inner, 0..4)).prop_map(
                |((id, title, agents), children)| Plan {
                    id,
                    title,
                    description: String::new(),
                    agents,
                    children,
                },
            )
        })
}

/// A roster of 2 to 6 agents whose names differ even ignoring case, none of them `USER`/`ALL`;
/// only names and teams are filled in.
fn roster() -> impl Strategy<Value = Vec<Agent>> {
    let agent = ("[A-Za-z][A-Za-z0-9_-]{0,11}", "[a-z_]{1,10}").prop_map(|(name, team)| Agent {
        name,
        team,
        description: String::new(),
        capabilities: vec![],
        model: None,
        instructions: None,
    });
    prop::collection::vec(agent, 2..7).prop_filter("names unique ignoring case", |agents| {
        let mut seen = HashSet::new();
        agents.iter().all(|a| {
            let lower = a.name.to_ascii_lowercase();
            lower != "user" && lower != "all" && seen.insert(lower)
        })
    })
}

/// A roster with every field of its agents filled in with arbitrary text.
fn full_roster() -> impl Strategy<Value = Vec<Agent>> {
    let extras = (
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..3),
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
    );
    roster()
        .prop_flat_map(move |agents| {
            let n = agents.len();
            (Just(agents), prop::collection::vec(extras.clone(), n))
        })
        .prop_map(|(agents, extras)| {
            agents
                .into_iter()
                .zip(extras)
                .map(
                    |(agent, (description, capabilities, model, instructions))| Agent {
                        description: description.trim().to_owned(),
                        capabilities,
                        model,
                        instructions,
                        ..agent
                    },
                )
                .collect()
        })
}

/// The same word with the case of its ASCII letters flipped where `flips` says.
fn recase(word: &str, flips: &[bool]) -> String {
    word.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &flip)| {
            if !flip {
                c
            } else if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A reply's sender, its addressees as a model may write them, and the canonical addressees.
fn addressed() -> impl Strategy<Value = (Vec<Agent>, String, Vec<String>, Vec<String>)> {
    roster().prop_flat_map(|members| {
        let n = members.len();
        let targets = prop::collection::vec(
            (
                0..n + 2,
                prop::collection::vec(any::<bool>(), 1..4),
                any::<bool>(),
            ),
            1..5,
        );
        (Just(members), 0..n, targets).prop_map(move |(members, sender, targets)| {
            let sender_name = members[sender].name.clone();
            let mut written = Vec::new();
            let mut expected: Vec<String> = Vec::new();
            for (pick, flips, with_team) in targets {
                let (canonical, team) = match pick {
                    p if p == n => (USER.to_owned(), "x".to_owned()),
                    p if p == n + 1 => (ALL.to_owned(), "x".to_owned()),
                    // Writing to oneself is a protocol error: write to the next member instead.
                    p => {
                        let m = &members[if p == sender { (p + 1) % n } else { p }];
                        (m.name.clone(), m.team.clone())
                    }
                };
                let word = recase(&canonical, &flips);
                written.push(if with_team {
                    format!("{word}@{team}")
                } else {
                    word
                });
                if !expected.contains(&canonical) {
                    expected.push(canonical);
                }
            }
            (members, sender_name, written, expected)
        })
    })
}

/// Non-empty message content: arbitrary unicode, braces and quotes included.
fn content() -> impl Strategy<Value = String> {
    tricky_text().prop_filter("content is not blank", |c| !c.trim().is_empty())
}

/// JSON text of a string with every non-ASCII character written as a `\u` escape (surrogate
/// pairs beyond the BMP), as some servers send it.
fn ascii_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// `text` cut at the given places (each taken modulo its length plus one), so chunks may be empty.
fn split_bytes(bytes: &[u8], cuts: &[Index]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for cut in at {
        chunks.push(bytes[from..cut].to_vec());
        from = cut;
    }
    chunks.push(bytes[from..].to_vec());
    chunks
}

fn split_str(text: &str, cuts: &[Index]) -> Vec<String> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|i| i.index(text.len() + 1))
        .map(|i| text.floor_char_boundary(i))
        .collect();
    at.sort_unstable();
    let mut parts = Vec::new();
    let mut from = 0;
    for cut in at {
        parts.push(text[from..cut].to_owned());
        from = cut;
    }
    parts.push(text[from..].to_owned());
    parts
}

// ---------------------------------------------------------------------------------------------
// Agent replies and plans

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn reply_and_plan_parsers_never_panic_on_any_text(text in tricky_text(), sender in 0usize..3) {
        let members = team::preset("conference").unwrap().agents;
        let _ = extract_json(&text);
        let _ = parse_plan(&text);
        let _ = parse_reply(&text, &members[sender].name, &members);
    }

    #[test]
    fn a_json_reply_parses_back_to_the_same_message(
        (members, sender, written, expected) in addressed(),
        content in content(),
        to_as_text in any::<bool>(),
        wrap in wrap(),
    ) {
        let to = if to_as_text { json!(written.join(", ")) } else { json!(written) };
        let json = json!({"to": to, "content": content}).to_string();
        let text = wrap.apply(&json);
        // Prose that starts like a `TO:` line makes it a text reply.
        prop_assume!(!text.trim_start().starts_with("TO:") && !text.trim_start().starts_with("To:"));
        let reply = parse_reply(&text, &sender, &members)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
        prop_assert_eq!(reply.to, expected);
        prop_assert_eq!(reply.content, content);
    }

    #[test]
    fn a_text_reply_parses_back_whatever_its_content(
        (members, sender, written, expected) in addressed(),
        content in content(),
    ) {
        let text = format!("TO: {}\n{content}", written.join(", "));
        let reply = parse_reply(&text, &sender, &members)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(reply.to, expected);
        prop_assert_eq!(reply.content, content);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn reply_and_plan_parsers_never_panic_on_json_ish_text(
        value in json_value(),
        pretty in any::<bool>(),
        cut in any::<Index>(),
        truncate in any::<bool>(),
        wrap in wrap(),
        depth in 0usize..200,
    ) {
        let mut json = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        };
        if truncate {
            json.truncate(json.floor_char_boundary(cut.index(json.len() + 1)));
        }
        // Deep nesting, past serde_json's recursion limit.
        let deep = format!("{{\"to\":{}{}", "[".repeat(depth), "]".repeat(depth / 2));
        let members = team::preset("conference").unwrap().agents;
        for text in [wrap.apply(&json), wrap.apply(&deep)] {
            let _ = extract_json(&text);
            let _ = parse_plan(&text);
            let _ = parse_reply(&text, "tech_setup", &members);
        }
    }

    #[test]
    fn a_json_object_in_prose_or_a_fence_is_found_again(
        value in json_object(),
        pretty in any::<bool>(),
        wrap in wrap(),
    ) {
        let json = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        };
        let text = wrap.apply(&json);
        prop_assert_eq!(extract_json(&text), Some(value), "{}", text);
    }

    #[test]
    fn the_content_decoder_yields_the_content_at_any_split(
        content in any::<String>(),
        escape_all in any::<bool>(),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let encoded = if escape_all {
            ascii_json_string(&content)
        } else {
            serde_json::to_string(&content).unwrap()
        };
        let json = format!("{{\"to\": [\"ALL\"], \"content\": {encoded}}}");
        let mut stream = ContentStream::default();
        let decoded: String = split_str(&json, &cuts).iter().map(|p| stream.push(p)).collect();
        prop_assert_eq!(decoded, content);
    }

    #[test]
    fn validate_and_repair_never_panic_and_repair_makes_a_plan_valid(
        plan in rough_plan(),
        max_depth in 1usize..4,
    ) {
        let team = team::preset("conference").unwrap();
        let _ = validate(&plan, &team, max_depth);
        let (fixed, _notes) = repair(&plan, &team, max_depth);
        let problems = validate(&fixed, &team, max_depth);
        let places: usize = fixed.nodes().iter().map(|n| n.agents.len()).sum();
        if places <= team.agents.len() {
            // The roster could staff every place with a different agent: nothing may be left to
            // complain about.
            prop_assert!(problems.is_empty(), "{:#?}\n{:#?}", problems, fixed);
        } else {
            // Too many leaves for the roster: siblings may have to share, nothing else.
            let other: Vec<_> =
                problems.iter().filter(|p| !p.contains("appears in sibling nodes")).collect();
            prop_assert!(other.is_empty(), "{:#?}\n{:#?}", other, fixed);
        }
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn a_plan_bare_in_prose_fenced_or_wrapped_parses_back_equal(
        plan in any_plan(),
        pretty in any::<bool>(),
        wrapped in any::<bool>(),
        wrap in wrap(),
    ) {
        let value = if wrapped { json!({"plan": plan}) } else { json!(plan) };
        let json = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        };
        let text = wrap.apply(&json);
        let parsed = parse_plan(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, plan);
    }
}

// ---------------------------------------------------------------------------------------------
// Team files

/// `(line, col)` of an error that names one, checked to be of the form `path:line:col: message`.
fn place(err: &TeamError, path: &str) -> Result<(usize, usize), TestCaseError> {
    let shown = err.to_string();
    let TeamError::Invalid {
        line, col, message, ..
    } = err
    else {
        return Err(TestCaseError::fail(format!(
            "not an invalid-file error: {shown}"
        )));
    };
    prop_assert!(
        shown.starts_with(&format!("{path}:{line}:{col}: ")),
        "{}",
        shown
    );
    prop_assert!(
        *line >= 1 && *col >= 1 && !message.trim().is_empty(),
        "{}",
        shown
    );
    Ok((*line, *col))
}

/// Whether `(line, col)` is a place in `text` (or just past its end).
fn inside(text: &str, (line, col): (usize, usize)) -> bool {
    let lines: Vec<&str> = text.split('\n').collect();
    lines
        .get(line - 1)
        .is_some_and(|l| col <= l.chars().count() + 1)
}

fn any_team() -> impl Strategy<Value = Team> {
    (
        any::<String>(),
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..3),
        full_roster(),
    )
        .prop_map(|(name, description, keywords, agents)| Team {
            name,
            description,
            keywords,
            agents,
            limits: Default::default(),
        })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn team_parse_never_panics_and_its_errors_name_file_line_col(text in tricky_text()) {
        if let Err(e) = team::parse(&text, "crew.toml") {
            let at = place(&e, "crew.toml")?;
            prop_assert!(inside(&text, at), "{} is not in {:?}", e, text);
        }
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn a_team_written_as_toml_parses_back_with_the_same_agents(
        team in any_team(),
        pretty in any::<bool>(),
    ) {
        let text = if pretty {
            toml::to_string_pretty(&team).unwrap()
        } else {
            toml::to_string(&team).unwrap()
        };
        let parsed = team::parse(&text, "crew.toml")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, team);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn a_damaged_team_file_is_refused_at_a_place_inside_it(
        team in any_team(),
        at in any::<Index>(),
        remove in 0usize..4,
        insert in prop_oneof![
            Just(String::new()),
            Just("=".to_owned()),
            Just("\"".to_owned()),
            Just("[".to_owned()),
            Just("\n[[agents]]\n".to_owned()),
            Just("\nname = \"USER\"\n".to_owned()),
            Just("\nbogus = 1\n".to_owned()),
            "\\PC{1,3}",
        ],
    ) {
        let text = toml::to_string(&team).unwrap();
        let start = text.floor_char_boundary(at.index(text.len() + 1));
        let end = text.floor_char_boundary((start + remove).min(text.len()));
        let damaged = format!("{}{insert}{}", &text[..start], &text[end..]);
        if let Err(e) = team::parse(&damaged, "crew.toml") {
            let at = place(&e, "crew.toml")?;
            prop_assert!(inside(&damaged, at), "{} is not in {:?}", e, damaged);
        }
    }
}

/// The 1-based line of the `name` key of the agent number `k` in a team file written by `toml`.
fn agent_name_line(text: &str, k: usize) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[agents]]")
        .nth(k)?
        .0;
    lines
        .iter()
        .enumerate()
        .skip(header + 1)
        .find(|(_, l)| l.starts_with("name = "))
        .map(|(i, _)| i + 1)
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn a_name_taken_ignoring_case_or_reserved_is_refused_where_it_is_written(
        team in any_team(),
        pick in any::<(Index, Index)>(),
        flips in prop::collection::vec(any::<bool>(), 1..4),
        reserved in prop::option::of(prop::sample::select(vec![USER, ALL])),
    ) {
        let mut team = team;
        let n = team.agents.len();
        let (a, b) = (pick.0.index(n), pick.1.index(n));
        let (first, second) = if a == b { (a, (a + 1) % n) } else { (a, b) };
        let (first, second) = (first.min(second), first.max(second));
        let taken = match reserved {
            Some(word) => word.to_owned(),
            None => team.agents[first].name.clone(),
        };
        team.agents[second].name = recase(&taken, &flips);
        let text = toml::to_string(&team).unwrap();
        let err = team::parse(&text, "crew.toml").expect_err("the roster must be refused");
        let (line, _) = place(&err, "crew.toml")?;
        prop_assert_eq!(Some(line), agent_name_line(&text, second), "{}\n{}", err, text);
        let shown = err.to_string();
        prop_assert!(
            shown.contains("reserved") || shown.contains("duplicate agent name"),
            "{}",
            shown
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Server-sent events

const SECRET: &str = "sk-ant-PLANTED-9f8e7d6c5b4a";

/// An event as read: name and data, or the error that ended the stream.
type Read = Result<(String, String), String>;

/// Reads a body that arrives in `chunks` the way a client does: every event up to the first error.
fn read_events(chunks: Vec<Vec<u8>>, secret: &str) -> Vec<Read> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, LlmError>));
        let mut events = Events::from_body(body, Duration::from_secs(5), "test", secret);
        let mut read = Vec::new();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => read.push(Ok((event.event, event.data))),
                Err(e) => {
                    read.push(Err(e.to_string()));
                    break;
                }
            }
        }
        read
    })
}

/// Bytes that look like an event stream, with everything that can go wrong in one: a byte order
/// mark, every line ending, comments, multi-byte characters, invalid UTF-8.
fn sse_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data:".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b":".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just("\u{feff}".as_bytes().to_vec()),
        Just("é😀".as_bytes().to_vec()),
        Just(vec![0xff]),
        Just(vec![0xe2, 0x82]),
        "\\PC{0,8}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    (any::<bool>(), prop::collection::vec(piece, 0..40)).prop_map(|(bom, pieces)| {
        let mut bytes = if bom {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        };
        bytes.extend(pieces.concat());
        bytes
    })
}

/// One event to write: optional name, data lines, optional id, a comment before it.
#[derive(Debug, Clone)]
struct GenEvent {
    name: Option<String>,
    lines: Vec<String>,
    id: Option<String>,
    comment: bool,
}

fn gen_events() -> impl Strategy<Value = Vec<GenEvent>> {
    let no_eol = "[^\r\n]{0,20}";
    let event = (
        prop::option::of("[^\r\n]{1,12}"),
        prop::collection::vec(no_eol, 1..4),
        prop::option::of(no_eol),
        any::<bool>(),
    )
        .prop_map(|(name, lines, id, comment)| GenEvent {
            name,
            lines,
            id,
            comment,
        });
    prop::collection::vec(event, 0..6)
}

/// The wire form of the events, with one kind of line ending throughout (a lone `\r` followed by
/// a `\n` ending would read as one `\r\n`).
fn write_events(events: &[GenEvent], eol: &str, bom: bool) -> Vec<u8> {
    let mut s = if bom {
        "\u{feff}".to_owned()
    } else {
        String::new()
    };
    for e in events {
        if e.comment {
            s.push_str(&format!(": ping{eol}"));
        }
        if let Some(name) = &e.name {
            s.push_str(&format!("event: {name}{eol}"));
        }
        if let Some(id) = &e.id {
            s.push_str(&format!("id: {id}{eol}"));
        }
        for line in &e.lines {
            s.push_str(&format!("data: {line}{eol}"));
        }
        s.push_str(eol);
    }
    s.into_bytes()
}

fn expected_events(events: &[GenEvent]) -> Vec<Read> {
    events
        .iter()
        .map(|e| {
            Ok((
                e.name.clone().unwrap_or_else(|| "message".to_owned()),
                e.lines.join("\n"),
            ))
        })
        .collect()
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn sse_arbitrary_bytes_split_anywhere_read_as_unsplit(
        bytes in prop_oneof![sse_ish_bytes(), prop::collection::vec(any::<u8>(), 0..200)],
        cuts in prop::collection::vec(any::<Index>(), 0..10),
    ) {
        let whole = read_events(vec![bytes.clone()], "");
        let split = read_events(split_bytes(&bytes, &cuts), "");
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn sse_generated_events_split_anywhere_read_back_equal(
        events in gen_events(),
        eol in prop::sample::select(vec!["\n", "\r", "\r\n"]),
        bom in any::<bool>(),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
    ) {
        let bytes = write_events(&events, eol, bom);
        let read = read_events(split_bytes(&bytes, &cuts), "");
        prop_assert_eq!(read, expected_events(&events));
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn sse_the_api_key_in_event_data_is_blanked_out(
        mut events in gen_events(),
        plant in prop::collection::vec((any::<Index>(), any::<Index>()), 1..4),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
    ) {
        if events.is_empty() {
            events.push(GenEvent { name: None, lines: vec![String::new()], id: None, comment: false });
        }
        for (event, at) in plant {
            let e = event.get_mut(&mut events);
            let line = at.get_mut(&mut e.lines);
            line.insert_str(line.floor_char_boundary(at.index(line.len() + 1)), SECRET);
        }
        let bytes = write_events(&events, "\n", false);
        let read = read_events(split_bytes(&bytes, &cuts), SECRET);
        let expected: Vec<Read> = expected_events(&events)
            .into_iter()
            .map(|e| e.map(|(name, data)| (name, data.replace(SECRET, "[redacted]"))))
            .collect();
        prop_assert_eq!(read, expected);
    }
}

#[test]
fn sse_a_byte_order_mark_is_dropped_wherever_the_body_is_cut() {
    let body = "\u{feff}event: ping\ndata: {\"a\": 1}\n\n".as_bytes();
    for cut in 0..=body.len() {
        let read = read_events(vec![body[..cut].to_vec(), body[cut..].to_vec()], "");
        assert_eq!(
            read,
            [Ok(("ping".to_owned(), "{\"a\": 1}".to_owned()))],
            "cut at {cut}"
        );
    }
}
