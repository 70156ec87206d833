//! Topics of festivals: artists, stages, site, safety, sound and promotion.

use super::super::facts::{Facts, round_to, thousands};
use super::super::rng::Rng;
use super::Topic;

pub(super) static TOPICS: &[Topic] = &[
    Topic {
        keys: &[
            "booking",
            "artists",
            "artist",
            "riders",
            "headliners",
            "acts",
            "line up",
        ],
        short: "artist booking",
        label: "Artists and booking",
        deliverable: "an artist line-up plan with headliner offers, fees, deposits and riders",
        ask: "the headliner offers and fee budget, the support acts and the rider limits",
        follow_ups: &[
            "Which headliner offer is most at risk, and who is the fallback?",
            "Can deposits be staged so less cash is out before ticket sales start?",
            "What do the riders ask for that the site does not have yet?",
        ],
        next_step: "send the headliner offers",
        bullets: booking,
        refine: booking_refine,
    },
    Topic {
        keys: &[
            "stages",
            "schedule",
            "changeovers",
            "hospitality",
            "set times",
            "running order",
        ],
        short: "stages",
        label: "Stages and running order",
        deliverable: "a running order per stage with set times, changeovers and artist hospitality",
        ask: "the running order per stage, changeover times and the hospitality plan",
        follow_ups: &[
            "Does the running order leave slack if the headliner starts 20 minutes late?",
            "Can two stages share one changeover crew?",
            "What is the latest set time that still respects the curfew?",
        ],
        next_step: "circulate the draft running order",
        bullets: stages,
        refine: stages_refine,
    },
    Topic {
        keys: &[
            "site",
            "power",
            "build",
            "infrastructure",
            "sanitation",
            "water",
        ],
        short: "site",
        label: "Site and infrastructure",
        deliverable: "a site plan with power, water, sanitation and the build and breakdown schedule",
        ask: "the site layout, power and sanitation numbers and the build schedule",
        follow_ups: &[
            "What is the power margin on the main stage if the headliner brings extra lighting?",
            "Can the build shrink by a day, and what would it cost in overtime?",
            "Where are the weak spots in the site if it rains for two days?",
        ],
        next_step: "book generators, toilets and fencing",
        bullets: site,
        refine: site_refine,
    },
    Topic {
        keys: &[
            "safety",
            "security",
            "medical",
            "permits",
            "crowd",
            "emergency",
        ],
        short: "safety",
        label: "Safety, security and permits",
        deliverable: "a safety plan with staffing ratios, medical cover, evacuation and the permit timeline",
        ask: "the security and medical staffing, the evacuation plan and the permit timeline",
        follow_ups: &[
            "Which permit is on the critical path, and what do the authorities still need from us?",
            "Are the steward numbers enough at the main stage during the headliner?",
            "What is the evacuation time for the full site, and how was it calculated?",
        ],
        next_step: "file the event licence application",
        bullets: safety,
        refine: safety_refine,
    },
    Topic {
        keys: &["sound", "audio", "noise limits", "noise", "pa"],
        short: "sound",
        label: "Sound and noise",
        deliverable: "a sound design per stage with PA spec, noise limits, monitoring and cost",
        ask: "the PA spec per stage, the noise limits and the monitoring plan",
        follow_ups: &[
            "How close are we to the night-time limit at the nearest houses?",
            "Can the second stage run a smaller PA without hurting the sound?",
            "Who watches the noise monitors during the headliner set?",
        ],
        next_step: "order the PA and book the noise-monitoring service",
        bullets: sound,
        refine: sound_refine,
    },
    Topic {
        keys: &[
            "promotion",
            "press",
            "partners",
            "partnerships",
            "publicity",
        ],
        short: "promotion",
        label: "Promotion, press and partners",
        deliverable: "a promotion plan with announcement waves, press and partner deals",
        ask: "the announcement waves, the press plan and the partner targets",
        follow_ups: &[
            "Which announcement wave carries the biggest ticket spike, and is the booking ready for it?",
            "How much partner money is signed versus only promised?",
            "What do the media partners expect from us on site?",
        ],
        next_step: "announce the first line-up wave",
        bullets: promotion,
        refine: promotion_refine,
    },
];

const HEADLINERS: &[&str] = &[
    "Northern Lights",
    "The Velvet Hours",
    "Kaia Moreno",
    "Static Bloom",
    "Lune & the Tide",
    "Marlow Jones",
    "Glass Animals Tribute",
];

fn booking(f: &Facts, r: &mut Rng) -> Vec<String> {
    let nights = f.days.max(1);
    let fee = round_to(f.headcount as f64 * r.range(9, 16) as f64, 5000).max(20_000);
    let acts = f.rooms() * 6 * nights;
    let picks = r.choose(HEADLINERS, 3);
    vec![
        format!(
            "Headliners: {nights} ({} first choices: {}); fee budget {} in total, offers out by {}.",
            if nights == 1 { "in order of" } else { "one per night," },
            picks.join(", "),
            f.money(fee * nights),
            f.milestone(0.9)
        ),
        format!("Support acts: {acts} across {} stages at {}–{} each.", f.rooms(), f.money(1500), f.money(12_000)),
        "Deposits: 50% on signature for headliners, 25% for support acts; balance after the show.".to_string(),
        format!("Riders: hospitality capped at {} per act; technical riders go to sound 8 weeks ahead.", f.money(r.range(4, 12) * 100)),
        "Risk: headliners announce tours late; exclusivity clauses may block a second city within 60 days.".to_string(),
    ]
}

fn booking_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The riskiest offer is the second night; the fallback is already on hold until {}. Staging deposits (25% on \
signature, 25% at {}) keeps {} less cash out before sales open.",
        f.milestone(0.7),
        f.milestone(0.4),
        f.money(round_to(f.headcount as f64 * r.range(2, 5) as f64, 1000))
    )
}

fn stages(f: &Facts, r: &mut Rng) -> Vec<String> {
    let stages = f.rooms();
    let sets = r.range(6, 9);
    vec![
        format!("Running order: {stages} stages; main stage 14:00–23:00 with {sets} sets a day, headliner 21:30–23:00."),
        "Changeovers: 30 minutes on the main stage, 20 on the others; rolling risers for faster swaps.".to_string(),
        format!("Hospitality: backstage catering for {} artists and crew a day, 4 dressing rooms per stage.", stages * 40),
        format!("Artist advance: running order to agents by {}, stage times final by {}.", f.milestone(0.4), f.before(2)),
        "Risk: the 23:00 curfew; a late headliner start cuts their set, not the curfew.".to_string(),
    ]
}

fn stages_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "I built in {} minutes of slack before the headliner, and the second stage ends 15 minutes earlier so crowds \
move before the main set. One changeover crew can cover the two smaller stages; the {} stages run on {} crews.",
        r.range(15, 25),
        f.rooms(),
        f.rooms().saturating_sub(1).max(1)
    )
}

fn site(f: &Facts, r: &mut Rng) -> Vec<String> {
    let toilets = f.headcount.div_ceil(75);
    let kva = round_to(f.rooms() as f64 * 250.0 + f.headcount as f64 * 0.05, 50);
    vec![
        format!(
            "Layout: {} ha for {} people, {} stages, {} bars, {} food stalls, a 20 m gap between stages.",
            round_to(f.headcount as f64 / 1500.0 * 10.0, 5) as f64 / 10.0,
            thousands(f.headcount),
            f.rooms(),
            (f.headcount / 1000).max(3),
            (f.headcount / 400).max(6)
        ),
        format!("Power: {kva} kVA across {} generators with N+1 on the main stage; cable ramps on every walkway.", (kva / 200).max(2)),
        format!("Water and sanitation: 1 toilet per 75 people → {toilets} units, {} refill points, daily emptying at 07:00.", (f.headcount / 500).max(4)),
        format!("Build and breakdown: {} days build, {} days breakdown; ground protection on all vehicle routes.", r.range(4, 7), r.range(2, 3)),
        "Risk: heavy rain turns the car park to mud; track matting is budgeted for the main routes.".to_string(),
    ]
}

fn site_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Power margin on the main stage is {}% at full lighting; an extra 100 kVA set costs {} for the weekend. \
Shortening the build by a day costs about {} in overtime.",
        r.range(18, 30),
        f.money(r.range(18, 30) * 100),
        f.money(round_to(r.range(6, 12) as f64 * 1000.0, 500))
    )
}

fn safety(f: &Facts, r: &mut Rng) -> Vec<String> {
    let stewards = f.headcount.div_ceil(100);
    let security = f.headcount.div_ceil(250);
    vec![
        format!("Staffing: {stewards} stewards (1 per 100) and {security} security staff (1 per 250); 2 crowd managers per stage."),
        format!(
            "Medical: {} first-aid points, {} ambulance{} on site, 1 doctor per 5,000 people.",
            (f.headcount / 2000).max(2),
            (f.headcount / 10_000).max(1),
            if f.headcount >= 20_000 { "s" } else { "" }
        ),
        format!("Permits: event licence filed by {} (the authority needs about 12 weeks), noise permit, temporary structures sign-off.", f.before(16)),
        format!("Evacuation: {} exits sized to clear the site in under {} minutes; radio channel 1 for safety only.", (f.headcount / 2500).max(4), r.range(8, 12)),
        "Risk: the licence hearing can add 4 weeks; we file early and pre-agree the traffic plan with the police.".to_string(),
    ]
}

fn safety_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The licence is on the critical path; the authority still needs the traffic plan, which I will send by {}. \
For the headliner I move {} stewards to the main-stage front and pit.",
        f.before(18),
        r.range(10, 20)
    )
}

fn sound(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!(
            "PA: line arrays on the main stage for {} people, delay towers at 60 m; compact arrays on the {} other stages.",
            thousands(f.headcount),
            f.rooms().saturating_sub(1)
        ),
        format!("Noise limits: {} dB(A) LAeq over 15 minutes at the mixing desk, 65 dB(A) at the nearest houses; 3 live monitoring points.", r.range(99, 102)),
        "Curfew: amplified sound ends at 23:00; a sound check is allowed 11:00–13:00 only.".to_string(),
        format!("Equipment and crew: {} for the weekend incl. 2 system techs per stage.", f.share(r.range(6, 10))),
        "Risk: wind carries the low end towards the village; a cardioid sub array is planned to limit it.".to_string(),
    ]
}

fn sound_refine(_f: &Facts, r: &mut Rng) -> String {
    format!(
        "Predictions show {} dB(A) at the nearest houses at full level, {} under the limit. The second stage can run a \
smaller PA with {} fewer boxes without losing coverage.",
        r.range(60, 63),
        r.range(2, 5),
        r.range(4, 8)
    )
}

fn promotion(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!("Announcement waves: line-up phase 1 on {}, phase 2 on {}, day splits on {}.", f.milestone(0.9), f.milestone(0.6), f.milestone(0.3)),
        format!("Press: {} outlets on the list, {} media partners, accreditation open until {}.", r.range(30, 60), r.range(2, 3), f.before(2)),
        format!("Partners: 3 brand partners (drinks, telecom, mobility) worth about {}.", f.money(round_to(f.total_budget() as f64 * 0.12, 5000))),
        format!("Social: {} for the artists, countdown from {}, aftermovie within 7 days.", f.hashtag(), f.before(4)),
        "Risk: a headliner announcement slipping would delay phase 1; we hold a second-line announcement as a backup.".to_string(),
    ]
}

fn promotion_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Phase 1 carries the biggest spike (about {}% of tickets in the first week). Signed partner money is {}; another \
{} is promised but not signed.",
        r.range(25, 40),
        f.money(round_to(f.total_budget() as f64 * 0.07, 5000)),
        f.money(round_to(f.total_budget() as f64 * 0.05, 5000))
    )
}
