//! The simulated planner.

use super::*;

#[test]
fn same_seed_same_text_other_seed_other_text() {
    let team = team::preset("conference").unwrap();
    let req = plan_request("sim", TASK, &team, 3, None, None, &[]);
    assert_eq!(reply_text(&req, 7), reply_text(&req, 7));
    assert_ne!(reply_text(&req, 7), reply_text(&req, 8));
    let plan = parse_plan(&reply_text(&req, 7)).unwrap();
    let members: Vec<Agent> = team.agents[..3].to_vec();
    let log = vec![msg(1, USER, &[ALL], TASK)];
    let ctx = TurnContext {
        mission: TASK,
        node: &plan.children[0],
        members: &members,
        summary: None,
    };
    let turn = turn_request("sim", &members[1], &ctx, &log, 1024);
    assert_eq!(reply_text(&turn, 7), reply_text(&turn, 7));
    assert_ne!(reply_text(&turn, 7), reply_text(&turn, 8));
}

#[test]
fn plans_of_every_preset_are_valid_at_every_depth() {
    let mut teams = team::presets();
    teams.push(custom_team());
    for team in &teams {
        for depth in 0..=3 {
            for seed in [1, 2] {
                let plan = plan_for(team, TASK, depth, seed);
                let problems = validate(&plan, team, depth);
                assert!(
                    problems.is_empty(),
                    "{} at depth {depth}: {problems:#?}\n{plan:#?}",
                    team.name
                );
                assert!(plan.depth() <= depth);
                for leaf in leaves(&plan) {
                    assert!(leaf.agents.len() >= 2, "{leaf:?}");
                    assert!(words(&leaf.description) >= 15, "{leaf:?}");
                }
                if depth == 0 {
                    assert_eq!(plan.agents.len(), 3, "{plan:#?}");
                }
            }
        }
    }
}

#[test]
fn plan_has_one_leaf_per_team_with_concrete_descriptions() {
    let team = team::preset("conference").unwrap();
    let plan = plan_for(&team, TASK, 1, 1);
    assert_eq!(plan.title, "Organize FutureTech 2025");
    let ids: Vec<&str> = plan.children.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["venue", "content", "marketing"]);
    assert_eq!(
        plan.children[0].agents,
        ["venue_coordinator", "catering_manager", "tech_setup"]
    );
    assert_eq!(plan.children[0].title, "Venue, catering and AV");
    let d = &plan.children[0].description;
    assert!(
        d.contains("FutureTech 2025") && d.contains("500 attendees") && d.contains("per-head cost"),
        "{d}"
    );
}

#[test]
fn big_teams_split_under_an_inner_node_and_teams_of_one_join_the_closest_leaf() {
    let team = custom_team();
    let plan = plan_for(&team, TASK, 2, 1);
    let venue = plan
        .children
        .iter()
        .find(|c| c.id == "venue")
        .expect("venue node");
    assert_eq!(venue.children.len(), 2, "{plan:#?}");
    assert!(venue.children.iter().all(|c| c.agents.len() >= 2));
    // The treasurer (catering, budget) is alone in its team and joins a leaf.
    assert!(
        leaves(&plan)
            .iter()
            .any(|l| l.agents.contains(&"treasurer".to_string()))
    );
    assert!(plan.children.iter().all(|c| c.id != "finance"));
    let flat = plan_for(&team, TASK, 1, 1);
    assert!(flat.children.iter().all(|c| c.is_leaf()));
}

#[test]
fn feedback_is_honoured_visibly() {
    let team = team::preset("conference").unwrap();
    let first = plan_for(&team, TASK, 3, 1);
    let marketing: Vec<&str> = [
        "marketing_manager",
        "social_media_specialist",
        "registration_coordinator",
    ]
    .into();

    let without = replan(&team, TASK, 3, &first, "Please do it without marketing.");
    assert!(validate(&without, &team, 3).is_empty());
    let all = without.all_agents();
    assert!(
        marketing.iter().all(|m| !all.contains(&m.to_string())),
        "{without:#?}"
    );
    assert_eq!(without.children.len(), 2);
    assert!(without.description.contains("without marketing"));

    let no_social = replan(&team, TASK, 3, &first, "no social_media_specialist");
    assert!(
        !no_social
            .all_agents()
            .contains(&"social_media_specialist".to_string())
    );
    assert!(
        no_social
            .all_agents()
            .contains(&"marketing_manager".to_string())
    );
    assert!(validate(&no_social, &team, 3).is_empty());

    let merged = replan(&team, TASK, 3, &first, "Fewer workspaces please");
    assert_eq!(merged.children.len(), 2, "{merged:#?}");
    assert!(validate(&merged, &team, 3).is_empty());
    let named = replan(&team, TASK, 3, &first, "merge venue and content");
    assert_eq!(named.children.len(), 2);
    assert!(named.children.iter().any(|c| c.agents.len() == 6));

    // Splitting needs a team of four; otherwise the wish reaches the leaves as a note.
    let custom = custom_team();
    let flat = plan_for(&custom, TASK, 1, 1);
    let split = replan(&custom, TASK, 1, &flat, "split it up more");
    assert_eq!(split.children.len(), flat.children.len() + 1, "{split:#?}");
    assert!(validate(&split, &custom, 1).is_empty());
    let unsplit = replan(&team, TASK, 1, &first, "split it up more");
    assert_eq!(unsplit.children.len(), 3);
    assert!(
        leaves(&unsplit)
            .iter()
            .all(|l| l.description.contains("Person's note: Split it up more"))
    );

    // A later re-plan keeps what an earlier one removed.
    let again = replan(&team, TASK, 3, &without, "Keep the catering vegan-friendly");
    assert!(
        !again
            .all_agents()
            .contains(&"marketing_manager".to_string())
    );
    let venue = again
        .children
        .iter()
        .find(|c| c.agents.contains(&"catering_manager".to_string()))
        .unwrap();
    assert!(
        venue
            .description
            .contains("Person's note: Keep the catering vegan-friendly"),
        "{}",
        venue.description
    );
    let content = again
        .children
        .iter()
        .find(|c| c.agents.contains(&"program_director".to_string()))
        .unwrap();
    assert!(
        !content.description.contains("vegan"),
        "{}",
        content.description
    );
    let general = replan(&team, TASK, 3, &first, "Add more detail on timing");
    assert!(
        leaves(&general)
            .iter()
            .all(|l| l.description.contains("more detail on timing"))
    );
}

#[test]
fn a_flawed_plan_is_fixed_when_its_problems_are_sent_back() {
    let team = team::preset("festival").unwrap();
    let req = plan_request("sim", "Run a music festival", &team, 2, None, None, &[]);
    let sim = SimClient::new(1)
        .with_pacing(Pacing::instant())
        .with_faults(SimFaults::parse("protocol=1").unwrap());
    let bad = parse_plan(
        &futures_util::FutureExt::now_or_never(sim.stream(&req, &|_| {}))
            .unwrap()
            .unwrap()
            .text,
    )
    .unwrap();
    let problems = validate(&bad, &team, 2);
    assert!(!problems.is_empty());
    let again = plan_request(
        "sim",
        "Run a music festival",
        &team,
        2,
        Some(&bad),
        None,
        &problems,
    );
    let good = parse_plan(
        &futures_util::FutureExt::now_or_never(sim.stream(&again, &|_| {}))
            .unwrap()
            .unwrap()
            .text,
    )
    .unwrap();
    assert!(validate(&good, &team, 2).is_empty());
}
