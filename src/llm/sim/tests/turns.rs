//! Agent turns, workspace results, aggregation and other text.

use super::*;

#[test]
fn a_simulated_workspace_ends_with_a_result_for_the_user() {
    let conf = team::preset("conference").unwrap();
    let launch = team::preset("launch").unwrap();
    let cases: Vec<(&Team, Vec<&str>)> = vec![
        (
            &conf,
            vec!["venue_coordinator", "catering_manager", "tech_setup"],
        ),
        (&conf, vec!["program_director", "speaker_coordinator"]),
        (
            &launch,
            vec![
                "product_manager",
                "release_engineer",
                "qa_lead",
                "support_lead",
            ],
        ),
    ];
    for (team, names) in cases {
        for seed in 0..4 {
            for to_lead in [false, true] {
                let (log, turns) = run_workspace(team, &names, seed, to_lead);
                assert!(turns <= names.len() + 2, "{turns} turns for {names:?}");
                let result = log.last().unwrap();
                assert_eq!(result.from, names[0]);
                let n = words(&result.content);
                assert!((200..=500).contains(&n), "{n} words:\n{}", result.content);
                for name in &names {
                    assert!(
                        result.content.contains(name),
                        "{name} missing:\n{}",
                        result.content
                    );
                }
                // The lead's first message asks every teammate.
                assert_eq!(log[1].to.len(), names.len() - 1);
                for m in &log[2..log.len() - 1] {
                    let n = words(&m.content);
                    assert!((40..=250).contains(&n), "{n} words: {}", m.content);
                    assert!(
                        m.content.chars().any(|c| c.is_ascii_digit()),
                        "{}",
                        m.content
                    );
                }
            }
        }
    }
}

#[test]
fn every_leaf_of_every_preset_plan_finishes() {
    let mut teams = team::presets();
    teams.push(custom_team());
    for team in &teams {
        for depth in [0, 2] {
            let plan = plan_for(team, TASK, depth, 4);
            for leaf in leaves(&plan) {
                let names: Vec<&str> = leaf.agents.iter().map(String::as_str).collect();
                let (log, turns) = run_task(team, &names, TASK, 4, false);
                assert!(
                    turns <= names.len() + 2,
                    "{} {:?}: {turns} turns",
                    team.name,
                    names
                );
                assert!(
                    (150..=600).contains(&words(&log.last().unwrap().content)),
                    "{}",
                    log.last().unwrap().content
                );
            }
        }
    }
}

#[test]
fn contributions_are_concrete_and_tied_to_the_task() {
    let conf = team::preset("conference").unwrap();
    let (log, _) = run_workspace(
        &conf,
        &["venue_coordinator", "catering_manager", "tech_setup"],
        3,
        false,
    );
    let catering = log.iter().find(|m| m.from == "catering_manager").unwrap();
    assert!(
        catering.content.contains("500 attendees"),
        "{}",
        catering.content
    );
    assert!(
        catering.content.contains("Per-head cost") || catering.content.contains("Dietary"),
        "{}",
        catering.content
    );
    let venue_result = &log.last().unwrap().content;
    assert!(venue_result.starts_with("# Venue and catering\n"));
    assert!(venue_result.contains("## Catering (catering_manager)"));
    assert!(venue_result.contains("## Risks and open items"));
}

#[test]
fn the_lead_follows_up_once_nudges_once_then_reports() {
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let lead = &members[0];
    let mut log = vec![msg(1, USER, &[ALL], TASK)];
    let step = |log: &mut Vec<Message>, agent: &Agent| {
        let req = turn_request("sim", agent, &ctx, log, 2048);
        let r = parse_reply(&reply_text(&req, 1), &agent.name, &members).unwrap();
        let seq = log.len() as u64 + 1;
        log.push(Message {
            seq,
            workspace: "w".into(),
            from: agent.name.clone(),
            to: r.to.clone(),
            content: r.content,
            at: 0,
        });
        r.to
    };
    assert_eq!(step(&mut log, lead), ["catering_manager", "tech_setup"]);
    assert_eq!(step(&mut log, &members[1]), ["venue_coordinator"]);
    // Called again before tech_setup answered: a follow-up to catering, then a nudge, then the result.
    assert_eq!(step(&mut log, lead), ["catering_manager"]);
    assert!(
        log.last().unwrap().content.contains("Noted:"),
        "{}",
        log.last().unwrap().content
    );
    assert_eq!(step(&mut log, &members[1]), ["venue_coordinator"]);
    assert!(
        !log.last().unwrap().content.contains("\n- "),
        "a refinement is brief"
    );
    assert_eq!(step(&mut log, lead), ["tech_setup"]);
    assert_eq!(step(&mut log, lead), [USER]);
    let result = &log.last().unwrap().content;
    assert!(result.contains("Update:"), "{result}");
    assert!(result.contains("Open: tech_setup"), "{result}");
}

#[test]
fn notes_from_the_person_and_questions_between_teammates_are_answered() {
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let ask = |log: &[Message], agent: &Agent| {
        let req = turn_request("sim", agent, &ctx, log, 2048);
        parse_reply(&reply_text(&req, 1), &agent.name, &members).unwrap()
    };
    let mut log = vec![
        msg(1, USER, &[ALL], TASK),
        msg(
            2,
            "venue_coordinator",
            &["catering_manager", "tech_setup"],
            "Please send your parts.",
        ),
        msg(
            3,
            "catering_manager",
            &["venue_coordinator"],
            "- Per-head cost: $45/day.\n- Risk: late numbers.",
        ),
        msg(
            4,
            USER,
            &["catering_manager"],
            "Please make lunch fully vegetarian.",
        ),
    ];
    let r = ask(&log, &members[1]);
    assert_eq!(r.to, ["venue_coordinator"]);
    assert!(
        r.content
            .contains("The person asked: \"Please make lunch fully vegetarian.\""),
        "{}",
        r.content
    );
    log.push(msg(
        5,
        "catering_manager",
        &["venue_coordinator"],
        &r.content,
    ));

    // A teammate's question is answered once, to the one who asked; after that, to the lead.
    log.push(msg(
        6,
        "tech_setup",
        &["catering_manager"],
        "How many coffee stations need power?",
    ));
    let r = ask(&log, &members[1]);
    assert_eq!(r.to, ["tech_setup"]);
    log.push(msg(7, "catering_manager", &["tech_setup"], &r.content));
    log.push(msg(
        8,
        "tech_setup",
        &["catering_manager"],
        "And the water points?",
    ));
    assert_eq!(ask(&log, &members[1]).to, ["venue_coordinator"]);

    log.push(msg(
        9,
        "tech_setup",
        &["venue_coordinator"],
        "- Wi-Fi: 1,250 devices on 21 access points.\n- Risk: load-in.",
    ));
    log.push(msg(10, USER, &[ALL], "Keep the budget under $300k."));
    let r = ask(&log, &members[0]);
    assert_eq!(r.to, [USER]);
    assert!(
        r.content
            .contains("Taken into account from the person: \"Keep the budget under $300k.\""),
        "{}",
        r.content
    );
}

#[test]
fn without_structured_output_the_same_json_comes_as_text() {
    let team = team::preset("conference").unwrap();
    let plan_req = plan_request("sim", TASK, &team, 2, None, None, &[]);
    let text_plan = LlmRequest {
        output: Output::Text,
        ..plan_req.clone()
    };
    assert_eq!(reply_text(&text_plan, 3), reply_text(&plan_req, 3));
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let turn = turn_request(
        "sim",
        &members[0],
        &ctx,
        &[msg(1, USER, &[ALL], TASK)],
        1024,
    );
    let text_turn = LlmRequest {
        output: Output::Text,
        ..turn.clone()
    };
    assert_eq!(reply_text(&text_turn, 3), reply_text(&turn, 3));
    let json = reply_text(&turn, 3);
    assert!(json.starts_with("{\"to\":["), "{json}");
}

#[test]
fn turn_limit_and_aggregation_write_documents() {
    let conf = team::preset("conference").unwrap();
    let names = ["venue_coordinator", "catering_manager", "tech_setup"];
    let (mut log, _) = run_workspace(&conf, &names, 2, false);
    let venue_result = log.pop().unwrap().content;
    let (_, members, node) = conference_members();
    let ctx = TurnContext {
        mission: TASK,
        node: &node,
        members: &members,
        summary: None,
    };
    let req = final_request("sim", &members[2], &ctx, &log, 2048);
    let reply = reply_text(&req, 2);
    assert!(reply.starts_with(r#"{"to":["USER"]"#), "{reply}");
    let text = crate::engine::protocol::final_result_text(&reply);
    assert!(text.starts_with("# Venue, catering and AV"), "{text}");
    assert_eq!(
        reply_text(&req.as_plain_text(), 2),
        text,
        "without tools, plain text"
    );
    assert!((200..=500).contains(&words(&text)), "{text}");

    let plan = plan_for(&conf, TASK, 1, 1);
    let (content_log, _) = run_workspace(
        &conf,
        &[
            "program_director",
            "speaker_coordinator",
            "content_reviewer",
        ],
        2,
        false,
    );
    let content_result = content_log.last().unwrap().content.clone();
    let children = [
        ChildResult {
            node: &plan.children[0],
            outcome: Ok(&venue_result),
        },
        ChildResult {
            node: &plan.children[1],
            outcome: Ok(&content_result),
        },
        ChildResult {
            node: &plan.children[2],
            outcome: Err("the workspace was cancelled"),
        },
    ];
    let req = aggregate_request("sim", TASK, &plan, None, &children, 4096);
    let doc = reply_text(&req, 2);
    assert!(doc.starts_with(&format!("# {}\n", plan.title)), "{doc}");
    assert!(doc.contains("## Executive summary"));
    assert!(doc.contains(&format!("## {}", plan.children[0].title)));
    assert!(doc.contains(&format!("## {}", plan.children[1].title)));
    let risks = doc
        .split("## Risks and open items")
        .nth(1)
        .expect("risk section");
    assert!(
        risks.contains(&plan.children[2].title) && risks.contains("cancelled"),
        "{doc}"
    );
    assert!(
        words(&doc) < words(&venue_result) + words(&content_result),
        "condensed"
    );
    assert!(
        (200..=500).contains(&words(&doc)),
        "{} words\n{doc}",
        words(&doc)
    );
    // Numbers survive condensing.
    let per_head = venue_result
        .lines()
        .find(|l| l.contains("Per-head cost"))
        .map(|l| l.split('→').next().unwrap().to_string());
    if let Some(line) = per_head {
        assert!(doc.contains(line.trim_start_matches("- ")), "{line}\n{doc}");
    }
}

#[test]
fn other_requests_get_a_short_text_answer() {
    let req = LlmRequest {
        model: "m".into(),
        system: vec![],
        messages: vec![crate::llm::ChatMessage::user(vec![crate::llm::Part::new(
            "Summarize the plan in one line.",
        )])],
        max_tokens: 100,
        output: Output::Text,
        temperature: None,
    };
    let text = reply_text(&req, 1);
    assert!(
        text.starts_with("Understood: Summarize the plan in one line"),
        "{text}"
    );
    assert!(words(&text) < 60);
}

#[test]
#[ignore = "prints sample output for a person to read"]
fn show_samples() {
    for (preset, task) in [
        ("conference", TASK),
        (
            "launch",
            "Launch our new budgeting app to 20,000 users in 8 weeks",
        ),
        (
            "festival",
            "Run a 3-day open-air music festival for 15,000 people in July",
        ),
        ("content", "Produce a 5-part article series on remote work"),
    ] {
        let team = team::preset(preset).unwrap();
        let plan = plan_for(&team, task, 3, 1);
        println!(
            "=== PLAN {preset}\n{}",
            serde_json::to_string_pretty(&plan).unwrap()
        );
        let names: Vec<&str> = plan.children[1].agents.iter().map(String::as_str).collect();
        let (log, _) = run_task(&team, &names, task, 1, false);
        for m in &log {
            println!(
                "--- #{} {} → {} ({} words)\n{}",
                m.seq,
                m.from,
                m.to.join(", "),
                words(&m.content),
                m.content
            );
        }
    }
}

/// The conference demo at realistic pacing (planner, three workspaces in parallel, one
/// aggregation) should take 20–40 s: estimated here from the reply lengths, as the client paces them.
#[test]
fn the_conference_demo_fits_its_time_budget() {
    let team = team::preset("conference").unwrap();
    let pacing = Pacing::realistic();
    let secs = |s: &str| {
        pacing.first_token.as_secs_f64() + s.chars().count() as f64 / 4.0 / pacing.tokens_per_sec
    };
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    let plan_text = reply_text(&req, 7);
    let plan = parse_plan(&plan_text).unwrap();
    let mut slowest: f64 = 0.0;
    let mut results = vec![];
    for leaf in &plan.children {
        let names: Vec<&str> = leaf.agents.iter().map(String::as_str).collect();
        let (log, _) = run_task(&team, &names, TASK, 7, false);
        let json = |m: &Message| serde_json::json!({"to": m.to, "content": m.content}).to_string();
        slowest = slowest.max(log[1..].iter().map(|m| secs(&json(m))).sum());
        results.push(log.last().unwrap().content.clone());
    }
    let children: Vec<ChildResult> = plan
        .children
        .iter()
        .zip(&results)
        .map(|(node, r)| ChildResult {
            node,
            outcome: Ok(r),
        })
        .collect();
    let doc = reply_text(
        &aggregate_request("sim", TASK, &plan, None, &children, 4096),
        7,
    );
    let total = secs(&plan_text) + slowest + secs(&doc);
    assert!((20.0..=40.0).contains(&total), "{total:.1} s");
}
