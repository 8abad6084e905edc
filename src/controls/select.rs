//! `CORALOGIX_APPLICATION_SELECTOR` and `CORALOGIX_SUBSYSTEM_SELECTOR`: the incumbent Coralogix
//! Event Hub function's selector syntax, so that its users' settings keep working (what that
//! syntax is: `docs/coralogix-api.md#the-coralogix-event-hub-functions-settings`).
//!
//! A selector is one of:
//!
//! - a **template** `{{ expr }}` (the whole value): `expr` is a path (`$.a.b`, `body.a.b` or
//!   `a.b`, read from the record), or several joined by `||` (the first that gives a
//!   non-empty value wins), optionally followed by `| r'regex'` (or `r'regex/flags'`, flags
//!   `i`, `m`, `s`; `g`, `u`, `y`, `v` are accepted and change nothing): the regex's first
//!   capture group (or its whole match) is the name; when it does not match, the value is kept
//!   as it is; when it captures nothing, the selector gives nothing. `attributes.*` paths (the
//!   incumbent's OpenTelemetry attributes) exist in no record here and give nothing.
//! - a **regex** `/regex/`, run on the record's text (see [`super::record_text`]): its first
//!   capture group, or its whole match.
//! - any other text: that name for every record.
//!
//! A selector that gives nothing (or only whitespace) for a record falls back to the
//! handler's defaults (`CORALOGIX_APPLICATION`; `CORALOGIX_SUBSYSTEM` / the category), and the
//! invocation's summary counts it. Unlike the incumbent, which warns and ignores a bad regex,
//! a selector that cannot be used is refused at start.

use std::borrow::Cow;

use regex::Regex;

use super::path::Path;
use crate::limits::MAX_NAME_CHARS;

/// A parsed selector.
#[derive(Debug, Clone)]
pub enum Selector {
    /// `{{ expr || expr | r'regex' }}`.
    Template {
        /// The paths tried in order (`None`: an `attributes.*` path, which gives nothing).
        paths: Vec<Option<Path>>,
        /// The extraction applied to the value found.
        regex: Option<Regex>,
    },
    /// `/regex/` on the record's text.
    Regex(Regex),
    /// A name for every record.
    Static(String),
}

impl Selector {
    /// Parses a selector; the error says what is wrong (the caller names the setting).
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            return super::compile(&text[1..text.len() - 1], "")
                .map(Selector::Regex)
                .map_err(|e| format!("{text:?} is not a usable /regex/: {e}"));
        }
        if text.starts_with("{{") || text.ends_with("}}") {
            return template(text);
        }
        if text.chars().count() > MAX_NAME_CHARS {
            return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
        }
        Ok(Selector::Static(text.to_owned()))
    }

    /// Whether the selector runs on the record's text (and needs it computed).
    pub fn reads_text(&self) -> bool {
        matches!(self, Selector::Regex(_))
    }

    /// The name this selector gives `record` (its JSON, or its plain text when `json` is
    /// false); `None` when it gives nothing. `text` is the record's text for `/regex/`.
    pub fn select<'r>(&'r self, record: &'r str, json: bool, text: &str) -> Option<Cow<'r, str>> {
        let found = match self {
            Selector::Static(name) => return Some(Cow::Borrowed(name)),
            Selector::Regex(regex) => {
                let caps = regex.captures(text)?;
                let m = caps.get(1).or_else(|| caps.get(0))?;
                Cow::Owned(m.as_str().to_owned())
            }
            Selector::Template { paths, regex } => {
                let value = paths
                    .iter()
                    .flatten()
                    .filter(|_| json)
                    .filter_map(|p| p.lookup(record))
                    .find(|v| !v.is_empty())?;
                match regex.as_ref().and_then(|r| r.captures(&value)) {
                    None => value,
                    Some(caps) => {
                        let m = caps.get(1).or_else(|| caps.get(0))?;
                        Cow::Owned(m.as_str().to_owned())
                    }
                }
            }
        };
        Some(found).filter(|v| !v.trim().is_empty())
    }
}

/// `{{ expr || expr | r'regex/flags' }}`.
fn template(text: &str) -> Result<Selector, String> {
    let bad = |why: &str| {
        format!("{text:?} is not a template {{{{ $.path || $.other | r'regex' }}}}: {why}")
    };
    let inner = text
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .ok_or_else(|| bad("it must begin with {{ and end with }}"))?
        .trim();
    // The regex part: the first `|` (not `||`) followed by r' or r", to a quote at the end.
    let (expression, regex) = match regex_part(inner) {
        Some((expression, pattern)) => {
            let (pattern, flags) = match pattern.rfind('/') {
                Some(at) if pattern[at + 1..].chars().all(|c| "gimsuvy".contains(c)) => {
                    (&pattern[..at], &pattern[at + 1..])
                }
                _ => (pattern, ""),
            };
            let regex = super::compile(pattern, flags)
                .map_err(|e| bad(&format!("the regex {pattern:?} is not usable: {e}")))?;
            (expression, Some(regex))
        }
        None => (inner, None),
    };
    let mut paths = Vec::new();
    for expr in expression.split("||").map(str::trim) {
        if expr.is_empty() || expr.contains(char::is_whitespace) || expr.contains('|') {
            return Err(bad(&format!("{expr:?} is not a path such as $.category")));
        }
        paths.push(if expr.starts_with("attributes.") {
            None
        } else {
            Some(Path::parse(expr.strip_prefix("body.").unwrap_or(expr)))
        });
    }
    Ok(Selector::Template { paths, regex })
}

/// Splits `expr | r'pattern'` into the expression and the pattern.
fn regex_part(inner: &str) -> Option<(&str, &str)> {
    let bytes = inner.as_bytes();
    let quote = *bytes.last()?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'|' {
            if bytes.get(i + 1) == Some(&b'|') {
                i += 2;
                continue;
            }
            let rest = inner[i + 1..].trim_start();
            if let Some(p) = rest
                .strip_prefix("r'")
                .or_else(|| rest.strip_prefix("r\""))
                .filter(|p| !p.is_empty())
            {
                return Some((inner[..i].trim(), &p[..p.len() - 1]));
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNIN: &str = r#"{"category":"SignInLogs","resourceId":"/tenants/t1/providers/Microsoft.aadiam","properties":{"appDisplayName":"","appId":"app-1","userPrincipalName":"ann@contoso.com"}}"#;

    fn pick(selector: &str, record: &str) -> Option<String> {
        Selector::parse(selector)
            .unwrap()
            .select(record, true, record)
            .map(Cow::into_owned)
    }

    #[test]
    fn templates_read_paths_with_fallbacks() {
        assert_eq!(
            pick("{{ $.category }}", SIGNIN).as_deref(),
            Some("SignInLogs")
        );
        assert_eq!(pick("{{category}}", SIGNIN).as_deref(), Some("SignInLogs"));
        assert_eq!(
            pick("{{ body.properties.appId }}", SIGNIN).as_deref(),
            Some("app-1")
        );
        // An empty value falls through to the next path.
        assert_eq!(
            pick(
                "{{ $.properties.appDisplayName || $.properties.appId }}",
                SIGNIN
            )
            .as_deref(),
            Some("app-1")
        );
        assert_eq!(pick("{{ $.nothing || attributes.x }}", SIGNIN), None);
    }

    #[test]
    fn template_regexes_extract_or_keep_the_value() {
        let domain = "{{ $.properties.userPrincipalName | r'@([^.]+)' }}";
        assert_eq!(pick(domain, SIGNIN).as_deref(), Some("contoso"));
        // No match: the value as it is.
        assert_eq!(
            pick("{{ $.category | r'^Audit(.*)' }}", SIGNIN).as_deref(),
            Some("SignInLogs")
        );
        // Flags.
        assert_eq!(
            pick("{{ $.category | r\"^signin(.*)/i\" }}", SIGNIN).as_deref(),
            Some("Logs")
        );
        // A match that captures nothing: nothing.
        assert_eq!(pick("{{ $.category | r'^SignInLogs()' }}", SIGNIN), None);
    }

    #[test]
    fn regex_selectors_run_on_the_text() {
        assert_eq!(pick(r"/tenants\/([^\/]+)/", SIGNIN).as_deref(), Some("t1"));
        assert_eq!(pick("/aadiam/", SIGNIN).as_deref(), Some("aadiam"));
        assert_eq!(pick("/nomatch/", SIGNIN), None);
        let plain = Selector::parse("/^(\\w+)/").unwrap();
        assert_eq!(
            plain.select("hello world", false, "hello world").as_deref(),
            Some("hello")
        );
        // Templates read nothing from text records.
        let t = Selector::parse("{{ $.a }}").unwrap();
        assert_eq!(t.select("{\"a\":1}", false, ""), None);
    }

    #[test]
    fn static_names_and_refusals() {
        assert_eq!(pick("my-app", SIGNIN).as_deref(), Some("my-app"));
        for bad in [
            "{{ $.category",
            "$.category }}",
            "{{ }}",
            "{{ $.a || }}",
            "{{ $.a | r'(' }}",
            "/(?=look)/",
            "{{ $.a b }}",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
        assert!(Selector::parse(&"x".repeat(300)).is_err());
    }
}
