//! The review as a Markdown document. Stored text is stripped of escapes and Markdown/HTML
//! syntax is escaped, so an answer can never inject markup.

use super::sanitize::{one_line, strip_ansi};
use super::{
    Review, fmt_duration, fmt_score, fmt_time, probe_pairs, speaker_label, status_line,
    verdict_mark,
};
use crate::scoring::Verdict;
use std::fmt::Write;

/// Render the review as Markdown.
pub fn render(review: &Review) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Interview review — {}\n", inline(&review.id));
    let _ = writeln!(out, "| | |\n|---|---|");
    let rows = [
        ("Mode", review.mode.as_str().to_string()),
        ("Model", inline(&review.model)),
        ("Date", fmt_time(review.started_at)),
        ("Duration", fmt_duration(review.duration)),
        ("Status", inline(&status_line(review))),
        ("Questions", review.questions.len().to_string()),
        (
            "Overall",
            format!("**{}**", super::overall_label(review.overall)),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    for w in &review.warnings {
        let _ = writeln!(out, "\n> **Warning:** {}", inline(w));
    }

    if !review.by_domain.is_empty() {
        let _ = writeln!(
            out,
            "\n## Scores by domain\n\n| Domain | Score |\n|---|---:|"
        );
        for (d, s) in &review.by_domain {
            let _ = writeln!(out, "| {} | {} |", d.as_str(), fmt_score(*s));
        }
    }

    if !review.questions.is_empty() {
        let _ = writeln!(out, "\n## Questions");
    }
    for (i, q) in review.questions.iter().enumerate() {
        let score = q.score_label();
        let _ = writeln!(
            out,
            "\n### {}. {} — {} — {score}\n",
            i + 1,
            inline(&q.id),
            q.domain.as_str()
        );
        let mut meta = format!("why-depth {}", q.why_depth);
        if q.hints > 0 {
            let _ = write!(meta, " · hints {}", q.hints);
        }
        let _ = writeln!(out, "*{meta}*\n");
        if let Some(ask) = &q.ask {
            let _ = writeln!(out, "**Question.** {}\n", inline(ask));
        }
        let _ = writeln!(out, "**Answer.**\n");
        let _ = writeln!(
            out,
            "{}\n",
            quote(q.answers.first().map_or("(no answer)", String::as_str))
        );
        for (probe, answer) in probe_pairs(q) {
            let _ = writeln!(out, "**Why?** {}\n", inline(probe));
            let _ = writeln!(out, "{}\n", quote(answer.unwrap_or("(no answer)")));
        }
        if !q.points.is_empty() {
            let _ = writeln!(
                out,
                "| | Point | Verdict | Evidence or what was expected |\n|---|---|---|---|"
            );
            for p in &q.points {
                let verdict = match p.verdict {
                    Verdict::Missed => "**missed**".to_string(),
                    v => v.as_str().to_string(),
                };
                let detail = match (p.verdict, &p.expect) {
                    (Verdict::Missed, Some(e)) => format!("expected: {}", inline(e)),
                    _ if !p.evidence.trim().is_empty() => format!("“{}”", inline(&p.evidence)),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {verdict} | {detail} |",
                    verdict_mark(p.verdict),
                    inline(&p.id)
                );
            }
            out.push('\n');
        }
        for m in &q.misconceptions {
            let _ = writeln!(out, "**Wrong claim.** {}\n", inline(m));
        }
        for m in &q.doubts {
            let _ = writeln!(out, "**Possibly wrong, worth checking.** {}\n", inline(m));
        }
        for m in &q.corrected {
            let _ = writeln!(
                out,
                "**Wrong claim, corrected in a later answer.** {}\n",
                inline(m)
            );
        }
        if !q.feedback.trim().is_empty() {
            let _ = writeln!(out, "**Feedback.** {}\n", inline(&q.feedback));
        }
        if let Some(note) = &q.judge_note {
            let _ = writeln!(out, "**Judge.** {}\n", inline(note));
        }
        if let Some(time) = super::delivery::time_line(&q.timing) {
            let _ = writeln!(out, "**Time.** {}\n", inline(&time));
        }
        if let Some(spoken) = super::delivery::spoken_line(&q.timing) {
            let _ = writeln!(out, "**Spoken.** {}\n", inline(&spoken));
        }
        if let Some(reference) = &q.reference {
            let _ = writeln!(out, "**Reference answer.**\n\n{}\n", quote(reference));
        }
    }

    if review.questions.is_empty() && !review.turns.is_empty() {
        let _ = writeln!(out, "\n## Transcript\n");
        for t in &review.turns {
            let _ = writeln!(
                out,
                "**{}:** {}\n",
                speaker_label(t.speaker),
                inline(&t.text)
            );
        }
    }

    if !review.study_next.is_empty() {
        let _ = writeln!(out, "\n## What to study next\n");
        for (i, s) in review.study_next.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. {} *({} / {}, {})*",
                i + 1,
                inline(&s.expect),
                inline(&s.question),
                inline(&s.point),
                s.label()
            );
        }
    }
    let delivery = super::delivery::summary_lines(&review.delivery);
    if !delivery.is_empty() {
        let _ = writeln!(out, "\n## How you answered\n");
        for l in &delivery {
            let _ = writeln!(out, "- {}", inline(l));
        }
    }
    let u = &review.usage;
    if u.llm_calls > 0 {
        let _ = writeln!(out, "\n---\n\n*{}.*", super::usage_line(u));
    }
    out
}

/// Untrusted text as one escaped line (for tables, headings and inline use).
pub fn inline(text: &str) -> String {
    escape(&one_line(text))
}

/// Untrusted multi-line text as an escaped block quote.
pub fn quote(text: &str) -> String {
    let clean = strip_ansi(text);
    let lines: Vec<String> = clean
        .trim()
        .lines()
        .map(|l| {
            let l = escape(l.trim_end());
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect();
    if lines.is_empty() {
        ">".to_string()
    } else {
        lines.join("\n")
    }
}

/// Escape Markdown syntax and HTML (`<`, `>`, `&` become entities).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{bank, session};

    #[test]
    fn markdown_escapes_markup_and_strips_ansi() {
        let out = render(&Review::build(&session(), &bank()));
        assert!(!out.contains('\x1b'));
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            out.contains("Keys &amp; values of past tokens &lt;so they are not recomputed&gt;.")
        );
        assert!(
            out.contains("| ✗ | memory-cost | **missed** | expected: Expect memory-cost. |"),
            "{out}"
        );
        assert!(out.contains("## What to study next"));
        assert!(out.contains("**Judge.**"));
    }

    #[test]
    fn escape_neutralises_tables_emphasis_and_list_starts() {
        assert_eq!(escape("a|b *c* _d_ `e`"), "a\\|b \\*c\\* \\_d\\_ \\`e\\`");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("x-y"), "x-y");
    }
}
