//! Small string helpers shared by every layer (the bottom of the crate).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A command for a hint, as the user can run it: `interviewer review ID`, or `cargo run --release
/// -- review ID` when `interviewer` is not installed and cargo ran it (see [`invocation`]).
pub fn command(args: &str) -> String {
    format!("{} {args}", invocation())
}

/// How to run this program again: `interviewer` when that name on the PATH is this program,
/// `cargo run [--release] --` when cargo ran it from its target directory, else the path it was
/// started by.
pub fn invocation() -> &'static str {
    static INVOCATION: OnceLock<String> = OnceLock::new();
    INVOCATION.get_or_init(|| {
        let argv0 = std::env::args_os()
            .next()
            .map(PathBuf::from)
            .unwrap_or_default();
        let exe = std::env::current_exe().ok();
        let cargo_run = std::env::var_os("CARGO").is_some()
            && std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n == PROGRAM);
        invocation_of(
            &argv0,
            exe.as_deref(),
            on_path(PROGRAM).as_deref(),
            cargo_run,
        )
    })
}

/// The program's name.
const PROGRAM: &str = "interviewer";

/// [`invocation`] from what it looks at: the path the program was started by (`argv0`), the
/// executable, `interviewer` as found on the PATH, and whether `cargo run` started it.
pub fn invocation_of(
    argv0: &Path,
    exe: Option<&Path>,
    on_path: Option<&Path>,
    cargo_run: bool,
) -> String {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let (Some(exe), Some(found)) = (exe, on_path)
        && same(exe, found)
    {
        return PROGRAM.to_string();
    }
    if cargo_run
        && let Some(profile) = exe
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
    {
        return match profile {
            "release" => "cargo run --release --".to_string(),
            "debug" => "cargo run --".to_string(),
            other => format!("cargo run --profile {other} --"),
        };
    }
    let typed = argv0.to_string_lossy();
    if typed.is_empty() {
        return PROGRAM.to_string();
    }
    if typed.contains(char::is_whitespace) || typed.contains('\'') {
        format!("'{}'", typed.replace('\'', r"'\''"))
    } else {
        typed.into_owned()
    }
}

/// `name` as the shell finds it on the PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// `text` on one line: every run of whitespace (newlines included) becomes one space, and the ends
/// are trimmed.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn preview(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Byte range of the first balanced `{...}` (strings and escapes respected).
pub fn first_json_object(text: &str) -> Option<(usize, usize)> {
    json_spans(text).into_iter().next()
}

/// Byte ranges of the top-level balanced `{...}` / `[...]` spans.
pub fn json_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if (bytes[i] == b'{' || bytes[i] == b'[')
            && let Some(end) = balanced_end(bytes, i)
        {
            spans.push((i, end));
            i = end;
            continue;
        }
        i += 1;
    }
    spans
}

/// The end (exclusive) of the balanced `{...}` / `[...]` starting at `start`.
pub fn balanced_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (k, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod invocation_tests {
    use super::*;

    #[test]
    fn hints_name_the_command_that_runs_this_program() {
        let exe = Path::new("/home/u/interviewer/target/release/interviewer");
        // Installed: the name on the PATH is this program.
        assert_eq!(
            invocation_of(Path::new("interviewer"), Some(exe), Some(exe), false),
            "interviewer"
        );
        // `cargo run --release` with nothing installed.
        assert_eq!(
            invocation_of(
                Path::new("target/release/interviewer"),
                Some(exe),
                None,
                true
            ),
            "cargo run --release --"
        );
        let debug = Path::new("/p/target/debug/interviewer");
        assert_eq!(
            invocation_of(debug, Some(debug), None, true),
            "cargo run --"
        );
        // Another interviewer on the PATH is not this one: the cargo way still works.
        let other = Path::new("/usr/local/bin/interviewer");
        assert_eq!(
            invocation_of(Path::new("x"), Some(exe), Some(other), true),
            "cargo run --release --"
        );
        // Started by its path: the same path again, quoted when it has spaces.
        assert_eq!(
            invocation_of(
                Path::new("./target/release/interviewer"),
                Some(exe),
                None,
                false
            ),
            "./target/release/interviewer"
        );
        assert_eq!(
            invocation_of(Path::new("/my apps/interviewer"), None, None, false),
            "'/my apps/interviewer'"
        );
        assert_eq!(command("review x").split_whitespace().last(), Some("x"));
    }
}
