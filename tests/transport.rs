//! How requests travel: TLS with an extra trusted certificate (`EXTRA_CA_CERTS`), gzip by
//! default, and the one-time fall-back to uncompressed bodies when the endpoint refuses gzip.

mod common;

use common::served::invoke;
use common::*;

fn one_signin(seq: i64, id: usize) -> Vec<u8> {
    host_request(
        Shape::ManyBinary,
        &[envelope(&[signin("SignInLogs", id, "0")])],
        seq,
    )
}

#[tokio::test]
async fn a_tls_endpoint_trusted_through_extra_ca_certs_receives_everything() {
    let ingress = Ingress::start_tls(KEY).await;
    let pem = ingress.certificate_pem().to_owned();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pem).unwrap();
    // The three forms a setting can take: PEM text, PEM with `\n` escapes on one line (as it
    // fits in a single-line app setting), and a file.
    let one_line = pem.trim_end().replace('\n', "\\n");
    let forms = [pem.clone(), one_line, file.path().display().to_string()];
    for (i, form) in forms.iter().enumerate() {
        let handler = Handler::start(&ingress, &[("EXTRA_CA_CERTS", form)]).await;
        let r = handler.invoke(one_signin(i as i64, i)).await;
        assert_eq!(r.status, 200, "form {i}: {:?}", r.body);
        r.assert_balanced();
    }
    assert_exactly_once(&ingress.entries(), (0..3).map(|i| format!("signin-{i}")));
    assert!(
        ingress.seen().iter().all(|s| s.gzip),
        "gzip is the default: {:?}",
        ingress.seen()
    );
}

#[tokio::test]
async fn compression_none_sends_plain_json() {
    let ingress = Ingress::start(KEY).await;
    let handler = Handler::start(&ingress, &[("COMPRESSION", "none")]).await;
    let r = handler.invoke(one_signin(1, 1)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let seen = ingress.seen();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].gzip);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_415_to_gzip_falls_back_to_plain_json_once_and_says_so_once() {
    let ingress = Ingress::start(KEY).await;
    ingress.refuse_gzip();
    let url = ingress.url();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[("CORALOGIX_PRIVATE_KEY", KEY), ("CORALOGIX_ENDPOINT", &url)])
    })
    .await
    .unwrap();
    let mut served = served;
    for seq in 0..3 {
        let (s, status, answer) = invoke(served, one_signin(seq, seq as usize)).await;
        served = s;
        assert_eq!(status, 200, "{answer}");
    }
    let (ok, stdout, _) = tokio::task::spawn_blocking(move || served.stop())
        .await
        .unwrap();
    assert!(ok);
    assert_exactly_once(&ingress.entries(), (0..3).map(|i| format!("signin-{i}")));
    // One refused gzip request, then plain JSON only: nothing compressed twice in vain.
    let seen: Vec<(bool, u16)> = ingress.seen().iter().map(|s| (s.gzip, s.status)).collect();
    assert_eq!(
        seen,
        [(true, 415), (false, 200), (false, 200), (false, 200)],
        "{stdout}"
    );
    let warnings = stdout
        .lines()
        .filter(|l| l.contains("answered 415"))
        .count();
    assert_eq!(warnings, 1, "said once: {stdout}");
    assert!(stdout.contains("uncompressed"), "{stdout}");
}
