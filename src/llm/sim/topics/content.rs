//! Topics of content production: research, writing, editing, design, video, SEO and
//! distribution.

use super::super::facts::{Facts, round_to, thousands};
use super::super::rng::Rng;
use super::Topic;

pub(super) static TOPICS: &[Topic] = &[
    Topic {
        keys: &["research", "sources", "fact checking", "data", "facts"],
        short: "research",
        label: "Research and sources",
        deliverable: "a research brief with checked sources, data points and interview notes",
        ask: "the research brief: sources, key data points and the fact-checking process",
        follow_ups: &[
            "Which claim is the weakest, and do we have a second source for it?",
            "Can the interviews happen earlier so the writer is not waiting?",
            "Which data point would make the best headline?",
        ],
        next_step: "hand the research brief to writing",
        bullets: research,
        refine: research_refine,
    },
    Topic {
        keys: &[
            "writing",
            "drafting",
            "storytelling",
            "copy",
            "writer",
            "drafts",
        ],
        short: "writing",
        label: "Writing",
        deliverable: "drafts of every piece in the house voice, with outlines and word counts",
        ask: "the outline, word counts and the draft schedule",
        follow_ups: &[
            "Can the first draft land two days earlier so editing has slack?",
            "Which piece is the hardest to write, and what do you need for it?",
            "Is the word count right for the channel, or should the long pieces be split?",
        ],
        next_step: "deliver the first draft",
        bullets: writing,
        refine: writing_refine,
    },
    Topic {
        keys: &[
            "editing",
            "structure",
            "clarity",
            "style",
            "style guide",
            "proofreading",
        ],
        short: "editing",
        label: "Editing and style",
        deliverable: "an editing pass plan with style rules, accuracy checks and turnaround times",
        ask: "the editing passes, the style rules and the turnaround times",
        follow_ups: &[
            "What is the longest turnaround you need at peak, when two drafts arrive at once?",
            "Which style rule do drafts break most often?",
            "Who has the final say on headlines?",
        ],
        next_step: "publish the style checklist",
        bullets: editing,
        refine: editing_refine,
    },
    Topic {
        keys: &[
            "design",
            "illustration",
            "layout",
            "branding",
            "graphics",
            "visual",
        ],
        short: "design",
        label: "Design and visuals",
        deliverable: "the visual package: illustrations, social cards and layouts in the brand style",
        ask: "the list of visual assets, sizes, revision rounds and design budget",
        follow_ups: &[
            "Can one illustration serve both the article and the social card?",
            "How many revision rounds are really needed?",
            "When do you need final copy to start layout?",
        ],
        next_step: "deliver the hero illustrations",
        bullets: design,
        refine: design_refine,
    },
    Topic {
        keys: &["video", "production", "shoot", "filming", "footage"],
        short: "video",
        label: "Video and audio production",
        deliverable: "a video production plan with shoot days, crew, edits, captions and cost",
        ask: "the shoot plan, crew, number of videos and the edit schedule",
        follow_ups: &[
            "Can the shoot days be combined if the interviews happen in one place?",
            "How many vertical cut-downs come out of each video?",
            "What is the cost if we add captions in a third language?",
        ],
        next_step: "lock the shoot dates and crew",
        bullets: video,
        refine: video_refine,
    },
    Topic {
        keys: &["seo", "keywords", "metadata", "analytics", "search"],
        short: "SEO",
        label: "SEO and analytics",
        deliverable: "an SEO plan with keyword clusters, metadata rules and traffic targets",
        ask: "the keyword clusters, the metadata rules and the traffic targets",
        follow_ups: &[
            "Which keyword cluster is realistic to rank for within 90 days?",
            "What do we measure in week one, before rankings move?",
            "Should the series live in one hub page or separate URLs?",
        ],
        next_step: "set up the hub page and tracking",
        bullets: seo,
        refine: seo_refine,
    },
    Topic {
        keys: &[
            "distribution",
            "scheduling",
            "newsletter",
            "publication",
            "channel",
        ],
        short: "distribution",
        label: "Distribution and scheduling",
        deliverable: "a publishing schedule across channels with send times, partners and targets",
        ask: "the publishing schedule, the channels and the reach targets",
        follow_ups: &[
            "Which day and time work best for the newsletter, from last quarter's data?",
            "Can a partner syndicate the first piece to widen reach?",
            "What happens to the schedule if one piece slips a week?",
        ],
        next_step: "load the publishing schedule",
        bullets: distribution,
        refine: distribution_refine,
    },
];

fn research(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!(
            "Sources: {} interviews, {} datasets and {} industry reports; every source logged with its link and date.",
            r.range(3, 6),
            r.range(2, 4),
            r.range(2, 3)
        ),
        format!(
            "Fact sheet: {} checked claims, each with two independent sources.",
            r.range(18, 30)
        ),
        format!(
            "Brief: research brief to the writer by {}, interviews transcribed within 48 hours.",
            f.milestone(0.75)
        ),
        format!(
            "Data: {} figures in a shared table, with charts ready for design.",
            r.range(8, 14)
        ),
        "Risk: one key interviewee is hard to schedule; 2 alternates are lined up.".to_string(),
    ]
}

fn research_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The weakest claim was the market-size figure; it now has a second source and is revised down {}%. Interviews \
move to the week of {}, so the writer gets notes earlier.",
        r.range(8, 20),
        f.milestone(0.85)
    )
}

fn writing(f: &Facts, r: &mut Rng) -> Vec<String> {
    let pieces = r.range(3, 6);
    vec![
        format!(
            "Outline: {pieces} pieces of {}–{} words, each opening with a concrete case and ending with a takeaway box.",
            r.range(8, 12) * 100,
            r.range(13, 18) * 100
        ),
        format!(
            "Drafts: first draft by {}, then one piece every {} working days.",
            f.milestone(0.6),
            r.range(2, 4)
        ),
        "Voice: plain, second person, no jargon without a one-line explanation.".to_string(),
        format!(
            "Headlines: 3 options per piece for editing, under 70 characters; {} pull quotes for social.",
            pieces * 2
        ),
        "Risk: drafts wait on interviews; piece 1 uses published sources so writing can start now."
            .to_string(),
    ]
}

fn writing_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The first draft can land on {}, two days earlier, if research sends the interview notes by then. The long \
piece is split into two of about {} words.",
        f.milestone(0.65),
        r.range(9, 12) * 100
    )
}

fn editing(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        "Passes: a structural edit within 48 hours of each draft, then a line edit and copy check within 24 hours.".to_string(),
        format!("Style: house style guide, headlines under 70 characters, reading grade {} or lower.", r.range(8, 10)),
        "Accuracy: every figure is checked against the research fact sheet before sign-off.".to_string(),
        format!("Turnaround: {} pieces a week at most; final sign-off {} days before each publish date.", r.range(2, 4), r.range(2, 4)),
        format!("Risk: two drafts landing together around {} double the load; a freelance copy editor is on standby.", f.milestone(0.5)),
    ]
}

fn editing_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "At peak I need {} working days per piece instead of 3; the freelance editor takes the copy check. Final say on \
headlines stays with me, with a deadline of {} for each.",
        r.range(4, 5),
        f.before_days(3)
    )
}

fn design(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!(
            "Assets: 1 hero illustration and {} inline graphics per piece; social cards at 1200×628, 1080×1080 and 1080×1920.",
            r.range(2, 3)
        ),
        "Rounds: 2 revision rounds, brand palette and type from the style guide.".to_string(),
        format!("Budget: {} incl. stock licences.", f.share(r.range(10, 18))),
        format!(
            "Timing: hero art 5 working days after final copy; first set due {}.",
            f.milestone(0.4)
        ),
        "Risk: late copy changes break layouts; copy freezes before design starts.".to_string(),
    ]
}

fn design_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "One illustration can serve the article and the square card, which saves {} assets in total. I need final copy \
by {} to start layout.",
        r.range(4, 8),
        f.milestone(0.45)
    )
}

fn video(f: &Facts, r: &mut Rng) -> Vec<String> {
    let videos = r.range(3, 6);
    vec![
        format!(
            "Shoot: {} days with a 3-person crew, {videos} videos of 3–6 minutes plus {} vertical cut-downs.",
            r.range(2, 4),
            videos * 3
        ),
        "Post: 4 editing days per video, captions in 2 languages, audio mastered to -14 LUFS."
            .to_string(),
        format!(
            "Budget: {} incl. gear rental and music licences.",
            f.share(r.range(20, 35))
        ),
        format!(
            "Schedule: shoot by {}, first cut {}, final delivery {}.",
            f.milestone(0.7),
            f.milestone(0.45),
            f.before(1)
        ),
        "Risk: location permits for the outdoor shots take 3 weeks; the studio is the fallback."
            .to_string(),
    ]
}

fn video_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Combining the interviews into one location day saves {} and a day of crew. A third caption language adds about \
{} per video.",
        f.money(round_to(r.range(15, 30) as f64 * 100.0, 100)),
        f.money(r.range(2, 4) * 100)
    )
}

fn seo(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!("Keywords: 3 clusters; head terms at {} monthly searches, {} long-tail terms.", thousands(r.range(12, 60) * 100), r.range(12, 25)),
        "Metadata: titles up to 60 characters, descriptions up to 155, Article schema, 3 internal links per piece.".to_string(),
        format!("Targets: top 10 for {} terms within 90 days, {} organic sessions a month by month three.", r.range(4, 8), thousands(round_to(f.headcount as f64 * 0.2, 100).max(500))),
        "Analytics: one dashboard for views, scroll depth and sign-ups per piece.".to_string(),
        "Risk: rankings take 6–10 weeks; week-one success is measured on newsletter and social traffic.".to_string(),
    ]
}

fn seo_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "The long-tail cluster is realistic within 90 days; the head term is not. A hub page linking all pieces goes live \
on {}, and week one is measured on {} newsletter clicks.",
        f.before(0),
        thousands(round_to(f.headcount as f64 * 0.05 * r.range(1, 3) as f64, 50).max(100))
    )
}

fn distribution(f: &Facts, r: &mut Rng) -> Vec<String> {
    vec![
        format!(
            "Schedule: publish {} at 09:00, newsletter {} to {} subscribers, social cut-downs the same day.",
            r.pick(&["Tuesdays", "Wednesdays"]),
            r.pick(&["Thursdays", "Fridays"]),
            thousands(f.headcount)
        ),
        format!(
            "Channels: newsletter (open-rate target {}%), LinkedIn, YouTube, syndication with {} partner outlets.",
            r.range(38, 48),
            r.range(1, 3)
        ),
        format!(
            "Reach: {} reads in the first 30 days.",
            thousands(round_to(
                f.headcount as f64 * r.range(15, 30) as f64 / 10.0,
                500
            ))
        ),
        format!(
            "Calendar: first piece on {}, the rest weekly on the same slot.",
            f.before(0)
        ),
        "Risk: a slipped piece leaves a gap; an evergreen piece is ready as a stand-in."
            .to_string(),
    ]
}

fn distribution_refine(f: &Facts, r: &mut Rng) -> String {
    format!(
        "Last quarter's best slot was Thursday at 08:00 ({}% open rate). One partner agreed to syndicate the first \
piece, adding about {} readers.",
        r.range(40, 48),
        thousands(round_to(f.headcount as f64 * 0.4, 500).max(1000))
    )
}
