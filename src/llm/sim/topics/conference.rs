//! Topics of conferences and other events: venue, catering, AV, program, speakers, talk
//! selection, marketing, social media and registration.

use super::super::facts::{Domain, Facts, round_to, thousands};
use super::super::rng::Rng;
use super::{Topic, round_up};

pub(super) static TOPICS: &[Topic] = &[
    Topic {
        keys: &[
            "venue",
            "logistics",
            "floor plan",
            "accessibility",
            "rooms",
            "location",
        ],
        short: "venue",
        label: "Venue and logistics",
        deliverable: "a recommended venue with floor plan, room capacities, accessibility and contract terms",
        ask: "a venue shortlist with capacities, day rates, the floor plan and the contract deadline",
        follow_ups: &[
            "Can we get the day rate down if we sign before the hold expires? Even 10% frees money for AV.",
            "Does the recommended venue still work if we sell 15% more tickets than planned?",
            "What is the cancellation exposure if we sign now, in money and by date?",
        ],
        next_step: "sign the venue contract",
        bullets: venue,
        refine: venue_refine,
    },
    Topic {
        keys: &["catering", "food", "dietary", "meals", "menu"],
        short: "catering",
        label: "Catering",
        deliverable: "a catering plan with menus, dietary split, vendor choice and per-head cost",
        ask: "the per-head catering cost, the dietary split and a vendor recommendation",
        follow_ups: &[
            "Can the per-head cost come down by about 10% without losing the hot lunch?",
            "How does the catering total change if 10% of registrants do not show up?",
            "Which dietary options need a separate line, and when does the caterer need final numbers?",
        ],
        next_step: "confirm the caterer and the final headcount",
        bullets: catering,
        refine: catering_refine,
    },
    Topic {
        keys: &[
            "audio visual",
            "av",
            "wifi",
            "wi fi",
            "streaming",
            "stage",
            "equipment",
            "projection",
        ],
        short: "AV",
        label: "AV, Wi-Fi and streaming",
        deliverable: "an AV, Wi-Fi and streaming spec with equipment list, crew and cost",
        ask: "the AV and Wi-Fi spec per room, the streaming setup and the cost",
        follow_ups: &[
            "Is the Wi-Fi sized for the peak during keynotes, not just the average?",
            "Can we stream only the main stage and record the rest, and what does that save?",
            "What do you need from the venue for load-in, and by when?",
        ],
        next_step: "order the AV package and book the crew",
        bullets: av,
        refine: av_refine,
    },
    Topic {
        keys: &[
            "agenda",
            "tracks",
            "keynotes",
            "themes",
            "program",
            "programme",
        ],
        short: "agenda",
        label: "Program and agenda",
        deliverable: "an agenda with tracks, keynotes, session formats and the day-by-day schedule",
        ask: "the agenda structure: tracks, keynote slots, session formats and the publishing date",
        follow_ups: &[
            "Can we fit one more workshop slot per day without cutting the breaks?",
            "Which track is weakest today, and what would make it stronger?",
            "When is the agenda final enough for marketing to announce it?",
        ],
        next_step: "publish the draft agenda",
        bullets: agenda,
        refine: agenda_refine,
    },
    Topic {
        keys: &["speakers", "speaker", "outreach", "travel", "briefings"],
        short: "speakers",
        label: "Speakers",
        deliverable: "a speaker line-up plan with invitations, travel budget, briefings and deadlines",
        ask: "the speaker line-up plan: keynote invitations, travel budget and the briefing schedule",
        follow_ups: &[
            "Who are the backups if a keynote declines, and when do we decide?",
            "Can the travel budget per speaker go down if we favour local speakers?",
            "When do slides have to be in, and who checks them?",
        ],
        next_step: "send the keynote invitations",
        bullets: speakers,
        refine: speakers_refine,
    },
    Topic {
        keys: &[
            "review",
            "call for papers",
            "cfp",
            "selection",
            "proposals",
            "diversity",
        ],
        short: "talk selection",
        label: "Call for papers and talk selection",
        deliverable: "a call-for-papers and review process with dates, reviewers and balance targets",
        ask: "the call-for-papers dates, the review process and the balance targets",
        follow_ups: &[
            "How many reviewers do we actually need if submissions come in 30% above the estimate?",
            "What happens if the balance targets are not met after the first round?",
            "Can decisions go out a week earlier so speakers can book cheaper travel?",
        ],
        next_step: "open the call for papers",
        bullets: review,
        refine: review_refine,
    },
    Topic {
        keys: &["marketing", "campaigns", "sponsors", "sponsorship", "brand"],
        short: "marketing",
        label: "Marketing and sponsors",
        deliverable: "a marketing plan with campaign phases, channel budget, sponsor tiers and targets",
        ask: "the marketing budget split, the campaign phases and the sponsor tiers",
        follow_ups: &[
            "What is the cost per registration you expect, and what do we do if it runs 30% higher?",
            "Which sponsor tier sells first, and can we add a startup tier?",
            "When does the early-bird push start, and what does it need from the program?",
        ],
        next_step: "launch the announcement campaign",
        bullets: marketing,
        refine: marketing_refine,
    },
    Topic {
        keys: &[
            "social media",
            "social",
            "content calendar",
            "community",
            "live coverage",
        ],
        short: "social media",
        label: "Social media and community",
        deliverable: "a social plan with channels, content calendar, live coverage and KPIs",
        ask: "the social channels, the content calendar and the live-coverage plan",
        follow_ups: &[
            "Which channel do we drop if we only have capacity for three?",
            "How many posts need speaker material, and when do you need it?",
            "What does live coverage need on site: people, Wi-Fi, a quiet corner?",
        ],
        next_step: "publish the first four weeks of the content calendar",
        bullets: social,
        refine: social_refine,
    },
    Topic {
        keys: &[
            "registration",
            "ticketing",
            "tickets",
            "pricing",
            "check in",
            "badges",
            "access",
            "capacity",
        ],
        short: "ticketing",
        label: "Registration and ticketing",
        deliverable: "a ticketing plan with price tiers, revenue projection, registration flow and check-in",
        ask: "the ticket tiers and prices, the revenue projection and the check-in plan",
        follow_ups: &[
            "What happens to revenue if early-bird sells out in a week? Should we add a second wave?",
            "How long is the check-in queue at peak, in minutes?",
            "When can you hand the dietary and accessibility data to the venue team?",
        ],
        next_step: "open ticket sales",
        bullets: registration,
        refine: registration_refine,
    },
];

const VENUE_SUFFIXES: &[&str] = &[
    "Congress Center",
    "Convention Hall",
    "Expo Forum",
    "Conference Centre",
    "Harbour Hall",
    "Event Works",
];

const VENUES: &[&str] = &[
    "Riverside Convention Centre",
    "The Foundry Hall",
    "Northgate Expo Forum",
    "Harbourside Conference Centre",
    "Old Mill Event Hall",
    "Parkview Congress Hall",
];

const CATERERS: &[&str] = &[
    "Green Fork Catering",
    "Urban Table",
    "Saffron & Salt",
    "Fieldhouse Kitchen",
    "Bluebird Events",
    "Copper Pot Co.",
];

fn venue(f: &Facts, r: &mut Rng) -> Vec<String> {
    let cap = round_up(f.headcount as f64 * 1.1, 50);
    let names: Vec<String> = match &f.place {
        Some(p) => r
            .choose(VENUE_SUFFIXES, 3)
            .into_iter()
            .map(|s| format!("{p} {s}"))
            .collect(),
        None => r
            .choose(VENUES, 3)
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    let rate = |r: &mut Rng, seats: u64| round_to(seats as f64 * r.range(16, 28) as f64, 500);
    let caps = [
        cap,
        round_up(cap as f64 * 1.3, 50),
        round_up(cap as f64 * 0.9, 50),
    ];
    let rates: Vec<u64> = caps.iter().map(|c| rate(r, *c)).collect();
    let rooms = f.rooms();
    let room_seats = round_to(f.headcount as f64 / rooms as f64 * 0.7, 10).max(40);
    vec![
        format!(
            "Shortlist: {} (plenary {}, {}/day), {} ({}, {}/day), {} ({}, {}/day).",
            names[0],
            caps[0],
            f.money(rates[0]),
            names[1],
            caps[1],
            f.money(rates[1]),
            names[2],
            caps[2],
            f.money(rates[2])
        ),
        format!(
            "Recommendation: {}: main hall theatre-style for {cap}, {rooms} breakout rooms of about {room_seats} seats, \
step-free access throughout, 2 quiet rooms.",
            names[0]
        ),
        format!(
            "Cost: {} for {} day{} incl. cleaning and security; the hold expires {}, contract signature by {}.",
            f.money(rates[0] * f.days),
            f.days,
            if f.days == 1 { "" } else { "s" },
            f.milestone(0.8),
            f.milestone(0.7)
        ),
        format!(
            "Floor plan: registration in the foyer with {} lanes, {} sponsor stands along the main corridor, catering in the atrium.",
            (f.headcount / 150).clamp(2, 12),
            r.range(8, 20)
        ),
        r.pick(&[
            format!(
                "Risk: cancellation costs 50% after {}; sign once ticket sales pass 40%.",
                f.milestone(0.5)
            ),
            "Risk: the load-in window is only 6 hours the day before; AV must confirm it in writing.".to_string(),
            format!("Risk: hotels nearby fill up that week; block {} rooms now.", round_to(f.headcount as f64 * 0.3, 10)),
        ])
        .clone(),
    ]
}

fn venue_refine(f: &Facts, r: &mut Rng) -> String {
    let pct = r.range(8, 14);
    format!(
        "The venue accepts {pct}% off the day rate if we sign by {}, and adds a fourth breakout room at no cost. \
With 15% more {} the main hall still works; the overflow room would be streamed.",
        f.milestone(0.75),
        f.audience
    )
}

fn catering(f: &Facts, r: &mut Rng) -> Vec<String> {
    let per_head = r.range(38, 62);
    let total = f.headcount * f.days * per_head;
    let (veg, vegan, gf) = (r.range(24, 34), r.range(7, 12), r.range(4, 7));
    let vendors = r.choose(CATERERS, 2);
    let stations = (f.headcount / 150).max(2);
    vec![
        format!(
            "Per-head cost: {}/day (pastries, 2 coffee breaks, hot lunch) → {} for {} {} × {} day{}.",
            f.money(per_head),
            f.money(round_to(total as f64, 100)),
            thousands(f.headcount),
            f.audience,
            f.days,
            if f.days == 1 { "" } else { "s" }
        ),
        format!(
            "Dietary split (industry average until registration data arrives): {veg}% vegetarian, {vegan}% vegan, {gf}% gluten-free; allergen labels on every dish."
        ),
        format!(
            "Vendors: {} (quote {}) and {} (quote {}); I recommend {} for the faster service lines.",
            vendors[0],
            f.money(round_to(total as f64 * 0.97, 500)),
            vendors[1],
            f.money(round_to(total as f64 * 1.06, 500)),
            vendors[0]
        ),
        format!(
            "Coffee: {stations} stations (1 per 150 people), refreshed at 10:30 and 15:00; water refill points instead of bottles."
        ),
        format!(
            "Risk: the caterer needs final numbers by {}; I planned a 10% no-show buffer to avoid paying for empty seats.",
            f.before_days(10)
        ),
    ]
}

fn catering_refine(f: &Facts, r: &mut Rng) -> String {
    let per_head = r.range(34, 45);
    format!(
        "Revised: {}/day per head by swapping the plated lunch for bowls, {} in total. \
With 10% no-shows we pay for {} covers; final numbers go to the caterer on {}.",
        f.money(per_head),
        f.money(round_to((f.headcount * f.days * per_head) as f64, 100)),
        thousands(round_to(f.headcount as f64 * 0.9, 10)),
        f.before_days(10)
    )
}

fn av(f: &Facts, r: &mut Rng) -> Vec<String> {
    let rooms = f.rooms();
    let clients = round_to(f.headcount as f64 * 2.5, 50);
    let aps = clients.div_ceil(60).max(4);
    let line = if f.headcount > 600 {
        "2 Gbps"
    } else {
        "1 Gbps"
    };
    vec![
        format!(
            "Rooms: main stage plus {rooms} breakouts, each with 2 wireless mics, a lectern mic, a {} and a confidence monitor.",
            r.pick(&["4K projector", "LED wall", "laser projector"])
        ),
        format!("Wi-Fi: {} concurrent devices (2.5 per person) → {aps} access points on a {line} line; separate SSID for speakers and streaming.",
            thousands(clients)),
        format!(
            "Streaming: main stage in 1080p with {} cameras; all {} sessions recorded and online within 48 hours.",
            r.range(2, 4),
            f.talks()
        ),
        format!(
            "AV budget: {} incl. 2 technicians per room; full rehearsal on {}.",
            f.share(r.range(10, 16)),
            f.before_days(1)
        ),
        r.pick(&[
            "Risk: the venue's house Wi-Fi is shared with other events; we need our own line in the contract.",
            "Risk: rental stock for LED walls is tight in event season; order 8 weeks ahead.",
            "Risk: only 6 hours for load-in; rigging has to start at 06:00 on the build day.",
        ])
        .to_string(),
    ]
}

fn av_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Sized for the keynote peak: {} devices, so {} access points. Streaming only the main stage and recording the \
rest saves about {}.",
        round_to(f.headcount as f64 * 2.8, 50),
        round_to(f.headcount as f64 * 2.8, 50).div_ceil(55),
        f.money(round_to(r.range(6, 14) as f64 * 1000.0, 500))
    )
}

const THEMES: &[&str] = &[
    "AI in production",
    "Platform engineering",
    "Security",
    "Data and analytics",
    "Developer experience",
    "Open source",
    "Cloud cost",
    "Product leadership",
];

fn agenda(f: &Facts, r: &mut Rng) -> Vec<String> {
    let tracks = f.tracks();
    let themes = r.choose(THEMES, tracks as usize);
    vec![
        format!(
            "Structure: {} day{}, {tracks} parallel tracks ({}) plus plenary keynotes at 09:30 and 16:45.",
            f.days,
            if f.days == 1 { "" } else { "s" },
            themes.join(", ")
        ),
        format!(
            "Formats: 30-minute talks and 55-minute workshops; {} sessions in all, 15-minute changeovers, lunch 12:30–13:45.",
            f.talks()
        ),
        format!(
            "Keynotes: {} slots; the opening keynote is announced first, by {}.",
            2 * f.days,
            f.milestone(0.7)
        ),
        format!(
            "Publishing: draft agenda by {}, final agenda by {}.",
            f.milestone(0.5),
            f.before(3)
        ),
        r.pick(&[
            format!(
                "Risk: the {} track depends on submissions; if fewer than 20 arrive we merge it.",
                themes[0]
            ),
            "Risk: late speaker drops; we keep 2 lightning-talk slots per day as a buffer."
                .to_string(),
            "Risk: workshop rooms fill first; registration must let people reserve a seat."
                .to_string(),
        ])
        .clone(),
    ]
}

fn agenda_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "One more workshop fits per day if the afternoon break moves to 15:15 and lasts 20 minutes; that makes {} sessions. \
The agenda can be announced on {}.",
        f.talks() + f.days,
        f.milestone(r.range(4, 6) as f64 / 10.0)
    )
}

fn speakers(f: &Facts, r: &mut Rng) -> Vec<String> {
    let keynotes = 2 * f.days;
    let session_speakers = f.talks().saturating_sub(keynotes);
    let travel = r.range(9, 16) * 100;
    let local = r.range(30, 50);
    let travelling = session_speakers * (100 - local) / 100 + keynotes;
    vec![
        format!(
            "Line-up: {keynotes} keynotes and {session_speakers} session speakers; invitations to {} keynote candidates go out by {}.",
            keynotes * 3,
            f.milestone(0.85)
        ),
        format!(
            "Travel: {} cap per speaker (economy flight, 2 hotel nights); {local}% are local, so about {travelling} trips, {} in total.",
            f.money(travel),
            f.money(round_to((travelling * travel) as f64, 500))
        ),
        format!("Briefings: one 30-minute call per track on {}; slides due {}; tech check the day before.", f.before(3), f.before_days(7)),
        format!("Care: a named contact for each keynote, speaker dinner for {} people.", round_to((keynotes + session_speakers) as f64 * 0.8, 5)),
        "Risk: keynote declines; we keep 2 backups per slot and decide within 10 days of each invitation.".to_string(),
    ]
}

fn speakers_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Favouring local speakers for {}% of sessions brings travel down to about {}. Backups are named for every keynote; \
a decline after {} means the backup is confirmed the same day.",
        r.range(50, 60),
        f.money(round_to(f.talks() as f64 * 450.0, 500)),
        f.before(6)
    )
}

fn review(f: &Facts, r: &mut Rng) -> Vec<String> {
    let slots = f.talks().saturating_sub(2 * f.days);
    let subs = slots * r.range(3, 5);
    let reviewers = (subs * 3).div_ceil(25);
    vec![
        format!(
            "Call for papers: opens {}, closes {}; we expect about {subs} proposals for {slots} slots (acceptance ≈{}%).",
            f.milestone(0.9),
            f.milestone(0.6),
            slots * 100 / subs.max(1)
        ),
        format!("Review: 3 blind reviews per proposal, scored 1–5 on relevance, originality and clarity; {reviewers} reviewers at about 25 reviews each."),
        format!(
            "Balance: at least {}% first-time speakers, {}% from under-represented groups, at most 2 talks per company.",
            r.range(25, 40),
            r.range(35, 45)
        ),
        format!("Decisions out by {}; a waitlist of {} talks covers drop-outs.", f.milestone(0.45), (slots / 10).max(2)),
        "Risk: submissions cluster in the last 48 hours; we extend by 3 days only if we are under 70% of the target.".to_string(),
    ]
}

fn review_refine(f: &Facts, r: &mut Rng) -> String {
    let slots = f.talks().saturating_sub(2 * f.days);
    format!(
        "At 30% more proposals ({}) we need {} reviewers; {} have already agreed. Decisions can move to {} if the \
review window shrinks to 12 days.",
        slots * 5,
        (slots * 15).div_ceil(25),
        r.range(10, 18),
        f.milestone(0.5)
    )
}

fn marketing(f: &Facts, r: &mut Rng) -> Vec<String> {
    let pct = r.range(12, 18);
    let gold = round_to(f.total_budget() as f64 * 0.06, 1000).max(5000);
    let sponsors = r.range(8, 14);
    vec![
        format!("Budget: {}: 40% paid social and search, 25% partner co-marketing, 20% content, 15% reserve.", f.share(pct)),
        format!(
            "Campaign: announcement {}, early-bird push until {}, speaker reveals every 2 weeks, last call {}.",
            f.milestone(0.95),
            f.milestone(0.6),
            f.before(2)
        ),
        format!(
            "Sponsors: Gold {}, Silver {}, Startup {}; target {sponsors} sponsors ≈ {} revenue.",
            f.money(gold),
            f.money(gold / 2),
            f.money(gold / 6),
            f.money(round_to(gold as f64 * sponsors as f64 * 0.45, 1000))
        ),
        format!(
            "Target: {} registrations at {} per registration; weekly funnel report.",
            thousands(f.headcount),
            f.money(r.range(18, 45))
        ),
        "Risk: paid social costs rise sharply in the last 3 weeks; 60% of paid spend goes before the early-bird deadline.".to_string(),
    ]
}

fn marketing_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Expected cost per registration is {}; at 30% more we shift 10% of paid spend to partner newsletters, which \
convert best. A Startup tier at {} is added.",
        f.money(r.range(22, 38)),
        f.money(round_to(f.total_budget() as f64 * 0.01, 250).max(1000))
    )
}

fn social(f: &Facts, r: &mut Rng) -> Vec<String> {
    let tag = f.hashtag();
    let posts = r.range(3, 5);
    vec![
        format!("Channels: LinkedIn (primary), Instagram, X and YouTube; {posts} posts a week, daily in the last 3 weeks."),
        format!("Calendar: one spotlight per keynote, 3 behind-the-scenes videos, countdown series from {}.", f.before(3)),
        format!("Live coverage: 2 people on site, {tag} on every post, a live thread per day, highlight reel within 24 hours."),
        format!(
            "KPIs: {} new followers, {}% engagement, {} clicks to registration.",
            thousands(round_to(f.headcount as f64 * r.range(3, 6) as f64, 100)),
            r.range(3, 6),
            thousands(round_to(f.headcount as f64 * 4.0, 100))
        ),
        "Risk: spotlights depend on speaker photos and bios; without them by 6 weeks out the calendar slips.".to_string(),
    ]
}

fn social_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "With capacity for three channels we drop X and keep LinkedIn, Instagram and YouTube; {} spotlight posts need \
speaker material by {}.",
        r.range(10, 16),
        f.before(6)
    )
}

fn ticket_prices(f: &Facts, r: &mut Rng) -> [u64; 3] {
    match f.domain {
        Domain::Festival => {
            let full = r.range(16, 26) * 10 - 1;
            [full * 85 / 100, full, r.range(6, 10) * 10 - 1]
        }
        _ => {
            let regular = r.range(30, 50) * 10 - 1;
            [regular * 7 / 10, regular, regular * 3 / 10]
        }
    }
}

fn registration(f: &Facts, r: &mut Rng) -> Vec<String> {
    let p = ticket_prices(f, r);
    let h = f.headcount as f64;
    let revenue = round_to(
        h * 0.3 * p[0] as f64 + h * 0.55 * p[1] as f64 + h * 0.15 * p[2] as f64,
        1000,
    );
    let lanes = (f.headcount / 120).clamp(2, 40);
    let names = if f.domain == Domain::Festival {
        ["Early bird", "Full weekend", "Day ticket"]
    } else {
        ["Early bird", "Regular", "Student/community"]
    };
    vec![
        format!(
            "Tiers: {} {} (until {}), {} {}, {} {}; capacity {} plus 5% overbooking.",
            names[0],
            f.money(p[0]),
            f.milestone(0.6),
            names[1],
            f.money(p[1]),
            names[2],
            f.money(p[2]),
            thousands(f.headcount)
        ),
        format!(
            "Projected ticket revenue: {} (30% early bird, 55% full price, 15% concession).",
            f.money(revenue)
        ),
        format!(
            "Check-in: {lanes} self-service lanes with badge printing plus 2 help desks; peak of {} arrivals in the first 90 minutes.",
            thousands(round_to(h * 0.7, 10))
        ),
        format!(
            "Flow: 3 steps (ticket, details, dietary and accessibility); the data goes to the venue team on {}.",
            f.before_days(14)
        ),
        "Risk: early bird may sell out in days; a second wave at 85% of full price keeps momentum."
            .to_string(),
    ]
}

fn registration_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "If early bird sells out in a week we open a second wave at 85% of full price for 2 weeks, worth about {} extra. \
At peak the queue is under {} minutes with the planned lanes.",
        f.money(round_to(
            f.headcount as f64 * 0.1 * r.range(20, 60) as f64,
            500
        )),
        r.range(6, 9)
    )
}
