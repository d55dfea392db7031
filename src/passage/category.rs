//! Clinical section categories: what a passage is about (treatment, symptoms,
//! dosage, interactions…), so a query can filter on them or lift the one it asks about.
//!
//! A health library is mostly about conditions, so the categories cover both
//! conditions (treatment, causes, symptoms, diagnosis, prevention, outlook,
//! inheritance, frequency, complications, risk factors, research) and drugs and
//! supplements (dosage, side effects, interactions, contraindications, pregnancy,
//! storage, usage, food sources, mechanism). A passage is classified from its heading
//! path, deepest heading first: question headings by the question they ask
//! ("What are the treatments for X ?" is `treatment` whatever X is called, so
//! "Glycogen storage disease" is no `storage`), other headings by keywords; where the
//! headings say nothing, by cue phrases at the start of the text.

use serde::{Deserialize, Serialize};

use super::Kind;

/// The clinical category of a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Treatments, therapies, management of a condition.
    Treatment = 0,
    /// Causes of a condition.
    Causes = 1,
    /// Signs and symptoms.
    Symptoms = 2,
    /// Diagnosis: tests, screening, staging.
    Diagnosis = 3,
    /// Prevention.
    Prevention = 4,
    /// Outlook (prognosis), course of the condition.
    Outlook = 5,
    /// Inheritance and genetics (genetic changes, how it is passed on).
    Inheritance = 6,
    /// How common it is (prevalence, how many people are affected).
    Frequency = 7,
    /// Complications.
    Complications = 8,
    /// Risk factors (susceptibility, who is at risk).
    RiskFactors = 9,
    /// Research and clinical trials.
    Research = 10,
    /// Doses, amounts, how much to take.
    Dosage = 11,
    /// Side effects, adverse reactions, allergies.
    SideEffects = 12,
    /// Drug and supplement interactions.
    Interactions = 13,
    /// Contraindications, precautions, warnings.
    Contraindications = 14,
    /// Pregnancy and breastfeeding.
    Pregnancy = 15,
    /// How it works: mechanism, pharmacology, absorption.
    Mechanism = 16,
    /// Uses and benefits, what it is used for (indication).
    Usage = 17,
    /// Food and dietary sources.
    FoodSources = 18,
    /// Storage and handling.
    Storage = 19,
    /// A question/answer entry about none of the above.
    Faq = 20,
    /// Anything else: overviews, introductions, summaries.
    Overview = 21,
}

/// Question headings, recognized by how they start (lower case, after a leading
/// "what is (are)"-style template is ruled out): the question decides the category,
/// not the name of the condition inside it.
const QUESTIONS: &[(&str, Category)] = &[
    ("what are the symptoms", Category::Symptoms),
    ("what are the signs", Category::Symptoms),
    ("what are the treatments", Category::Treatment),
    ("what is the treatment", Category::Treatment),
    ("how many people", Category::Frequency),
    ("how common", Category::Frequency),
    ("what are the genetic changes", Category::Inheritance),
    ("what causes", Category::Causes),
    ("what are the causes", Category::Causes),
    ("how to diagnose", Category::Diagnosis),
    ("how to prevent", Category::Prevention),
    ("what is the outlook", Category::Outlook),
    ("what is the prognosis", Category::Outlook),
    ("who is at risk", Category::RiskFactors),
    ("who gets", Category::RiskFactors),
    ("what are the complications", Category::Complications),
    ("what are the stages", Category::Diagnosis),
    ("what research", Category::Research),
    ("what is (are)", Category::Overview),
    ("do you have information", Category::Overview),
    ("what to do for", Category::Overview),
];

/// Heading keywords of each category, in priority order (the first match wins).
const RULES: &[(Category, &[&str])] = &[
    (
        Category::Pregnancy,
        &["pregnan", "breastfeed", "breast-feed", "lactat", "nursing"],
    ),
    (
        Category::Interactions,
        &[
            "interact",
            "anticoagulant",
            "interfere",
            "with other medic",
            "combination",
        ],
    ),
    (
        Category::SideEffects,
        &["side effect", "adverse", "allerg", "toxicity", "reaction"],
    ),
    (
        Category::RiskFactors,
        &["risk factor", "at risk", "susceptib", "who gets"],
    ),
    (Category::Complications, &["complication"]),
    (
        Category::Contraindications,
        &[
            "contraindicat",
            "precaution",
            "warning",
            "caution",
            "who should not",
            "safe",
            "risk",
        ],
    ),
    (Category::Storage, &["store", "storage", "keep it", "shelf"]),
    (
        Category::Dosage,
        &[
            "dosage",
            "dose",
            "dosing",
            "how much",
            "how to take",
            "intake",
            "miss a",
        ],
    ),
    (Category::Symptoms, &["symptom", "signs", "warning sign"]),
    (
        Category::Inheritance,
        &[
            "inherit",
            "genetic",
            "hereditary",
            "gene ",
            "genes",
            "runs in famil",
        ],
    ),
    (
        Category::Frequency,
        &[
            "how many people",
            "how common",
            "prevalence",
            "incidence",
            "frequency",
            "statistic",
        ],
    ),
    (
        Category::Outlook,
        &["outlook", "prognosis", "survival", "life expectancy"],
    ),
    (
        Category::Research,
        &["research", "clinical trial", "studies"],
    ),
    (
        Category::Diagnosis,
        &["diagnos", "test", "screening", "exam", "stages", "staging"],
    ),
    (Category::Prevention, &["prevent", "avoid"]),
    (Category::Causes, &["cause", "why does", "etiology"]),
    (
        Category::FoodSources,
        &["food", "dietary source", "sources", "diet"],
    ),
    (
        Category::Mechanism,
        &[
            "how it works",
            "how does",
            "mechanism",
            "pharmaco",
            "works",
            "chemical",
            "structure",
            "absorption",
            "function",
            "differ",
            " vs ",
            "versus",
            "same as",
        ],
    ),
    (
        Category::Usage,
        &[
            "usage",
            "uses",
            "use ",
            "used",
            "benefit",
            "indication",
            "support",
            "improve",
            "role",
            "help",
        ],
    ),
    (
        Category::Treatment,
        &[
            "treat",
            "therap",
            "management",
            "managing",
            "medication",
            "cure",
            "surgery",
        ],
    ),
    (
        Category::Overview,
        &[
            "overview",
            "what is",
            "introduction",
            "generic name",
            "alternate name",
            "conclusion",
            "summary",
            "takeaway",
        ],
    ),
];

/// Word stems that tell a passage's topic from the start of its text, for passages
/// whose headings say nothing: a category needs two occurrences, and more than any
/// other category.
const TEXT_CUES: &[(Category, &[&str])] = &[
    (Category::Symptoms, &["symptom", "signs"]),
    (Category::Treatment, &["treat", "therap"]),
    (Category::Causes, &["caused", "causes"]),
    (Category::Diagnosis, &["diagnos", "test"]),
    (Category::Inheritance, &["inherit", "autosomal", "gene"]),
    (Category::Prevention, &["prevent"]),
];

/// How much of a passage's text the text cues look at, in bytes.
const TEXT_CUE_WINDOW: usize = 300;

/// The last word of "Is X inherited ?" or "How is X treated ?" names the question.
const QUESTION_VERBS: &[(&str, Category)] = &[
    ("inherited", Category::Inheritance),
    ("treated", Category::Treatment),
    ("diagnosed", Category::Diagnosis),
    ("prevented", Category::Prevention),
    ("caused", Category::Causes),
];

impl Category {
    /// Every category, in the order they are documented.
    pub const ALL: [Category; 22] = [
        Category::Treatment,
        Category::Causes,
        Category::Symptoms,
        Category::Diagnosis,
        Category::Prevention,
        Category::Outlook,
        Category::Inheritance,
        Category::Frequency,
        Category::Complications,
        Category::RiskFactors,
        Category::Research,
        Category::Dosage,
        Category::SideEffects,
        Category::Interactions,
        Category::Contraindications,
        Category::Pregnancy,
        Category::Mechanism,
        Category::Usage,
        Category::FoodSources,
        Category::Storage,
        Category::Faq,
        Category::Overview,
    ];

    /// The name used in JSON, the index and `--category`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Treatment => "treatment",
            Category::Causes => "causes",
            Category::Symptoms => "symptoms",
            Category::Diagnosis => "diagnosis",
            Category::Prevention => "prevention",
            Category::Outlook => "outlook",
            Category::Inheritance => "inheritance",
            Category::Frequency => "frequency",
            Category::Complications => "complications",
            Category::RiskFactors => "risk_factors",
            Category::Research => "research",
            Category::Dosage => "dosage",
            Category::SideEffects => "side_effects",
            Category::Interactions => "interactions",
            Category::Contraindications => "contraindications",
            Category::Pregnancy => "pregnancy",
            Category::Mechanism => "mechanism",
            Category::Usage => "usage",
            Category::FoodSources => "food_sources",
            Category::Storage => "storage",
            Category::Faq => "faq",
            Category::Overview => "overview",
        }
    }

    /// The category's name for people, as the search page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Category::Treatment => "Treatment",
            Category::Causes => "Causes",
            Category::Symptoms => "Symptoms",
            Category::Diagnosis => "Diagnosis",
            Category::Prevention => "Prevention",
            Category::Outlook => "Outlook",
            Category::Inheritance => "Inheritance",
            Category::Frequency => "How common",
            Category::Complications => "Complications",
            Category::RiskFactors => "Risk factors",
            Category::Research => "Research",
            Category::Dosage => "Dosage",
            Category::SideEffects => "Side effects",
            Category::Interactions => "Interactions",
            Category::Contraindications => "Contraindications",
            Category::Pregnancy => "Pregnancy",
            Category::Mechanism => "How it works",
            Category::Usage => "Usage",
            Category::FoodSources => "Food sources",
            Category::Storage => "Storage",
            Category::Faq => "FAQ",
            Category::Overview => "Overview",
        }
    }

    /// The category's number in the index: its discriminant, written out in the enum
    /// (indexes store it, so a number is never reused; a new category takes a new
    /// one).
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The category with number `code` (see [`Category::code`]).
    pub fn from_code(code: u64) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Parses a category name (`side_effects`, `side-effects` and `side effects` alike).
    pub fn parse(s: &str) -> Option<Category> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Category::ALL.into_iter().find(|c| c.as_str() == norm)
    }

    /// Parses a category name, also accepting the older or plainer names
    /// (`precautions`, `prognosis`, `genetics`, `susceptibility`…).
    pub fn parse_lenient(s: &str) -> Option<Category> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Category::parse(&norm).or(match norm.as_str() {
            "precautions" | "warnings" => Some(Category::Contraindications),
            "prognosis" => Some(Category::Outlook),
            "genetics" | "genetic_changes" => Some(Category::Inheritance),
            "susceptibility" => Some(Category::RiskFactors),
            "cause" => Some(Category::Causes),
            "symptom" => Some(Category::Symptoms),
            "treatments" => Some(Category::Treatment),
            "indication" | "uses" => Some(Category::Usage),
            "information" | "general" => Some(Category::Overview),
            _ => None,
        })
    }

    /// [`Category::parse_lenient`], or an error that lists the names there are (for the
    /// CLI's `--category` and the HTTP API's `category`).
    pub fn parse_or_list(s: &str) -> Result<Category, String> {
        Category::parse_lenient(s).ok_or_else(|| {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown category {s:?}; use one of {}", names.join(", "))
        })
    }

    /// Classifies a passage from its heading path, deepest heading first, then from
    /// the start of its text when no heading names a category.
    pub fn classify(kind: Kind, headings: &[String], title: &str, text: &str) -> Category {
        for heading in headings.iter().rev() {
            if let Some(category) = classify_heading(heading) {
                return category;
            }
            if kind == Kind::Faq {
                // A question that names no topic is a plain FAQ, whatever its parent.
                return Category::Faq;
            }
        }
        match kind {
            Kind::Faq => Category::Faq,
            _ => classify_title(title)
                .or_else(|| classify_text(text))
                .unwrap_or(Category::Overview),
        }
    }
}

/// The category a heading names: a question heading by its question, any other by
/// its keywords.
pub fn classify_heading(heading: &str) -> Option<Category> {
    let lower = heading.trim().to_lowercase();
    classify_question(&lower).or_else(|| match_rules(&lower))
}

/// The category a title names, which is less than what a heading names: a title
/// names its topic, whose words say nothing of the section ("Ectopic pregnancy",
/// "Glycogen storage disease"), so only a question ("What are the treatments for
/// X?") or a closing parenthesis that names a section ("Appendicitis (Treatment)")
/// count.
fn classify_title(title: &str) -> Option<Category> {
    title_section(title).map(|(category, _)| category)
}

/// What a title that names a section says: the section's category and the topic's
/// name, lower case ("Appendicitis (Treatment)" and "What are the treatments for
/// appendicitis?" are `treatment` of "appendicitis"); `None` for a title that names
/// only its topic.
pub fn title_section(title: &str) -> Option<(Category, String)> {
    let lower = title.trim().to_lowercase();
    if let Some(category) = classify_question(&lower) {
        return Some((category, question_subject(&lower)));
    }
    let inner = lower.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let category = classify_heading(&inner[open + 1..])?;
    Some((category, inner[..open].trim().to_string()))
}

/// What sits between a question's opening and its subject ("What are the symptoms
/// *of* X", "How many people *are affected by* X"), longest first.
const QUESTION_LEADS: &[&str] = &[
    "(or clinical trials) is being done for ",
    "and symptoms of ",
    "are affected by ",
    "related to ",
    "about ",
    "for ",
    "of ",
    "is ",
    "are ",
];

/// The subject of a question that [`classify_question`] recognizes (lower case): what
/// follows its opening, or sits between "is" and the verb of "Is X inherited?".
fn question_subject(lower: &str) -> String {
    let lower = lower.trim_end_matches(|c: char| c == '?' || c.is_whitespace());
    let rest = match QUESTIONS.iter().find(|(start, _)| lower.starts_with(start)) {
        Some((start, _)) => lower[start.len()..].trim_start(),
        None => {
            // "Is X inherited", "How are X treated": between the asking and the verb.
            let after = ["how is ", "how are ", "is ", "are ", "can "]
                .iter()
                .find_map(|a| lower.strip_prefix(a))
                .unwrap_or(lower);
            after.rsplit_once(' ').map_or(after, |(subject, _)| subject)
        }
    };
    let rest = QUESTION_LEADS
        .iter()
        .find_map(|lead| rest.strip_prefix(lead))
        .unwrap_or(rest);
    rest.trim().to_string()
}

/// The category of a question heading (lower case), from how it starts or, for
/// "Is X inherited ?", how it ends.
fn classify_question(lower: &str) -> Option<Category> {
    if let Some(&(_, category)) = QUESTIONS.iter().find(|(start, _)| lower.starts_with(start)) {
        return Some(category);
    }
    let asks = ["is ", "how is ", "how are ", "are ", "can "];
    if asks.iter().any(|a| lower.starts_with(a)) {
        let last = lower
            .trim_end_matches(|c: char| c == '?' || c.is_whitespace())
            .rsplit(' ')
            .next()?;
        return QUESTION_VERBS
            .iter()
            .find(|(verb, _)| *verb == last)
            .map(|&(_, category)| category);
    }
    None
}

/// The first category whose keywords occur in `text`.
pub fn match_rules(text: &str) -> Option<Category> {
    let lower = format!(" {} ", text.to_lowercase());
    RULES
        .iter()
        .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(category, _)| *category)
}

/// The category the start of a passage's text is clearly about, if any.
fn classify_text(text: &str) -> Option<Category> {
    let end = text.floor_char_boundary(TEXT_CUE_WINDOW);
    let window = text[..end].to_lowercase();
    let mut counts: Vec<(Category, usize)> = TEXT_CUES
        .iter()
        .map(|(c, stems)| (*c, stems.iter().map(|s| window.matches(s).count()).sum()))
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    match counts.as_slice() {
        [(best, n), (_, second), ..] if *n >= 2 && n > second => Some(*best),
        _ => None,
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers indexes store: changing one would silently remap every index built
    /// before (a new category takes a new number; the index format version says when
    /// old indexes must be rebuilt).
    #[test]
    fn category_codes_are_stable_and_round_trip() {
        let stored = [
            ("treatment", 0),
            ("causes", 1),
            ("symptoms", 2),
            ("diagnosis", 3),
            ("prevention", 4),
            ("outlook", 5),
            ("inheritance", 6),
            ("frequency", 7),
            ("complications", 8),
            ("risk_factors", 9),
            ("research", 10),
            ("dosage", 11),
            ("side_effects", 12),
            ("interactions", 13),
            ("contraindications", 14),
            ("pregnancy", 15),
            ("mechanism", 16),
            ("usage", 17),
            ("food_sources", 18),
            ("storage", 19),
            ("faq", 20),
            ("overview", 21),
        ];
        assert_eq!(stored.len(), Category::ALL.len());
        for (name, code) in stored {
            let category = Category::parse(name).unwrap();
            assert_eq!(category.code(), code, "{name}");
            assert_eq!(Category::from_code(code), Some(category));
        }
        assert_eq!(Category::from_code(99), None);
    }

    fn classify(headings: &[&str]) -> Category {
        let headings: Vec<String> = headings.iter().map(|s| s.to_string()).collect();
        Category::classify(Kind::Section, &headings, "", "")
    }

    #[test]
    fn headings_decide() {
        assert_eq!(classify(&["Drug Interactions"]), Category::Interactions);
        assert_eq!(
            classify(&["Dosage", "Standard Dosage", "Adults:"]),
            Category::Dosage
        );
        assert_eq!(
            classify(&["Pregnancy and Breastfeeding"]),
            Category::Pregnancy
        );
        assert_eq!(
            classify(&["Foods High in Vitamin K2"]),
            Category::FoodSources
        );
        assert_eq!(
            classify(&["Potential Allergies and Side Effects"]),
            Category::SideEffects
        );
        assert_eq!(classify(&["Precautions"]), Category::Contraindications);
        assert_eq!(classify(&[]), Category::Overview);
        assert_eq!(Category::parse("side-effects"), Some(Category::SideEffects));
    }

    #[test]
    fn faq_questions() {
        let q = |s: &str| Category::classify(Kind::Faq, &["FAQs".into(), s.into()], "", "");
        assert_eq!(
            q("How should I store Vitamin K2 supplements?"),
            Category::Storage
        );
        assert_eq!(q("Can I take it without a prescription?"), Category::Faq);
    }

    #[test]
    fn condition_questions_by_their_question() {
        let cases = [
            (
                "What are the treatments for Shingles ?",
                Category::Treatment,
            ),
            ("What causes Chronic hiccups ?", Category::Causes),
            (
                "What are the symptoms of Glycogen storage disease type 1 ?",
                Category::Symptoms,
            ),
            ("How to diagnose Parasites - Scabies ?", Category::Diagnosis),
            ("How to prevent Lyme disease ?", Category::Prevention),
            ("What is the outlook for Stroke ?", Category::Outlook),
            ("Is Sotos syndrome inherited ?", Category::Inheritance),
            (
                "What are the genetic changes related to Sotos syndrome ?",
                Category::Inheritance,
            ),
            (
                "How many people are affected by Sotos syndrome ?",
                Category::Frequency,
            ),
            (
                "Who is at risk for Parasites - Lice? ?",
                Category::RiskFactors,
            ),
            (
                "What are the complications of Gallstones ?",
                Category::Complications,
            ),
            (
                "What is (are) Glycogen storage disease ?",
                Category::Overview,
            ),
            ("What is (are) Drug Allergies ?", Category::Overview),
            (
                "what research (or clinical trials) is being done for Stroke ?",
                Category::Research,
            ),
        ];
        for (heading, want) in cases {
            assert_eq!(classify(&[heading]), want, "{heading}");
        }
    }

    #[test]
    fn text_decides_when_headings_do_not() {
        let text = "The symptoms of this condition vary. Common signs include fever.";
        assert_eq!(
            Category::classify(Kind::Section, &[], "", text),
            Category::Symptoms
        );
        assert_eq!(
            Category::classify(Kind::Section, &[], "", "It is rare."),
            Category::Overview
        );
    }

    /// A page whose title names its section ("Appendicitis (Treatment)", "What are
    /// the treatments for Stroke?") and whose only heading is that title: the title
    /// decides, before the text's cue words; a title that only names its topic
    /// decides nothing, whatever words the topic's name holds.
    #[test]
    fn a_title_that_names_its_section_decides_when_headings_do_not() {
        let text = "There is no cure, but treatment can help control your symptoms. \
                    The symptoms may return when the medicine wears off.";
        let by_title = |title: &str| Category::classify(Kind::Section, &[], title, text);
        assert_eq!(
            by_title("Parkinson disease (Treatment)"),
            Category::Treatment
        );
        assert_eq!(
            by_title("Heart attack (Exams and Tests)"),
            Category::Diagnosis
        );
        assert_eq!(
            by_title("What are the treatments for Stroke?"),
            Category::Treatment
        );
        assert_eq!(by_title("What causes Dementia?"), Category::Causes);
        // Topic names: the text's cues decide, as without a title.
        for topic in [
            "Ectopic pregnancy",
            "Glycogen storage disease",
            "Pet allergy",
            "Alcohol use disorder",
            "Irritable Bowel Syndrome (IBS)",
            "",
        ] {
            assert_eq!(by_title(topic), Category::Symptoms, "{topic}");
        }
        // A heading that names a category still wins over the title.
        assert_eq!(
            Category::classify(
                Kind::Section,
                &["Causes".into()],
                "Parkinson disease (Treatment)",
                text
            ),
            Category::Causes
        );
    }

    #[test]
    fn a_sectioned_title_names_its_topic() {
        let cases = [
            (
                "Appendicitis (Treatment)",
                Category::Treatment,
                "appendicitis",
            ),
            (
                "Heart attack (Exams and Tests)",
                Category::Diagnosis,
                "heart attack",
            ),
            (
                "What are the treatments for Parkinson disease?",
                Category::Treatment,
                "parkinson disease",
            ),
            (
                "What are the signs and symptoms of Stroke ?",
                Category::Symptoms,
                "stroke",
            ),
            (
                "How many people are affected by Sotos syndrome ?",
                Category::Frequency,
                "sotos syndrome",
            ),
            (
                "Is Sotos syndrome inherited ?",
                Category::Inheritance,
                "sotos syndrome",
            ),
            (
                "What causes Tetralogy of Fallot?",
                Category::Causes,
                "tetralogy of fallot",
            ),
        ];
        for (title, category, topic) in cases {
            assert_eq!(
                title_section(title),
                Some((category, topic.to_string())),
                "{title}"
            );
        }
        for topic in [
            "Parkinson disease",
            "Irritable Bowel Syndrome (IBS)",
            "Ectopic pregnancy",
        ] {
            assert_eq!(title_section(topic), None, "{topic}");
        }
    }

    #[test]
    fn older_names_still_parse() {
        assert_eq!(
            Category::parse_lenient("precautions"),
            Some(Category::Contraindications)
        );
        assert_eq!(
            Category::parse_lenient("risk-factors"),
            Some(Category::RiskFactors)
        );
        assert_eq!(Category::parse_lenient("bogus"), None);
    }
}
