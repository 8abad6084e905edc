//! The instance-wide memory budget (`MEMORY_BUDGET_MB`), through the real server: invocations
//! that do not fit in the budget beside each other wait for each other instead of running the
//! instance out of memory, and every record of every one of them still arrives.

mod common;

use std::time::Duration;

use common::*;

/// Three invocations, as the host sends one per owned partition, each with one event of 50
/// sign-ins (one request), against an ingress that takes 200 ms per request: the second and
/// third sent while the first is being delivered. Returns the most requests the ingress had
/// in flight at once.
async fn three_partitions_at_once(budget_mb: &str) -> usize {
    let ingress = Ingress::start(KEY).await;
    ingress.always(Some(Fault::Slow(Duration::from_millis(200))));
    // Eight requests in flight per invocation: each one reserves (2 × 8 + 2) requests of
    // 2 MB, plus a quarter for gzip, plus 4 MiB: about 49 MiB, so two do not fit in 64 MiB.
    let handler = Handler::start(
        &ingress,
        &[
            ("MEMORY_BUDGET_MB", budget_mb),
            ("MAX_CONCURRENT_REQUESTS", "8"),
        ],
    )
    .await;
    let bodies: Vec<Vec<u8>> = (0..3)
        .map(|p| {
            let records: Vec<_> = (0..50)
                .map(|i| signin("SignInLogs", p * 100 + i, "0"))
                .collect();
            host_request(Shape::ManyBinary, &[envelope(&records)], 1)
        })
        .collect();
    // The first invocation holds its share before the others arrive: the oldest invocation
    // never waits (so that two cannot wait for each other), so two that arrive together may
    // both go ahead.
    let first = handler.invoke(bodies[0].clone());
    let others = async {
        ingress.wait_until_arrived(1).await;
        tokio::join!(
            handler.invoke(bodies[1].clone()),
            handler.invoke(bodies[2].clone())
        )
    };
    let (a, (b, c)) = tokio::join!(first, others);
    let answers = [a, b, c];
    for r in &answers {
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.assert_balanced();
        assert_eq!(r.count("records"), 50);
    }
    let ids = (0..3).flat_map(|p| (0..50).map(move |i| format!("signin-{}", p * 100 + i)));
    assert_exactly_once(&ingress.entries(), ids);
    ingress.max_in_flight()
}

#[tokio::test]
async fn invocations_that_do_not_fit_beside_each_other_take_turns_and_lose_nothing() {
    assert_eq!(
        three_partitions_at_once("64").await,
        1,
        "with a 64 MiB budget, one invocation at a time"
    );
}

#[tokio::test]
async fn invocations_that_fit_run_at_once() {
    // The control: the same invocations with room for all three overlap at the ingress (all
    // three, unless the machine is so slow that one finished its 200 ms before another began).
    let in_flight = three_partitions_at_once("4096").await;
    assert!(in_flight >= 2, "{in_flight}");
}
