#[test]
fn placeholder() {
    let _ = entra_coralogix::settings::names::ALL;
    let _: serde_json::Value = serde_json::json!({});
}
