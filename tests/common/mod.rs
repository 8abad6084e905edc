//! Shared test harness: the real handler on a loopback port, requests shaped exactly as the
//! Functions host sends them (`docs/functions-host.md#value-encoding`,
//! `docs/functions-host.md#trigger-value-by-cardinality-and-datatype`,
//! `docs/functions-host.md#metadata-keys`), and the fake ingress.
#![allow(dead_code)]

pub mod ingress;
pub mod served;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use entra_coralogix::coralogix::{HttpSink, Stop};
#[allow(unused_imports)]
pub use entra_coralogix::host::{DataType, TriggerShape};
use entra_coralogix::server;
use entra_coralogix::settings::{Mode, Settings};
use serde_json::{Value, json};

#[allow(unused_imports)]
pub use ingress::{Fault, Ingress};
#[allow(unused_imports)]
pub use served::{BIN, Served, free_port};

pub const KEY: &str = "cxtp_TestKey_0123456789abcdef";

/// Settings that make tests fast (short delays and budgets), and keep the records' own times
/// (their 2026-11-02 dates would otherwise be restamped as too old).
pub const FAST: &[(&str, &str)] = &[
    ("RESTAMP_OLD_RECORDS", "false"),
    ("RETRY_MIN_DELAY_MS", "10"),
    ("RETRY_MAX_DELAY_MS", "50"),
    ("REQUEST_TIMEOUT_SECONDS", "2"),
    ("DELIVERY_TIMEOUT_SECONDS", "10"),
];

/// The handler, served in this process on a loopback port.
pub struct Handler {
    pub addr: SocketAddr,
    client: reqwest::Client,
}

pub struct HostResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl HostResponse {
    /// The dead-letter blob of the answer's `deadletter` output: base64 of gzip, decoded.
    pub fn dead_letter_bytes(&self) -> Vec<u8> {
        use std::io::Read;
        let b64 = self.body["Outputs"]["deadletter"]
            .as_str()
            .expect("a deadletter output");
        let gz = BASE64.decode(b64).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    }

    pub fn logs(&self) -> Vec<String> {
        self.body["Logs"]
            .as_array()
            .map(|a| a.iter().map(|l| l.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    /// A `key=value` number from the summary line.
    pub fn count(&self, key: &str) -> usize {
        let logs = self.logs();
        let line = logs.first().expect("a summary line");
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}= in {line}"))
            .parse()
            .unwrap()
    }

    /// Checks the accounting identity of the summary line.
    pub fn assert_balanced(&self) {
        let records = self.count("records");
        let parts = self.count("delivered")
            + self.count("dropped")
            + self.count("dead_lettered")
            + self.count("failed");
        assert_eq!(records, parts, "unbalanced: {:?}", self.logs());
    }
}

impl Handler {
    /// Starts the handler with the fake ingress as its endpoint and `env` on top; the trigger's
    /// shape is guessed from each request, as without a function.json.
    pub async fn start(ingress: &Ingress, env: &[(&str, &str)]) -> Handler {
        Self::start_declared(ingress, env, None).await
    }

    /// Starts the handler as `start` does, with the trigger's shape declared as in a
    /// function.json.
    pub async fn start_declared(
        ingress: &Ingress,
        env: &[(&str, &str)],
        trigger: Option<TriggerShape>,
    ) -> Handler {
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("CORALOGIX_PRIVATE_KEY".into(), KEY.into());
        vars.insert("CORALOGIX_ENDPOINT".into(), ingress.url());
        vars.insert("FUNCTIONS_CUSTOMHANDLER_PORT".into(), "0".into());
        for (k, v) in FAST.iter().chain(env) {
            vars.insert(k.to_string(), v.to_string());
        }
        let mut settings = Settings::load(Mode::Serve, |k| vars.get(k).cloned()).unwrap();
        settings.trigger = trigger;
        let sink = HttpSink::new(&settings).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::serve(
            listener,
            server::router(settings, sink, Stop::never()),
            std::future::pending(),
        ));
        Handler {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    /// POSTs an invocation as the host does.
    pub async fn invoke(&self, body: Vec<u8>) -> HostResponse {
        self.post("/EventHubTrigger", body).await
    }

    pub async fn post(&self, path: &str, body: Vec<u8>) -> HostResponse {
        let r = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json; charset=utf-8")
            .header("x-azure-functions-invocationid", "9f0e1d2c-test")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = r.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        HostResponse {
            status,
            content_type,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> u16 {
        self.client
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// How the host encodes the trigger value (function.json cardinality × dataType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    ManyBinary,
    ManyString,
    /// dataType unset: the host parses each body as JSON.
    ManyUnset,
    /// An already-parsed array of base64 strings (not double-encoded).
    ManyParsed,
    OneBinary,
    OneString,
}

pub const ALL_SHAPES: &[Shape] = &[
    Shape::ManyBinary,
    Shape::ManyString,
    Shape::ManyUnset,
    Shape::ManyParsed,
    Shape::OneBinary,
    Shape::OneString,
];

/// An Event Hub event body in the diagnostic-settings envelope.
pub fn envelope(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "records": records })).unwrap()
}

/// The host's invocation request for `bodies` (one body only for the `One*` shapes), with
/// batch metadata starting at sequence number `first_seq` on partition "0".
pub fn host_request(shape: Shape, bodies: &[Vec<u8>], first_seq: i64) -> Vec<u8> {
    let text = |b: &Vec<u8>| String::from_utf8(b.clone()).expect("text shapes need UTF-8 bodies");
    let events: Value = match shape {
        Shape::ManyBinary => {
            let items: Vec<String> = bodies.iter().map(|b| BASE64.encode(b)).collect();
            Value::String(serde_json::to_string(&items).unwrap())
        }
        Shape::ManyString => {
            let items: Vec<String> = bodies.iter().map(text).collect();
            Value::String(serde_json::to_string(&items).unwrap())
        }
        Shape::ManyUnset => {
            let items: Vec<Value> = bodies
                .iter()
                .map(|b| serde_json::from_slice(b).expect("dataType unset needs JSON bodies"))
                .collect();
            Value::String(serde_json::to_string(&items).unwrap())
        }
        Shape::ManyParsed => Value::Array(
            bodies
                .iter()
                .map(|b| Value::String(BASE64.encode(b)))
                .collect(),
        ),
        Shape::OneBinary => {
            assert_eq!(bodies.len(), 1);
            Value::String(BASE64.encode(&bodies[0]))
        }
        Shape::OneString => {
            assert_eq!(bodies.len(), 1);
            Value::String(serde_json::to_string(&text(&bodies[0])).unwrap())
        }
    };
    let partition = json!({"IsCheckpointingAfterInvocation": true,
        "FullyQualifiedNamespace": "entra-test.servicebus.windows.net", "EventHubName": "entra-logs",
        "ConsumerGroup": "coralogix", "PartitionId": "0"});
    let enqueued = |i: i64| format!("2026-11-02T10:00:{:02}.{:03}", i % 60, (i * 7) % 1000);
    let metadata = match shape {
        Shape::OneBinary | Shape::OneString => json!({
            "TriggerPartitionContext": partition, "PartitionContext": partition,
            "Offset": serde_json::to_string(&(first_seq * 1000).to_string()).unwrap(),
            "SequenceNumber": first_seq.to_string(),
            "EnqueuedTimeUtc": format!("2026-11-02T10:00:{:02}", first_seq % 60),
            "SystemProperties": {"SequenceNumber": first_seq, "EnqueuedTimeUtc": enqueued(first_seq)},
            "sys": {"MethodName": "EventHubTrigger", "UtcNow": "2026-11-02T10:01:00Z", "RandGuid": "r"}
        }),
        _ => {
            let n = bodies.len() as i64;
            let seqs: Vec<i64> = (first_seq..first_seq + n).collect();
            let offsets: Vec<String> = seqs.iter().map(|s| (s * 1000).to_string()).collect();
            let times: Vec<String> = seqs.iter().map(|s| enqueued(*s)).collect();
            let keys: Vec<Value> = seqs.iter().map(|_| Value::Null).collect();
            json!({
                "TriggerPartitionContext": partition, "PartitionContext": partition,
                "SequenceNumberArray": serde_json::to_string(&seqs).unwrap(),
                "OffsetArray": serde_json::to_string(&offsets).unwrap(),
                "EnqueuedTimeUtcArray": serde_json::to_string(&times).unwrap(),
                "PartitionKeyArray": serde_json::to_string(&keys).unwrap(),
                "sys": {"MethodName": "EventHubTrigger", "UtcNow": "2026-11-02T10:01:00Z", "RandGuid": "r"}
            })
        }
    };
    serde_json::to_vec(&json!({"Data": {"events": events}, "Metadata": metadata})).unwrap()
}

/// A sign-in record with a unique id, in a given category.
pub fn signin(category: &str, id: usize, result_type: &str) -> Value {
    json!({
        "time": format!("2026-11-02T08:{:02}:{:02}.1234567Z", (id / 60) % 60, id % 60),
        "resourceId": "/tenants/8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity", "operationVersion": "1.0", "category": category,
        "tenantId": "8c1b6a7e-3f2d-4c59-9a61-2d4e5f6a7b8c", "resultType": result_type,
        "resultSignature": "None", "durationMs": 0, "callerIpAddress": "203.0.113.24",
        "correlationId": format!("corr-{id}"), "identity": "Avery Example", "Level": 4, "location": "NL",
        "properties": {"id": format!("signin-{id}"), "userPrincipalName": "avery@contoso.example",
            "appDisplayName": "Azure Portal", "status": {"errorCode": result_type.parse::<i64>().unwrap_or(0)},
            "conditionalAccessStatus": "notApplied", "appliedConditionalAccessPolicies": []}
    })
}

/// Entries grouped by the `properties.id` of their record.
pub fn by_record_id(entries: &[Value]) -> HashMap<String, Vec<Value>> {
    let mut map: HashMap<String, Vec<Value>> = HashMap::new();
    for e in entries {
        let id = e["text"]["properties"]["id"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        map.entry(id).or_default().push(e.clone());
    }
    map
}

/// Asserts that each of `ids` arrived exactly once.
pub fn assert_exactly_once(entries: &[Value], ids: impl IntoIterator<Item = String>) {
    let map = by_record_id(entries);
    let mut expected = 0;
    for id in ids {
        expected += 1;
        let n = map.get(&id).map_or(0, Vec::len);
        assert_eq!(n, 1, "record {id} arrived {n} times");
    }
    assert_eq!(entries.len(), expected, "unexpected extra entries");
}

/// Runs the real binary with a clean environment plus `env`, feeding `stdin`.
pub fn run_binary(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_entra-coralogix"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs the binary off the async runtime's threads.
pub async fn run_binary_async(
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_binary(&args, &env, b"")
    })
    .await
    .unwrap()
}
