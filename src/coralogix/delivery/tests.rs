use super::*;
use crate::coralogix::retry::{FatalKind, TransportError};
use std::sync::Mutex;

/// A sink that answers each request with `answer(request, attempt number)`.
struct Scripted<F> {
    answer: F,
    seen: Mutex<Vec<Range<u64>>>,
}

impl<F: Fn(&Request, usize) -> Attempt + Sync> Scripted<F> {
    fn new(answer: F) -> Self {
        Scripted {
            answer,
            seen: Mutex::new(Vec::new()),
        }
    }

    fn posts(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl<F: Fn(&Request, usize) -> Attempt + Sync> Sink for Scripted<F> {
    async fn send(&self, request: &Request, _timeout: Duration) -> Attempt {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(request.entry_range());
            seen.len()
        };
        (self.answer)(request, n)
    }
}

/// `count` requests of `per` entries each, numbered consecutively, on a closed channel.
fn requests(count: usize, per: usize) -> mpsc::Receiver<Request> {
    let (tx, rx) = mpsc::channel(count.max(1));
    for r in 0..count {
        let entries: Vec<String> = (0..per)
            .map(|i| format!("{{\"i\":{}}}", r * per + i))
            .collect();
        let first = (r * per) as u64;
        tx.try_send(Request::from_entries(
            first,
            entries.iter().map(|e| e.as_bytes()),
        ))
        .unwrap();
    }
    rx
}

fn plan(budget: Duration) -> DeliveryPlan {
    DeliveryPlan {
        deadline: Instant::now() + budget,
        request_timeout: Duration::from_secs(1),
        concurrency: 2,
        policy: RetryPolicy {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        },
        stop: Stop::never(),
    }
}

const MINUTE: Duration = Duration::from_secs(60);

fn holds(request: &Request, entry: u64) -> bool {
    request.entry_range().contains(&entry)
}

#[tokio::test(start_paused = true)]
async fn retries_then_accepts_only_the_failed_request() {
    let sink = Scripted::new(|_, n| match n {
        1 => Attempt::status(503),
        2 => Attempt::status(429),
        _ => Attempt::status(200),
    });
    let d = deliver(&sink, requests(2, 4), plan(MINUTE)).await;
    assert_eq!(d.accepted, 8);
    assert!(d.failed.is_empty());
    assert_eq!((d.posts, d.retries), (4, 2));
}

#[tokio::test(start_paused = true)]
async fn splits_until_it_fits() {
    let sink = Scripted::new(|r, _| Attempt::status(if r.len() > 3 { 413 } else { 200 }));
    let d = deliver(&sink, requests(1, 10), plan(MINUTE)).await;
    assert_eq!(d.accepted, 10);
    assert!(d.splits >= 2);
    assert_eq!(sink.seen.lock().unwrap()[0], 0..10);
}

#[tokio::test(start_paused = true)]
async fn a_single_refused_entry_is_isolated_and_fails_alone() {
    let sink = Scripted::new(|r, _| Attempt::status(if holds(r, 5) { 400 } else { 200 }));
    let d = deliver(&sink, requests(1, 8), plan(MINUTE)).await;
    assert_eq!(d.accepted, 7);
    assert_eq!(d.failed.len(), 1);
    assert_eq!(d.failed[0].entries, 5..6);
    assert!(matches!(d.failed[0].reason, Reason::EntryRefused(_)));
    // 8 → 4+4 → 2+2 → 1+1: seven requests.
    assert_eq!(sink.posts(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_of_every_request_does_not_split_down_to_single_entries() {
    let sink = Scripted::new(|_, _| Attempt::Answered {
        status: 415,
        retry_after: None,
        detail: "unsupported media type".into(),
    });
    let d = deliver(&sink, requests(10, 50), plan(MINUTE)).await;
    assert_eq!(d.accepted, 0);
    assert_eq!(d.failed_entries(), 500);
    assert!(
        d.failed
            .iter()
            .all(|f| matches!(f.reason, Reason::RequestsRefused(_)))
    );
    // Each request and its two halves: three posts, not the 2n of splitting to the end.
    assert_eq!(sink.posts(), 30);
}

#[tokio::test(start_paused = true)]
async fn refusals_that_name_different_entries_keep_isolating() {
    // Two bad entries, in different halves; the answers differ, so the split goes on.
    let sink = Scripted::new(|r, _| {
        let bad: Vec<u64> = [1u64, 6].into_iter().filter(|e| holds(r, *e)).collect();
        if bad.is_empty() {
            Attempt::status(200)
        } else {
            Attempt::Answered {
                status: 400,
                retry_after: None,
                detail: format!("bad entries {bad:?} of {:?}", r.entry_range()),
            }
        }
    });
    let d = deliver(&sink, requests(1, 8), plan(MINUTE)).await;
    assert_eq!(d.accepted, 6);
    let mut failed: Vec<Range<u64>> = d.failed.iter().map(|f| f.entries.clone()).collect();
    failed.sort_by_key(|r| r.start);
    assert_eq!(failed, [1..2, 6..7]);
}

#[tokio::test(start_paused = true)]
async fn splitting_is_bounded_per_invocation() {
    // Every entry refused, each answer different: only the split cap stops it.
    let sink = Scripted::new(|_, n| Attempt::Answered {
        status: 400,
        retry_after: None,
        detail: format!("answer {n}"),
    });
    let d = deliver(&sink, requests(1, 1000), plan(MINUTE)).await;
    assert_eq!(d.failed_entries(), 1000);
    assert!(d.splits <= 1 + MAX_EXTRA_SPLITS, "{}", d.splits);
    assert!(
        d.failed
            .iter()
            .any(|f| matches!(f.reason, Reason::TooManySplits(_)))
    );
    assert!(sink.posts() <= 2 * (1 + MAX_EXTRA_SPLITS) + 1);
}

#[tokio::test(start_paused = true)]
async fn fatal_stops_everything() {
    let sink = Scripted::new(|_, _| Attempt::status(401));
    let mut p = plan(MINUTE);
    p.concurrency = 1;
    let d = deliver(&sink, requests(3, 2), p).await;
    assert_eq!(d.accepted, 0);
    assert_eq!(d.failed_entries(), 6);
    assert_eq!(sink.posts(), 1, "nothing sent after a 401");
    assert_eq!(d.fatal().unwrap().kind, FatalKind::Key);
    assert!(
        d.reason()
            .unwrap()
            .to_string()
            .contains("CORALOGIX_PRIVATE_KEY")
    );
    assert!(
        d.failed
            .iter()
            .skip(1)
            .all(|f| matches!(f.reason, Reason::NotSent(_)))
    );
}

#[tokio::test(start_paused = true)]
async fn a_certificate_failure_is_fatal_at_once() {
    let sink = Scripted::new(|_, _| Attempt::Transport {
        kind: TransportError::Certificate,
        detail: "invalid peer certificate: UnknownIssuer".into(),
    });
    let started = Instant::now();
    let d = deliver(&sink, requests(2, 2), plan(MINUTE)).await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(d.fatal().unwrap().kind, FatalKind::Certificate);
    assert!(sink.posts() <= 2);
}

#[tokio::test(start_paused = true)]
async fn budget_bounds_retries() {
    let sink = Scripted::new(|_, _| Attempt::status(500));
    let started = Instant::now();
    let d = deliver(&sink, requests(1, 5), plan(Duration::from_secs(10))).await;
    assert!(started.elapsed() <= Duration::from_secs(10));
    assert_eq!(d.failed_entries(), 5);
    assert!(matches!(
        d.reason(),
        Some(Reason::BudgetExhausted { attempts, last: Some(_) }) if *attempts > 3
    ));
}

#[tokio::test(start_paused = true)]
async fn a_zero_retry_after_does_not_make_a_flood() {
    let sink = Scripted::new(|_, _| Attempt::Answered {
        status: 429,
        retry_after: Some(Duration::ZERO),
        detail: String::new(),
    });
    let d = deliver(&sink, requests(1, 1), plan(Duration::from_secs(180))).await;
    assert_eq!(d.failed_entries(), 1);
    // 100 ms doubling to 2 s: about 95 attempts in 180 s, never thousands.
    assert!(sink.posts() < 120, "{} posts", sink.posts());
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_budget_fails_at_once() {
    let sink = Scripted::new(|_, _| Attempt::Answered {
        status: 429,
        retry_after: Some(Duration::from_secs(600)),
        detail: String::new(),
    });
    let started = Instant::now();
    let d = deliver(&sink, requests(1, 1), plan(Duration::from_secs(20))).await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(matches!(d.reason(), Some(Reason::WaitBeyondBudget { .. })));
    assert!(d.reason().unwrap().to_string().contains("Retry-After"));
}

#[tokio::test(start_paused = true)]
async fn stopping_ends_delivery_at_once() {
    let sink = Scripted::new(|_, _| Attempt::status(503));
    let (raise, stop) = Stop::new();
    let mut p = plan(Duration::from_secs(180));
    p.stop = stop;
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        let sink = sink;
        deliver(&sink, rx, p).await
    });
    tx.send(Request::from_entries(0, [&b"{}"[..], b"{}"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    raise.send(true).unwrap();
    tx.send(Request::from_entries(2, [&b"{}"[..]]))
        .await
        .unwrap();
    drop(tx);
    let started = Instant::now();
    let d = task.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(d.failed_entries(), 3);
    assert!(d.failed.iter().all(|f| f.reason == Reason::Stopping));
}

#[tokio::test(start_paused = true)]
async fn an_entry_refused_as_json_goes_again_as_text() {
    // Refuses an entry whose text is an object holding `"bad"`, takes it as a string.
    let sink = Scripted::new(|r, _| {
        let body = std::str::from_utf8(r.body()).unwrap();
        Attempt::status(if body.contains(r#""text":{"bad""#) {
            400
        } else {
            200
        })
    });
    let (tx, rx) = mpsc::channel(1);
    let entries = [
        &br#"{"applicationName":"a","subsystemName":"s","text":{"ok":1}}"#[..],
        br#"{"applicationName":"a","subsystemName":"s","text":{"bad":1e400}}"#,
    ];
    tx.try_send(Request::from_entries(0, entries)).unwrap();
    drop(tx);
    let d = deliver(&sink, rx, plan(MINUTE)).await;
    assert_eq!((d.accepted, d.as_text), (2, 1));
    assert!(d.failed.is_empty());
}

#[test]
fn text_as_string_keeps_the_text_exactly() {
    let entry = br#"{"applicationName":"a","text":{"n":1e400,"s":"x\"y"}}"#;
    let out = text_as_string(entry).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["text"], r#"{"n":1e400,"s":"x\"y"}"#);
    assert_eq!(v["applicationName"], "a");
    assert!(text_as_string(br#"{"text":"already"}"#).is_none());
}

#[tokio::test(start_paused = true)]
async fn a_refused_encoding_is_sent_again_at_once_and_counted() {
    let sink = Scripted::new(|_, n| match n {
        1 => Attempt::EncodingRefused,
        _ => Attempt::status(200),
    });
    let started = Instant::now();
    let d = deliver(&sink, requests(1, 3), plan(MINUTE)).await;
    assert_eq!(d.accepted, 3);
    assert_eq!((d.posts, d.retries), (2, 1));
    assert_eq!(sink.posts(), 2);
    assert_eq!(started.elapsed(), Duration::ZERO, "no backoff before it");
}
