//! Clinical section categories: what a passage is about (dosage, interactions…),
//! decided from its heading path, so a query can filter or boost them.

use serde::{Deserialize, Serialize};

use super::Kind;

/// The clinical category of a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Doses, amounts, how much to take.
    Dosage,
    /// Side effects, adverse reactions, allergies.
    SideEffects,
    /// Drug and supplement interactions.
    Interactions,
    /// Contraindications, precautions, warnings.
    Contraindications,
    /// Pregnancy and breastfeeding.
    Pregnancy,
    /// How it works: mechanism, pharmacology, absorption.
    Mechanism,
    /// Uses and benefits, what it is used for.
    Usage,
    /// Food and dietary sources.
    FoodSources,
    /// Storage and handling.
    Storage,
    /// A question/answer entry about none of the above.
    Faq,
    /// Anything else: overviews, introductions, summaries.
    Overview,
}

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
            "support",
            "improve",
            "role",
            "help",
            "treat",
            "management",
            "prevent",
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

impl Category {
    /// Every category, in the order they are documented.
    pub const ALL: [Category; 11] = [
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

    /// The name used in JSON, the index and `--section`.
    pub fn as_str(self) -> &'static str {
        match self {
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

    /// Parses a category name (`side_effects`, `side-effects` and `side effects` alike).
    pub fn parse(s: &str) -> Option<Category> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Category::ALL.into_iter().find(|c| c.as_str() == norm)
    }

    /// Classifies a passage from its heading path, deepest heading first.
    pub fn classify(kind: Kind, headings: &[String], _text: &str) -> Category {
        for heading in headings.iter().rev() {
            if let Some(category) = match_rules(heading) {
                return category;
            }
            if kind == Kind::Faq {
                // A question that names no topic is a plain FAQ, whatever its parent.
                return Category::Faq;
            }
        }
        match kind {
            Kind::Faq => Category::Faq,
            _ => Category::Overview,
        }
    }
}

/// The first category whose keywords occur in `text`.
pub fn match_rules(text: &str) -> Option<Category> {
    let lower = format!(" {} ", text.to_lowercase());
    RULES
        .iter()
        .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(category, _)| *category)
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(headings: &[&str]) -> Category {
        let headings: Vec<String> = headings.iter().map(|s| s.to_string()).collect();
        Category::classify(Kind::Section, &headings, "")
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
        let q = |s: &str| Category::classify(Kind::Faq, &["FAQs".into(), s.into()], "");
        assert_eq!(
            q("How should I store Vitamin K2 supplements?"),
            Category::Storage
        );
        assert_eq!(q("Can I take it without a prescription?"), Category::Faq);
    }
}
