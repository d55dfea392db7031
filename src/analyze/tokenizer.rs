//! The health tokenizer: words, numbers and the compound tokens health text relies on.
//!
//! - `MK-7`, `K2-7`, `COVID-19`, `fat-soluble`, `100-375` give their parts at
//!   consecutive positions (so `180 mcg` finds `180-200 mcg`) plus the joined form
//!   (`mk7`) at the first part's position (so `MK7` and `MK-7` find each other).
//! - `6,425` is one number (`6425`); `2.5` stays `2.5`.
//! - A number glued to a unit (`5mg`, `90μg`) is split into number and unit.
//! - Units are normalised: `mcg`, `µg`, `μg`, `ug`, `microgram(s)` → `mcg`;
//!   `milligram(s)` → `mg`; `international unit(s)`/`IU` → `iu`.
//! - Greek letters are spelled out (`β` → `beta`); possessive `'s` is dropped.
//! - Everything is lower-cased here; diacritic folding and stemming follow as filters.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Splits text into health-aware tokens (see the module docs).
///
/// The tokens of the last text are kept, and the next text's tokens are written into
/// them: their text buffers are reused, so a text is tokenized without allocating.
#[derive(Clone, Default)]
pub struct HealthTokenizer {
    tokens: Tokens,
}

/// The tokens of one text, produced all at once.
pub struct HealthTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for HealthTokenizer {
    type TokenStream<'a> = HealthTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> HealthTokenStream<'a> {
        self.tokens.clear();
        self.tokens.tokenize(text);
        HealthTokenStream {
            tokens: self.tokens.as_mut_slice(),
            next: 0,
        }
    }
}

impl TokenStream for HealthTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// A growing list of tokens whose slots (and their text buffers) outlive a
/// [`Tokens::clear`], to be written over by the next text.
#[derive(Clone, Default)]
struct Tokens {
    /// Slots; the first `len` hold the current text's tokens.
    slots: Vec<Token>,
    len: usize,
    /// Byte ranges of the parts of the compound being read (scratch).
    parts: Vec<(usize, usize)>,
}

impl Tokens {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn as_mut_slice(&mut self) -> &mut [Token] {
        &mut self.slots[..self.len]
    }

    /// Appends a token spanning `from..to` at `position` and returns its text buffer,
    /// emptied, for the caller to fill.
    fn push(&mut self, from: usize, to: usize, position: usize) -> &mut String {
        if self.len == self.slots.len() {
            self.slots.push(Token::default());
        }
        let token = &mut self.slots[self.len];
        self.len += 1;
        token.offset_from = from;
        token.offset_to = to;
        token.position = position;
        token.position_length = 1;
        token.text.clear();
        &mut token.text
    }

    /// Appends the tokens of `text`.
    fn tokenize(&mut self, text: &str) {
        let mut position = 0usize;
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(c) = char_at(text, at) {
            if !is_word_char(c) {
                at += c.len_utf8();
                continue;
            }
            // A compound: word runs joined by single joiners (or digit groups by , and .).
            self.parts.clear();
            let mut run_start = at;
            while let Some(c) = char_at(text, at) {
                if is_word_char(c) {
                    at += c.len_utf8();
                    continue;
                }
                let after = at + c.len_utf8();
                let next = char_at(text, after);
                let digit_group = matches!(c, ',' | '.')
                    && bytes[..at].last().is_some_and(u8::is_ascii_digit)
                    && next.is_some_and(|n| n.is_ascii_digit());
                if digit_group {
                    at = after;
                    continue;
                }
                if is_joiner(c) && next.is_some_and(is_word_char) {
                    self.parts.push((run_start, at));
                    at = after;
                    run_start = at;
                    continue;
                }
                break;
            }
            self.parts.push((run_start, at));
            self.emit_compound(text, &mut position);
            at = skip_possessive(text, at);
        }
    }

    /// Appends the tokens of the compound whose parts are in `self.parts`: each part's
    /// tokens, and before them the joined form when there are several.
    fn emit_compound(&mut self, text: &str, position: &mut usize) {
        let first = self.len;
        let first_position = *position;
        for i in 0..self.parts.len() {
            let (from, to) = self.parts[i];
            self.split_number_unit(text, from, to, position);
        }
        if self.parts.len() > 1 && self.len - first > 1 {
            let (from, to) = (self.parts[0].0, self.parts[self.parts.len() - 1].1);
            let last = self.len;
            self.push(from, to, first_position);
            let (parts, joined) = self.slots[first..=last].split_at_mut(last - first);
            for part in parts.iter() {
                joined[0].text.push_str(&part.text);
            }
            // The joined form goes before its parts.
            self.slots[first..=last].rotate_right(1);
        }
    }

    /// Appends the tokens of one word: `5mg` gives `5` and `mg`, any other word
    /// itself, normalised (case, digit groups, Greek, units).
    fn split_number_unit(&mut self, text: &str, from: usize, to: usize, position: &mut usize) {
        let word = &text[from..to];
        let digits = word
            .bytes()
            .position(|b| !(b.is_ascii_digit() || b == b',' || b == b'.'))
            .unwrap_or(word.len());
        if digits > 0 && digits < word.len() {
            let unit = self.push(from + digits, to, *position + 1);
            normalize_word_into(&word[digits..], unit);
            if is_unit(unit) {
                // The number goes before the unit.
                let number = self.push(from, from + digits, *position);
                normalize_word_into(&word[..digits], number);
                self.slots[self.len - 2..self.len].swap(0, 1);
                *position += 2;
                return;
            }
            self.len -= 1;
        }
        normalize_word_into(word, self.push(from, to, *position));
        *position += 1;
    }
}

/// Characters that join two word characters into one compound (`MK-7`).
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Appends the tokens of `text` to `out` (for tests; the analyzer reuses its slots).
#[cfg(test)]
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    let mut tokens = Tokens::default();
    tokens.tokenize(text);
    tokens.slots.truncate(tokens.len);
    out.append(&mut tokens.slots);
}

/// The character starting at byte `at` of `text`, if any. ASCII, most of the text, is
/// read without UTF-8 decoding.
#[inline]
fn char_at(text: &str, at: usize) -> Option<char> {
    let byte = *text.as_bytes().get(at)?;
    if byte.is_ascii() {
        return Some(char::from(byte));
    }
    text[at..].chars().next()
}

/// Where reading resumes after a word ending at `at`: past `'s` / `’s` if one follows.
fn skip_possessive(text: &str, at: usize) -> usize {
    if let Some(c @ ('\'' | '’')) = char_at(text, at) {
        let s = at + c.len_utf8();
        if matches!(char_at(text, s), Some('s' | 'S'))
            && !char_at(text, s + 1).is_some_and(is_word_char)
        {
            return s + 1;
        }
    }
    at
}

/// Lower-cases, drops thousands separators, spells out Greek letters and maps unit
/// spellings to one form.
pub fn normalize_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    normalize_word_into(word, &mut out);
    out
}

/// [`normalize_word`] into `out` (emptied first), reusing its buffer.
fn normalize_word_into(word: &str, out: &mut String) {
    out.clear();
    if word.bytes().all(|b| b.is_ascii_alphabetic()) {
        // The common case: lower-case in place.
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        let all_digits = word
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
        for c in word.chars() {
            match c {
                ',' if all_digits => {}
                'α' | 'Α' => out.push_str("alpha"),
                'β' | 'Β' => out.push_str("beta"),
                'γ' | 'Γ' => out.push_str("gamma"),
                'δ' | 'Δ' => out.push_str("delta"),
                'κ' | 'Κ' => out.push_str("kappa"),
                'ω' | 'Ω' => out.push_str("omega"),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    if let Some(unit) = canonical_unit(out) {
        out.clear();
        out.push_str(unit);
    }
}

/// The canonical spelling of a unit word, if it is one.
fn canonical_unit(word: &str) -> Option<&'static str> {
    Some(match word {
        "mcg" | "µg" | "μg" | "ug" | "microgram" | "micrograms" | "mcgs" => "mcg",
        "mg" | "milligram" | "milligrams" | "mgs" => "mg",
        "g" | "gram" | "grams" | "gm" => "g",
        "kg" | "kilogram" | "kilograms" => "kg",
        "ml" | "milliliter" | "milliliters" | "millilitre" | "millilitres" => "ml",
        "iu" | "ius" => "iu",
        _ => return None,
    })
}

fn is_unit(word: &str) -> bool {
    matches!(
        word,
        "mcg" | "mg" | "g" | "kg" | "ml" | "iu" | "l" | "mmhg" | "mmol" | "h" | "hr" | "hrs" | "d"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn words(text: &str) -> Vec<String> {
        toks(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn compounds_give_parts_and_joined() {
        assert_eq!(
            toks("MK-7 dose"),
            vec![
                ("mk7".into(), 0),
                ("mk".into(), 0),
                ("7".into(), 1),
                ("dose".into(), 2)
            ]
        );
        assert_eq!(words("MK7"), vec!["mk7"]);
        assert_eq!(words("COVID-19"), vec!["covid19", "covid", "19"]);
        assert_eq!(words("100-375 mcg"), vec!["100375", "100", "375", "mcg"]);
    }

    #[test]
    fn numbers_units_greek() {
        assert_eq!(words("6,425 women"), vec!["6425", "women"]);
        assert_eq!(words("2.5 mg"), vec!["2.5", "mg"]);
        assert_eq!(words("5mg"), vec!["5", "mg"]);
        assert_eq!(
            words("90 μg/day 180 µg ug micrograms"),
            vec!["90", "mcg", "day", "180", "mcg", "mcg", "mcg"]
        );
        assert_eq!(
            words("β-carotene"),
            vec!["betacarotene", "beta", "carotene"]
        );
        assert_eq!(words("D3 T2DM"), vec!["d3", "t2dm"]);
    }

    #[test]
    fn possessive_and_punctuation() {
        assert_eq!(
            words("warfarin's effect; (coumadin)"),
            vec!["warfarin", "effect", "coumadin"]
        );
        assert_eq!(words("\"K2-7\" ?"), vec!["k27", "k2", "7"]);
    }
}
