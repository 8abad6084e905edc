use super::destination::without_secrets;
use super::*;
use std::collections::HashMap;

fn load(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(mode, |k| map.get(k).cloned())
}

const KEY: (&str, &str) = ("CORALOGIX_PRIVATE_KEY", "cxtp_secret");

#[test]
fn region_is_case_insensitive_and_builds_the_ingress_url() {
    let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "eu2")]).unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://ingress.eu2.coralogix.com/logs/v1/singles"
    );
    let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "GOV1")]).unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://ingress.gov1.coralogixgov.us/logs/v1/singles"
    );
}

#[test]
fn endpoint_overrides_domain_which_overrides_region() {
    let s = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "US1"),
            ("CORALOGIX_DOMAIN", "ap3.coralogix.com"),
        ],
    )
    .unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://ingress.ap3.coralogix.com/logs/v1/singles"
    );
    let s = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "US1"),
            ("CORALOGIX_DOMAIN", "ap3.coralogix.com"),
            ("CORALOGIX_ENDPOINT", "https://proxy.example.com/cx/"),
        ],
    )
    .unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://proxy.example.com/cx/logs/v1/singles"
    );
}

#[test]
fn unknown_region_names_the_setting() {
    let e = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "EU9")]).unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_REGION");
    assert_eq!(
        e.to_string(),
        "CORALOGIX_REGION: \"EU9\" is not one of EU1, EU2, US1, US2, US3, AP1, AP2, AP3, GOV1"
    );
}

#[test]
fn no_destination_and_no_key_are_errors_except_for_dry_run() {
    assert_eq!(
        load(Mode::Ship, &[KEY]).unwrap_err().setting,
        "CORALOGIX_REGION"
    );
    assert_eq!(
        load(Mode::Ship, &[("CORALOGIX_REGION", "EU1")])
            .unwrap_err()
            .setting,
        "CORALOGIX_PRIVATE_KEY"
    );
    let s = load(Mode::DryRun, &[]).unwrap();
    assert!(s.api_key.is_none() && s.singles_url.is_none());
}

#[test]
fn plain_http_only_for_loopback() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
    ] {
        load(Mode::Ship, &[KEY, ("CORALOGIX_ENDPOINT", ok)]).unwrap();
    }
    let e = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_ENDPOINT", "http://ingress.eu1.coralogix.com"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
    let e = load(
        Mode::Ship,
        &[KEY, ("CORALOGIX_ENDPOINT", "https://u:p@host")],
    )
    .unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
}

#[test]
fn request_size_cannot_exceed_the_documented_limit() {
    let e = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("MAX_REQUEST_BYTES", "3000000"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "MAX_REQUEST_BYTES");
    let s = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("MAX_REQUEST_BYTES", "500000"),
        ],
    )
    .unwrap();
    assert_eq!(s.max_request_bytes, 500_000);
    assert_eq!(s.max_entry_bytes, 262_144);
    let s = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("MAX_REQUEST_BYTES", "100000"),
        ],
    )
    .unwrap();
    assert_eq!(s.max_entry_bytes, 99_998, "follows a lowered request cap");
    let e = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("MAX_REQUEST_BYTES", "100000"),
            ("MAX_ENTRY_BYTES", "200000"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "MAX_ENTRY_BYTES");
}

#[test]
fn subsystem_map_and_fixed_name() {
    let s = load(
        Mode::DryRun,
        &[(
            "CORALOGIX_SUBSYSTEM_MAP",
            "SignInLogs=signins, auditlogs = audit",
        )],
    )
    .unwrap();
    assert_eq!(s.subsystem.name_for("SignInLogs"), "signins");
    assert_eq!(s.subsystem.name_for("AuditLogs"), "audit");
    assert_eq!(s.subsystem.name_for("ProvisioningLogs"), "ProvisioningLogs");
    let s = load(
        Mode::DryRun,
        &[
            ("CORALOGIX_SUBSYSTEM", "entra"),
            ("CORALOGIX_SUBSYSTEM_MAP", "SignInLogs=x"),
        ],
    )
    .unwrap();
    assert_eq!(s.subsystem.name_for("SignInLogs"), "entra");
    let e = load(Mode::DryRun, &[("CORALOGIX_SUBSYSTEM_MAP", "SignInLogs")]).unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_SUBSYSTEM_MAP");
}

#[test]
fn the_key_never_shows_in_debug_output() {
    let s = load(Mode::Ship, &[KEY, ("CORALOGIX_REGION", "EU1")]).unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("cxtp_secret"), "{debug}");
    assert!(debug.contains("<redacted>"));
    assert_eq!(s.api_key.unwrap().to_string(), "<redacted>");
}

#[test]
fn an_unresolved_key_vault_reference_is_refused() {
    let reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/cx/)";
    let e = load(
        Mode::Ship,
        &[
            ("CORALOGIX_PRIVATE_KEY", reference),
            ("CORALOGIX_REGION", "EU1"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_PRIVATE_KEY");
    assert!(e.message.contains("Key Vault"));
    assert!(
        !e.to_string().contains("kv.vault"),
        "the reference is not echoed"
    );
}

#[test]
fn a_key_with_invisible_or_typographic_characters_is_refused_without_showing_it() {
    for key in [
        "cxtp_abc\u{200B}def",
        "\u{FEFF}cxtp_abcdef",
        "\u{201C}cxtp_abcdef\u{201D}",
        "cxtp_abc\u{00A0}def",
        "cxtp_abc\u{7F}def",
    ] {
        let e = load(
            Mode::Ship,
            &[("CORALOGIX_PRIVATE_KEY", key), ("CORALOGIX_REGION", "EU1")],
        )
        .unwrap_err();
        assert_eq!(e.setting, "CORALOGIX_PRIVATE_KEY");
        assert!(!e.to_string().contains("abc"), "{e}");
    }
}

#[test]
fn an_endpoint_that_does_not_parse_is_shown_without_credentials_or_query() {
    let e = load(
        Mode::Ship,
        &[
            KEY,
            (
                "CORALOGIX_ENDPOINT",
                "https://user:s3cret@proxy.example:99999/cx?token=t0ken",
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "CORALOGIX_ENDPOINT");
    let text = e.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("user") && !text.contains("t0ken"),
        "{text}"
    );
    assert!(text.contains("proxy.example"), "{text}");
    assert_eq!(
        without_secrets("http://a:b@c@host/x?q#f"),
        "http://<credentials>@host/x"
    );
}

#[test]
fn settings_that_would_flood_or_refuse_everything_are_refused() {
    for (name, value) in [
        ("RETRY_MIN_DELAY_MS", "0"),
        ("MAX_BODY_BYTES", "0"),
        ("MEMORY_BUDGET_MB", "1"),
        ("SHUTDOWN_GRACE_SECONDS", "-1"),
        ("RESTAMP_OLD_RECORDS", "maybe"),
    ] {
        let vars = [KEY, ("CORALOGIX_REGION", "EU1"), (name, value)];
        let mut vars = vars.to_vec();
        if name == "RETRY_MIN_DELAY_MS" {
            vars.push(("RETRY_MAX_DELAY_MS", "0"));
        }
        assert_eq!(load(Mode::Ship, &vars).unwrap_err().setting, name);
    }
    let s = load(
        Mode::Ship,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("MEMORY_BUDGET_MB", "512"),
        ],
    )
    .unwrap();
    assert_eq!(s.memory_budget_bytes, 512 << 20);
    assert!(s.restamp_old_records);
}

#[test]
fn serve_needs_the_port() {
    let e = load(Mode::Serve, &[KEY, ("CORALOGIX_REGION", "EU1")]).unwrap_err();
    assert_eq!(e.setting, "FUNCTIONS_CUSTOMHANDLER_PORT");
    let s = load(
        Mode::Serve,
        &[
            KEY,
            ("CORALOGIX_REGION", "EU1"),
            ("FUNCTIONS_CUSTOMHANDLER_PORT", "7071"),
        ],
    )
    .unwrap();
    assert_eq!(s.port, Some(7071));
}

#[test]
fn every_error_line_says_what_the_range_means() {
    let base = [KEY, ("CORALOGIX_REGION", "EU1")];
    for (name, value, line) in [
        (
            "DELIVERY_TIMEOUT_SECONDS",
            "0",
            "DELIVERY_TIMEOUT_SECONDS: \"0\" is not a number of seconds from 1 to 86400",
        ),
        (
            "MAX_CONCURRENT_REQUESTS",
            "0",
            "MAX_CONCURRENT_REQUESTS: \"0\" is not a whole number of requests from 1 to 64",
        ),
        (
            "MAX_REQUEST_BYTES",
            "3000000",
            "MAX_REQUEST_BYTES: \"3000000\" is not a whole number of bytes from 16386 to 2000000",
        ),
        (
            "COMPRESSION",
            "zstd",
            "COMPRESSION: \"zstd\" is not one of none, gzip",
        ),
        (
            "DEAD_LETTER_ENABLED",
            "maybe",
            "DEAD_LETTER_ENABLED: \"maybe\" is not true or false",
        ),
    ] {
        let mut vars = base.to_vec();
        vars.push((name, value));
        assert_eq!(load(Mode::Ship, &vars).unwrap_err().to_string(), line);
    }
}

#[test]
fn defaults_are_read_like_values_and_shown_like_the_readme() {
    let s = load(Mode::DryRun, &[]).unwrap();
    assert_eq!(s.delivery_timeout, Duration::from_secs(180));
    assert_eq!(s.retry_min_delay, Duration::from_millis(500));
    assert_eq!(s.max_entry_bytes, 262_144);
    assert_eq!(s.log_filter, "info");
    assert!(s.restamp_old_records && !s.dead_letter);
    assert_eq!(
        spec_of("DELIVERY_TIMEOUT_SECONDS").default.readme_text(),
        "`180`"
    );
    assert!(TABLE.iter().all(|s| !s.name.is_empty()));
}

#[test]
fn log_level_information_is_info_not_silence() {
    let s = load(Mode::DryRun, &[("LOG_LEVEL", "Information")]).unwrap();
    assert_eq!(s.log_filter, "info");
    let e = load(Mode::DryRun, &[("LOG_LEVEL", "Verbos")]).unwrap_err();
    assert_eq!(e.setting, "LOG_LEVEL");
}

#[test]
fn the_incumbents_otlp_endpoint_is_the_last_resort_destination() {
    let otlp = (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "ingress.eu1.coralogix.com:443",
    );
    let s = load(Mode::Ship, &[KEY, otlp]).unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://ingress.eu1.coralogix.com/logs/v1/singles"
    );
    let s = load(Mode::Ship, &[KEY, otlp, ("CORALOGIX_REGION", "US2")]).unwrap();
    assert_eq!(
        s.singles_url.unwrap().as_str(),
        "https://ingress.us2.coralogix.com/logs/v1/singles"
    );
    let e = load(
        Mode::Ship,
        &[
            KEY,
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.setting, "OTEL_EXPORTER_OTLP_ENDPOINT", "{e}");
}

#[test]
fn controls_are_read_once_and_refused_naming_the_setting() {
    let s = load(Mode::DryRun, &[]).unwrap();
    assert!(s.controls.is_empty());
    let s = load(
        Mode::DryRun,
        &[
            ("CORALOGIX_SUBSYSTEM_SELECTOR", "{{ $.category }}"),
            (
                "FILTER_RULES",
                "drop category=AuditLogs; sample 5% result=success",
            ),
            ("INCLUDE_METADATA", "yes"),
        ],
    )
    .unwrap();
    assert_eq!(
        s.controls.describe(),
        "subsystem selector, 2 filter rules, metadata"
    );
    for (name, value) in [
        ("CORALOGIX_APPLICATION_SELECTOR", "{{ $.a | r'[' }}"),
        ("BLOCKING_PATTERN", "a{99999999}"),
        ("FILTER_RULES", "drop categry=AuditLogs"),
        ("FILTER_RULES", "drop category=AuditLog"),
    ] {
        let e = load(Mode::DryRun, &[(name, value)]).unwrap_err();
        assert_eq!(e.setting, name, "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
}
