//! The ranking's configuration: its weights ([`Params`], one source:
//! `lexicon/ranking.json`) and which of its techniques are on ([`Ranking`], one
//! table: the list given to `techniques!` below).

use serde::{Deserialize, Serialize};

/// The ranking weights. Their one source is `lexicon/ranking.json`, bundled into the
/// binary ([`Params::default`]), written by `eval/tune.py`: learned on the five dev
/// sets, leave-one-set-out. `eval --params FILE` tries others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Field weight of the document title.
    pub title: f32,
    /// Field weight of the heading path.
    pub headings: f32,
    /// Field weight of the document aliases.
    pub aliases: f32,
    /// Field weight of the passage text.
    pub body: f32,
    /// Weight of a lexicon equivalent relative to the user's own word.
    pub synonym: f32,
    /// Weight of a drug's generic name relative to the brand name the user wrote.
    pub drug: f32,
    /// Weight of a typo correction relative to an exact word.
    pub fuzzy: f32,
    /// Weight of a completion of the word being typed relative to an exact word
    /// (scored as if as common as the word: [`super::prefix`]).
    pub prefix: f32,
    /// Weight of a pair of neighbouring query words found close together.
    pub proximity: f32,
    /// Lift of a passage of a category the question asks about (text score 0..1).
    pub category: f32,
    /// Extra lift when it is the category the question asks about first.
    pub first_type: f32,
    /// Lift of a passage of a document named whole by a focus.
    pub focus: f32,
    /// Lift of a passage of a document a focus names in part.
    pub focus_part: f32,
    /// Extra lift when both hold: the focus document's section on what is asked.
    pub focus_category: f32,
    /// Weight of a focus word in the text query.
    pub focus_word: f32,
    /// Weight of a story word (family, greetings, thanks).
    pub story: f32,
    /// Weight factor of words in the subject line of a message.
    pub subject: f32,
    /// Most words a long message is searched with.
    pub max_words: usize,
    /// Text matches reranked.
    pub pool: usize,
    /// Weight of a passage's cosine similarity to the question, when the index has
    /// vectors (hybrid ranking; the text score is 0..1 plus lifts).
    pub semantic: f32,
    /// Passages nearest the question by vector added to the text matches.
    pub semantic_pool: usize,
    /// Weight of a message's body embedded apart from its subject line (0: the
    /// message is embedded whole, cut at `semantic_tokens`).
    pub semantic_body: f32,
    /// Weight of the plain text ranking (no focus, type or word roles) fused with the
    /// analysed one: each passage adds its plain text score, normalized by the best,
    /// times this. The analysis adds evidence to what BM25 finds, and cannot take it
    /// away.
    pub plain: f32,
    /// Tokens of the question that are embedded (the cost of embedding grows with
    /// them; a long message is cut).
    pub semantic_tokens: usize,
    /// Weight of a passage's best window ([`crate::embed::Windows`]), when the index
    /// embeds windows: its similarity to the question is that of its start and that
    /// of its best part (start or window), weighted 1 to this, averaged.
    pub semantic_windows: f32,
    /// Best candidates a cross-encoder re-ranks, when the searcher has one
    /// ([`crate::search::Searcher::with_reranker`]).
    pub rerank_depth: usize,
    /// Weight of the cross-encoder's score (its logit through a sigmoid, 0..1) against
    /// the score the candidate had (normalized by the best): 1 orders the candidates
    /// by the cross-encoder alone.
    pub rerank: f32,
}

/// The shipped weights, learned by `eval/tune.py --write lexicon/ranking.json`.
const SHIPPED: &str = include_str!("../../lexicon/ranking.json");

impl Default for Params {
    /// The shipped weights (`lexicon/ranking.json`). The file names every field; a
    /// unit test parses it, so it always does.
    fn default() -> Self {
        static SHIPPED_PARAMS: std::sync::LazyLock<Params> = std::sync::LazyLock::new(|| {
            serde_json::from_str(SHIPPED).expect("lexicon/ranking.json is checked by a test")
        });
        SHIPPED_PARAMS.clone()
    }
}

impl Params {
    /// Reads weights from a JSON file: the fields it names replace the shipped ones.
    pub fn load(path: &std::path::Path) -> crate::Result<Params> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io("cannot read ranking parameters", path, e))?;
        Params::overlay(&text).map_err(|e| crate::Error::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not ranking parameters ({e})"),
        })
    }

    /// The shipped weights with the fields of the JSON object `text` replaced.
    pub fn overlay(text: &str) -> serde_json::Result<Params> {
        let changes: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)?;
        let mut merged = serde_json::to_value(Params::default())?;
        if let Some(fields) = merged.as_object_mut() {
            fields.extend(changes);
        }
        serde_json::from_value(merged)
    }
}

/// Defines [`Ranking`] from one list of techniques: the struct's switches, `ALL`,
/// `NONE`, `NAMES` (for `--disable` and its help) and the switch of a name.
macro_rules! techniques {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Which ranking techniques are on. All are on by default.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Ranking {
            $($(#[doc = $doc])* pub $name: bool,)*
        }

        impl Ranking {
            /// Every technique on.
            pub const ALL: Ranking = Ranking { $($name: true,)* };
            /// Plain BM25 over every field with equal weights.
            pub const NONE: Ranking = Ranking { $($name: false,)* };
            /// The technique names, for `--disable`.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// The switch of the technique called `name`.
            fn switch(&mut self, name: &str) -> Option<&mut bool> {
                match name {
                    $(stringify!($name) => Some(&mut self.$name),)*
                    _ => None,
                }
            }
        }
    };
}

techniques! {
    /// Drop stop words from queries that have content words.
    stopwords,
    /// Correct words no field knows.
    typos,
    /// Expand lexicon synonyms.
    synonyms,
    /// Expand brand drug names to generic ones.
    drugs,
    /// Weigh title, headings and aliases above body text.
    fields,
    /// Reward query words standing close together.
    proximity,
    /// Lift the clinical category the question asks about.
    category,
    /// Lift passages of documents about the question's focus.
    focus,
    /// Weigh words by their role in the question.
    weights,
    /// Rank by vector similarity too, when the index has vectors (hybrid ranking).
    semantic,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking::ALL
    }
}

impl Ranking {
    /// These techniques without the question analysis (focus, category, word roles):
    /// the plain ranking fused with the analysed one.
    pub fn plain(self) -> Ranking {
        Ranking {
            focus: false,
            category: false,
            weights: false,
            semantic: false,
            proximity: false,
            ..self
        }
    }

    /// Turns one technique off by name (`all` turns every one off); false for a name
    /// that is none.
    pub fn disable(&mut self, name: &str) -> bool {
        let name = name.trim();
        if name == "all" {
            *self = Ranking::NONE;
            return true;
        }
        self.switch(name).map(|on| *on = false).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_name_every_field_and_are_in_range() {
        // Params denies unknown fields and has no defaults: the parse fails on a
        // missing or misspelled name.
        let shipped: Params = serde_json::from_str(SHIPPED).unwrap();
        let weights = [
            shipped.title,
            shipped.headings,
            shipped.aliases,
            shipped.body,
            shipped.synonym,
            shipped.drug,
            shipped.fuzzy,
            shipped.prefix,
            shipped.proximity,
            shipped.category,
            shipped.first_type,
            shipped.focus,
            shipped.focus_part,
            shipped.focus_category,
            shipped.focus_word,
            shipped.story,
            shipped.subject,
            shipped.semantic,
            shipped.semantic_body,
            shipped.semantic_windows,
            shipped.plain,
            shipped.rerank,
        ];
        assert!(
            weights.iter().all(|w| w.is_finite() && *w >= 0.0),
            "{weights:?}"
        );
        assert!(shipped.pool >= 10 && shipped.semantic_pool >= 1 && shipped.max_words >= 1);
        assert!(shipped.semantic_tokens >= 8);
    }

    #[test]
    fn a_params_file_replaces_only_the_fields_it_names() {
        let p = Params::overlay(r#"{"plain": 0.125}"#).unwrap();
        assert_eq!(p.plain, 0.125);
        assert_eq!(
            Params {
                plain: 0.125,
                ..Params::default()
            },
            p
        );
        assert!(Params::overlay(r#"{"bogus": 1}"#).is_err());
    }

    #[test]
    fn disable_by_name() {
        let mut r = Ranking::ALL;
        assert!(r.disable("synonyms") && !r.synonyms && r.typos);
        assert!(!r.disable("bogus"));
        assert!(r.disable(" weights ") && !r.weights);
        assert!(r.disable("all") && r == Ranking::NONE);
        assert_eq!(Ranking::NAMES.len(), 10);
        for name in Ranking::NAMES {
            let mut one = Ranking::ALL;
            assert!(one.disable(name) && one != Ranking::ALL, "{name}");
        }
    }
}
