//! The oracle of "one bad record never takes its neighbours with it", driven by the fuzzer:
//! well-formed Entra-like records in an envelope, with fuzzer-chosen free text (brackets,
//! quotes, commas and backslashes included), some of them poisoned at fuzzer-chosen places
//! with fuzzer-chosen bytes. Every record left well-formed must come out exactly once
//! as itself, and the count must be what the envelope held (two poisoned records in a row may
//! count as one; see `json::array_elements`).
#![no_main]

use std::collections::HashMap;

use entra_coralogix::records::{self, Record};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn record(id: usize, policies: usize, reason: &str) -> Value {
    json!({
        "time": "2026-11-02T08:14:07.4521983Z", "category": "SignInLogs", "Level": 4,
        "properties": {"id": format!("rec-{id}"), "status": {"errorCode": 0, "failureReason": reason},
            "policies": (0..policies).map(|p| json!({"id": p, "result": "success"})).collect::<Vec<_>>()}
    })
}

/// The bytes free text is drawn from: the ones that read as structure when a stray quote
/// turns a string inside out, and a few letters.
const ALPHABET: &[u8] = br#"aA0 {}[]:,"\'/-"#;

fuzz_target!(|data: &[u8]| {
    // Each record takes 5 bytes of input (policies, poison position, poison byte, poison kind,
    // text length) and then its free text, one input byte per character.
    let mut texts = Vec::new();
    let mut intact = Vec::new();
    let mut poisoned = Vec::new();
    let mut rest = data;
    while rest.len() >= 5 && texts.len() < 40 {
        let (chunk, after) = rest.split_at(5);
        let (free, after) = after.split_at((chunk[4] as usize % 25).min(after.len()));
        rest = after;
        let reason: String = free.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        let id = texts.len();
        let mut text = record(id, chunk[0] as usize % 4, &reason).to_string().into_bytes();
        let at = 1 + chunk[1] as usize * (text.len() - 2) / 255;
        match chunk[3] % 4 {
            0 => {}
            1 => text.insert(at, chunk[2] % 0x20),
            2 => text.insert(at, b'"'),
            _ => {
                let nan = String::from_utf8(text).unwrap().replacen("\"errorCode\":0", "\"errorCode\":NaN", 1);
                text = nan.into_bytes();
            }
        }
        // Some poison leaves valid JSON (a raw tab or line feed between tokens; a quote
        // after a backslash, `\"\/`): that record must arrive as it now reads.
        let now = serde_json::from_slice::<Value>(&text);
        let broken = now.is_err();
        if let Ok(value) = now {
            intact.push((format!("rec-{id}"), value));
        }
        poisoned.push(broken);
        texts.push(text);
    }
    if texts.is_empty() {
        return;
    }
    let mut body = b"{\"records\":[".to_vec();
    body.extend_from_slice(&texts.join(&b","[..]));
    body.extend_from_slice(b"]}");

    let split = records::split(&body);
    let adjacent = poisoned.windows(2).filter(|w| w[0] && w[1]).count();
    let held = texts.len();
    let counted = split.records.len();
    assert!(counted <= held && counted + adjacent >= held, "{counted} of {held}");
    let mut by_id: HashMap<String, Vec<Value>> = HashMap::new();
    for r in &split.records {
        if let Record::Json(text) = r {
            let v: Value = serde_json::from_str(text).expect("JSON records are valid");
            if let Some(id) = v["properties"]["id"].as_str() {
                by_id.entry(id.to_owned()).or_default().push(v.clone());
            }
        }
    }
    for (id, value) in intact {
        let got = by_id.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(got.len(), 1, "{id} arrived {} times", got.len());
        assert_eq!(got[0], value);
    }
});
