//! The dashboard without a terminal: `App::update` driven by the real engine (offline simulation,
//! instant pacing, one thread so the event order is fixed) and by keys, and the screens drawn on
//! ratatui's `TestBackend` and compared with insta snapshots.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::{Command, Engine, EngineConfig, EngineHandle, Event, Message, Status, Target};
use crate::llm::Client;
use crate::llm::sim::{Pacing, SimClient};
use crate::team;

use super::app::{App, Effect, Input, Overlay, Tab};
use super::model::Phase;
use super::view;

const TASK: &str =
    "Organize a world-class tech conference called FutureTech 2025 with 500 attendees";

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn engine() -> (EngineHandle, UnboundedReceiver<Event>) {
    let team = team::preset("conference").unwrap();
    let mut cfg = EngineConfig::new(team, "sim-1");
    cfg.auto_approve = false;
    let client = Client::Sim(SimClient::new(7).with_pacing(Pacing::instant()));
    Engine::spawn(cfg, client)
}

/// Feeds engine events to the app until `stop` holds for one (that one included).
async fn pump(
    rx: &mut UnboundedReceiver<Event>,
    app: &mut App,
    mut stop: impl FnMut(&Event) -> bool,
) -> Vec<Effect> {
    let mut effects = vec![];
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an engine event in time")
            .expect("the engine is alive");
        let last = stop(&event);
        effects.extend(app.update(Input::Engine(Box::new(event))));
        if last {
            return effects;
        }
    }
}

fn sim_app(size: (u16, u16)) -> App {
    let mut app = App::new(None, size);
    app.provider_hint = Some("sim · sim-1 (offline simulation: no API key set)".into());
    app
}

/// An app in plan review of the conference task.
async fn in_review(size: (u16, u16)) -> (App, EngineHandle, UnboundedReceiver<Event>) {
    let mut app = sim_app(size);
    typed(&mut app, TASK);
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::Start(TASK.to_string())]);
    let (engine, mut rx) = engine();
    engine.send(Command::StartTask { task: TASK.into() });
    pump(&mut rx, &mut app, |e| matches!(e, Event::PlanReady { .. })).await;
    (app, engine, rx)
}

fn send_all(engine: &EngineHandle, effects: Vec<Effect>) {
    for e in effects {
        if let Effect::Send(cmd) = e {
            engine.send(cmd);
        }
    }
}

fn posted(n: usize) -> impl FnMut(&Event) -> bool {
    let mut seen = 0;
    move |e| {
        if matches!(e, Event::MessagePosted { .. }) {
            seen += 1;
        }
        seen == n
    }
}

#[test]
fn empty_screen() {
    let app = sim_app((80, 24));
    insta::assert_snapshot!("empty", screen(&app));
}

#[test]
fn a_tiny_terminal_says_so() {
    let mut app = sim_app((80, 24));
    app.update(Input::Resize(50, 12));
    let s = screen(&app);
    assert!(s.contains("huddle needs a bigger terminal"), "{s}");
    assert!(s.contains("at least 60x16; this one is 50x12"), "{s}");
}

#[tokio::test]
async fn plan_review_then_feedback_then_approval() {
    let (mut app, engine, mut rx) = in_review((80, 24)).await;
    assert_eq!(app.model.phase, Phase::Review);
    assert!(app.typing, "feedback can be typed at once");
    insta::assert_snapshot!("plan_review", screen(&app));
    // The planned workspaces show in the tree before anything runs.
    assert_eq!(app.rows().iter().filter(|r| r.agent.is_none()).count(), 4);
    assert!(
        app.model
            .workspaces
            .values()
            .all(|w| w.status == Status::Pending)
    );

    typed(&mut app, "without marketing");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::RevisePlan {
            feedback: "without marketing".into()
        })]
    );
    send_all(&engine, effects);
    pump(&mut rx, &mut app, |e| matches!(e, Event::PlanReady { .. })).await;
    assert_eq!(app.model.plan_attempt, 2);
    assert!(!app.model.order.iter().any(|w| w.contains("marketing")));

    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::Send(Command::ApprovePlan)]);
    send_all(&engine, effects);
    pump(&mut rx, &mut app, |e| matches!(e, Event::PlanApproved)).await;
    assert_eq!(app.model.phase, Phase::Running);
    assert!(!app.typing, "the dashboard keys work once the run starts");
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn esc_in_review_cancels_the_run() {
    let (mut app, engine, mut rx) = in_review((80, 24)).await;
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::Cancel {
            target: Target::Run
        })]
    );
    send_all(&engine, effects);
    pump(&mut rx, &mut app, |e| matches!(e, Event::RunDone { .. })).await;
    assert_eq!(app.model.phase, Phase::Done);
    assert_eq!(app.model.status, Status::Cancelled);
    engine.send(Command::Shutdown);
}

/// Runs the conference plan until `messages` messages were posted, with `venue` selected.
async fn running(
    size: (u16, u16),
    messages: usize,
) -> (App, EngineHandle, UnboundedReceiver<Event>) {
    let (mut app, engine, mut rx) = in_review(size).await;
    send_all(&engine, app.update(key(KeyCode::Enter)));
    pump(&mut rx, &mut app, posted(messages)).await;
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('j')));
    assert_eq!(app.selected, Some(("venue".to_string(), None)));
    assert_eq!(app.tab, Tab::Workspace("venue".into()));
    (app, engine, rx)
}

#[tokio::test]
async fn running_screen_streams_into_the_selected_workspace() {
    let (mut app, engine, mut rx) = running((100, 30), 5).await;
    insta::assert_snapshot!("running", screen(&app));
    // Streaming text shows before the message is posted, and is replaced by it.
    let mut live = None;
    pump(&mut rx, &mut app, |e| match e {
        Event::TokenDelta {
            workspace, agent, ..
        } => {
            live = Some((workspace.clone(), agent.clone()));
            true
        }
        _ => false,
    })
    .await;
    let (ws, agent) = live.expect("a reply streams");
    let w = app.model.workspace(&ws).unwrap();
    assert!(w.agent(&agent).unwrap().speaking);
    assert!(w.log.is_live(&agent));
    let before = w.log.messages();
    pump(
        &mut rx,
        &mut app,
        |e| matches!(e, Event::MessagePosted { message } if message.workspace == ws),
    )
    .await;
    let w = app.model.workspace(&ws).unwrap();
    assert_eq!(w.log.messages(), before + 1);
    assert!(!w.log.is_live(&agent));
    assert!(!w.agent(&agent).unwrap().speaking);
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn space_pauses_the_selected_workspace_or_agent_and_p_the_run() {
    // The run is paused before it starts, so that venue is still going when it is paused.
    let (mut app, engine, mut rx) = in_review((100, 30)).await;
    engine.send(Command::Pause {
        target: Target::Run,
    });
    send_all(&engine, app.update(key(KeyCode::Enter)));
    pump(
        &mut rx,
        &mut app,
        |e| matches!(e, Event::WorkspaceStarted { workspace, .. } if workspace == "venue"),
    )
    .await;
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('j')));
    let ws = Target::Workspace {
        workspace: "venue".into(),
    };
    let effects = app.update(key(KeyCode::Char(' ')));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::Pause { target: ws.clone() })]
    );
    send_all(&engine, effects);
    pump(
        &mut rx,
        &mut app,
        |e| matches!(e, Event::StatusChanged { target, status: Status::Paused } if *target == ws),
    )
    .await;
    assert_eq!(app.model.workspace("venue").unwrap().status, Status::Paused);
    assert!(screen(&app).contains("paused · turn"));
    let effects = app.update(key(KeyCode::Char(' ')));
    assert_eq!(effects, vec![Effect::Send(Command::Resume { target: ws })]);

    // An agent row pauses the agent.
    app.update(key(KeyCode::Char('j')));
    let agent = app.selected.clone().unwrap().1.expect("an agent row");
    assert_eq!(
        app.update(key(KeyCode::Char(' '))),
        vec![Effect::Send(Command::Pause {
            target: Target::Agent {
                workspace: "venue".into(),
                agent
            }
        })]
    );
    // The run was paused from the start: P resumes it.
    assert!(app.model.paused);
    assert!(screen(&app).contains("‖ paused"));
    assert_eq!(
        app.update(key(KeyCode::Char('P'))),
        vec![Effect::Send(Command::Resume {
            target: Target::Run
        })]
    );
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn a_message_goes_to_the_focused_workspace_with_its_addressees() {
    let (mut app, engine, _rx) = running((100, 30), 2).await;
    assert!(app.update(key(KeyCode::Char('m'))).is_empty());
    assert!(app.typing);
    typed(&mut app, "@tech_setup budget is $40k");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::InjectMessage {
            workspace: "venue".into(),
            to: vec!["tech_setup".into()],
            text: "budget is $40k".into()
        })]
    );
    assert!(!app.typing);
    // A /command works from the same box.
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "pause all");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Effect::Send(Command::Pause {
            target: Target::Run
        })]
    );
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "frobnicate");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        app.flash
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command /frobnicate")
    );
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn inspector_shows_what_the_engine_sent() {
    let (mut app, engine, mut rx) = running((100, 30), 4).await;
    app.update(key(KeyCode::Char('j')));
    let (_, agent) = app.selected.clone().unwrap();
    let agent = agent.unwrap();
    let effects = app.update(key(KeyCode::Char('i')));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::Inspect {
            workspace: "venue".into(),
            agent: agent.clone()
        })]
    );
    assert!(matches!(app.overlay, Some(Overlay::Inspector { .. })));
    send_all(&engine, effects);
    pump(&mut rx, &mut app, |e| {
        matches!(e, Event::AgentInspected { .. })
    })
    .await;
    let s = screen(&app);
    assert!(s.contains("Persona"), "{s}");
    assert!(s.contains(&format!("Inspector · {agent} in venue")), "{s}");
    insta::assert_snapshot!("inspector", s);
    // Further down: the system prompt as sent.
    let rows = app
        .inspector
        .row_text(0, app.inspector.line_count())
        .join("\n");
    assert!(rows.contains("System prompt, as sent"), "{rows}");
    assert!(rows.contains("Last request"), "{rows}");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.overlay, None);
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn help_lists_every_key_of_the_table() {
    let (mut app, engine, _rx) = running((100, 40), 2).await;
    app.update(key(KeyCode::Char('?')));
    let s = screen(&app);
    for b in super::keys::BINDINGS.iter().take(12) {
        assert!(s.contains(b.help), "help misses {:?}\n{s}", b.help);
    }
    insta::assert_snapshot!("help", s);
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn done_shows_the_summary_and_q_quits_without_asking() {
    let (mut app, engine, mut rx) = in_review((100, 30)).await;
    send_all(&engine, app.update(key(KeyCode::Enter)));
    pump(&mut rx, &mut app, |e| matches!(e, Event::RunDone { .. })).await;
    assert_eq!(app.tab, Tab::Summary);
    assert_eq!(app.model.status, Status::Done);
    let s = screen(&app);
    assert!(s.contains("✓ done"), "{s}");
    insta::assert_snapshot!("done", s);
    assert_eq!(app.update(key(KeyCode::Char('q'))), vec![Effect::Quit]);
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn quitting_a_running_run_asks_then_cancels_it() {
    let (mut app, engine, _rx) = running((80, 24), 2).await;
    assert!(app.update(key(KeyCode::Char('q'))).is_empty());
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(screen(&app).contains("Quit?"));
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.overlay, None);
    app.update(key(KeyCode::Char('q')));
    assert_eq!(
        app.update(key(KeyCode::Char('y'))),
        vec![
            Effect::Send(Command::Cancel {
                target: Target::Run
            }),
            Effect::Quit
        ]
    );
    engine.send(Command::Shutdown);
}

fn message(workspace: &str, seq: u64, from: &str, to: &str, content: &str) -> Event {
    Event::MessagePosted {
        message: Message {
            seq,
            workspace: workspace.into(),
            from: from.into(),
            to: vec![to.into()],
            content: content.into(),
            at: 0,
        },
    }
}

#[tokio::test]
async fn hostile_model_text_never_reaches_the_screen_and_retries_restart_the_reply() {
    let (mut app, engine, _rx) = running((100, 30), 1).await;
    let hostile = "ok \u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m red \u{202e}evil\u{202c} zero\u{200b}width \u{7}bell";
    let delta = |text: &str| {
        Input::Engine(Box::new(Event::TokenDelta {
            workspace: "venue".into(),
            agent: "tech_setup".into(),
            text: text.into(),
        }))
    };
    app.update(delta("partial reply that will be dropped"));
    app.update(Input::Engine(Box::new(Event::RetryScheduled {
        workspace: Some("venue".into()),
        agent: Some("tech_setup".into()),
        attempt: 1,
        delay_ms: 500,
        error: "HTTP 529 overloaded".into(),
    })));
    let w = app.model.workspace("venue").unwrap();
    let rows = w.log.row_text(0, w.log.line_count()).join("\n");
    assert!(!rows.contains("will be dropped"), "{rows}");
    assert!(
        rows.contains("retry 1 in 0.5s for tech_setup: HTTP 529 overloaded"),
        "{rows}"
    );
    app.update(delta(hostile));
    app.update(Input::Engine(Box::new(message(
        "venue",
        99,
        "tech_setup",
        "venue_coordinator",
        hostile,
    ))));
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let buf = terminal.backend().buffer();
    for cell in &buf.content {
        for c in cell.symbol().chars() {
            assert!(
                !c.is_control() && !('\u{202a}'..='\u{202e}').contains(&c) && c != '\u{200b}',
                "control or bidi character {c:?} reached the screen"
            );
        }
    }
    let s = screen(&app);
    assert!(s.contains("ok  red evil zerowidth bell"), "{s}");
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn scrolling_up_stops_following_and_end_follows_again() {
    let (mut app, engine, mut rx) = running((80, 24), 10).await;
    let follow = |app: &App| app.model.workspace("venue").unwrap().scroll.follow;
    assert!(follow(&app));
    app.update(key(KeyCode::PageUp));
    assert!(!follow(&app));
    let top = app.model.workspace("venue").unwrap().scroll.top;
    pump(&mut rx, &mut app, posted(3)).await;
    assert_eq!(
        app.model.workspace("venue").unwrap().scroll.top,
        top,
        "new rows do not move the view"
    );
    app.update(key(KeyCode::End));
    assert!(follow(&app));
    // The mouse wheel over the log scrolls it.
    app.update(Input::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 60,
        row: 10,
        modifiers: KeyModifiers::NONE,
    }));
    assert!(!follow(&app));
    engine.send(Command::Shutdown);
}

#[tokio::test]
async fn tabs_cycle_through_plan_workspaces_and_summary() {
    let (mut app, engine, _rx) = running((80, 24), 1).await;
    let tabs = app.tabs();
    assert_eq!(tabs.first(), Some(&Tab::Plan));
    assert_eq!(tabs.last(), Some(&Tab::Summary));
    assert_eq!(tabs.len(), app.model.order.len() + 2);
    app.update(key(KeyCode::Char('1')));
    assert_eq!(app.tab, Tab::Plan);
    app.update(Input::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.tab, Tab::Summary);
    app.update(key(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Plan);
    app.update(key(KeyCode::Tab));
    assert!(matches!(app.tab, Tab::Workspace(_)));
    engine.send(Command::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn replay_plays_recorded_events_at_speed_pauses_and_jumps_to_the_end() {
    use super::Player;
    use super::app::Playback;
    use crate::session::Recorded;

    let (engine, mut rx) = engine();
    let mut recorder = sim_app((100, 30));
    engine.send(Command::StartTask { task: TASK.into() });
    let mut events = vec![];
    pump(&mut rx, &mut recorder, |e| {
        events.push(e.clone());
        matches!(e, Event::PlanReady { .. })
    })
    .await;
    engine.send(Command::Shutdown);
    // Recorded one second apart.
    let recorded: Vec<Recorded> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Recorded {
            ts: 1_000 * i as u64,
            event,
        })
        .collect();
    let total = recorded.len();
    assert!(total > 3);
    let mut app = sim_app((100, 30));
    app.watch(Playback {
        speed: 4.0,
        paused: false,
        shown: 0,
        total,
        to_end: false,
    });
    let mut player = Player::new(recorded);
    let start = tokio::time::Instant::now();
    assert!(player.due(app.playback.as_ref()).unwrap() <= start);
    player.play(&mut app);
    assert_eq!(
        app.playback.unwrap().shown,
        1,
        "one event per recorded second"
    );
    // At ×4 the next is due a quarter of a second later.
    let due = player.due(app.playback.as_ref()).unwrap();
    assert_eq!(due - start, Duration::from_millis(250));
    app.update(key(KeyCode::Char('+')));
    assert_eq!(app.playback.unwrap().speed, 8.0);
    app.update(key(KeyCode::Char('.')));
    assert!(player.due(app.playback.as_ref()).is_none(), "paused");
    assert!(screen(&app).contains("‖ replay ×8"));
    // Nothing is sent anywhere from a replay, and q quits without asking.
    app.update(key(KeyCode::Char('>')));
    player.play(&mut app);
    assert_eq!(app.playback.unwrap().shown, total);
    assert!(player.due(app.playback.as_ref()).is_none(), "the end");
    assert_eq!(app.model.phase, Phase::Review);
    assert_eq!(app.update(key(KeyCode::Char('q'))), vec![Effect::Quit]);
}

#[tokio::test]
async fn wide_and_combining_characters_keep_the_layout_aligned() {
    let (mut app, engine, _rx) = running((80, 24), 1).await;
    let text =
        "会議の予算は五百万円です。 e\u{301}\u{301}te\u{301} 🎉🎉 ｆｕｌｌｗｉｄｔｈ ".repeat(8);
    app.update(Input::Engine(Box::new(message(
        "venue",
        98,
        "tech_setup",
        "venue_coordinator",
        &text,
    ))));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let buf = terminal.backend().buffer();
    let areas = app.areas();
    // The tree's border and the log's scrollbar column stay where they belong on every row:
    // nothing wide spilled over them.
    for y in areas.log.y..areas.log.bottom() {
        assert_eq!(buf[(areas.tree.right() - 1, y)].symbol(), "│", "row {y}");
        let bar = buf[(areas.scrollbar.x, y)].symbol();
        assert!(
            matches!(bar, "║" | "█" | " "),
            "row {y}: {bar:?} in the scrollbar column"
        );
    }
    let log = &app.model.workspace("venue").unwrap().log;
    let rows = log.row_text(0, log.line_count());
    assert!(rows.iter().any(|r| r.contains("会議の予算は")), "{rows:?}");
    engine.send(Command::Shutdown);
}

/// Types a `/command` and presses Enter, whether or not the input box has the keys.
fn command(app: &mut App, text: &str) -> Vec<Effect> {
    if !app.typing {
        app.update(key(KeyCode::Char('/')));
        typed(app, text.trim_start_matches('/'));
    } else {
        typed(app, text);
    }
    app.update(key(KeyCode::Enter))
}

#[tokio::test]
async fn the_top_bar_shows_the_budget_and_slash_budget_raises_it() {
    let mut cfg = EngineConfig::new(team::preset("conference").unwrap(), "sim-1");
    cfg.auto_approve = true;
    cfg.budgets.run.tokens = Some(3_000);
    let client = Client::Sim(SimClient::new(7).with_pacing(Pacing::instant()));
    let (engine, mut rx) = Engine::spawn(cfg, client);
    let mut app = sim_app((100, 30));
    typed(&mut app, TASK);
    app.update(key(KeyCode::Enter));
    engine.send(Command::StartTask { task: TASK.into() });
    pump(&mut rx, &mut app, |e| {
        matches!(e, Event::BudgetReached { .. })
    })
    .await;
    let top = screen(&app).lines().next().unwrap_or_default().to_string();
    assert!(top.contains("/3.0k tok") && top.contains("paused"), "{top}");
    let hint = app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(hint.contains("raise it with /budget tokens "), "{hint}");

    assert_eq!(command(&mut app, "/budget"), vec![]);
    let shown = app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(
        shown.starts_with("the run budget: ") && shown.ends_with("/3.0k tok (reached)"),
        "{shown}"
    );
    assert!(command(&mut app, "/budget tokens lots").is_empty());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.error && f.text.contains("200k"))
    );

    let effects = command(&mut app, "/budget tokens 1m");
    assert_eq!(
        effects,
        vec![Effect::Send(Command::SetBudget {
            target: Target::Run,
            tokens: Some(1_000_000),
            usd: None,
        })]
    );
    send_all(&engine, effects);
    pump(&mut rx, &mut app, |e| matches!(e, Event::RunDone { .. })).await;
    assert_eq!(app.model.status, Status::Done);
    let top = screen(&app).lines().next().unwrap_or_default().to_string();
    assert!(top.contains("/1.00M tok"), "{top}");
    engine.send(Command::Shutdown);
}
