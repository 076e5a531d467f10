//! The review as one self-contained HTML file: inline CSS, an inline SVG chart of domain
//! scores, no scripts and no external assets. Every stored string is stripped and escaped.

use super::sanitize::strip_ansi;
use super::{
    QuestionReview, Review, fmt_duration, fmt_score, fmt_time, probe_pairs, speaker_label,
    status_line, verdict_mark,
};
use crate::scoring::Verdict;
use std::fmt::Write;

const CSS: &str = "\
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.5em;margin:0 0 12px}h2{margin-top:32px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
table.meta td{padding:2px 16px 2px 0}table.meta td:first-child{color:#5b6475}
.overall{font-size:1.3em;font-weight:600}
.warn{background:#fff4d6;border-left:4px solid #e0a800;padding:8px 12px;margin:8px 0}
section.q{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:16px 20px;margin:20px 0}
section.q h3{margin:0 0 4px}.sub{color:#5b6475;font-size:.9em}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:20px;margin-top:12px}
@media(max-width:800px){.cols{grid-template-columns:1fr}}
.label{font-weight:600;color:#5b6475;font-size:.85em;text-transform:uppercase;letter-spacing:.04em;margin-top:10px}
.text{white-space:pre-wrap;margin:2px 0 8px}
.probe{color:#3b4a7a;font-style:italic}
ul.points{list-style:none;padding:0;margin:4px 0}ul.points li{padding:3px 0}
.covered .mark{color:#1d7a36}.partial .mark{color:#b07800}.missed .mark{color:#c0392b}
.missed{background:#fdecea;border-radius:4px;padding-left:4px}
.pid{font-family:ui-monospace,monospace;font-size:.9em}.ev{color:#5b6475}
.score{float:right;font-weight:600;font-size:1.1em}
.note{background:#eef2ff;border-left:4px solid #5468d4;padding:6px 10px;margin:8px 0}
details{margin-top:24px}details p{margin:4px 0}
details.ref{margin-top:12px}details.ref summary{cursor:pointer;font-weight:600;color:#5b6475;font-size:.85em;text-transform:uppercase;letter-spacing:.04em}
svg.chart{display:block;width:100%;height:auto}
";

/// Render the review as a complete HTML document.
pub fn render(review: &Review) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Interview review {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&review.id)
    );
    let _ = writeln!(
        out,
        "<h1>Interview review <span class=\"pid\">{}</span></h1>",
        esc(&review.id)
    );
    out.push_str("<table class=\"meta\">\n");
    let rows = [
        ("Mode", esc(review.mode.as_str())),
        ("Model", esc(&review.model)),
        ("Date", esc(&fmt_time(review.started_at))),
        ("Duration", esc(&fmt_duration(review.duration))),
        ("Status", esc(&status_line(review))),
        ("Questions", review.questions.len().to_string()),
        (
            "Overall",
            format!(
                "<span class=\"overall\">{}</span>",
                esc(&super::overall_label(review.overall))
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><td>{k}</td><td>{v}</td></tr>");
    }
    out.push_str("</table>\n");
    for w in &review.warnings {
        let _ = writeln!(out, "<div class=\"warn\">{}</div>", esc(w));
    }

    if !review.by_domain.is_empty() {
        out.push_str("<h2>Scores by domain</h2>\n");
        out.push_str(&chart(&review.by_domain));
    }

    if !review.questions.is_empty() {
        out.push_str("<h2>Questions</h2>\n");
    }
    for (i, q) in review.questions.iter().enumerate() {
        question(&mut out, i + 1, q);
    }

    if !review.study_next.is_empty() {
        out.push_str("<h2>What to study next</h2>\n<ol>\n");
        for s in &review.study_next {
            let _ = writeln!(
                out,
                "<li>{} <span class=\"sub\">({} / <span class=\"pid\">{}</span>, {})</span></li>",
                esc(&s.expect),
                esc(&s.question),
                esc(&s.point),
                s.label()
            );
        }
        out.push_str("</ol>\n");
    }

    let delivery = super::delivery::summary_lines(&review.delivery);
    if !delivery.is_empty() {
        out.push_str("<h2>How you answered</h2>\n<ul>\n");
        for l in &delivery {
            let _ = writeln!(out, "<li>{}</li>", esc(l));
        }
        out.push_str("</ul>\n");
    }

    if !review.turns.is_empty() {
        let open = if review.questions.is_empty() {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<details{open}><summary>Full transcript ({} turns)</summary>",
            review.turns.len()
        );
        for t in &review.turns {
            let _ = writeln!(
                out,
                "<p><b>{}</b> <span class=\"sub\">{}</span><br><span class=\"text\">{}</span></p>",
                speaker_label(t.speaker),
                t.at.format("%H:%M:%S"),
                esc(&t.text)
            );
        }
        out.push_str("</details>\n");
    }

    let u = &review.usage;
    if u.llm_calls > 0 {
        let _ = writeln!(out, "<p class=\"sub\">{}.</p>", esc(&super::usage_line(u)));
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn question(out: &mut String, n: usize, q: &QuestionReview) {
    let score = q.score_label();
    let _ = writeln!(
        out,
        "<section class=\"q\">\n<span class=\"score\">{}</span>",
        esc(&score)
    );
    let _ = writeln!(
        out,
        "<h3>{n}. <span class=\"pid\">{}</span></h3>",
        esc(&q.id)
    );
    let mut sub = format!("{} · why-depth {}", q.domain.title(), q.why_depth);
    if q.hints > 0 {
        let _ = write!(sub, " · hints {}", q.hints);
    }
    let _ = writeln!(out, "<div class=\"sub\">{}</div>", esc(&sub));
    if let Some(ask) = &q.ask {
        let _ = writeln!(
            out,
            "<div class=\"label\">Question</div><div class=\"text\">{}</div>",
            esc(ask)
        );
    }
    out.push_str("<div class=\"cols\">\n<div>\n<div class=\"label\">Candidate</div>\n");
    let first = q.answers.first().map_or("(no answer)", String::as_str);
    let _ = writeln!(out, "<div class=\"text\">{}</div>", esc(first));
    for (probe, answer) in probe_pairs(q) {
        let _ = writeln!(out, "<div class=\"text probe\">Why? {}</div>", esc(probe));
        let _ = writeln!(
            out,
            "<div class=\"text\">{}</div>",
            esc(answer.unwrap_or("(no answer)"))
        );
    }
    // The verdicts stand next to the answer they judge; the reference answer comes after both.
    out.push_str("</div>\n<div>\n");
    if !q.points.is_empty() {
        out.push_str("<div class=\"label\">Rubric</div>\n<ul class=\"points\">\n");
        for p in &q.points {
            let detail = match (p.verdict, &p.expect) {
                (Verdict::Missed, Some(e)) => format!(" — expected: {}", esc(e)),
                _ if !p.evidence.trim().is_empty() => format!(" — “{}”", esc(&p.evidence)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "<li class=\"{v}\"><span class=\"mark\">{m} {v}</span> <span class=\"pid\">{id}</span><span class=\"ev\">{detail}</span></li>",
                v = p.verdict.as_str(),
                m = verdict_mark(p.verdict),
                id = esc(&p.id),
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n</div>\n");
    if let Some(reference) = &q.reference {
        let _ = writeln!(
            out,
            "<details class=\"ref\"><summary>Reference answer</summary>\n<div class=\"text\">{}</div>\n</details>",
            esc(reference)
        );
    }
    for m in &q.misconceptions {
        let _ = writeln!(out, "<div class=\"note\">Wrong claim: {}</div>", esc(m));
    }
    for m in &q.doubts {
        let _ = writeln!(
            out,
            "<div class=\"note\">Possibly wrong, worth checking: {}</div>",
            esc(m)
        );
    }
    for m in &q.corrected {
        let _ = writeln!(
            out,
            "<div class=\"note\">Wrong claim, corrected in a later answer: {}</div>",
            esc(m)
        );
    }
    if !q.feedback.trim().is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"label\">Feedback</div><div class=\"text\">{}</div>",
            esc(&q.feedback)
        );
    }
    if let Some(note) = &q.judge_note {
        let _ = writeln!(out, "<div class=\"note\">Judge: {}</div>", esc(note));
    }
    if let Some(time) = super::delivery::time_line(&q.timing) {
        let _ = writeln!(out, "<div class=\"sub\">Time: {}</div>", esc(&time));
    }
    if let Some(spoken) = super::delivery::spoken_line(&q.timing) {
        let _ = writeln!(out, "<div class=\"sub\">Spoken: {}</div>", esc(&spoken));
    }
    out.push_str("</section>\n");
}

/// A horizontal bar chart of domain scores (0–10) as inline SVG, as wide as the page: drawn for
/// the page's full width (about 1050 px), so its text stays at the page's size.
fn chart(scores: &[(crate::bank::Domain, f32)]) -> String {
    const LABEL_W: f32 = 150.0;
    const BAR_W: f32 = 840.0;
    const ROW_H: f32 = 28.0;
    let height = ROW_H * scores.len() as f32 + 24.0;
    let width = LABEL_W + BAR_W + 60.0;
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"Scores by domain\" font-family=\"system-ui,sans-serif\" font-size=\"13\">\n"
    );
    for tick in [0.0_f32, 5.0, 10.0] {
        let x = LABEL_W + BAR_W * tick / 10.0;
        let y2 = height - 18.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{y2}\" stroke=\"#d8dce3\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#5b6475\">{tick}</text>",
            height - 4.0
        );
    }
    for (i, (domain, score)) in scores.iter().enumerate() {
        let y = ROW_H * i as f32;
        let w = BAR_W * score.clamp(0.0, 10.0) / 10.0;
        let color = if *score >= 7.0 {
            "#2e9b50"
        } else if *score >= 4.0 {
            "#d39a14"
        } else {
            "#d0493a"
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL_W}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{color}\" rx=\"3\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\">{}</text>",
            LABEL_W - 8.0,
            y + 18.0,
            esc(domain.as_str()),
            y + 5.0,
            ROW_H - 10.0,
            esc(domain.as_str()),
            fmt_score(*score),
            LABEL_W + w + 6.0,
            y + 18.0,
            fmt_score(*score)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Strip terminal escapes, then escape for HTML text and attribute values.
pub fn esc(text: &str) -> String {
    let clean = strip_ansi(text);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
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
    fn html_is_self_contained_and_escapes_everything() {
        let out = render(&Review::build(&session(), &bank()));
        assert!(out.starts_with("<!DOCTYPE html>"));
        assert!(!out.contains("<script"), "unescaped script");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!out.contains('\x1b'));
        assert!(out.contains("<svg") && out.contains("<style>"));
        assert!(
            !out.contains("src=") && !out.contains("<link"),
            "no external assets"
        );
        assert!(
            out.contains("Keys &amp; values of past tokens &lt;so they are not recomputed&gt;.")
        );
        assert!(out.contains("class=\"missed\""));
    }

    #[test]
    fn verdicts_stand_next_to_the_answer_and_the_chart_uses_the_width() {
        let out = render(&Review::build(&session(), &bank()));
        let section = &out[out.find("<section class=\"q\">").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let cols = section.find("<div class=\"cols\">").expect("two columns");
        let answer = section.find("Candidate").unwrap();
        let rubric = section.find("<ul class=\"points\">").unwrap();
        let reference = section.find("Reference answer").unwrap();
        assert!(
            cols < answer && answer < rubric && rubric < reference,
            "the verdicts are in the column beside the answer, the reference after both"
        );
        assert!(
            section[rubric..reference].contains("</ul>\n</div>\n</div>\n"),
            "the two columns close before the reference answer"
        );
        let svg = &out[out.find("<svg").unwrap()..];
        let svg_tag = &svg[..svg.find('>').unwrap()];
        assert!(svg_tag.contains("width=\"100%\""), "{svg_tag}");
        assert!(!svg_tag.contains("height=\""), "{svg_tag}");
    }

    #[test]
    fn esc_covers_attribute_quotes() {
        assert_eq!(
            esc("\"a\" & 'b' <c>"),
            "&quot;a&quot; &amp; &#39;b&#39; &lt;c&gt;"
        );
    }
}
