//! The word lists question analysis reads a question with, kept as data beside the
//! lexicon (`lexicon/stop-words.txt`, `story-words.txt`, `question-cues.txt`,
//! `context-cues.txt`) and compiled into the binary. Each file's header says what its
//! words do; unit tests check that every file parses.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::passage::Category;

const STOP_WORDS: &str = include_str!("../../lexicon/stop-words.txt");
const STORY_WORDS: &str = include_str!("../../lexicon/story-words.txt");
const QUESTION_CUES: &str = include_str!("../../lexicon/question-cues.txt");
const CONTEXT_CUES: &str = include_str!("../../lexicon/context-cues.txt");

/// The section of `question-cues.txt` that holds the cues of general information.
const INFORMATION: &str = "information";

/// The entry of one line of a word list: none for a blank line or a comment; trimmed,
/// and a line in double quotes taken as written inside them (spaces at its ends kept).
fn entry(line: &'static str) -> Option<&'static str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    Some(
        line.strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or(line),
    )
}

/// The entries of a word list.
fn entries(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().filter_map(entry)
}

/// Whether a word is a stop word (`lexicon/stop-words.txt`): in lower case, with
/// apostrophes removed.
pub fn is_stop(word: &str) -> bool {
    // Asked for every word and span of a question: a set, not a scan of the list.
    static STOPS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| entries(STOP_WORDS).collect());
    let lower = word.to_lowercase().replace(['\'', '’'], "");
    STOPS.contains(lower.as_str())
}

/// Whether a word is story rather than substance (`lexicon/story-words.txt`), or a
/// name in brackets (`[name]`).
pub fn is_story(word: &str) -> bool {
    static STORY: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| entries(STORY_WORDS).collect());
    let lower = word.to_lowercase();
    STORY.contains(lower.as_str()) || (lower.starts_with('[') && lower.ends_with(']'))
}

/// Words just before a condition that make it the asker's context
/// (`lexicon/context-cues.txt`).
pub fn context_cues() -> &'static [&'static str] {
    static CUES: LazyLock<Vec<&'static str>> = LazyLock::new(|| entries(CONTEXT_CUES).collect());
    &CUES
}

/// The cues of `lexicon/question-cues.txt`.
pub struct QuestionCues {
    /// The question types in file order, each with its cues.
    pub types: Vec<(Category, Vec<&'static str>)>,
    /// The cues of a question that asks for information in general.
    pub information: Vec<&'static str>,
}

/// The cues of the question types (`lexicon/question-cues.txt`).
pub fn question_cues() -> &'static QuestionCues {
    static CUES: LazyLock<QuestionCues> = LazyLock::new(|| {
        parse_cues(QUESTION_CUES).expect("lexicon/question-cues.txt is checked by a test")
    });
    &CUES
}

/// Parses the sections of a question-cues file; the error names the line at fault.
fn parse_cues(text: &'static str) -> Result<QuestionCues, String> {
    let mut cues = QuestionCues {
        types: Vec::new(),
        information: Vec::new(),
    };
    // Whether a section has begun, and whether it is `[information]`.
    let mut in_information: Option<bool> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if name != INFORMATION {
                let category = Category::parse(name)
                    .ok_or_else(|| format!("line {}: unknown category [{name}]", n + 1))?;
                cues.types.push((category, Vec::new()));
            }
            in_information = Some(name == INFORMATION);
            continue;
        }
        let Some(cue) = entry(line) else {
            continue;
        };
        match (in_information, cues.types.last_mut()) {
            (None, _) => return Err(format!("line {}: a cue before the first [section]", n + 1)),
            (Some(true), _) => cues.information.push(cue),
            (Some(false), Some(last)) => last.1.push(cue),
            (Some(false), None) => {}
        }
    }
    Ok(cues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_lists_parse_and_hold_no_repeats() {
        for (name, text) in [
            ("stop-words", STOP_WORDS),
            ("story-words", STORY_WORDS),
            ("context-cues", CONTEXT_CUES),
        ] {
            let words: Vec<&str> = entries(text).collect();
            let distinct: HashSet<&&str> = words.iter().collect();
            assert!(words.len() > 10, "{name}: {} words", words.len());
            assert_eq!(distinct.len(), words.len(), "{name} repeats a word");
        }
        let cues = parse_cues(QUESTION_CUES).unwrap();
        assert!(cues.types.len() >= 15 && !cues.information.is_empty());
        for (category, list) in &cues.types {
            assert!(!list.is_empty(), "{category:?} has no cues");
        }
    }

    #[test]
    fn quoted_cues_keep_their_spaces() {
        let cues = question_cues();
        let food = &cues
            .types
            .iter()
            .find(|(c, _)| *c == Category::FoodSources)
            .unwrap()
            .1;
        assert!(food.contains(&"eat "), "{food:?}");
        assert!(is_stop("Don't") && is_stop("the") && !is_stop("warfarin"));
        assert!(is_story("Daughter") && is_story("[NAME]") && !is_story("child"));
    }

    #[test]
    fn a_bad_cue_file_names_its_line() {
        let err = parse_cues("# x\n[treatment]\ntreat\n[nonsense]\nx\n")
            .err()
            .unwrap();
        assert!(err.starts_with("line 4:"), "{err}");
        assert!(parse_cues("cure\n").is_err());
    }
}
