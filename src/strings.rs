//! Small string helpers shared by every layer (the bottom of the crate).

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn preview(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}
