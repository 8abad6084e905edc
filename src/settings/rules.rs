//! Settings with a structure of their own: the API key, the subsystem rule, the drop rules
//! (with their category names checked against the known ones), and the log filter.

use std::collections::HashMap;
use std::fmt;

use super::names;
use super::table::{SettingsError, err};
use crate::entra::{CATEGORIES, UNCATEGORIZED, UNPARSED};
use crate::limits::MAX_NAME_CHARS;

/// The Send-Your-Data API key. Its `Debug` and `Display` never show the value.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key, checked: not an unresolved Key Vault reference, visible ASCII only.
    pub fn parse(key: &str) -> Result<Self, SettingsError> {
        if key.starts_with("@Microsoft.KeyVault(") {
            return Err(err(
                names::PRIVATE_KEY,
                "is an unresolved Key Vault reference: give the app's identity the \"Key Vault Secrets User\" role on the vault and check the secret URI",
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(err(
                names::PRIVATE_KEY,
                "contains characters other than visible ASCII (whitespace, a zero-width space, a byte order mark, curly quotes…); paste the Send-Your-Data API key alone",
            ));
        }
        Ok(ApiKey(key.to_owned()))
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How each record's Coralogix subsystem name is chosen.
#[derive(Debug, Clone, Default)]
pub struct SubsystemRule {
    /// `CORALOGIX_SUBSYSTEM`: one name for every entry.
    pub fixed: Option<String>,
    /// `CORALOGIX_SUBSYSTEM_MAP`: category (lower-cased) → name.
    pub renames: HashMap<String, String>,
}

impl SubsystemRule {
    /// The subsystem for a (pseudo-)category such as `SignInLogs` or `Uncategorized`.
    pub fn name_for<'a>(&'a self, category: &'a str) -> &'a str {
        if let Some(fixed) = &self.fixed {
            return fixed;
        }
        self.renames
            .get(&category.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or(category)
    }
}

/// Operator rules that drop records on purpose (counted as `dropped`, never silently).
#[derive(Debug, Clone, Default)]
pub struct DropRules {
    /// Categories (lower-cased) dropped entirely.
    pub categories: Vec<String>,
    /// Categories (lower-cased) whose successful records are dropped.
    pub successful_in: Vec<String>,
}

/// A comma-separated list of category names, lower-cased and checked.
pub(super) fn category_list(
    setting: &'static str,
    value: Option<&str>,
) -> Result<Vec<String>, SettingsError> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| check_category(setting, name).map(|_| name.to_ascii_lowercase()))
        .collect()
}

/// `Category=name,Category=name`, the categories checked.
pub(super) fn category_map(
    setting: &'static str,
    value: Option<&str>,
) -> Result<HashMap<String, String>, SettingsError> {
    let mut map = HashMap::new();
    for pair in value.unwrap_or("").split(',').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let (from, to) = pair
            .split_once('=')
            .map(|(a, b)| (a.trim(), b.trim()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .ok_or_else(|| {
                err(
                    setting,
                    format!(
                        "{pair:?} is not Category=name (e.g. SignInLogs=signins,AuditLogs=audit)"
                    ),
                )
            })?;
        check_category(setting, from)?;
        if to.chars().count() > MAX_NAME_CHARS {
            return Err(err(
                setting,
                format!("the name for {from} is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        map.insert(from.to_ascii_lowercase(), to.to_owned());
    }
    Ok(map)
}

/// The categories a rule can name: every Entra category and the two pseudo-categories.
fn known_categories() -> impl Iterator<Item = &'static str> {
    CATEGORIES.iter().copied().chain([UNCATEGORIZED, UNPARSED])
}

/// A known category (any case) is fine, and so is a name unlike any of them (another Azure
/// service sharing the hub, e.g. `FunctionAppLogs`). A name a few letters away from a known
/// one is a misspelling, refused with the known names listed: the rule would never match.
pub(super) fn check_category(setting: &'static str, name: &str) -> Result<(), SettingsError> {
    if known_categories().any(|c| c.eq_ignore_ascii_case(name)) {
        return Ok(());
    }
    let lower = name.to_ascii_lowercase();
    let close = known_categories().find(|c| {
        let distance = edit_distance(&lower, &c.to_ascii_lowercase());
        distance <= 3 || (distance <= 5 && lower.len() > 12)
    });
    match close {
        Some(known) => Err(err(
            setting,
            format!(
                "{name:?} is not a category (did you mean {known}?); the categories are {}",
                known_categories().collect::<Vec<_>>().join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Levenshtein distance, for short names.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            previous = here;
        }
    }
    row[b.len()]
}

/// `EXTRA_CA_CERTS`: PEM text (`-----BEGIN CERTIFICATE-----…`, as an app setting or a Key
/// Vault reference holds it) or the path of a PEM file; checked to hold at least one
/// certificate.
pub(super) fn extra_ca_certs(value: Option<&str>) -> Result<Option<String>, SettingsError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let pem = if value.starts_with("-----BEGIN") {
        // One line with `\n` escapes is how PEM usually fits in a single-line setting.
        if value.contains('\n') {
            value.to_owned()
        } else {
            value.replace("\\n", "\n")
        }
    } else {
        std::fs::read_to_string(value).map_err(|e| {
            err(
                names::EXTRA_CA_CERTS,
                format!("is neither PEM text nor a readable file ({value:?}: {e})"),
            )
        })?
    };
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(err(
            names::EXTRA_CA_CERTS,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(Some(pem))
}

/// `LOG_LEVEL` as a `tracing` filter. A single word must be a level: tracing's own names
/// (`error`, `warn`, `info`, `debug`, `trace`, `off`) or the host.json/.NET ones
/// (`Information`, `Warning`, `Critical`, `None`), any case. Anything else must be tracing
/// directives (`info,entra_coralogix=debug`); a single unknown word would otherwise be read as
/// a target name and silence every log line, error lines included.
pub(super) fn log_filter(value: Option<&str>) -> Result<String, SettingsError> {
    let Some(value) = value else {
        return Ok("info".into());
    };
    let level = match value.to_ascii_lowercase().as_str() {
        "error" | "critical" | "fatal" => Some("error"),
        "warn" | "warning" => Some("warn"),
        "info" | "information" | "informational" => Some("info"),
        "debug" => Some("debug"),
        "trace" | "verbose" => Some("trace"),
        "off" | "none" => Some("off"),
        _ => None,
    };
    if let Some(level) = level {
        return Ok(level.into());
    }
    let single_word = !value.contains(['=', ',', '[', ':']);
    if single_word || tracing_subscriber::EnvFilter::try_new(value).is_err() {
        return Err(err(
            names::LOG_LEVEL,
            format!(
                "{value:?} is not a level (error, warn, info, debug, trace, off, or Information, Warning, Critical, None) nor tracing directives such as info,entra_coralogix=debug"
            ),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_categories_are_refused_and_other_services_pass() {
        assert!(category_list("X", Some("signinlogs, NonInteractiveUserSignInLogs")).is_ok());
        assert!(category_list("X", Some("FunctionAppLogs,Unparsed")).is_ok());
        for typo in [
            "SignInLog",
            "SigninLogs2",
            "NonInteractiveUserSigninLog",
            "AuditLog",
        ] {
            let e = category_list("DROP_CATEGORIES", Some(typo)).unwrap_err();
            assert!(e.message.contains("did you mean"), "{typo}: {e}");
            assert!(
                e.message.contains("ProvisioningLogs"),
                "lists the names: {e}"
            );
        }
        let e = category_map("CORALOGIX_SUBSYSTEM_MAP", Some("SignInLgs=x")).unwrap_err();
        assert!(e.message.contains("SignInLogs"), "{e}");
    }

    #[test]
    fn log_levels_in_every_spelling() {
        for (given, want) in [
            ("Information", "info"),
            ("WARNING", "warn"),
            ("Critical", "error"),
            ("None", "off"),
            ("debug", "debug"),
            ("info,entra_coralogix=trace", "info,entra_coralogix=trace"),
        ] {
            assert_eq!(log_filter(Some(given)).unwrap(), want);
        }
        assert_eq!(log_filter(None).unwrap(), "info");
        for bad in ["Informativ", "loud", "info,=["] {
            assert_eq!(
                log_filter(Some(bad)).unwrap_err().setting,
                "LOG_LEVEL",
                "{bad}"
            );
        }
    }
}
