//! Reading stdin as lines, in batches, for the subcommands that stream (`normalize`, `check`).
//!
//! Lines are raw bytes (invalid UTF-8 is the caller's per-line error, not a failure of the
//! run); a final `\n` and a `\r` before it are removed.

use anyhow::{Context, Result};
use std::io::BufRead;

/// Fills `batch` (cleared first) with up to `max` lines; an empty batch means end of input.
pub fn read_batch(input: &mut impl BufRead, batch: &mut Vec<Vec<u8>>, max: usize) -> Result<()> {
    batch.clear();
    while batch.len() < max {
        let mut buf = Vec::new();
        let n = input.read_until(b'\n', &mut buf).context("reading stdin")?;
        if n == 0 {
            break;
        }
        if buf.ends_with(b"\n") {
            buf.pop();
            if buf.ends_with(b"\r") {
                buf.pop();
            }
        }
        batch.push(buf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::read_batch;

    #[test]
    fn strips_line_ends_and_stops_at_max() {
        let mut input: &[u8] = b"a\r\nb\n\nc";
        let mut batch = Vec::new();
        read_batch(&mut input, &mut batch, 2).expect("read");
        assert_eq!(batch, vec![b"a".to_vec(), b"b".to_vec()]);
        read_batch(&mut input, &mut batch, 10).expect("read");
        assert_eq!(batch, vec![b"".to_vec(), b"c".to_vec()]);
        read_batch(&mut input, &mut batch, 10).expect("read");
        assert!(batch.is_empty());
    }
}
