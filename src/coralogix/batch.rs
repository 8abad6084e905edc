//! Packing entries into size-bounded request bodies (`[entry,entry,…]`).

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;

/// One request body and where each of its entries starts, so that it can be split in two
/// (after a 413) or taken apart (for a dead-letter blob) without parsing it again.
#[derive(Debug, Clone)]
pub struct Request {
    body: Bytes,
    starts: Vec<u32>,
    /// The body compressed once, when compression is on (kept for retries).
    gzipped: Option<Bytes>,
}

impl Request {
    /// A request holding the given entries (each the JSON of one entry).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Self {
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
            gzipped: None,
        }
    }

    /// Compresses the body with gzip (flate2's fast level) and keeps the result.
    pub fn compress(&mut self) {
        if self.gzipped.is_none() {
            self.gzipped = Some(gzip(&self.body));
        }
    }

    /// The gzip body, compressing it now if `compress` was not called (split halves).
    pub fn gzip_body(&self) -> Bytes {
        self.gzipped.clone().unwrap_or_else(|| gzip(&self.body))
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
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
            Request::from_entries(a.iter().copied()),
            Request::from_entries(b.iter().copied()),
        )
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(body)
        .expect("writing to a Vec cannot fail");
    encoder
        .finish()
        .expect("writing to a Vec cannot fail")
        .into()
}

/// Packs entries into requests of at most `max_bytes` each.
#[derive(Debug)]
pub struct Batcher {
    max_bytes: usize,
    buf: Vec<u8>,
    starts: Vec<u32>,
    done: Vec<Request>,
}

impl Batcher {
    /// `max_bytes` must exceed the largest entry that will be pushed by at least 2 bytes.
    pub fn new(max_bytes: usize) -> Self {
        Batcher {
            max_bytes,
            buf: Vec::new(),
            starts: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Adds one entry, written by `write` (which must append exactly one JSON value).
    pub fn push<R>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> R) -> R {
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
        let result = write(&mut self.buf);
        if self.buf.len() + 1 > self.max_bytes && !self.starts.is_empty() {
            // Does not fit: seal the request without it and start the next one with it.
            let entry = self.buf[start..].to_vec();
            self.buf.truncate(mark);
            self.seal();
            self.buf
                .reserve(self.max_bytes.min(256 * 1024).max(entry.len() + 2));
            self.buf.push(b'[');
            self.starts.push(1);
            self.buf.extend_from_slice(&entry);
        } else {
            self.starts.push(start as u32);
        }
        result
    }

    fn seal(&mut self) {
        if self.starts.is_empty() {
            return;
        }
        self.buf.push(b']');
        self.done.push(Request {
            body: std::mem::take(&mut self.buf).into(),
            starts: std::mem::take(&mut self.starts),
            gzipped: None,
        });
    }

    pub fn finish(mut self) -> Vec<Request> {
        self.seal();
        self.done
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

    #[test]
    fn packs_within_the_cap_and_keeps_every_entry_once() {
        let mut b = Batcher::new(1000);
        let entries: Vec<Vec<u8>> = (0..50).map(|n| entry(n, 90 + n * 3)).collect();
        for e in &entries {
            b.push(|buf| buf.extend_from_slice(e));
        }
        let requests = b.finish();
        assert!(requests.len() > 1);
        let mut seen = Vec::new();
        for r in &requests {
            assert!(r.body().len() <= 1000);
            let parsed: Vec<serde_json::Value> = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(parsed.len(), r.len());
            seen.extend(r.entries().map(<[u8]>::to_vec));
        }
        assert_eq!(seen, entries);
    }

    #[test]
    fn an_entry_of_exactly_the_cap_fits_alone() {
        let mut b = Batcher::new(102);
        b.push(|buf| buf.extend_from_slice(&entry(1, 20)));
        b.push(|buf| buf.extend_from_slice(&entry(2, 100)));
        let requests = b.finish();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].body().len(), 102);
    }

    #[test]
    fn split_halves() {
        let entries: Vec<Vec<u8>> = (0..5).map(|n| entry(n, 20)).collect();
        assert!(entries.iter().all(|e| e.len() == 20));
        let r = Request::from_entries(entries.iter().map(Vec::as_slice));
        let (a, b) = r.split();
        assert_eq!((a.len(), b.len()), (2, 3));
        let back: Vec<Vec<u8>> = a.entries().chain(b.entries()).map(<[u8]>::to_vec).collect();
        assert_eq!(back, entries);
        serde_json::from_slice::<serde_json::Value>(a.body()).unwrap();
    }

    #[test]
    fn gzip_round_trip() {
        let mut r = Request::from_entries([&b"{\"a\":1}"[..], b"{\"b\":2}"]);
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
        assert!(Batcher::new(100).finish().is_empty());
        let r = Request::from_entries(std::iter::empty());
        assert_eq!(&r.body()[..], b"[]");
    }
}
