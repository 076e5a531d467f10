//! The review for a terminal: plain aligned text, wrapped, colour only when asked.

use super::sanitize::{one_line, strip_ansi};
use super::{
    Review, fmt_duration, fmt_score, fmt_time, probe_pairs, speaker_label, status_line,
    verdict_mark,
};
use crate::scoring::Verdict;

/// Width paragraphs are wrapped to.
const WIDTH: usize = 88;
/// Width of a domain bar at 10/10.
const BAR: usize = 20;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn verdict(&self, v: Verdict, s: &str) -> String {
        let code = match v {
            Verdict::Covered => "32",
            Verdict::Partial => "33",
            Verdict::Missed => "31",
        };
        self.paint(code, s)
    }
}

/// Render the review as terminal text (ANSI colour codes only when `color`).
pub fn render(review: &Review, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    line(
        &mut out,
        &st.bold(&format!("Interview review — {}", one_line(&review.id))),
    );
    let rows = [
        ("Mode", review.mode.as_str().to_string()),
        ("Model", one_line(&review.model)),
        ("Date", fmt_time(review.started_at)),
        ("Duration", fmt_duration(review.duration)),
        ("Status", status_line(review)),
        ("Questions", review.questions.len().to_string()),
        ("Overall", super::overall_label(review.overall)),
    ];
    for (k, v) in rows {
        line(&mut out, &format!("  {k:<10} {v}"));
    }
    for w in &review.warnings {
        line(&mut out, &format!("  warning: {}", one_line(w)));
    }

    if !review.by_domain.is_empty() {
        line(&mut out, "");
        line(&mut out, &st.bold("Scores by domain"));
        let width = review
            .by_domain
            .iter()
            .map(|(d, _)| d.as_str().len())
            .max()
            .unwrap_or(0);
        for (d, s) in &review.by_domain {
            let filled = ((s / 10.0) * BAR as f32).round().clamp(0.0, BAR as f32) as usize;
            let bar = format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled));
            line(
                &mut out,
                &format!("  {:<width$}  {:>4}  {bar}", d.as_str(), fmt_score(*s)),
            );
        }
    }

    for (i, q) in review.questions.iter().enumerate() {
        line(&mut out, "");
        let mut title = format!("{}. {} [{}]  ", i + 1, one_line(&q.id), q.domain.as_str());
        title.push_str(&q.score_label());
        title.push_str(&format!("  ·  why-depth {}", q.why_depth));
        if q.hints > 0 {
            title.push_str(&format!("  ·  hints {}", q.hints));
        }
        line(&mut out, &st.bold(&title));
        if let Some(ask) = &q.ask {
            paragraph(&mut out, "Q", ask);
        }
        match q.answers.first() {
            Some(a) => paragraph(&mut out, "A", a),
            None => paragraph(&mut out, "A", "(no answer)"),
        }
        for (probe, answer) in probe_pairs(q) {
            paragraph(&mut out, "Why?", probe);
            paragraph(&mut out, "A", answer.unwrap_or("(no answer)"));
        }
        if !q.points.is_empty() {
            out.push_str("   Rubric\n");
            let id_w = q
                .points
                .iter()
                .map(|p| one_line(&p.id).chars().count())
                .max()
                .unwrap_or(0);
            for p in &q.points {
                let mark = st.verdict(
                    p.verdict,
                    &format!("{} {:<7}", verdict_mark(p.verdict), p.verdict.as_str()),
                );
                let detail = match (p.verdict, p.expect.as_deref()) {
                    (Verdict::Missed, Some(expect)) => format!("expected: {}", one_line(expect)),
                    (Verdict::Missed, None) => String::new(),
                    _ if !p.evidence.trim().is_empty() => format!("\"{}\"", one_line(&p.evidence)),
                    _ => String::new(),
                };
                let id = format!("{:<id_w$}", one_line(&p.id));
                if detail.is_empty() {
                    out.push_str(&format!("     {mark}  {}", id.trim_end()));
                } else {
                    let lead_w = 5 + 9 + 2 + id_w + 2;
                    let body = wrap(&detail, WIDTH.saturating_sub(lead_w).max(30), lead_w);
                    out.push_str(&format!("     {mark}  {id}  {}", body.trim_start()));
                }
                out.push('\n');
            }
        }
        for m in &q.misconceptions {
            paragraph(&mut out, "Wrong", m);
        }
        for m in &q.doubts {
            paragraph(&mut out, "Check", &format!("{} (possibly wrong)", m.trim()));
        }
        for m in &q.corrected {
            paragraph(
                &mut out,
                "Corrected",
                &format!("{} (a wrong claim, put right in a later answer)", m.trim()),
            );
        }
        if !q.feedback.trim().is_empty() {
            paragraph(&mut out, "Feedback", &q.feedback);
        }
        if let Some(note) = &q.judge_note {
            paragraph(&mut out, "Judge", note);
        }
        if let Some(time) = super::delivery::time_line(&q.timing) {
            paragraph(&mut out, "Time", &time);
        }
        if let Some(spoken) = super::delivery::spoken_line(&q.timing) {
            paragraph(&mut out, "Spoken", &spoken);
        }
        if let Some(reference) = &q.reference {
            paragraph(&mut out, "Reference", reference);
        }
    }

    if review.questions.is_empty() && !review.turns.is_empty() {
        out.push('\n');
        out.push_str(&st.bold("Transcript"));
        out.push('\n');
        for t in &review.turns {
            paragraph(&mut out, speaker_label(t.speaker), &t.text);
        }
    }

    if !review.study_next.is_empty() {
        out.push('\n');
        out.push_str(&st.bold("What to study next"));
        out.push('\n');
        for (i, s) in review.study_next.iter().enumerate() {
            let text = format!(
                "{} ({} / {}, {})",
                one_line(&s.expect),
                one_line(&s.question),
                one_line(&s.point),
                s.label()
            );
            out.push_str(&format!(
                "  {}. {}\n",
                i + 1,
                wrap(&text, WIDTH - 5, 5).trim_start()
            ));
        }
    }

    let delivery = super::delivery::summary_lines(&review.delivery);
    if !delivery.is_empty() {
        out.push('\n');
        out.push_str(&st.bold("How you answered"));
        out.push('\n');
        for l in &delivery {
            out.push_str(&format!("  {}\n", wrap(l, WIDTH - 2, 2).trim_start()));
        }
    }

    let u = &review.usage;
    if u.llm_calls > 0 {
        out.push('\n');
        out.push_str(&format!("Usage: {}\n", super::usage_line(u)));
    }
    out
}

fn line(out: &mut String, s: &str) {
    out.push_str(s);
    out.push('\n');
}

/// A labelled, wrapped paragraph indented under its label; stored text is sanitized.
fn paragraph(out: &mut String, label: &str, text: &str) {
    let indent = 3 + 11;
    let body = wrap(&strip_ansi(text), WIDTH - indent, indent);
    out.push_str(&format!("   {label:<10} {}\n", body.trim_start()));
}

/// Word-wrap `text` to `width` columns, each line indented by `indent` spaces; paragraph
/// breaks (newlines) are kept.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut lines: Vec<String> = vec![];
    for para in text.trim().split('\n') {
        let mut cur = String::new();
        let mut cur_w = 0;
        for word in para.split_whitespace() {
            let w = word.chars().count();
            if cur_w > 0 && cur_w + 1 + w > width {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            if cur_w > 0 {
                cur.push(' ');
                cur_w += 1;
            }
            cur.push_str(word);
            cur_w += w;
        }
        lines.push(cur);
    }
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{bank, session};

    #[test]
    fn text_is_plain_sanitized_and_complete() {
        let out = render(&Review::build(&session(), &bank()), false);
        assert!(!out.contains('\x1b'), "{out}");
        assert!(out.contains("It stores keys and values <script>alert(1)</script>"));
        assert!(out.contains("Overall    3.3 / 10"));
        assert!(out.contains("✗ missed   memory-cost"));
        assert!(out.contains("expected: Expect memory-cost."));
        assert!(out.contains("\"keys and values\""));
        assert!(out.contains("Why?       Why cache them?"));
        assert!(out.contains("What to study next"));
        assert!(out.contains("Duration   2m 05s"));
        assert!(out.contains("why-depth 1"));
        assert!(out.contains("judge timed"), "{out}");
    }

    #[test]
    fn colour_only_when_asked() {
        let out = render(&Review::build(&session(), &bank()), true);
        assert!(out.contains("\x1b[31m✗ missed"));
    }

    #[test]
    fn wrap_respects_width_and_indent() {
        let w = wrap("aaa bbb ccc ddd", 7, 2);
        assert_eq!(w, "  aaa bbb\n  ccc ddd");
    }
}
