//! `interviewer history [--json]`: past sessions, per-domain trends and the most-missed points.

use crate::cli::HistoryArgs;
use crate::report::sanitize::one_line;
use crate::report::{fmt_score, fmt_time};
use crate::session::{
    DeliveryPoint, SessionStore, SessionSummary, delivery_trend, domain_trends, weak_points,
};
use anyhow::Context;
use std::fmt::Write as _;
use std::process::ExitCode;

/// How many recent sessions the trends cover.
pub const TREND_SESSIONS: usize = 10;
/// How many sessions the table shows (the newest).
const TABLE_ROWS: usize = 20;
/// How many most-missed points are listed.
const MISSED_ROWS: usize = 10;

/// List past sessions with trends; unreadable session files are reported and skipped.
pub fn run(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let store = SessionStore::open(None)?;
    let loaded = store.load_all()?;
    for p in &loaded.problems {
        eprintln!("warning: skipped {p}");
    }
    let sessions: Vec<SessionSummary> = loaded.sessions.iter().map(|s| s.summary()).collect();
    let trends = domain_trends(&loaded.sessions, TREND_SESSIONS);
    let mut missed = weak_points(&loaded.sessions);
    missed.truncate(MISSED_ROWS);
    let delivery = delivery_trend(&loaded.sessions, TREND_SESSIONS);

    let out = if args.json {
        let doc = serde_json::json!({
            "sessions": sessions,
            "trends": trends,
            "most_missed": missed,
            "delivery": delivery,
            "problems": loaded.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        let mut s = serde_json::to_string_pretty(&doc).context("cannot encode the history")?;
        s.push('\n');
        s
    } else if sessions.is_empty() {
        format!(
            "No sessions yet: start an interview with `{}` (sessions are kept in {}).\n",
            crate::strings::invocation(),
            store.sessions_dir().display()
        )
    } else {
        let mut out = table(&sessions, &trends, &missed);
        out.push_str(&delivery_table(&delivery));
        out
    };
    super::review::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn table(
    sessions: &[SessionSummary],
    trends: &[crate::session::DomainTrend],
    missed: &[crate::session::WeakPoint],
) -> String {
    let mut out = String::new();
    let shown = &sessions[sessions.len().saturating_sub(TABLE_ROWS)..];
    let _ = writeln!(out, "Sessions ({}, oldest first)", sessions.len());
    if shown.len() < sessions.len() {
        let _ = writeln!(
            out,
            "  ({} older sessions not shown)",
            sessions.len() - shown.len()
        );
    }
    let id_w = shown
        .iter()
        .map(|s| s.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let _ = writeln!(
        out,
        "  {:<20}  {:<id_w$}  {:<11}  {:>9}  {:>7}  STATUS",
        "DATE", "ID", "MODE", "QUESTIONS", "OVERALL"
    );
    for s in shown {
        let overall = s.overall.map_or_else(|| "-".to_string(), fmt_score);
        let _ = writeln!(
            out,
            "  {:<20}  {:<id_w$}  {:<11}  {:>9}  {:>7}  {}",
            fmt_time(s.started_at),
            one_line(&s.id),
            s.mode.as_str(),
            s.questions,
            overall,
            s.status.as_str()
        );
    }

    if !trends.is_empty() {
        let n = sessions
            .iter()
            .filter(|s| s.overall.is_some())
            .count()
            .min(TREND_SESSIONS);
        let _ = writeln!(
            out,
            "\nTrend by domain (last {n} sessions, oldest → newest)"
        );
        let name_w = trends
            .iter()
            .map(|t| t.domain.as_str().len())
            .max()
            .unwrap_or(0);
        // Series differ in length: pad them so the means line up in one column.
        let series: Vec<String> = trends
            .iter()
            .map(|t| {
                let scores: Vec<String> = t.points.iter().map(|p| fmt_score(p.score)).collect();
                scores.join(" → ")
            })
            .collect();
        let series_w = series.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        for (t, s) in trends.iter().zip(&series) {
            let _ = writeln!(
                out,
                "  {:<name_w$}  {s:<series_w$}   mean {:>4}",
                t.domain.as_str(),
                fmt_score(t.mean)
            );
        }
    }

    if !missed.is_empty() {
        let _ = writeln!(out, "\nMost-missed rubric points");
        let weights: Vec<String> = missed.iter().map(|m| format!("{}", m.weight)).collect();
        let count_w = weights.iter().map(String::len).max().unwrap_or(1);
        for (m, w) in missed.iter().zip(&weights) {
            let partial = match m.partials {
                0 => String::new(),
                n => format!("  ({} missed, {n} partial)", m.misses),
            };
            let _ = writeln!(
                out,
                "  {w:>count_w$}×  {} / {}{partial}",
                one_line(&m.question),
                one_line(&m.point)
            );
        }
        let _ = writeln!(
            out,
            "\nPractise them with `{}`.",
            crate::strings::command("start --focus weak")
        );
    }
    out
}

/// How answers were given in recent sessions: time per answer, and pace and fillers when spoken.
fn delivery_table(points: &[DeliveryPoint]) -> String {
    let mut out = String::new();
    if points.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\nHow you answered (last {} timed sessions, oldest first)",
        points.len()
    );
    let _ = writeln!(
        out,
        "  {:<24}  {:>11}  {:>7}  {:>5}  {:>11}  {:>13}",
        "SESSION", "MEAN ANSWER", "SPOKEN", "WPM", "FILLERS/MIN", "LONGEST PAUSE"
    );
    let num =
        |v: Option<f64>, unit: &str| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}{unit}"));
    for p in points {
        let _ = writeln!(
            out,
            "  {:<24}  {:>11}  {:>7}  {:>5}  {:>11}  {:>13}",
            one_line(&p.session),
            crate::spoken::clock(p.mean_answer_s),
            format!("{}/{}", p.spoken_answers, p.answers_timed),
            p.words_per_minute
                .map_or_else(|| "-".to_string(), |v| format!("{v:.0}")),
            num(p.fillers_per_minute, ""),
            num(p.longest_pause_s, " s"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Domain, Mode};
    use crate::session::{DomainTrend, SessionStatus, TrendPoint};

    fn summary(id: &str, overall: Option<f32>) -> SessionSummary {
        SessionSummary {
            id: id.into(),
            path: format!("{id}.jsonl").into(),
            started_at: chrono::Utc::now(),
            mode: Mode::FirstRound,
            model: "offline".into(),
            status: SessionStatus::Finished,
            questions: 1,
            overall,
        }
    }

    fn trend(domain: Domain, scores: &[f32], mean: f32) -> DomainTrend {
        DomainTrend {
            domain,
            points: scores
                .iter()
                .map(|s| TrendPoint {
                    session: "a".into(),
                    score: *s,
                })
                .collect(),
            mean,
        }
    }

    #[test]
    fn the_means_of_the_trends_line_up_and_unscored_sessions_show_no_score() {
        let sessions = [summary("a", Some(7.5)), summary("b", None)];
        let trends = [
            trend(Domain::Transformer, &[7.5, 10.0, 2.0], 6.5),
            trend(Domain::Inference, &[4.0], 4.0),
            trend(Domain::Applications, &[10.0, 8.0], 9.0),
        ];
        let out = table(&sessions, &trends, &[]);
        let columns: Vec<usize> = out
            .lines()
            .filter_map(|l| l.find("mean").map(|i| l[..i].chars().count()))
            .collect();
        assert_eq!(columns.len(), 3, "{out}");
        assert!(columns.iter().all(|c| *c == columns[0]), "{out}");
        let row_b = out.lines().find(|l| l.contains("  b  ")).expect("row b");
        assert!(row_b.contains("  -  finished"), "{row_b}");
        assert!(!row_b.contains("0.0"), "{row_b}");
        assert!(out.contains("(last 1 sessions"), "{out}");
    }
}
