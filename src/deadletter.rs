//! Dead-letter blobs: the entries of an invocation that Coralogix did not accept in time,
//! parked in Blob Storage through the function's `deadletter` output binding, so the partition
//! can move on without losing them. `replay` ships a downloaded blob later.
//!
//! A blob is gzip-compressed JSON:
//!
//! ```json
//! {"kind": "entra-coralogix/dead-letter", "version": 1, "createdAt": "…", "reason": "…",
//!  "invocationId": "…", "eventHub": {"namespace": "…", "eventHub": "…", "consumerGroup": "…",
//!  "partitionId": "0"}, "firstSequenceNumber": 10, "lastSequenceNumber": 109,
//!  "events": [{"sequenceNumber": 10, "offset": "…", "enqueuedTime": "…"}, …],
//!  "entryCount": 1234, "entries": [ …the Coralogix entries, exactly as they would be sent… ]}
//! ```
//!
//! The host's output binding rule (`docs/functions-host.md#output-bindings`): a string value
//! that is valid base64 is decoded to bytes. The handler therefore always sends the blob
//! base64-encoded, so the bytes written are exactly the gzip stream.

use std::io::Write;

use base64_simd::STANDARD as BASE64;
use chrono::Utc;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::host::{EventMeta, Partition};

pub const KIND: &str = "entra-coralogix/dead-letter";
pub const VERSION: u32 = 1;
/// The output binding's name in `EventHubTrigger/function.json`.
pub const OUTPUT_BINDING: &str = "deadletter";

/// What a dead-letter blob records besides the entries.
#[derive(Debug)]
pub struct BlobHeader<'a> {
    pub reason: &'a str,
    pub invocation_id: Option<&'a str>,
    pub partition: &'a Partition,
    pub events: &'a [EventMeta],
    /// The number of entries that follow.
    pub entry_count: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header<'a> {
    kind: &'a str,
    version: u32,
    created_at: String,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_id: Option<&'a str>,
    event_hub: &'a Partition,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_sequence_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sequence_number: Option<i64>,
    events: &'a [EventMeta],
    entry_count: u64,
}

impl BlobHeader<'_> {
    /// The blob's bytes (gzip): this header, then the entries that `entries` hands to the
    /// function it is given, streamed into the compressor one at a time.
    pub fn encode(&self, entries: impl FnOnce(&mut dyn FnMut(&[u8]))) -> Vec<u8> {
        let sequence = self.events.iter().filter_map(|e| e.sequence_number);
        let header = Header {
            kind: KIND,
            version: VERSION,
            created_at: Utc::now().to_rfc3339(),
            reason: self.reason,
            invocation_id: self.invocation_id,
            event_hub: self.partition,
            first_sequence_number: sequence.clone().min(),
            last_sequence_number: sequence.max(),
            events: self.events,
            entry_count: self.entry_count,
        };
        let mut head = serde_json::to_vec(&header).expect("a header always serializes");
        head.pop(); // the closing brace; the entries follow
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        let write = |gz: &mut GzEncoder<Vec<u8>>, bytes: &[u8]| {
            gz.write_all(bytes).expect("writing to a Vec cannot fail")
        };
        write(&mut gz, &head);
        write(&mut gz, b",\"entries\":[");
        let mut first = true;
        entries(&mut |entry| {
            if !first {
                write(&mut gz, b",");
            }
            first = false;
            write(&mut gz, entry);
        });
        write(&mut gz, b"]}");
        gz.finish().expect("writing to a Vec cannot fail")
    }

    /// The value for `Outputs.deadletter`: the blob, base64-encoded (see the module).
    pub fn encode_for_output(&self, entries: impl FnOnce(&mut dyn FnMut(&[u8]))) -> String {
        BASE64.encode_to_string(self.encode(entries))
    }
}

#[derive(Deserialize)]
struct Blob<'a> {
    kind: Option<String>,
    version: Option<u32>,
    #[serde(borrow, default)]
    entries: Vec<&'a RawValue>,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("not a dead-letter blob")]
    NotDeadLetter,
    #[error("dead-letter blob version {0} is newer than this handler reads ({VERSION})")]
    Version(u32),
    #[error("the dead-letter blob is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The entries of a dead-letter blob's JSON (already decompressed).
pub fn entries(json: &[u8]) -> Result<Vec<&RawValue>, BlobError> {
    let blob: Blob = serde_json::from_slice(json)?;
    if blob.kind.as_deref() != Some(KIND) {
        return Err(BlobError::NotDeadLetter);
    }
    match blob.version {
        Some(v) if v > VERSION => Err(BlobError::Version(v)),
        _ => Ok(blob.entries),
    }
}

/// A quick test on decompressed JSON, before parsing it in full.
pub fn looks_like_dead_letter(json: &[u8]) -> bool {
    let head = &json[..json.len().min(128)];
    head.windows(KIND.len()).any(|w| w == KIND.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// `replay` reads blobs as a stream (`src/replay/chunks.rs`); the test reads one whole.
    fn gunzip_if_needed(data: Vec<u8>) -> std::io::Result<Vec<u8>> {
        if data.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&data[..]).read_to_end(&mut out)?;
            Ok(out)
        } else {
            Ok(data)
        }
    }

    #[test]
    fn round_trip() {
        let entries: [&[u8]; 3] = [br#"{"a":1}"#, br#"{"a":2}"#, br#"{"a":3}"#];
        let partition = Partition {
            partition_id: Some("4".into()),
            ..Partition::default()
        };
        let events = vec![
            EventMeta {
                sequence_number: Some(12),
                ..EventMeta::default()
            },
            EventMeta {
                sequence_number: Some(11),
                ..EventMeta::default()
            },
        ];
        let header = BlobHeader {
            reason: "Coralogix down",
            invocation_id: Some("inv-1"),
            partition: &partition,
            events: &events,
            entry_count: 3,
        };
        let output = header.encode_for_output(|out| entries.iter().for_each(|e| out(e)));
        let blob = gunzip_if_needed(BASE64.decode_to_vec(output).unwrap()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&blob).unwrap();
        assert_eq!(v["kind"], KIND);
        assert_eq!(v["reason"], "Coralogix down");
        assert_eq!(v["eventHub"]["partitionId"], "4");
        assert_eq!(v["firstSequenceNumber"], 11);
        assert_eq!(v["lastSequenceNumber"], 12);
        assert_eq!(v["entryCount"], 3);
        assert!(looks_like_dead_letter(&blob));
        let e: Vec<String> = self::entries(&blob)
            .unwrap()
            .iter()
            .map(|r| r.get().to_owned())
            .collect();
        assert_eq!(e, [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]);
    }

    #[test]
    fn other_json_is_not_a_dead_letter() {
        assert!(matches!(
            entries(br#"{"records":[]}"#),
            Err(BlobError::NotDeadLetter)
        ));
        assert!(!looks_like_dead_letter(br#"{"records":[]}"#));
    }
}
