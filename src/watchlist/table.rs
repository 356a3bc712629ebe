//! The body of a watchlist: the block FST and the records behind it, as one byte layout.
//!
//! The same bytes serve a list built in memory from a CSV and a list memory-mapped from an
//! index file (see [`super::file`] for the envelope around them), so there is one reader and
//! it never copies. Layout, integers little-endian:
//!
//! ```text
//! u8 kind (0 fraud, 1 forwarder)   [u8; 3] zero
//! u32 column count, then per column: u32 length, UTF-8 name     (metadata columns)
//! u64 rows  u64 disabled  u64 fallback unknown_town  u64 fallback missing_town
//! u64 rejected count, then per rejected row: u64 line, u8 code, u8 level
//! u64 record count
//! u64 fst length, fst bytes        (fst::Map: block key → blob offset << 24 | record count)
//! u64 blob length, blob            (the records, each as a LEB128 length + record bytes)
//! ```
//!
//! Records are stored in block-key order, so the records of one block are contiguous and the
//! FST value points straight at them: the postings are the blob itself, and a lookup touches
//! the FST and one run of records, nothing else. One record is a presence byte (bit 0 reason,
//! 1 floor, 2 room, 3 customer ID, 4 service, 5 building number) followed by
//! LEB128-length-prefixed strings: the id, each present optional field in that order, then one
//! value per metadata column (empty = not given). The building number is the run of digits
//! that ends the building's name (`22` of `パレス桜22`): grading reads it with the room, for a
//! building number glued to its room (`パレス桜221005号`).
//!
//! Every section length is checked against the buffer when a body is opened, and every FST
//! value and record length when it is used, so a malformed body yields an error or no match,
//! never a panic.

use super::report::{FallbackCounts, LoadReport, RejectedRow};
use super::ListKind;
use crate::error::IndexError;
use crate::error::RejectReason;

const BIT_REASON: u8 = 1;
const BIT_FLOOR: u8 = 2;
const BIT_ROOM: u8 = 4;
const BIT_CUSTOMER: u8 = 8;
const BIT_SERVICE: u8 = 16;
const BIT_BUILDING_NUMBER: u8 = 32;

/// One record as stored: borrowed from the body, allocation-free to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// The entry's id.
    pub id: &'a str,
    /// Its reason, when the list has one.
    pub reason: Option<&'a str>,
    /// Floor of the listed address.
    pub floor: Option<&'a str>,
    /// Room of the listed address.
    pub room: Option<&'a str>,
    /// Forwarding customer ID of the listed address.
    pub customer_id: Option<&'a str>,
    /// Forwarding service name (forwarder lists).
    pub service: Option<&'a str>,
    /// The digits that end the listed building's name (`22` of `パレス桜22`).
    pub building_number: Option<&'a str>,
    /// Raw metadata values, one per column of the list (empty = not given).
    metadata: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// The metadata values, one per column, `None` where the row left the cell empty.
    pub fn metadata(&self) -> impl Iterator<Item = Option<&'a str>> + 'a {
        let mut rest = self.metadata;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let (s, used) = read_str(rest)?;
            rest = &rest[used..];
            Some((!s.is_empty()).then_some(s))
        })
    }
}

/// The fields of a record to encode.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RecordFields<'a> {
    pub id: &'a str,
    pub reason: Option<&'a str>,
    pub floor: Option<&'a str>,
    pub room: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    pub service: Option<&'a str>,
    pub building_number: Option<&'a str>,
}

/// Encodes one record; `metadata` holds one value per column.
pub(crate) fn encode_record(f: &RecordFields<'_>, metadata: &[String], out: &mut Vec<u8>) {
    fn nonempty(o: Option<&str>) -> Option<&str> {
        o.filter(|s| !s.is_empty())
    }
    let opts = [
        (BIT_REASON, nonempty(f.reason)),
        (BIT_FLOOR, nonempty(f.floor)),
        (BIT_ROOM, nonempty(f.room)),
        (BIT_CUSTOMER, nonempty(f.customer_id)),
        (BIT_SERVICE, nonempty(f.service)),
        (BIT_BUILDING_NUMBER, nonempty(f.building_number)),
    ];
    let bits = opts
        .iter()
        .filter(|(_, v)| v.is_some())
        .fold(0u8, |acc, (b, _)| acc | b);
    out.push(bits);
    write_str(f.id, out);
    for (_, v) in opts {
        if let Some(v) = v {
            write_str(v, out);
        }
    }
    for m in metadata {
        write_str(m, out);
    }
}

fn decode_record(bytes: &[u8]) -> Option<RecordView<'_>> {
    let bits = *bytes.first()?;
    let mut pos = 1;
    let mut next = |present: bool| -> Option<Option<&str>> {
        if !present {
            return Some(None);
        }
        let (s, used) = read_str(bytes.get(pos..)?)?;
        pos += used;
        Some(Some(s))
    };
    let id = next(true)??;
    let reason = next(bits & BIT_REASON != 0)?;
    let floor = next(bits & BIT_FLOOR != 0)?;
    let room = next(bits & BIT_ROOM != 0)?;
    let customer_id = next(bits & BIT_CUSTOMER != 0)?;
    let service = next(bits & BIT_SERVICE != 0)?;
    let building_number = next(bits & BIT_BUILDING_NUMBER != 0)?;
    Some(RecordView {
        id,
        reason,
        floor,
        room,
        customer_id,
        service,
        building_number,
        metadata: bytes.get(pos..)?,
    })
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    write_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn write_len(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

/// Reads one length-prefixed string, returning it and the bytes used.
fn read_str(bytes: &[u8]) -> Option<(&str, usize)> {
    let (raw, used) = read_bytes(bytes)?;
    Some((std::str::from_utf8(raw).ok()?, used))
}

/// Reads one length-prefixed byte run, returning it and the bytes used.
fn read_bytes(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let mut len: usize = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let b = *bytes.get(i)?;
        i += 1;
        len |= ((b & 0x7F) as usize).checked_shl(shift)?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 35 {
            return None;
        }
    }
    let end = i.checked_add(len)?;
    Some((bytes.get(i..end)?, end))
}

/// Largest record count of one block (the FST value keeps 24 bits for it).
pub(crate) const MAX_BLOCK_RECORDS: usize = (1 << 24) - 1;
/// Largest blob offset (40 bits).
pub(crate) const MAX_BLOB_OFFSET: u64 = (1 << 40) - 1;

/// The FST value of a block whose `count` records start at `offset` in the blob.
pub(crate) fn block_value(offset: u64, count: usize) -> Option<u64> {
    (offset <= MAX_BLOB_OFFSET && count <= MAX_BLOCK_RECORDS).then_some(offset << 24 | count as u64)
}

/// The records of the block whose FST value is `value`, read from `blob`. A malformed run
/// ends the iteration early.
pub(crate) fn block_records(blob: &[u8], value: u64) -> impl Iterator<Item = RecordView<'_>> + '_ {
    let count = (value & MAX_BLOCK_RECORDS as u64) as usize;
    let mut pos = usize::try_from(value >> 24).unwrap_or(usize::MAX);
    (0..count).map_while(move |_| {
        let (rec, used) = read_bytes(blob.get(pos..)?)?;
        pos += used;
        decode_record(rec)
    })
}

/// Serializes a body from sorted, grouped parts.
pub(crate) struct BodyWriter;

impl BodyWriter {
    /// Writes the body. `fst` maps keys to [`block_value`]s into `blob`, which holds
    /// `records` records (each framed by [`frame_record`]).
    pub(crate) fn write(
        kind: ListKind,
        columns: &[String],
        report: &LoadReport,
        fst: &[u8],
        records: usize,
        blob: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + fst.len() + blob.len());
        out.extend_from_slice(&[kind.code(), 0, 0, 0]);
        out.extend_from_slice(&(columns.len() as u32).to_le_bytes());
        for c in columns {
            out.extend_from_slice(&(c.len() as u32).to_le_bytes());
            out.extend_from_slice(c.as_bytes());
        }
        for n in [
            report.rows,
            report.disabled,
            report.fallback.unknown_town,
            report.fallback.missing_town,
            report.rejected.len() as u64,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for r in &report.rejected {
            out.extend_from_slice(&r.line.to_le_bytes());
            let (code, level) = r.reason.code();
            out.push(code);
            out.push(level);
        }
        out.extend_from_slice(&(records as u64).to_le_bytes());
        out.extend_from_slice(&(fst.len() as u64).to_le_bytes());
        out.extend_from_slice(fst);
        out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        out.extend_from_slice(blob);
        out
    }
}

/// Appends one record to a blob, framed with its length.
pub(crate) fn frame_record(record: &[u8], blob: &mut Vec<u8>) {
    write_len(record.len(), blob);
    blob.extend_from_slice(record);
}

/// Where the parts of a body sit, found once when it is opened.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub kind: ListKind,
    pub columns: Vec<String>,
    pub report: LoadReport,
    pub fst: std::ops::Range<usize>,
    pub blob: std::ops::Range<usize>,
    pub records: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(IndexError::Malformed(
                "section runs past the end of the body",
            ))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, IndexError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn len(&mut self) -> Result<usize, IndexError> {
        usize::try_from(self.u64()?).map_err(|_| IndexError::Malformed("length overflows"))
    }
}

impl Layout {
    /// Finds and checks the parts of `body`.
    pub(crate) fn read(body: &[u8]) -> Result<Layout, IndexError> {
        let mut c = Cursor {
            bytes: body,
            pos: 0,
        };
        let head = c.take(4)?;
        let kind =
            ListKind::from_code(head[0]).ok_or(IndexError::Malformed("unknown list kind"))?;
        let ncols = c.u32()? as usize;
        let mut columns = Vec::with_capacity(ncols.min(1024));
        for _ in 0..ncols {
            let n = c.u32()? as usize;
            let name = std::str::from_utf8(c.take(n)?)
                .map_err(|_| IndexError::Malformed("column name is not UTF-8"))?;
            columns.push(name.to_owned());
        }
        let rows = c.u64()?;
        let disabled = c.u64()?;
        let fallback = FallbackCounts {
            unknown_town: c.u64()?,
            missing_town: c.u64()?,
        };
        let nrej = c.len()?;
        if nrej > body.len() / 10 {
            return Err(IndexError::Malformed("rejected-row count exceeds the body"));
        }
        let mut rejected = Vec::with_capacity(nrej);
        for _ in 0..nrej {
            let line = c.u64()?;
            let b = c.take(2)?;
            let reason = RejectReason::from_code(b[0], b[1])
                .ok_or(IndexError::Malformed("unknown rejection code"))?;
            rejected.push(RejectedRow { line, reason });
        }
        let records = c.len()?;
        let fst_len = c.len()?;
        let fst_start = c.pos;
        c.take(fst_len)?;
        let fst = fst_start..c.pos;
        let blob_len = c.len()?;
        let blob_start = c.pos;
        c.take(blob_len)?;
        let blob = blob_start..c.pos;
        if c.pos != body.len() {
            return Err(IndexError::Malformed("trailing bytes after the records"));
        }
        // Every record takes at least two bytes (its length and presence byte).
        if records > blob_len / 2 {
            return Err(IndexError::Malformed(
                "record count exceeds the record bytes",
            ));
        }
        let indexed = records as u64;
        let report = LoadReport {
            rows,
            indexed,
            fallback,
            disabled,
            rejected,
        };
        if !report.is_consistent() {
            return Err(IndexError::Malformed("row counts do not add up"));
        }
        Ok(Layout {
            kind,
            columns,
            report,
            fst,
            blob,
            records,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Level;

    #[test]
    fn record_round_trips() {
        let mut buf = Vec::new();
        let f = RecordFields {
            id: "F-1",
            reason: Some("chargeback"),
            floor: None,
            room: Some("301"),
            customer_id: Some("PM123"),
            service: None,
            building_number: Some("22"),
        };
        encode_record(
            &f,
            &["alice".into(), String::new(), "x".repeat(300)],
            &mut buf,
        );
        let r = decode_record(&buf).unwrap();
        assert_eq!(r.id, "F-1");
        assert_eq!(r.reason, Some("chargeback"));
        assert_eq!(r.floor, None);
        assert_eq!(r.room, Some("301"));
        assert_eq!(r.customer_id, Some("PM123"));
        assert_eq!((r.service, r.building_number), (None, Some("22")));
        let long = "x".repeat(300);
        let meta: Vec<_> = r.metadata().collect();
        assert_eq!(meta, vec![Some("alice"), None, Some(long.as_str())]);
    }

    #[test]
    fn truncated_records_are_none() {
        let mut buf = Vec::new();
        let f = RecordFields {
            id: "abc",
            reason: Some("x"),
            ..RecordFields::default()
        };
        encode_record(&f, &[], &mut buf);
        for cut in 0..buf.len() {
            assert!(decode_record(&buf[..cut]).is_none(), "cut at {cut}");
        }
        assert_eq!(read_str(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), None);
    }

    #[test]
    fn layout_rejects_every_truncation() {
        let mut blob = Vec::new();
        for id in ["1", "2"] {
            let mut rec = Vec::new();
            encode_record(
                &RecordFields {
                    id,
                    ..RecordFields::default()
                },
                &["m".into()],
                &mut rec,
            );
            frame_record(&rec, &mut blob);
        }
        let value = block_value(0, 2).unwrap();
        let fst = fst::Map::from_iter([(b"a".to_vec(), value)]).unwrap();
        let report = LoadReport {
            rows: 3,
            indexed: 2,
            fallback: FallbackCounts {
                unknown_town: 1,
                missing_town: 0,
            },
            disabled: 0,
            rejected: vec![RejectedRow {
                line: 3,
                reason: RejectReason::NoBlockNumber(Level::Town),
            }],
        };
        let body = BodyWriter::write(
            ListKind::Fraud,
            &["memo".into()],
            &report,
            fst.as_fst().as_bytes(),
            2,
            &blob,
        );
        let layout = Layout::read(&body).unwrap();
        assert_eq!(layout.columns, vec!["memo".to_string()]);
        assert_eq!(layout.report, report);
        let blob = &body[layout.blob.clone()];
        let ids: Vec<_> = block_records(blob, value).map(|r| r.id).collect();
        assert_eq!(ids, vec!["1", "2"]);
        // Values pointing past the blob or counting too many records end early, no panic.
        assert_eq!(block_records(blob, block_value(0, 5).unwrap()).count(), 2);
        assert_eq!(
            block_records(blob, block_value(1 << 30, 1).unwrap()).count(),
            0
        );
        assert_eq!(block_records(blob, u64::MAX).count(), 0);
        for cut in 0..body.len() {
            assert!(Layout::read(&body[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn block_values_have_limits() {
        assert_eq!(block_value(5, 3), Some(5 << 24 | 3));
        assert_eq!(block_value(MAX_BLOB_OFFSET + 1, 1), None);
        assert_eq!(block_value(0, MAX_BLOCK_RECORDS + 1), None);
    }
}
