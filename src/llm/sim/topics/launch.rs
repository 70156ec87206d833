//! Topics of product launches: scope, beta research, release, QA, reliability, positioning,
//! growth and support.

use super::super::facts::{Facts, round_to, thousands};
use super::super::rng::Rng;
use super::Topic;

pub(super) static TOPICS: &[Topic] = &[
    Topic {
        keys: &["scope", "metrics", "timeline", "roadmap", "requirements"],
        short: "scope",
        label: "Scope, metrics and timeline",
        deliverable: "the launch scope, success metrics and a dated timeline from code freeze to launch",
        ask: "the must-have scope, the success metrics and the dated timeline",
        follow_ups: &[
            "Which must-have would you cut first if code freeze slips a week?",
            "Are the week-one targets realistic given the beta numbers?",
            "Who signs off the go/no-go, and on which date?",
        ],
        next_step: "hold the go/no-go review",
        bullets: scope,
        refine: scope_refine,
    },
    Topic {
        keys: &[
            "beta",
            "usability",
            "feedback",
            "user research",
            "ux",
            "insight",
        ],
        short: "beta research",
        label: "Beta and user research",
        deliverable: "a beta and usability programme with participants, findings and fixes before launch",
        ask: "the beta programme size and dates, the usability targets and what it found so far",
        follow_ups: &[
            "Which friction point costs us the most activations, and can it be fixed before launch?",
            "How many beta users are active weekly, not just signed up?",
            "What would make the usability score miss its target?",
        ],
        next_step: "close the beta and publish the findings",
        bullets: ux,
        refine: ux_refine,
    },
    Topic {
        keys: &[
            "release",
            "rollout",
            "feature flags",
            "rollback",
            "deployment",
            "deploy",
        ],
        short: "release",
        label: "Release and rollout",
        deliverable: "a staged rollout plan with feature flags, rollback and release dates",
        ask: "the rollout stages, the flag plan and the rollback procedure",
        follow_ups: &[
            "How fast can we roll back at 50% exposure, and who presses the button?",
            "Which flag is the riskiest to turn on, and what do we watch when we do?",
            "Can the rollout pause automatically on an error-rate spike?",
        ],
        next_step: "cut the release candidate",
        bullets: release,
        refine: release_refine,
    },
    Topic {
        keys: &["testing", "quality", "bugs", "gates", "qa", "test plan"],
        short: "QA",
        label: "Quality and testing",
        deliverable: "a test plan with quality gates, launch-blocking bug criteria and a bug bash",
        ask: "the test plan, the quality gates and the open launch blockers",
        follow_ups: &[
            "How many P1 bugs are open today, and what is the burn-down rate?",
            "Which gate is most likely to fail, and what is plan B?",
            "Is the regression suite fast enough to run on every release candidate?",
        ],
        next_step: "run the bug bash and freeze the gates",
        bullets: qa,
        refine: qa_refine,
    },
    Topic {
        keys: &[
            "capacity",
            "monitoring",
            "on call",
            "reliability",
            "alerting",
            "sre",
            "slo",
        ],
        short: "reliability",
        label: "Capacity, monitoring and on-call",
        deliverable: "a launch-day reliability plan with capacity targets, SLOs, alerts and on-call",
        ask: "the capacity target, the SLOs and alerts, and the launch-week on-call plan",
        follow_ups: &[
            "What breaks first at 3× the expected peak, and how much headroom is left?",
            "Which alerts page a human on launch day, and which only open a ticket?",
            "How long does it take to add capacity if sign-ups double?",
        ],
        next_step: "run the load test at 3× peak",
        bullets: sre,
        refine: sre_refine,
    },
    Topic {
        keys: &[
            "positioning",
            "messaging",
            "pricing",
            "announcement",
            "value proposition",
        ],
        short: "positioning",
        label: "Positioning, pricing and announcement",
        deliverable: "the positioning, pricing and launch announcement with its proof points",
        ask: "the positioning statement, the pricing and the announcement plan",
        follow_ups: &[
            "Which proof point is strongest for the announcement headline?",
            "Does the Pro price hold if the main competitor cuts theirs by 20%?",
            "Who needs to approve the press release, and by when?",
        ],
        next_step: "finalize the announcement and pricing page",
        bullets: positioning,
        refine: positioning_refine,
    },
    Topic {
        keys: &[
            "acquisition",
            "campaigns",
            "experiments",
            "channels",
            "growth",
            "funnel",
        ],
        short: "growth",
        label: "Acquisition and launch-week growth",
        deliverable: "an acquisition plan with channels, budget, launch-week experiments and targets",
        ask: "the acquisition channels and budget, the launch-week experiments and the targets",
        follow_ups: &[
            "Which channel has the lowest cost per sign-up in the beta data?",
            "What is the stop rule for an experiment that underperforms?",
            "How much of the budget is held back for week two?",
        ],
        next_step: "book the launch-week channels",
        bullets: growth,
        refine: growth_refine,
    },
    Topic {
        keys: &[
            "support",
            "docs",
            "escalation",
            "training",
            "help center",
            "help desk",
        ],
        short: "support",
        label: "Support and documentation",
        deliverable: "support readiness: help docs, staffing, escalation paths and training",
        ask: "the help-doc list, support staffing for launch week and the escalation path",
        follow_ups: &[
            "What ticket volume do you expect in week one, and does staffing cover it?",
            "Which docs are still missing, and who writes them?",
            "How quickly does a P1 reach engineering on launch day?",
        ],
        next_step: "publish the help center and staff the rota",
        bullets: support,
        refine: support_refine,
    },
];

fn scope(f: &Facts, r: &mut Rng) -> Vec<String> {
    let signups = round_to(f.headcount as f64 * r.range(8, 20) as f64 / 100.0, 100).max(100);
    vec![
        format!(
            "Scope: {} must-have features for launch, {} deferred to the first update; the cut line is agreed by {}.",
            r.range(3, 5),
            r.range(2, 4),
            f.milestone(0.8)
        ),
        format!(
            "Success metrics: {} sign-ups in week one, activation ≥ {}%, day-7 retention ≥ {}%, NPS ≥ {}.",
            thousands(signups),
            r.range(35, 50),
            r.range(20, 35),
            r.range(30, 45)
        ),
        format!(
            "Timeline: code freeze {}, release candidate {}, go/no-go {}, launch {}.",
            f.before(2),
            f.before_days(10),
            f.before_days(3),
            f.dates().map_or_else(|| format!("{} weeks from now", f.weeks), |d| format!("on {d}"))
        ),
        "Owners: one directly responsible person per workstream, a daily 15-minute launch stand-up from code freeze.".to_string(),
        "Risk: scope creep after code freeze; every late request needs a go from the product manager and QA.".to_string(),
    ]
}

fn scope_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "If code freeze slips a week, the first cut is the {} integration; the week-one target drops to {} sign-ups. \
Go/no-go stays on {} with product, engineering and support signing off.",
        r.pick(&["calendar", "export", "team invite", "Slack"]),
        thousands(round_to(f.headcount as f64 * 0.08, 100).max(100)),
        f.before_days(3)
    )
}

fn ux(f: &Facts, r: &mut Rng) -> Vec<String> {
    let beta = round_to(f.headcount as f64 * 0.02, 10).clamp(40, 800);
    vec![
        format!("Beta: {beta} users in 3 segments (new, power, admin), 2 weeks from {}; {}% weekly active so far.", f.before(5), r.range(45, 70)),
        format!("Usability: {} moderated sessions; target SUS ≥ 75, current {}.", r.range(6, 10), r.range(66, 78)),
        format!(
            "Top findings: onboarding step 3 loses {}% of users, the empty state confuses admins, search is the most praised feature.",
            r.range(15, 30)
        ),
        "Loop: in-app survey plus weekly synthesis to product; the 3 biggest fixes go in before code freeze.".to_string(),
        "Risk: the beta skews to power users; new-user findings rest on only a third of the sample.".to_string(),
    ]
}

fn ux_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The costliest friction is onboarding step 3: fixing the copy and pre-filling the workspace should recover about \
{}% of drop-offs, and fits before {}. Weekly active beta users: {}.",
        r.range(8, 15),
        f.before(2),
        round_to(f.headcount as f64 * 0.012, 5).clamp(20, 500)
    )
}

fn release(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!("Rollout: 1% → 10% → 50% → 100% over {} days behind the launch flag, starting {}.", r.range(3, 5), f.before_days(2)),
        format!("Flags: {} feature flags, each with a kill switch; flag owners listed in the release doc.", r.range(4, 8)),
        format!("Rollback: one command, under {} minutes, rehearsed on staging on {}.", r.range(5, 10), f.before(1)),
        "Auto-pause: the rollout stops itself if the error rate rises 0.5 points or p95 latency passes 400 ms.".to_string(),
        "Risk: the database migration is one-way; it ships a week early, separately from the feature.".to_string(),
    ]
}

fn release_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "At 50% exposure rollback takes about {} minutes; the on-call release engineer presses the button, no approval \
needed. The riskiest flag is the new billing path; it goes last, on {}, with a dashboard watching payment errors.",
        r.range(4, 8),
        f.before_days(1)
    )
}

fn qa(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!("Test plan: {} automated end-to-end tests on the critical paths, regression suite green 3 days running before go.", r.range(60, 140)),
        format!("Gates: zero open P0/P1, crash-free sessions ≥ {}%, performance budget met on the 3 slowest pages.", r.pick(&["99.5", "99.7", "99.8"])),
        format!("Bug bash: 2 hours with {} people on {}; triage the same afternoon.", r.range(12, 25), f.before(2)),
        format!("Open today: {} P1 and {} P2 launch blockers, burning down about 3 a day.", r.range(3, 9), r.range(8, 20)),
        "Risk: the mobile regression suite takes 90 minutes; we run it nightly and only smoke tests per build.".to_string(),
    ]
}

fn qa_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "P1 count is down to {}; at the current rate the gate is green by {}. The gate most likely to fail is crash-free \
sessions on older Android; plan B is to ship with that device group behind the flag.",
        r.range(1, 4),
        f.before_days(5)
    )
}

fn sre(f: &Facts, r: &mut Rng) -> Vec<String> {
    let peak = round_to(f.headcount as f64 * 0.04 * r.range(2, 4) as f64, 10).max(50);
    vec![
        format!("Capacity: load-tested to 3× expected peak = {} requests/s; autoscaling from {} to {} instances.", thousands(peak * 3), r.range(4, 8), r.range(20, 40)),
        format!("SLOs: {}% availability, p95 latency < 300 ms; {} alerts, 5 of them paging.", r.pick(&["99.9", "99.95"]), r.range(10, 16)),
        format!("On-call: 2-person rotation in launch week, war room on launch day from 08:00 to 20:00, status page ready by {}.", f.before(1)),
        format!("Cost: extra capacity for launch week about {}.", f.money(round_to(r.range(2, 8) as f64 * 1000.0, 500))),
        "Risk: the third-party email provider caps sends at 100/s; sign-up confirmation emails queue at peak.".to_string(),
    ]
}

fn sre_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "At 3× peak the database connection pool saturates first; raising it and adding a read replica gives {}% headroom. \
If sign-ups double we can add capacity in about {} minutes; the load test reruns on {}.",
        r.range(35, 60),
        r.range(8, 15),
        f.before(1)
    )
}

fn positioning(f: &Facts, r: &mut Rng) -> Vec<String> {
    let pro = r.range(9, 29);
    let name = f.name.clone().unwrap_or_else(|| "the product".into());
    vec![
        format!("Positioning: for teams who lose hours to manual hand-offs, {name} automates the busywork; 3 proof points from the beta."),
        format!("Pricing: Free tier, Pro {}/month, Team {}/user/month; 14-day trial, 20% off annual.", f.money(pro), f.money(pro + r.range(4, 10))),
        format!("Announcement: blog post and press release on launch day at 09:00, embargoed briefings with {} journalists on {}.", r.range(4, 8), f.before(1)),
        "Assets: launch video (60 s), 5 screenshots, a one-page fact sheet and 3 customer quotes.".to_string(),
        "Risk: a competitor may cut prices in launch week; we hold the annual discount as the answer.".to_string(),
    ]
}

fn positioning_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The strongest proof point is the beta result: {}% less time on hand-offs. The Pro price holds against a 20% \
competitor cut because of the free tier; legal approves the press release by {}.",
        r.range(25, 45),
        f.before_days(5)
    )
}

fn growth(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!("Channels: launch-day community post, {} newsletter sponsorships, paid search {}, partner webinars.", r.range(2, 4), f.share(r.range(15, 25))),
        "Experiments: 4 in launch week (onboarding email, referral credit, pricing page copy, trial length), each with a stop rule.".to_string(),
        format!(
            "Targets: {} sign-ups in 30 days at a cost per sign-up under {}.",
            thousands(round_to(f.headcount as f64 * 0.3, 100).max(200)),
            f.money(r.range(8, 25))
        ),
        "Tracking: UTM on every link, a daily funnel dashboard from visit to activation.".to_string(),
        "Risk: paid search costs spike in launch week; 30% of the budget is held back for week two.".to_string(),
    ]
}

fn growth_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Beta data says newsletters convert best at {} per sign-up; paid search is {}. An experiment stops after 5 days if \
it is 20% below control. {} stays in reserve for week two.",
        f.money(r.range(6, 12)),
        f.money(r.range(14, 30)),
        f.share(r.range(5, 8))
    )
}

fn support(f: &Facts, r: &mut Rng) -> Vec<String> {
    let tickets = round_to(f.headcount as f64 * 0.03, 10).max(40);
    vec![
        format!(
            "Docs: {} help articles, 5 short videos and an FAQ, all live by {}.",
            r.range(18, 35),
            f.before(1)
        ),
        format!(
            "Staffing: {} agents in launch week for about {tickets} tickets; first response under 2 hours.",
            (tickets / 60).clamp(2, 25)
        ),
        "Escalation: L1 → L2 within 1 hour, L2 → engineering on-call within 30 minutes for P1."
            .to_string(),
        format!(
            "Training: 2 sessions for support on {} and {}, with a sandbox account each.",
            f.before(2),
            f.before(1)
        ),
        "Risk: billing questions peak on day 2; one agent is dedicated to billing that week."
            .to_string(),
    ]
}

fn support_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Week one should bring about {} tickets; the rota covers {} with the planned agents. {} docs are still missing; \
product writes the billing ones by {}.",
        round_to(f.headcount as f64 * 0.03, 10).max(40),
        round_to(f.headcount as f64 * 0.04, 10).max(60),
        r.range(3, 7),
        f.before_days(10)
    )
}
