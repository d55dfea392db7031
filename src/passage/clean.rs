//! Small text clean-ups shared by the splitters: stray emphasis markers, `A:` answer
//! markers, whitespace.

/// Removes `**` and `__` emphasis markers left as literal text (as in front matter).
pub fn strip_emphasis_markers(s: &str) -> String {
    s.replace("**", "").replace("__", "").trim().to_string()
}

/// Removes a leading `A:` answer marker (and emphasis stars around it).
pub fn strip_answer_marker(s: &str) -> &str {
    let t = s.trim_start_matches(|c: char| c == '*' || c.is_whitespace());
    match t.strip_prefix("A:").or_else(|| t.strip_prefix("a:")) {
        Some(rest) => rest
            .trim_start_matches(|c: char| c == '*' || c.is_whitespace())
            .trim_end(),
        None => s.trim(),
    }
}

/// Collapses runs of blank lines and trailing spaces, so passage text reads cleanly.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank {
                out.push('\n');
            }
        }
        blank = false;
        out.push_str(line.trim_start_matches(' '));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(strip_answer_marker("A:** 100 mcg"), "100 mcg");
        assert_eq!(strip_answer_marker("**A:** yes"), "yes");
        assert_eq!(strip_answer_marker("no marker"), "no marker");
        assert_eq!(strip_emphasis_markers("What?**"), "What?");
        assert_eq!(tidy("a  \n\n\n b\nc\n"), "a\n\nb\nc");
    }
}
