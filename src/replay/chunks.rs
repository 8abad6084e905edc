//! Reading one input as a stream, decompressed, and cutting it into chunks of a bounded size,
//! each shipped as one invocation.
//!
//! - NDJSON and JSON Lines (a storage-account export's `PT1H.json`) are cut at line
//!   boundaries, about `chunk_bytes` at a time; a line is never cut.
//! - An input that fits in one chunk is read as before: one JSON document is one event body,
//!   anything else is one event body per non-blank line.
//! - A larger input whose first line is not a JSON value by itself but starts like one (a
//!   pretty-printed `{"records": [...]}` document) is read whole, as are dead-letter blobs.
//! - gzip is recognised by its magic number and decompressed on the way (several members, as
//!   `cat a.gz b.gz` writes, are read one after the other).

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use super::inputs::InputFile;
use crate::deadletter;
use crate::pipeline::{EventSource, Input};

/// What a chunk holds.
#[derive(Debug)]
enum Body {
    /// One event body per non-blank line.
    Lines(Vec<u8>),
    /// One event body.
    Document(Vec<u8>),
    /// A whole dead-letter blob (checked readable): its entries, sent as they are.
    DeadLetter(Vec<u8>),
}

/// A part of one input, shipped as one invocation.
#[derive(Debug)]
pub struct Chunk {
    body: Body,
    /// The input's name in ids.
    name: Arc<str>,
    /// The number, in the input, of the chunk's first event.
    first_event: usize,
    /// Whether this is the input's last chunk.
    pub last: bool,
}

impl Chunk {
    /// The number of the chunk's first event in its input, from 0.
    pub fn first_event(&self) -> usize {
        self.first_event
    }
}

impl EventSource for Chunk {
    fn each(&self, f: &mut dyn FnMut(Input<'_>)) {
        let mut key = String::new();
        let mut event = |i: usize, body: &[u8], f: &mut dyn FnMut(Input<'_>)| {
            key.clear();
            key.push_str(&format!("file:{}:{}", self.name, self.first_event + i));
            f(Input::Event {
                body,
                enqueued: None,
                key: &key,
            });
        };
        match &self.body {
            Body::Lines(data) => {
                for (i, line) in lines(data).enumerate() {
                    event(i, line, f);
                }
            }
            Body::Document(data) => event(0, data, f),
            Body::DeadLetter(data) => {
                f(Input::BuiltFile);
                let entries = deadletter::entries(data).expect("checked when the file was read");
                for entry in entries {
                    f(Input::Built(entry.get().as_bytes()));
                }
            }
        }
    }
}

/// The non-blank lines of `data`.
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let ends = memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = &data[start..end];
        start = end + 1;
        line
    })
    .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
}

/// Why an input could not be read (to the end).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read it: {0}")]
    Io(io::Error),
    /// The gzip stream is corrupt or cut short.
    #[error("corrupt gzip stream: {0}")]
    Gzip(io::Error),
    /// It looks like a dead-letter blob but is not a readable one.
    #[error("unreadable dead-letter blob: {0}")]
    DeadLetter(deadletter::BlobError),
}

/// Counts the bytes read from the file (before decompression), for progress.
struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads up to `n` bytes, fewer only at the end of the stream.
fn peek<R: Read>(mut reader: R, n: usize) -> io::Result<(Vec<u8>, R)> {
    let mut head = Vec::with_capacity(n);
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    Ok((head, reader))
}

type Stream = Box<dyn BufRead + Send>;

/// Reads one input in chunks.
pub struct Reader {
    stream: Stream,
    gzip: bool,
    dead_letter: bool,
    chunk_bytes: usize,
    /// The size of the input, when known and not compressed.
    size_hint: Option<usize>,
    name: Arc<str>,
    next_event: usize,
    started: bool,
    done: bool,
}

impl Reader {
    /// Opens `file`, counting the bytes read from it into `bytes`.
    pub fn open(
        file: &InputFile,
        chunk_bytes: usize,
        bytes: Arc<AtomicU64>,
    ) -> Result<Reader, ReadError> {
        let raw: Box<dyn Read + Send> = if file.is_stdin() {
            Box::new(io::stdin())
        } else {
            Box::new(std::fs::File::open(&file.path).map_err(ReadError::Io)?)
        };
        let raw = Counting { inner: raw, bytes };
        let (magic, raw) = peek(raw, 2).map_err(ReadError::Io)?;
        let gzip = magic == [0x1f, 0x8b];
        let raw = Cursor::new(magic).chain(raw);
        let decoded: Box<dyn Read + Send> = if gzip {
            Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 16, raw)))
        } else {
            Box::new(raw)
        };
        let error = |e| {
            if gzip {
                ReadError::Gzip(e)
            } else {
                ReadError::Io(e)
            }
        };
        let (head, decoded) = peek(decoded, 128).map_err(error)?;
        let dead_letter = deadletter::looks_like_dead_letter(&head);
        let stream = BufReader::with_capacity(1 << 16, Cursor::new(head).chain(decoded));
        Ok(Reader {
            stream: Box::new(stream),
            gzip,
            dead_letter,
            chunk_bytes: chunk_bytes.max(1),
            size_hint: file
                .size
                .filter(|_| !gzip)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1)),
            name: file.name.as_str().into(),
            next_event: 0,
            started: false,
            done: false,
        })
    }

    fn error(&self, e: io::Error) -> ReadError {
        if self.gzip {
            ReadError::Gzip(e)
        } else {
            ReadError::Io(e)
        }
    }

    /// The next chunk, and the error that ended the input early, if any: the complete lines
    /// read before the error come first, in a chunk of their own.
    pub fn next_chunk(&mut self) -> (Option<Chunk>, Option<ReadError>) {
        if self.done {
            return (None, None);
        }
        let first = !self.started;
        self.started = true;
        if self.dead_letter {
            self.done = true;
            let mut data = Vec::new();
            if let Err(e) = self.stream.read_to_end(&mut data) {
                return (None, Some(self.error(e)));
            }
            if let Err(e) = deadletter::entries(&data) {
                return (None, Some(ReadError::DeadLetter(e)));
            }
            return (Some(self.chunk(Body::DeadLetter(data), 1)), None);
        }
        // Room for the chunk and the line that crosses its end, unless the input is smaller:
        // growing the buffer by doubling would copy it and could double it.
        let room = self.chunk_bytes.saturating_add(1 << 20);
        let mut data = Vec::with_capacity(self.size_hint.map_or(room, |n| n.min(room)));
        let mut complete = 0;
        let mut failed = None;
        while data.len() < self.chunk_bytes {
            match self.stream.read_until(b'\n', &mut data) {
                Ok(0) => {
                    self.done = true;
                    complete = data.len();
                    break;
                }
                Ok(_) => {
                    if data.last() == Some(&b'\n') {
                        complete = data.len();
                    }
                }
                Err(e) => {
                    // The partial line is not shipped: its end is lost.
                    self.done = true;
                    failed = Some(self.error(e));
                    break;
                }
            }
        }
        data.truncate(complete);
        if first && failed.is_none() {
            if self.done {
                // All of it in one chunk: one JSON document, or lines.
                if serde_json::from_slice::<serde::de::IgnoredAny>(&data).is_ok() {
                    return (Some(self.chunk(Body::Document(data), 1)), None);
                }
            } else if looks_like_a_document(&data) {
                self.done = true;
                if let Err(e) = self.stream.read_to_end(&mut data) {
                    return (None, Some(self.error(e)));
                }
                if serde_json::from_slice::<serde::de::IgnoredAny>(&data).is_ok() {
                    return (Some(self.chunk(Body::Document(data), 1)), None);
                }
            }
        }
        let events = lines(&data).count();
        let chunk = (events > 0 || (first && failed.is_none()))
            .then(|| self.chunk(Body::Lines(data), events));
        (chunk, failed)
    }

    fn chunk(&mut self, body: Body, events: usize) -> Chunk {
        let first_event = self.next_event;
        self.next_event += events;
        Chunk {
            body,
            name: Arc::clone(&self.name),
            first_event,
            last: self.done,
        }
    }
}

/// Whether the start of a large input is a JSON document spread over lines rather than one
/// value per line: its first non-blank line opens an object or array but is not a JSON value
/// by itself.
fn looks_like_a_document(data: &[u8]) -> bool {
    let Some(first) = lines(data).next() else {
        return false;
    };
    let opens = first
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    opens && serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The first event's number and the bodies of each chunk.
    type Chunks = Vec<(usize, Vec<Vec<u8>>)>;

    fn read_all(data: &[u8], chunk_bytes: usize) -> (Chunks, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in");
        std::fs::write(&path, data).unwrap();
        let file = InputFile {
            path,
            name: "in".into(),
            size: None,
        };
        let mut reader = Reader::open(&file, chunk_bytes, Arc::default()).unwrap();
        let mut chunks = Vec::new();
        loop {
            let (chunk, error) = reader.next_chunk();
            if let Some(chunk) = chunk {
                let mut bodies = Vec::new();
                chunk.each(&mut |input| {
                    if let Input::Event { body, .. } = input {
                        bodies.push(body.to_vec());
                    }
                });
                chunks.push((chunk.first_event(), bodies));
            }
            if let Some(e) = error {
                return (chunks, Some(e.to_string()));
            }
            if reader.done {
                return (chunks, None);
            }
        }
    }

    #[test]
    fn small_inputs_are_read_as_before() {
        let (c, _) = read_all(b"{\"records\":[]}\n", 1 << 20);
        assert_eq!(c[0].1.len(), 1);
        let (c, _) = read_all(b"{\"a\":1}\n\n{\"a\":2}\r\n", 1 << 20);
        assert_eq!(c[0].1.len(), 2);
        let (c, _) = read_all(b"[1,\n2]", 1 << 20);
        assert_eq!(c[0].1, [b"[1,\n2]".to_vec()]);
        let (c, _) = read_all(b"text line\nanother", 1 << 20);
        assert_eq!(c[0].1.len(), 2);
        let (c, _) = read_all(b"", 1 << 20);
        assert_eq!(
            c.len(),
            1,
            "an empty input is one empty chunk, for its warning"
        );
    }

    #[test]
    fn lines_are_cut_into_chunks_at_line_boundaries_and_numbered_across_them() {
        let lines: Vec<String> = (0..100).map(|i| format!("{{\"n\":{i}}}")).collect();
        let (chunks, error) = read_all(lines.join("\n").as_bytes(), 64);
        assert!(error.is_none());
        assert!(chunks.len() > 10);
        let mut expected = 0;
        for (first, bodies) in &chunks {
            assert_eq!(*first, expected);
            expected += bodies.len();
        }
        let all: Vec<Vec<u8>> = chunks.into_iter().flat_map(|(_, b)| b).collect();
        let want: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        assert_eq!(all, want);
    }

    #[test]
    fn a_large_pretty_printed_document_is_read_whole() {
        let doc = format!(
            "{{\n \"records\": [\n{}\n ]\n}}\n",
            vec!["{\"a\": 1}"; 50].join(",\n")
        );
        let (chunks, _) = read_all(doc.as_bytes(), 32);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].1, [doc.as_bytes().to_vec()]);
    }

    #[test]
    fn a_dead_letter_blob_is_recognised_in_its_gzip_stream() {
        let partition = crate::host::Partition::default();
        let header = deadletter::BlobHeader {
            reason: "test",
            invocation_id: None,
            partition: &partition,
            events: &[],
            entry_count: 2,
        };
        let blob = header.encode(|out| {
            out(br#"{"a":1}"#);
            out(br#"{"a":2}"#);
        });
        let dir = tempfile::tempdir().unwrap();
        let file = InputFile {
            path: dir.path().join("x.json.gz"),
            name: "x.json.gz".into(),
            size: None,
        };
        std::fs::write(&file.path, &blob).unwrap();
        let mut reader = Reader::open(&file, 16, Arc::default()).unwrap();
        let (chunk, error) = reader.next_chunk();
        assert!(error.is_none() && chunk.as_ref().unwrap().last);
        let mut inputs = Vec::new();
        chunk.unwrap().each(&mut |input| {
            inputs.push(match input {
                Input::BuiltFile => "file".to_owned(),
                Input::Built(entry) => String::from_utf8_lossy(entry).into_owned(),
                Input::Event { .. } => "event".to_owned(),
                Input::Origin { .. } => "origin".to_owned(),
            })
        });
        assert_eq!(inputs, ["file", r#"{"a":1}"#, r#"{"a":2}"#]);

        // Its kind, then not JSON: named as a broken blob, not shipped as text.
        std::fs::write(&file.path, format!("{{\"kind\":\"{}\",", deadletter::KIND)).unwrap();
        let mut reader = Reader::open(&file, 16, Arc::default()).unwrap();
        let (chunk, error) = reader.next_chunk();
        assert!(chunk.is_none());
        assert!(
            error
                .unwrap()
                .to_string()
                .starts_with("unreadable dead-letter blob")
        );
    }

    #[test]
    fn gzip_is_streamed_and_a_corrupt_stream_keeps_the_lines_before_it() {
        let lines: Vec<String> = (0..2000).map(|i| format!("{{\"n\":{i}}}")).collect();
        let text = lines.join("\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let (chunks, error) = read_all(&gz, 1000);
        assert!(error.is_none());
        assert_eq!(chunks.iter().map(|c| c.1.len()).sum::<usize>(), 2000);

        let cut = &gz[..gz.len() / 2];
        let (chunks, error) = read_all(cut, 1000);
        assert!(error.unwrap().starts_with("corrupt gzip stream"));
        let read: usize = chunks.iter().map(|c| c.1.len()).sum();
        assert!(read > 0 && read < 2000, "{read}");
    }
}
