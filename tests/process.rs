//! The real binary as the Functions host starts it: configuration errors at start, loopback
//! only, readiness, logs on stdout, the key never printed, graceful stop; and `replay`.

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::served::{invoke, post};
use common::*;
use serde_json::Value;

#[test]
fn configuration_errors_stop_the_process_with_one_line_naming_the_setting() {
    let port = free_port().to_string();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_PRIVATE_KEY",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_REGION",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU7"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_REGION",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_ENDPOINT", "http://ingress.eu1.coralogix.com"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_ENDPOINT",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
                ("DELIVERY_TIMEOUT_SECONDS", "soon"),
            ],
            "DELIVERY_TIMEOUT_SECONDS",
        ),
        (
            &[("CORALOGIX_PRIVATE_KEY", KEY), ("CORALOGIX_REGION", "EU1")],
            "FUNCTIONS_CUSTOMHANDLER_PORT",
        ),
        (
            // A zero-width space pasted with the key.
            &[
                (
                    "CORALOGIX_PRIVATE_KEY",
                    "cxtp_TestKey_0123\u{200B}456789abcdef",
                ),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_PRIVATE_KEY",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                (
                    "CORALOGIX_ENDPOINT",
                    "https://svc:Pa55word@proxy.example:99999/cx?sig=S1GNATURE",
                ),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
            ],
            "CORALOGIX_ENDPOINT",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
                ("RETRY_MIN_DELAY_MS", "0"),
                ("RETRY_MAX_DELAY_MS", "0"),
            ],
            "RETRY_MIN_DELAY_MS",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
                ("MAX_BODY_BYTES", "0"),
            ],
            "MAX_BODY_BYTES",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
                ("EXTRA_CA_CERTS", "/nonexistent/proxy-ca.pem"),
            ],
            "EXTRA_CA_CERTS",
        ),
        (
            &[
                ("CORALOGIX_PRIVATE_KEY", KEY),
                ("CORALOGIX_REGION", "EU1"),
                ("FUNCTIONS_CUSTOMHANDLER_PORT", &port),
                (
                    "EXTRA_CA_CERTS",
                    "-----BEGIN CERTIFICATE-----\n%%% not base64 %%%\n-----END CERTIFICATE-----",
                ),
            ],
            "EXTRA_CA_CERTS",
        ),
    ];
    for (env, setting) in cases {
        let out = run_binary(&[], env, b"");
        assert!(
            !out.status.success(),
            "{setting}: should have exited with an error"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{setting}: one line expected, got {stderr:?}"
        );
        assert!(lines[0].contains(setting), "{setting}: {stderr:?}");
        assert!(out.stdout.is_empty());
        for secret in [KEY, "TestKey_0123", "Pa55word", "S1GNATURE"] {
            assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn on_sigterm_an_invocation_in_flight_stops_within_the_grace_and_fails() {
    let ingress = Ingress::start(KEY).await;
    // Coralogix hangs: without a grace period the invocation would run its 180 s budget.
    ingress.always(Some(Fault::Slow(Duration::from_secs(600))));
    let url = ingress.url();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[
            ("CORALOGIX_PRIVATE_KEY", KEY),
            ("CORALOGIX_ENDPOINT", &url),
            ("SHUTDOWN_GRACE_SECONDS", "1"),
        ])
    })
    .await
    .unwrap();
    let pid = served.child.id() as libc::pid_t;
    let port = served.port;
    let body = host_request(
        Shape::ManyBinary,
        &[envelope(&[signin("SignInLogs", 1, "0")])],
        3,
    );
    let call = tokio::spawn(post(port, body));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    // SAFETY: signals our own child process, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let (status, answer) = call.await.unwrap();
    let answered = signalled.elapsed();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&answer));
    assert!(
        answered < Duration::from_secs(5),
        "answered {answered:?} after SIGTERM"
    );
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert!(
        answer["Error"].as_str().unwrap().contains("stopping"),
        "{answer}"
    );
    let (ok, stdout, _) = tokio::task::spawn_blocking(move || served.stop_waiting())
        .await
        .unwrap();
    assert!(ok);
    assert!(stdout.contains("failed=1"), "{stdout}");
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "the process ends"
    );
}

/// The local address of a listening TCP socket on `port`, from /proc/net/tcp{,6}.
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(f) = std::fs::File::open(file) else {
            continue;
        };
        for line in BufReader::new(f).lines().skip(1) {
            let line = line.unwrap();
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (addr, p) = cols[1].split_once(':').unwrap();
            if u16::from_str_radix(p, 16).unwrap() == port && cols[3] == "0A" {
                found.push(addr.to_owned());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_on_loopback_logs_to_stdout_and_never_prints_the_key() {
    // A sentinel key that the fake ingress refuses and echoes back in its error body.
    let sentinel = "cxtp_SENTINEL_b6f1c0de_must_never_be_printed";
    let ingress = Ingress::start("cxtp_the_right_key").await;
    ingress.always(Some(Fault::StatusBody(
        401,
        format!("{{\"error\":\"invalid key {sentinel}\"}}"),
    )));
    let url = ingress.url();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[
            ("CORALOGIX_PRIVATE_KEY", sentinel),
            ("CORALOGIX_ENDPOINT", &url),
            ("DELIVERY_TIMEOUT_SECONDS", "5"),
            ("LOG_LEVEL", "trace"),
        ])
    })
    .await
    .unwrap();

    assert_eq!(
        listening_addresses(served.port),
        ["0100007F"],
        "must listen on 127.0.0.1 only"
    );

    let body = host_request(
        Shape::ManyBinary,
        &[envelope(&[signin("SignInLogs", 1, "0")])],
        3,
    );
    let (served, status, answer) = invoke(served, body).await;
    assert_eq!(status, 502);
    let error = answer["Error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 401") && error.contains("<redacted>"),
        "{error}"
    );
    assert!(!answer.to_string().contains(sentinel));

    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || served.stop())
        .await
        .unwrap();
    assert!(ok, "SIGTERM should stop it cleanly");
    assert!(stdout.contains("listening on 127.0.0.1"), "{stdout}");
    assert!(
        stdout.contains("records=1"),
        "the summary goes to stdout: {stdout}"
    );
    assert!(
        stderr.is_empty(),
        "stderr is for fatal start errors only: {stderr}"
    );
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(sentinel), "the key appeared in {name}");
        assert!(
            !text.contains("SENTINEL"),
            "part of the key appeared in {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_invocation_through_the_binary() {
    let ingress = Ingress::start(KEY).await;
    let url = ingress.url();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[("CORALOGIX_PRIVATE_KEY", KEY), ("CORALOGIX_ENDPOINT", &url)])
    })
    .await
    .unwrap();
    eprintln!("ready after {:?}", served.ready_after);
    let body = host_request(
        Shape::ManyBinary,
        &[envelope(&[signin("SignInLogs", 1, "0")])],
        3,
    );
    let (served, status, answer) = invoke(served, body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["Outputs"], serde_json::json!({}));
    assert_eq!(ingress.entries().len(), 1);
    let (ok, _, _) = tokio::task::spawn_blocking(move || served.stop())
        .await
        .unwrap();
    assert!(ok);
}

#[test]
fn replay_dry_run_prints_entries_and_needs_no_key() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let out = run_binary(&["replay", "--dry-run", example], &[], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let entries: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 10);
    for e in &entries {
        ingress::check_entry(e).unwrap();
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("records=10") && stderr.contains("printed=10"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("delivered="),
        "nothing was delivered: {stderr}"
    );
}

#[test]
fn replay_warns_about_a_file_that_is_probably_not_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "line one\nline two\n").unwrap();
    let out = run_binary(
        &[
            "replay",
            "--dry-run",
            empty.to_str().unwrap(),
            text.to_str().unwrap(),
        ],
        &[],
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty.json: no records"), "{stderr}");
    assert!(
        stderr.contains("notes.txt: none of its 2 records is JSON"),
        "{stderr}"
    );
}

#[test]
fn replay_says_where_it_sends_and_which_setting_wins() {
    // Nothing listens there: the answer does not matter, only what is printed first.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let endpoint = format!("http://{closed}");
    let out = run_binary(
        &["replay", example],
        &[
            ("CORALOGIX_PRIVATE_KEY", KEY),
            ("CORALOGIX_REGION", "EU1"),
            ("CORALOGIX_ENDPOINT", &endpoint),
            ("DELIVERY_TIMEOUT_SECONDS", "1"),
        ],
        b"",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap();
    assert!(
        first.contains("shipping to 127.0.0.1")
            && first.contains("\"entra-id\"")
            && first.contains("CORALOGIX_ENDPOINT, which wins over CORALOGIX_REGION"),
        "{stderr}"
    );
    // The unreachable endpoint is reported on the first try, not only at the end.
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("could not reach Coralogix") && l.contains("retrying")),
        "{stderr}"
    );
}

#[test]
fn replay_dry_run_into_a_closed_pipe_ends_at_once() {
    use std::process::{Command, Stdio};
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let mut child = Command::new(BIN)
        .args(["replay", "--dry-run", example])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head -0`
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("could not reach Coralogix"), "{stderr}");
}

#[test]
fn replay_ships_several_files_one_at_a_time_and_sums_the_account() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json");
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("audit.ndjson");
    let lines: Vec<String> = (0..3)
        .map(|i| signin("AuditLogs", i, "0").to_string())
        .collect();
    std::fs::write(&second, lines.join("\n")).unwrap();
    let out = run_binary(
        &["replay", "--dry-run", example, second.to_str().unwrap()],
        &[],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 13);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("events=4 records=13 entries=13 printed=13"),
        "{stderr}"
    );
}

#[test]
fn replay_reads_ndjson_and_gzip_from_stdin() {
    let records: Vec<String> = (0..5)
        .map(|i| signin("AuditLogs", i, "0").to_string())
        .collect();
    let ndjson = records.join("\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, ndjson.as_bytes()).unwrap();
    let out = run_binary(&["replay", "--dry-run", "-"], &[], &gz.finish().unwrap());
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_ships_to_coralogix_and_fails_clearly() {
    let ingress = Ingress::start(KEY).await;
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/entra-batch.json").to_owned();
    let env = vec![
        ("CORALOGIX_PRIVATE_KEY".to_owned(), KEY.to_owned()),
        ("CORALOGIX_ENDPOINT".to_owned(), ingress.url()),
    ];
    let out = run_binary_async(vec!["replay".into(), example.clone()], env.clone()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ingress.entries().len(), 10);

    ingress.always(Some(Fault::Status(403)));
    let out = run_binary_async(vec!["replay".into(), example], env).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HTTP 403") && stderr.contains("failed=10"),
        "{stderr}"
    );
}
