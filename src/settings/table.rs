//! The one table of settings: each setting's name, default, and the kind of value it takes,
//! which decides how it is read, its range and the line an invalid value gets. The README's
//! Configuration table and the ARM template are checked against it
//! (`tests/settings_contract.rs`).

use std::fmt;
use std::time::Duration;

/// One setting.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The environment variable (app setting).
    pub name: &'static str,
    /// What it is when not set.
    pub default: Default,
    /// How it is read and checked.
    pub kind: Kind,
    /// Set by the Functions host, not by the user (not in the README's table).
    pub by_host: bool,
}

/// What a setting is when it is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// This value, read as if it had been set.
    Value(&'static str),
    /// Computed at start; the text says how (as the README shows it).
    Computed(&'static str),
    /// Nothing: optional, or required where the mode needs it (the text says which).
    None(&'static str),
}

impl Default {
    /// The default as the README's table shows it.
    pub fn readme_text(&self) -> String {
        match self {
            Default::Value(v) => format!("`{v}`"),
            Default::Computed(t) | Default::None(t) => (*t).to_owned(),
        }
    }
}

/// The kind of value a setting takes.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// The API key: visible ASCII only.
    Secret,
    /// A name written into entries: at most `MAX_NAME_CHARS` characters.
    Name,
    /// Free text checked elsewhere (a domain, a URL, a list, a map, a filter).
    Text,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`), any case.
    Bool,
    /// A number of seconds, fractions allowed, from `min` to `max`.
    #[allow(missing_docs)]
    Seconds { min: f64, max: f64 },
    /// A whole number of milliseconds, from `min` to `max`.
    #[allow(missing_docs)]
    Millis { min: u64, max: u64 },
    /// A whole number of `unit` (`_` separators allowed), from `min` to `max`.
    #[allow(missing_docs)]
    Count {
        min: u64,
        max: u64,
        unit: &'static str,
    },
    /// One of these words, any case.
    Choice(&'static [&'static str]),
}

/// A setting that cannot be used, as one line naming it. The value is shown only when it is
/// not secret.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct SettingsError {
    /// The setting (or file) at fault.
    pub setting: &'static str,
    /// What is wrong, and what would be right.
    pub message: String,
}

pub(crate) fn err(setting: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        setting,
        message: message.into(),
    }
}

impl fmt::Display for Kind {
    /// What a valid value is, for the error line: "a number of seconds from 1 to 86400".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Secret => f.write_str("visible ASCII characters"),
            Kind::Name => write!(
                f,
                "a name of at most {} characters",
                crate::limits::MAX_NAME_CHARS
            ),
            Kind::Text => f.write_str("text"),
            Kind::Bool => f.write_str("true or false"),
            Kind::Seconds { min, max } => write!(f, "a number of seconds from {min} to {max}"),
            Kind::Millis { min, max } => {
                write!(f, "a whole number of milliseconds from {min} to {max}")
            }
            Kind::Count { min, max, unit } => {
                write!(f, "a whole number of {unit} from {min} to {max}")
            }
            Kind::Choice(words) => write!(f, "one of {}", words.join(", ")),
        }
    }
}

/// Reads settings from a lookup: empty values count as unset, because ARM templates and the
/// portal write empty strings for "not set".
pub(crate) struct Reader<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    pub(crate) fn new(lookup: F) -> Self {
        Reader { lookup }
    }

    /// The value as set (trimmed), `None` when unset or empty.
    pub(crate) fn raw(&self, spec: &Spec) -> Option<String> {
        (self.lookup)(spec.name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value as set, or the default's value.
    fn text(&self, spec: &Spec) -> Option<String> {
        self.raw(spec).or(match spec.default {
            Default::Value(v) => Some(v.to_owned()),
            _ => None,
        })
    }

    fn invalid(&self, spec: &Spec, value: &str) -> SettingsError {
        err(spec.name, format!("{value:?} is not {}", spec.kind))
    }

    pub(crate) fn bool(&self, spec: &Spec) -> Result<bool, SettingsError> {
        debug_assert!(matches!(spec.kind, Kind::Bool));
        let value = self.text(spec).unwrap_or_default();
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(self.invalid(spec, &value)),
        }
    }

    pub(crate) fn duration(&self, spec: &Spec) -> Result<Option<Duration>, SettingsError> {
        let Some(value) = self.text(spec) else {
            return Ok(None);
        };
        let parsed = match spec.kind {
            Kind::Seconds { min, max } => value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (min..=max).contains(s))
                .map(Duration::from_secs_f64),
            Kind::Millis { min, max } => value
                .replace('_', "")
                .parse::<u64>()
                .ok()
                .filter(|ms| (min..=max).contains(ms))
                .map(Duration::from_millis),
            _ => unreachable!("{} is not a duration", spec.name),
        };
        parsed.map(Some).ok_or_else(|| self.invalid(spec, &value))
    }

    pub(crate) fn count(&self, spec: &Spec) -> Result<Option<u64>, SettingsError> {
        let Kind::Count { min, max, .. } = spec.kind else {
            unreachable!("{} is not a count", spec.name)
        };
        let Some(value) = self.text(spec) else {
            return Ok(None);
        };
        value
            .replace('_', "")
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| self.invalid(spec, &value))
    }

    /// The chosen word, lower-cased.
    pub(crate) fn choice(&self, spec: &Spec) -> Result<Option<String>, SettingsError> {
        let Kind::Choice(words) = spec.kind else {
            unreachable!("{} is not a choice", spec.name)
        };
        let Some(value) = self.text(spec) else {
            return Ok(None);
        };
        words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(&value))
            .map(|w| Some(w.to_ascii_lowercase()))
            .ok_or_else(|| self.invalid(spec, &value))
    }

    pub(crate) fn name(&self, spec: &Spec) -> Result<Option<String>, SettingsError> {
        match self.text(spec) {
            Some(v) if v.chars().count() > crate::limits::MAX_NAME_CHARS => Err(err(
                spec.name,
                format!(
                    "is longer than {} characters",
                    crate::limits::MAX_NAME_CHARS
                ),
            )),
            other => Ok(other),
        }
    }
}
