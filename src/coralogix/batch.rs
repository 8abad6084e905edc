//! Packing entries into size-bounded request bodies (`[entry,entry,…]`).
//!
//! Entries are numbered in the order they are built; a request holds consecutive entries, so
//! it is identified by its first entry's number and its length. That is all the delivery needs
//! to remember of a request that failed: the entries can be built again from the events (for a
//! dead-letter blob) instead of being kept in memory.

use std::ops::Range;

use bytes::Bytes;

/// One request body, the number of its first entry, and where each entry starts, so that it
/// can be split in two (after a 413) or taken apart without parsing it again.
#[derive(Debug, Clone)]
pub struct Request {
    body: Bytes,
    starts: Vec<u32>,
    first_entry: u64,
    /// The body compressed once, when compression is on (kept for retries).
    gzipped: Option<Bytes>,
}

impl Request {
    /// A request holding the given entries (each the JSON of one entry), numbered from
    /// `first_entry`.
    pub fn from_entries<'a>(first_entry: u64, entries: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut body = vec![b'['];
        let mut starts = Vec::new();
        for entry in entries {
            if !starts.is_empty() {
                body.push(b',');
            }
            starts.push(body.len() as u32);
            body.extend_from_slice(entry);
        }
        body.push(b']');
        Request {
            body: body.into(),
            starts,
            first_entry,
            gzipped: None,
        }
    }

    /// Compresses the body with gzip (libdeflate, level 1) and keeps the result.
    pub fn compress(&mut self) {
        if self.gzipped.is_none() {
            self.gzipped = Some(gzip(&self.body));
        }
    }

    /// The gzip body, compressing it now if `compress` was not called (split halves).
    pub fn gzip_body(&self) -> Bytes {
        self.gzipped.clone().unwrap_or_else(|| gzip(&self.body))
    }

    /// The request body (`[entry,entry,…]`), uncompressed.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the request holds no entry.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The numbers of the entries this request holds.
    pub fn entry_range(&self) -> Range<u64> {
        self.first_entry..self.first_entry + self.starts.len() as u64
    }

    /// The JSON of each entry.
    pub fn entries(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let body = &self.body[..];
        self.starts.iter().enumerate().map(move |(i, &start)| {
            let end = match self.starts.get(i + 1) {
                Some(&next) => next as usize - 1, // the comma before the next entry
                None => body.len() - 1,           // the closing bracket
            };
            &body[start as usize..end]
        })
    }

    /// Two requests with the first and second half of the entries. Needs two or more entries.
    pub fn split(&self) -> (Request, Request) {
        assert!(self.len() >= 2, "a request of one entry cannot be split");
        let entries: Vec<&[u8]> = self.entries().collect();
        let (a, b) = entries.split_at(entries.len() / 2);
        (
            Request::from_entries(self.first_entry, a.iter().copied()),
            Request::from_entries(self.first_entry + a.len() as u64, b.iter().copied()),
        )
    }
}

/// Compresses a whole body at once with libdeflate at level 1: about 30% fewer bytes than
/// zlib-rs' level 1 for about 25% more CPU, and faster than zlib-rs or miniz_oxide at their
/// levels of the same ratio (BENCHMARKS.md, "gzip").
fn gzip(body: &[u8]) -> Bytes {
    let level = libdeflater::CompressionLvl::new(GZIP_LEVEL).expect("a valid level");
    let mut compressor = libdeflater::Compressor::new(level);
    let mut out = vec![0; compressor.gzip_compress_bound(body.len())];
    let len = compressor
        .gzip_compress(body, &mut out)
        .expect("the bound always fits");
    // The bound is about the body's size; keep only what was written.
    out.truncate(len);
    out.shrink_to_fit();
    out.into()
}

/// libdeflate's level for request bodies (1-12).
const GZIP_LEVEL: i32 = 1;

/// Packs entries into requests of at most `max_bytes` each, handing over each request as soon
/// as it is full.
#[derive(Debug)]
pub struct Batcher {
    max_bytes: usize,
    buf: Vec<u8>,
    starts: Vec<u32>,
    first_entry: u64,
    next_entry: u64,
}

impl Batcher {
    /// `max_bytes` must exceed the largest entry that will be pushed by at least 2 bytes.
    pub fn new(max_bytes: usize) -> Self {
        Batcher {
            max_bytes,
            buf: Vec::new(),
            starts: Vec::new(),
            first_entry: 0,
            next_entry: 0,
        }
    }

    /// The number the next entry will get.
    pub fn next_entry(&self) -> u64 {
        self.next_entry
    }

    /// Adds one entry, written by `write` (which must append exactly one JSON value). Returns
    /// the request that became full, if the entry did not fit in it.
    pub fn push(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> Option<Request> {
        if self.buf.is_empty() {
            // Once, at the cap: growing by doubling would copy the buffer several times.
            self.buf.reserve_exact(self.max_bytes);
            self.buf.push(b'[');
        }
        let mark = self.buf.len();
        if !self.starts.is_empty() {
            self.buf.push(b',');
        }
        let start = self.buf.len();
        write(&mut self.buf);
        self.next_entry += 1;
        if self.buf.len() < self.max_bytes || self.starts.is_empty() {
            self.starts.push(start as u32);
            return None;
        }
        // Does not fit: seal the request without it and start the next one with it.
        let entry = self.buf[start..].to_vec();
        self.buf.truncate(mark);
        let full = self.seal();
        self.buf.reserve_exact(self.max_bytes);
        self.buf.push(b'[');
        self.starts.push(1);
        self.buf.extend_from_slice(&entry);
        full
    }

    fn seal(&mut self) -> Option<Request> {
        if self.starts.is_empty() {
            return None;
        }
        self.buf.push(b']');
        let request = Request {
            body: std::mem::take(&mut self.buf).into(),
            first_entry: self.first_entry,
            starts: std::mem::take(&mut self.starts),
            gzipped: None,
        };
        self.first_entry += request.len() as u64;
        Some(request)
    }

    /// The last request, if any entry is left.
    pub fn finish(mut self) -> Option<Request> {
        self.seal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON entry of exactly `len` bytes (at least 14).
    fn entry(n: usize, len: usize) -> Vec<u8> {
        let bare = format!("{{\"n\":{n},\"p\":\"\"}}").len();
        let pad = "x".repeat(len - bare);
        format!("{{\"n\":{n},\"p\":\"{pad}\"}}").into_bytes()
    }

    fn all(mut b: Batcher, entries: &[Vec<u8>]) -> Vec<Request> {
        let mut requests = Vec::new();
        for e in entries {
            requests.extend(b.push(|buf| buf.extend_from_slice(e)));
        }
        requests.extend(b.finish());
        requests
    }

    #[test]
    fn packs_within_the_cap_and_keeps_every_entry_once_in_order() {
        let entries: Vec<Vec<u8>> = (0..50).map(|n| entry(n, 90 + n * 3)).collect();
        let requests = all(Batcher::new(1000), &entries);
        assert!(requests.len() > 1);
        let mut seen = Vec::new();
        let mut next = 0;
        for r in &requests {
            assert!(r.body().len() <= 1000);
            assert_eq!(r.entry_range().start, next, "consecutive numbers");
            next = r.entry_range().end;
            let parsed: Vec<serde_json::Value> = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(parsed.len(), r.len());
            seen.extend(r.entries().map(<[u8]>::to_vec));
        }
        assert_eq!(next, 50);
        assert_eq!(seen, entries);
    }

    #[test]
    fn an_entry_of_exactly_the_cap_fits_alone() {
        let requests = all(Batcher::new(102), &[entry(1, 20), entry(2, 100)]);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].body().len(), 102);
        assert_eq!(requests[1].entry_range(), 1..2);
    }

    #[test]
    fn split_halves_keep_their_numbers() {
        let entries: Vec<Vec<u8>> = (0..5).map(|n| entry(n, 20)).collect();
        let r = Request::from_entries(10, entries.iter().map(Vec::as_slice));
        let (a, b) = r.split();
        assert_eq!((a.entry_range(), b.entry_range()), (10..12, 12..15));
        let back: Vec<Vec<u8>> = a.entries().chain(b.entries()).map(<[u8]>::to_vec).collect();
        assert_eq!(back, entries);
        serde_json::from_slice::<serde_json::Value>(a.body()).unwrap();
    }

    #[test]
    fn gzip_round_trip() {
        let mut r = Request::from_entries(0, [&b"{\"a\":1}"[..], b"{\"b\":2}"]);
        let fresh = r.gzip_body();
        r.compress();
        assert_eq!(r.gzip_body(), fresh);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&fresh[..]), &mut out)
            .unwrap();
        assert_eq!(out, r.body().to_vec());
    }

    #[test]
    fn no_entries_no_requests() {
        assert!(Batcher::new(100).finish().is_none());
        let r = Request::from_entries(0, std::iter::empty());
        assert_eq!(&r.body()[..], b"[]");
    }
}
