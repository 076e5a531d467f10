//! The interviewer's system prompt (`prompts/interviewer.md`), with the section for the mode.
//!
//! The file has a common part, then sections headed `## mode: first-round` and `## mode: deep-dive`;
//! the prompt for a mode is the common part plus that mode's section.

use crate::bank::Mode;

const INTERVIEWER: &str = include_str!("../../prompts/interviewer.md");
const MODE_HEADING: &str = "## mode: ";

/// The system prompt for `mode`.
pub fn interviewer(mode: Mode) -> String {
    let mut common = String::new();
    let mut section = String::new();
    let mut current: Option<&str> = None;
    for line in INTERVIEWER.lines() {
        if let Some(name) = line.strip_prefix(MODE_HEADING) {
            current = Some(name.trim());
            continue;
        }
        match current {
            None => common.push_str(line),
            Some(name) if name == mode.as_str() => section.push_str(line),
            Some(_) => continue,
        }
        match current {
            None => common.push('\n'),
            Some(_) => section.push('\n'),
        }
    }
    format!("{}\n\n{}", common.trim(), section.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_gets_the_common_part_and_only_its_own_section() {
        let first = interviewer(Mode::FirstRound);
        let deep = interviewer(Mode::DeepDive);
        assert!(first.contains("one question"));
        assert!(deep.contains("one question"));
        assert!(first.contains("FIRST ROUND") && !first.contains("DEEP DIVE"));
        assert!(deep.contains("DEEP DIVE") && !deep.contains("FIRST ROUND"));
    }
}
