//! Web boilerplate: calls to subscribe, share or comment, cookie and copyright
//! notices, left in pages exported from a CMS or a blog. Such a block is not
//! content and is not indexed.

/// Phrases that mark a short block as boilerplate (compared lower-cased, with `’`
/// read as `'`).
const PHRASES: &[&str] = &[
    "thank you for reading",
    "thanks for reading",
    "don't forget to subscribe",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "subscribe to our channel",
    "share this post",
    "share this article",
    "leave a comment",
    "leave a reply",
    "this post may contain affiliate links",
    "we use cookies",
    "all rights reserved",
    "keep reading to learn more",
    "skip to main content",
    "skip to content",
    "back to top",
];

/// The longest block, in bytes, that can be boilerplate: a longer one is content
/// that happens to use such a phrase.
const MAX_BOILERPLATE_BYTES: usize = 200;

/// Whether a block of text is web boilerplate.
pub fn is_boilerplate(text: &str) -> bool {
    if text.len() > MAX_BOILERPLATE_BYTES {
        return false;
    }
    let lower = text.to_lowercase().replace('’', "'");
    let lower = lower.trim();
    lower == "advertisement" || PHRASES.iter().any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_to_subscribe_are_boilerplate_content_is_not() {
        assert!(is_boilerplate(
            "Thank you for reading this post, don't forget to subscribe!Keep reading to learn more!"
        ));
        assert!(is_boilerplate(
            "© 2024 Example Health. All rights reserved."
        ));
        assert!(!is_boilerplate("Take amoxicillin with water."));
        let long = format!(
            "{} thank you for reading",
            "Amoxicillin is an antibiotic. ".repeat(10)
        );
        assert!(!is_boilerplate(&long));
    }
}
