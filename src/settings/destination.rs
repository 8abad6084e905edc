//! Where entries go: `CORALOGIX_ENDPOINT`, else `CORALOGIX_DOMAIN`, else `CORALOGIX_REGION`,
//! else the incumbent Coralogix function's `OTEL_EXPORTER_OTLP_ENDPOINT` (its OTLP host,
//! `ingress.<domain>:443`, also serves `/logs/v1/singles`).

use std::net::IpAddr;

use reqwest::Url;

use super::names;
use super::table::{SettingsError, err};
use crate::limits::SINGLES_PATH;

/// Coralogix regions and their domains (see `docs/coralogix-api.md#regions-and-domains`).
pub const REGIONS: &[(&str, &str)] = &[
    ("EU1", "eu1.coralogix.com"),
    ("EU2", "eu2.coralogix.com"),
    ("US1", "us1.coralogix.com"),
    ("US2", "us2.coralogix.com"),
    ("US3", "us3.coralogix.com"),
    ("AP1", "ap1.coralogix.com"),
    ("AP2", "ap2.coralogix.com"),
    ("AP3", "ap3.coralogix.com"),
    ("GOV1", "gov1.coralogixgov.us"),
];

/// The region codes, as `CORALOGIX_REGION` takes them.
pub const REGION_CODES: &[&str] = &[
    "EU1", "EU2", "US1", "US2", "US3", "AP1", "AP2", "AP3", "GOV1",
];

pub(super) fn region_list() -> String {
    REGION_CODES.join(", ")
}

/// Which setting gave the destination, and which others were set and ignored.
pub fn destination_source(lookup: impl Fn(&str) -> Option<String>) -> String {
    let set: Vec<&str> = [
        names::ENDPOINT,
        names::DOMAIN,
        names::REGION,
        names::OTLP_ENDPOINT,
    ]
    .into_iter()
    .filter(|n| lookup(n).is_some_and(|v| !v.trim().is_empty()))
    .collect();
    match set.as_slice() {
        [] => "no destination set".into(),
        [one] => format!("from {one}"),
        [first, rest @ ..] => format!(
            "from {first}, which wins over {} (also set, ignored)",
            rest.join(" and ")
        ),
    }
}

/// The full URL of `/logs/v1/singles`, or `None` when no destination is set. `region` is the
/// region code as the table read it (validated, upper case); `otlp` the incumbent's
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (`host:port`, or a URL).
pub(super) fn singles_url(
    endpoint: Option<&str>,
    domain: Option<&str>,
    region: Option<&str>,
    otlp: Option<&str>,
) -> Result<Option<Url>, SettingsError> {
    let mut url = if let Some(endpoint) = endpoint {
        parse_endpoint(names::ENDPOINT, endpoint)?
    } else if let Some(domain) = domain {
        parse_domain(domain)?
    } else if let Some(region) = region {
        let domain = REGIONS
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(region))
            .map(|(_, d)| *d)
            .expect("the table checked the region");
        Url::parse(&format!("https://ingress.{domain}")).expect("region table holds valid hosts")
    } else if let Some(otlp) = otlp {
        let with_scheme = if otlp.contains("://") {
            otlp.to_owned()
        } else {
            format!("https://{otlp}")
        };
        parse_endpoint(names::OTLP_ENDPOINT, &with_scheme)?
    } else {
        return Ok(None);
    };
    let path = format!("{}{SINGLES_PATH}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(Some(url))
}

fn parse_endpoint(setting: &'static str, endpoint: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(endpoint).map_err(|e| {
        err(
            setting,
            format!(
                "{:?} is not a URL ({e}); expected e.g. https://ingress.eu1.coralogix.com",
                without_secrets(endpoint)
            ),
        )
    })?;
    let host = url.host_str().ok_or_else(|| err(setting, "has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(err(
                setting,
                "plain http:// is allowed only for a loopback host (local testing); use https://",
            ));
        }
        other => {
            return Err(err(
                setting,
                format!("scheme {other:?} is not supported; use https://"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            setting,
            "must not carry credentials; the key goes in CORALOGIX_PRIVATE_KEY",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err(setting, "must not have a query or fragment"));
    }
    if url.path().trim_end_matches('/').ends_with(SINGLES_PATH) {
        return Err(err(
            setting,
            format!(
                "give the base URL only (e.g. https://ingress.eu1.coralogix.com); the handler appends {SINGLES_PATH}"
            ),
        ));
    }
    Ok(url)
}

/// A URL-like text without what could be secret: user information (before an `@` in the
/// authority) and the query and fragment.
pub(super) fn without_secrets(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i + 3], &text[i + 3..]),
        None => ("", text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("<credentials>@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    format!("{scheme}{authority}{path}")
}

fn parse_domain(domain: &str) -> Result<Url, SettingsError> {
    if domain.contains("://") || domain.contains('/') {
        return Err(err(
            names::DOMAIN,
            format!(
                "{domain:?} should be a bare domain such as eu1.coralogix.com (use {} for a URL)",
                names::ENDPOINT
            ),
        ));
    }
    let host = if domain.starts_with("ingress.") {
        domain.to_owned()
    } else {
        format!("ingress.{domain}")
    };
    Url::parse(&format!("https://{host}"))
        .ok()
        .filter(|u| u.host_str().is_some())
        .ok_or_else(|| err(names::DOMAIN, format!("{domain:?} is not a valid domain")))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
