//! Catalog rules: product input, slugs, search terms, reviews.

use kit::{AppError, money::Money};
use unicode_normalization::UnicodeNormalization;

/// Lower-case, accents removed: `Crème Brûlée` -> `creme brulee`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Words of at least two characters, folded.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_owned)
        .collect()
}

/// What search matches against: every prefix (2+ characters, at most 20) of
/// every word of the name, SKU and tags. `$all` over these terms gives
/// case- and accent-insensitive prefix search without `$text`.
pub fn search_terms(name: &str, sku: &str, tags: &[String]) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let sources =
        std::iter::once(name).chain(std::iter::once(sku)).chain(tags.iter().map(String::as_str));
    // The whole SKU too, so `sg-0001` finds it and not every `sg`.
    let whole_sku = std::iter::once(fold(sku.trim()));
    for word in sources.flat_map(words).chain(whole_sku) {
        let chars: Vec<char> = word.chars().take(20).collect();
        for end in 2..=chars.len() {
            let prefix: String = chars[..end].iter().collect();
            if !terms.contains(&prefix) {
                terms.push(prefix);
            }
        }
    }
    terms
}

/// The terms a search string must all match: its whitespace-separated
/// chunks, folded and trimmed of punctuation; a chunk with inner `-` or `_`
/// (a SKU) stays whole.
pub fn query_terms(search: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for chunk in search.split_whitespace() {
        let chunk = fold(chunk);
        let chunk = chunk.trim_matches(|c: char| !c.is_alphanumeric());
        if chunk.contains(['-', '_']) {
            terms.push(chunk.chars().take(20).collect());
        } else {
            terms.extend(words(chunk).into_iter().map(|w| w.chars().take(20).collect::<String>()));
        }
    }
    terms.retain(|t: &String| t.chars().count() >= 2);
    terms
}

/// `Ergonomic Chair (2024)` -> `ergonomic-chair-2024`.
pub fn slugify(name: &str) -> String {
    let folded = fold(name);
    let mut slug = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "product".into() } else { slug }
}

pub fn parse_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(AppError::bad_input("name must not be empty")),
        1..=200 => Ok(name.to_owned()),
        _ => Err(AppError::bad_input("name must be at most 200 characters")),
    }
}

pub fn parse_sku(sku: &str) -> Result<String, AppError> {
    let sku = sku.trim().to_ascii_uppercase();
    let valid = (1..=64).contains(&sku.len())
        && sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(sku)
    } else {
        Err(AppError::bad_input("sku must be 1-64 letters, digits, `-` or `_`"))
    }
}

pub fn parse_weight(grams: i32) -> Result<i32, AppError> {
    if grams < 0 { Err(AppError::bad_input("weightGrams must not be negative")) } else { Ok(grams) }
}

pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 50 {
            return Err(AppError::bad_input("tags must be 1-50 characters"));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

pub fn parse_images(images: &[String]) -> Result<Vec<String>, AppError> {
    images
        .iter()
        .map(|url| {
            let url = url.trim();
            if (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2048
                && !url.contains(char::is_whitespace)
            {
                Ok(url.to_owned())
            } else {
                Err(AppError::bad_input(format!("`{url}` is not an http(s) URL")))
            }
        })
        .collect()
}

pub fn parse_price(input: &kit::money::MoneyInput) -> Result<Money, AppError> {
    Money::parse(input)
}

/// A review's rating, title and body.
pub fn parse_review(
    rating: i32,
    title: &str,
    body: &str,
) -> Result<(i32, String, String), AppError> {
    if !(1..=5).contains(&rating) {
        return Err(AppError::bad_input("rating must be between 1 and 5"));
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad_input("title must be 1-200 characters"));
    }
    let body = body.trim();
    if body.chars().count() > 5000 {
        return Err(AppError::bad_input("body must be at most 5000 characters"));
    }
    Ok((rating, title.to_owned(), body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Crème BRÛLÉE"), "creme brulee");
    }

    #[test]
    fn search_terms_hold_every_prefix() {
        let terms = search_terms("Café Table", "SKU-1", &["oak".into()]);
        for expected in ["ca", "caf", "cafe", "ta", "table", "sku", "oak"] {
            assert!(terms.contains(&expected.to_owned()), "{expected} missing from {terms:?}");
        }
        assert!(!terms.contains(&"c".to_owned()));
        assert_eq!(query_terms("  CAFÉ, tab "), ["cafe", "tab"]);
        assert_eq!(query_terms("SKU-1"), ["sku-1"]);
        assert!(terms.contains(&"sku-1".to_owned()));
    }

    #[test]
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(slugify("Ergonomic Chair (2024)"), "ergonomic-chair-2024");
        assert_eq!(slugify("Crème brûlée!"), "creme-brulee");
        assert_eq!(slugify("???"), "product");
    }

    #[test]
    fn reviews_are_bounded() {
        assert!(parse_review(0, "t", "b").is_err());
        assert!(parse_review(6, "t", "b").is_err());
        assert!(parse_review(5, " ", "b").is_err());
        assert!(parse_review(3, "t", &"x".repeat(5001)).is_err());
        assert!(parse_review(4, "Great", "").is_ok());
    }
}
