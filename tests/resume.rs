//! Resuming an interrupted run: cut a real run's events at many points (what a `kill -9` leaves
//! in events.jsonl), resume each with a fresh engine, and check that nothing finished is redone,
//! no message is lost or duplicated, and the report equals the uninterrupted run's.

use std::collections::BTreeMap;
use std::time::Duration;

use huddle::engine::{Command, Engine, EngineConfig, Event, Message, Status};
use huddle::llm::Client;
use huddle::llm::sim::{Pacing, SimClient};
use huddle::team;

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn engine() -> (
    huddle::engine::EngineHandle,
    tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "sim-1");
    cfg.auto_approve = true;
    Engine::spawn(
        cfg,
        Client::Sim(SimClient::new(7).with_pacing(Pacing::instant())),
    )
}

async fn until_done(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) -> Vec<Event> {
    let mut events = vec![];
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("an event in time")
            .expect("the engine is alive");
        let done = matches!(e, Event::RunDone { .. });
        events.push(e);
        if done {
            return events;
        }
    }
}

async fn full_run() -> Vec<Event> {
    let (engine, mut rx) = engine();
    engine.send(Command::StartTask { task: TASK.into() });
    let events = until_done(&mut rx).await;
    engine.send(Command::Shutdown);
    events
}

fn report(events: &[Event]) -> (&Status, &str) {
    events
        .iter()
        .find_map(|e| match e {
            Event::RunDone { status, report, .. } => Some((status, report.as_str())),
            _ => None,
        })
        .expect("RunDone")
}

/// The report without its usage section: usage after a resume legitimately differs (the
/// interrupted call is paid twice, and the prompt cache is cold again).
fn deliverable(report: &str) -> &str {
    report.split("\n## Usage").next().unwrap_or(report)
}

fn messages(events: &[Event]) -> BTreeMap<String, Vec<Message>> {
    let mut out: BTreeMap<String, Vec<Message>> = BTreeMap::new();
    for e in events {
        if let Event::MessagePosted { message } = e {
            let mut m = message.clone();
            m.at = 0;
            out.entry(m.workspace.clone()).or_default().push(m);
        }
    }
    out
}

fn turns(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::TurnStarted { .. }))
        .count()
}

#[tokio::test]
async fn a_run_cut_anywhere_resumes_to_the_same_report_without_losing_or_repeating_anything() {
    let full = full_run().await;
    let (status, full_report) = report(&full);
    assert_eq!(*status, Status::Done);
    let full_messages = messages(&full);
    let approved = full
        .iter()
        .position(|e| matches!(e, Event::PlanApproved))
        .unwrap();
    let last = full.len() - 1;
    // Cut points from just after approval to just before the end, through every phase.
    let cuts: Vec<usize> = (0..24)
        .map(|i| approved + 1 + i * (last - approved - 1) / 23)
        .collect();
    for cut in cuts {
        let before = &full[..cut];
        let (engine, mut rx) = engine();
        engine.send(Command::ResumeRun {
            events: before.to_vec(),
        });
        let after = until_done(&mut rx).await;
        engine.send(Command::Shutdown);
        assert!(
            matches!(after.first(), Some(Event::RunStarted { .. })),
            "cut {cut}: {:?}",
            after.first()
        );
        assert!(after.iter().any(|e| matches!(e, Event::RunResumed { .. })));
        let (status, resumed_report) = report(&after);
        assert_eq!(*status, Status::Done, "cut {cut}");
        assert_eq!(
            deliverable(resumed_report),
            deliverable(full_report),
            "cut {cut}: the resumed report differs"
        );
        // Every message exactly once, in order, as in the uninterrupted run.
        let whole: Vec<Event> = before.iter().chain(&after).cloned().collect();
        assert_eq!(messages(&whole), full_messages, "cut {cut}");
        // No finished turn is taken again: at most the one in flight at the cut.
        let extra = turns(&whole) - turns(&full);
        assert!(extra <= 1, "cut {cut}: {extra} turns taken again");
        // Finished workspaces are not announced or run again.
        for e in &after {
            if let Event::WorkspaceDone { workspace, .. } = e {
                assert!(
                    !before.iter().any(
                        |b| matches!(b, Event::WorkspaceDone { workspace: w, .. } if w == workspace)
                    ),
                    "cut {cut}: {workspace} finished twice"
                );
            }
        }
        // Totals carry on: the resumed run's totals include the calls made before the cut.
        let before_calls = before
            .iter()
            .filter(|e| matches!(e, Event::UsageUpdated { .. }))
            .count() as u64;
        let after_calls = after
            .iter()
            .filter(|e| matches!(e, Event::UsageUpdated { .. }))
            .count() as u64;
        let totals = after
            .iter()
            .find_map(|e| match e {
                Event::RunDone { totals, .. } => Some(*totals),
                _ => None,
            })
            .unwrap();
        assert_eq!(totals.calls, before_calls + after_calls, "cut {cut}");
    }
}

#[tokio::test]
async fn a_run_cut_before_approval_plans_again_and_an_ended_run_is_not_resumed() {
    let full = full_run().await;
    let approved = full
        .iter()
        .position(|e| matches!(e, Event::PlanApproved))
        .unwrap();
    let (engine, mut rx) = engine();
    engine.send(Command::ResumeRun {
        events: full[..approved].to_vec(),
    });
    let after = until_done(&mut rx).await;
    assert!(after.iter().any(|e| matches!(e, Event::PlanStarted { .. })));
    assert_eq!(deliverable(report(&after).1), deliverable(report(&full).1));

    engine.send(Command::ResumeRun { events: full });
    let warning = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&warning, Event::Warning { message, .. } if message.contains("already ended")),
        "{warning:?}"
    );
    engine.send(Command::Shutdown);
}

/// The running summaries of a run: workspace and the last message each covers, in order.
fn summaries(events: &[Event]) -> Vec<(String, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ContextSummarized {
                workspace,
                through_seq,
                ..
            } => Some((workspace.clone(), *through_seq)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_resumed_run_keeps_its_running_summary_and_does_not_make_it_again() {
    let spawn = || {
        let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "sim-1");
        cfg.auto_approve = true;
        // Small enough that the simulation's workspaces fold their logs.
        cfg.context_tokens = 300;
        Engine::spawn(
            cfg,
            Client::Sim(SimClient::new(7).with_pacing(Pacing::instant())),
        )
    };
    let (engine, mut rx) = spawn();
    engine.send(Command::StartTask { task: TASK.into() });
    let full = until_done(&mut rx).await;
    engine.send(Command::Shutdown);
    let made = summaries(&full);
    assert!(!made.is_empty(), "the run made no summary");
    let cuts: Vec<usize> = full
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::ContextSummarized { .. }))
        .flat_map(|(i, _)| [i + 1, i + 2])
        .collect();
    for cut in cuts {
        let before = &full[..cut];
        let (engine, mut rx) = spawn();
        engine.send(Command::ResumeRun {
            events: before.to_vec(),
        });
        let after = until_done(&mut rx).await;
        engine.send(Command::Shutdown);
        let whole: Vec<Event> = before.iter().chain(&after).cloned().collect();
        assert_eq!(
            summaries(&whole),
            made,
            "cut {cut}: summaries lost or made again"
        );
        assert_eq!(messages(&whole), messages(&full), "cut {cut}");
        assert_eq!(
            deliverable(report(&after).1),
            deliverable(report(&full).1),
            "cut {cut}"
        );
    }
}
