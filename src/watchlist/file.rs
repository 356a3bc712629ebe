//! The index file envelope: magic bytes, format version, checksum, then the body.
//!
//! ```text
//! offset 0   8 bytes  magic  "BANCHIWL"
//!        8   u32 LE   format version (3)
//!       12   u32 LE   CRC-32 (IEEE) of the body
//!       16   u64 LE   body length in bytes
//!       24   body     (see `table`)
//! ```
//!
//! Version 2 added fallback keys (rows whose town is not in the gazetteer, see
//! [`super::key`]), the fallback counts of the load report and the building number of a
//! record: a version-1 index keys some rows differently, so it is refused with "rebuild it
//! with `banchi index build`", never read.
//!
//! Version 3 (issue 25) keys some rows differently again: the parser reads a position after
//! the floor as the room (`2階北`), a trailing bracket as building + room, Hokkaido's four
//! numbers without 条, towns written short or without their municipality — so a version-2
//! index, built by the older parser, is refused the same way.
//!
//! Loading memory-maps the file, checks magic, version, length and checksum before anything
//! else reads it, and refuses a foreign, truncated or corrupt file with a typed
//! [`IndexError`]. Writing goes through [`super::atomic`], so a reader never sees a half-written
//! index. Checking the CRC reads the whole file once (tens of milliseconds per 100 MB).

use super::atomic::write_atomic;
use crate::error::{IndexError, WatchlistError};
use std::io::{Read, Write};
use std::path::Path;

/// First bytes of every index file.
pub const MAGIC: [u8; 8] = *b"BANCHIWL";
/// The format version this build writes and reads (see the module docs for what changed).
pub const VERSION: u32 = 3;
/// Size of the envelope header.
pub const HEADER_LEN: usize = 24;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WatchlistError + '_ {
    move |source| WatchlistError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The envelope of `body`: magic, format version, CRC-32 and length.
fn envelope(body: &[u8]) -> Vec<u8> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&VERSION.to_le_bytes());
    header.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    header.extend_from_slice(&(body.len() as u64).to_le_bytes());
    header
}

/// The bytes of an index file holding `body` (what [`write_index`] writes), for an index
/// kept elsewhere than in a file (the PostgreSQL store's snapshots).
pub fn image(body: &[u8]) -> Vec<u8> {
    let mut image = envelope(body);
    image.extend_from_slice(body);
    image
}

/// Writes `body` as an index file at `path`, atomically.
pub fn write_index(path: &Path, body: &[u8]) -> Result<(), WatchlistError> {
    let header = envelope(body);
    write_atomic(path, |w| {
        w.write_all(&header)?;
        w.write_all(body)
    })
    .map_err(io_err(path))
}

/// Checks an index image and returns the body's range in it.
pub fn check(image: &[u8]) -> Result<std::ops::Range<usize>, IndexError> {
    if image.len() < HEADER_LEN {
        let n = image.len().min(MAGIC.len());
        return Err(if n > 0 && image[..n] == MAGIC[..n] {
            IndexError::Truncated {
                expected: HEADER_LEN as u64,
                actual: image.len() as u64,
            }
        } else {
            IndexError::NotAnIndex
        });
    }
    if image[..8] != MAGIC {
        return Err(IndexError::NotAnIndex);
    }
    let u32_at =
        |i: usize| u32::from_le_bytes([image[i], image[i + 1], image[i + 2], image[i + 3]]);
    let version = u32_at(8);
    if version != VERSION {
        return Err(IndexError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let crc = u32_at(12);
    let mut len = [0u8; 8];
    len.copy_from_slice(&image[16..24]);
    let body_len = u64::from_le_bytes(len);
    let actual = (image.len() - HEADER_LEN) as u64;
    if body_len != actual {
        return Err(IndexError::Truncated {
            expected: body_len.saturating_add(HEADER_LEN as u64),
            actual: image.len() as u64,
        });
    }
    let body = &image[HEADER_LEN..];
    let got = crc32fast::hash(body);
    if got != crc {
        return Err(IndexError::ChecksumMismatch {
            expected: crc,
            actual: got,
        });
    }
    Ok(HEADER_LEN..image.len())
}

/// Memory-maps and checks an index file; returns the map and the body's range in it.
pub fn map_index(path: &Path) -> Result<(memmap2::Mmap, std::ops::Range<usize>), WatchlistError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    if len == 0 {
        // An empty file cannot be mapped on every platform; it is no index either way.
        return Err(IndexError::NotAnIndex.into());
    }
    // SAFETY: the map is read-only. Index files are replaced by rename (never rewritten in
    // place), so a file being mapped is not modified by banchi; a process truncating it behind
    // our back could fault the reader, as with any mapped file.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err(path))?;
    let range = check(&map)?;
    Ok((map, range))
}

/// True when `path` starts with the index magic bytes (or a prefix of them, for a file too
/// short to tell: it then fails as a truncated index, not as a CSV).
pub fn looks_like_index(path: &Path) -> Result<bool, WatchlistError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut head = [0u8; 8];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(path)(e)),
        }
    }
    Ok(n > 0 && head[..n] == MAGIC[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(body: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&MAGIC);
        v.extend_from_slice(&VERSION.to_le_bytes());
        v.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        v.extend_from_slice(&(body.len() as u64).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn good_image_passes() {
        let img = image(b"hello body");
        assert_eq!(check(&img), Ok(HEADER_LEN..img.len()));
    }

    #[test]
    fn foreign_bytes_are_not_an_index() {
        assert_eq!(
            check(b"id,address\n1,x\n and more bytes here"),
            Err(IndexError::NotAnIndex)
        );
        assert_eq!(check(b""), Err(IndexError::NotAnIndex));
        assert_eq!(check(b"PK\x03\x04"), Err(IndexError::NotAnIndex));
    }

    #[test]
    fn truncation_is_reported() {
        let img = image(b"hello body");
        for cut in 1..img.len() {
            let e = check(&img[..cut]).unwrap_err();
            assert!(
                matches!(e, IndexError::Truncated { .. }),
                "cut {cut}: {e:?}"
            );
        }
        let mut padded = img.clone();
        padded.push(0);
        assert!(matches!(check(&padded), Err(IndexError::Truncated { .. })));
    }

    #[test]
    fn flipped_bits_fail_the_checksum() {
        let img = image(b"hello body");
        for i in HEADER_LEN..img.len() {
            let mut bad = img.clone();
            bad[i] ^= 0x40;
            assert!(matches!(
                check(&bad),
                Err(IndexError::ChecksumMismatch { .. })
            ));
        }
    }

    #[test]
    fn other_versions_are_refused() {
        for found in [1u32, 2, 4, 7] {
            let mut img = image(b"x");
            img[8..12].copy_from_slice(&found.to_le_bytes());
            let e = check(&img).unwrap_err();
            assert_eq!(
                e,
                IndexError::UnsupportedVersion {
                    found,
                    supported: 3
                }
            );
            assert!(
                e.to_string()
                    .contains("rebuild it with `banchi index build`"),
                "{e}"
            );
        }
    }
}
