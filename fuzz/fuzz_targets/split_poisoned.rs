//! The oracle of "one bad record never takes its neighbours with it", driven by the fuzzer:
//! well-formed Entra-like records in an envelope, some of them poisoned at fuzzer-chosen
//! places with fuzzer-chosen bytes. Every record left well-formed must come out exactly once
//! as itself, and the count must be what the envelope held (two poisoned records in a row may
//! count as one; see `json::array_elements`).
#![no_main]

use std::collections::HashMap;

use entra_coralogix::records::{self, Record};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn record(id: usize, policies: usize) -> Value {
    json!({
        "time": "2026-11-02T08:14:07.4521983Z", "category": "SignInLogs", "Level": 4,
        "properties": {"id": format!("rec-{id}"), "status": {"errorCode": 0},
            "policies": (0..policies).map(|p| json!({"id": p, "result": "success"})).collect::<Vec<_>>()}
    })
}

fuzz_target!(|data: &[u8]| {
    // Each record takes 4 bytes of input: policies, poison position, poison byte, poison kind.
    let mut texts = Vec::new();
    let mut intact = Vec::new();
    let mut poisoned = Vec::new();
    for (id, chunk) in data.chunks_exact(4).take(40).enumerate() {
        let value = record(id, chunk[0] as usize % 4);
        let mut text = value.to_string().into_bytes();
        let at = 1 + chunk[1] as usize * (text.len() - 2) / 255;
        match chunk[3] % 4 {
            0 => {
                intact.push((format!("rec-{id}"), value));
                poisoned.push(false);
            }
            1 => {
                text.insert(at, chunk[2] % 0x20);
                poisoned.push(true);
            }
            2 => {
                text.insert(at, b'"');
                poisoned.push(true);
            }
            _ => {
                let nan = String::from_utf8(text).unwrap().replacen("\"errorCode\":0", "\"errorCode\":NaN", 1);
                text = nan.into_bytes();
                poisoned.push(true);
            }
        }
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
