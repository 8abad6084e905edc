//! Operator controls: what to send (`BLOCKING_PATTERN`, `FILTER_RULES`), under which names
//! (`CORALOGIX_APPLICATION_SELECTOR`, `CORALOGIX_SUBSYSTEM_SELECTOR`), and with what added
//! (`INCLUDE_METADATA`).
//!
//! Parsed once at start into [`Controls`] (part of the settings); applied to each record by an
//! [`Applier`] that the pipeline's builder holds only when a control is configured, so that
//! without controls the hot path does no extra work. Every record a control drops is counted,
//! per control, in [`ControlCounts`] (part of the invocation's summary).
//!
//! Order per record, after `DROP_CATEGORIES` / `DROP_SUCCESSFUL_CATEGORIES`: the blocking
//! pattern, then the filter rules, then (for records kept) the selectors and the metadata.

pub mod filter;
pub mod metadata;
pub mod path;
pub mod select;

use std::borrow::Cow;
use std::fmt;

use regex::{Regex, RegexBuilder};

use crate::entra::{Outcome, Timestamp};
use crate::host::{EventMeta, Partition};
use filter::{Action, Facts, MAX_RULES, Rule};
use metadata::Origin;
use select::Selector;

/// The most memory one compiled regex may take (`regex`'s size limit): far more than any
/// sensible pattern needs, and a refusal at start for a pattern that would be huge.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a pattern of the `regex` crate's syntax (linear-time matching: no backreferences
/// or look-around), with JavaScript-style `flags` (`i`, `m`, `s`; others change nothing here).
pub fn compile(pattern: &str, flags: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => {
                format!("it compiles to more than {REGEX_SIZE_LIMIT} bytes; simplify it")
            }
            // The parser's message spans lines (the pattern, a caret, the reason).
            other => other
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        })
}

/// The text patterns are run on, as the incumbent builds it: a JSON record without the
/// whitespace between its tokens (JavaScript's `JSON.stringify` of the parsed record; escapes
/// inside strings stay as the record has them), a text record as it is.
pub fn record_text(record: &str, json: bool) -> Cow<'_, str> {
    if !json {
        return Cow::Borrowed(record);
    }
    let bytes = record.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    let mut out: Option<Vec<u8>> = None;
    for (i, &b) in bytes.iter().enumerate() {
        let keep = if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            true
        } else if b == b'"' {
            in_string = true;
            true
        } else {
            !crate::json::is_ws(b)
        };
        match (&mut out, keep) {
            (Some(out), true) => out.push(b),
            (None, false) => out = Some(bytes[..i].to_vec()),
            _ => {}
        }
    }
    match out {
        // Only ASCII whitespace was removed, between tokens: still UTF-8.
        Some(out) => Cow::Owned(String::from_utf8(out).unwrap_or_default()),
        None => Cow::Borrowed(record),
    }
}

/// The operator's controls, as configured.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    /// `CORALOGIX_APPLICATION_SELECTOR`.
    pub application: Option<Selector>,
    /// `CORALOGIX_SUBSYSTEM_SELECTOR`.
    pub subsystem: Option<Selector>,
    /// `BLOCKING_PATTERN`.
    pub blocking: Option<Regex>,
    /// `FILTER_RULES`.
    pub rules: Vec<Rule>,
    /// `INCLUDE_METADATA`.
    pub include_metadata: bool,
}

impl Controls {
    /// True when no control is configured (the builder then skips them entirely).
    pub fn is_empty(&self) -> bool {
        self.application.is_none()
            && self.subsystem.is_none()
            && self.blocking.is_none()
            && self.rules.is_empty()
            && !self.include_metadata
    }

    /// The controls in force, for the start-up log line: `application selector, 3 filter
    /// rules, metadata`.
    pub fn describe(&self) -> String {
        let rules = format!("{} filter rules", self.rules.len());
        [
            (self.application.is_some(), "application selector"),
            (self.subsystem.is_some(), "subsystem selector"),
            (self.blocking.is_some(), "blocking pattern"),
            (!self.rules.is_empty(), rules.as_str()),
            (self.include_metadata, "metadata"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, what)| *what)
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// What the controls did in an invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControlCounts {
    /// Records dropped by `DROP_CATEGORIES`.
    pub drop_categories: usize,
    /// Records dropped by `DROP_SUCCESSFUL_CATEGORIES`.
    pub drop_successful: usize,
    /// Records dropped by `BLOCKING_PATTERN`.
    pub blocked: usize,
    /// Records dropped by each rule of `FILTER_RULES` (sampled out, for `sample`), in order.
    pub by_rule: [u32; MAX_RULES],
    /// Records the application selector gave nothing for (named by the default instead).
    pub application_fallback: usize,
    /// Records the subsystem selector gave nothing for (named by the default instead).
    pub subsystem_fallback: usize,
}

impl std::ops::AddAssign for ControlCounts {
    fn add_assign(&mut self, o: ControlCounts) {
        self.drop_categories += o.drop_categories;
        self.drop_successful += o.drop_successful;
        self.blocked += o.blocked;
        for (mine, theirs) in self.by_rule.iter_mut().zip(o.by_rule) {
            *mine = mine.saturating_add(theirs);
        }
        self.application_fallback += o.application_fallback;
        self.subsystem_fallback += o.subsystem_fallback;
    }
}

impl ControlCounts {
    /// `drop_categories:5,blocking_pattern:3,rule2:40`: the records each control dropped
    /// (rules numbered from 1 in `FILTER_RULES` order; controls that dropped nothing left
    /// out), so that `dropped` is accounted for rule by rule.
    pub fn dropped_by(&self) -> String {
        let mut drops = Vec::new();
        if self.drop_categories > 0 {
            drops.push(format!("drop_categories:{}", self.drop_categories));
        }
        if self.drop_successful > 0 {
            drops.push(format!(
                "drop_successful_categories:{}",
                self.drop_successful
            ));
        }
        if self.blocked > 0 {
            drops.push(format!("blocking_pattern:{}", self.blocked));
        }
        for (i, n) in self.by_rule.iter().enumerate().filter(|(_, n)| **n > 0) {
            drops.push(format!("rule{}:{n}", i + 1));
        }
        drops.join(",")
    }

    /// `application:1,subsystem:2`: the records each selector gave nothing for.
    pub fn selector_fallback(&self) -> String {
        [
            ("application", self.application_fallback),
            ("subsystem", self.subsystem_fallback),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}:{n}"))
        .collect::<Vec<_>>()
        .join(",")
    }
}

impl fmt::Display for ControlCounts {
    /// ` dropped_by=… selector_fallback=…` for the summary line, each part only when not
    /// empty; nothing when the controls did nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in [
            ("dropped_by", self.dropped_by()),
            ("selector_fallback", self.selector_fallback()),
        ] {
            if !value.is_empty() {
                write!(f, " {key}={value}")?;
            }
        }
        Ok(())
    }
}

/// One record, as the controls see it.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'r> {
    /// The record's JSON, or its text.
    pub text: &'r str,
    /// Whether `text` is JSON.
    pub json: bool,
    /// Its (pseudo-)category.
    pub category: &'r str,
    /// Its outcome.
    pub outcome: Outcome,
    /// Its own id, when it has one.
    pub id: Option<&'r str>,
    /// Its own time, when it has one.
    pub time: Option<Timestamp>,
}

/// Applies the controls to one record after another, reusing its buffers.
#[derive(Debug)]
pub struct Applier<'c> {
    controls: &'c Controls,
    origin: Origin,
    application: Option<String>,
    subsystem: Option<String>,
    text: Option<String>,
    spare: Vec<String>,
}

impl<'c> Applier<'c> {
    /// An applier, or `None` when no control is configured.
    pub fn new(controls: &'c Controls) -> Option<Self> {
        (!controls.is_empty()).then(|| Applier {
            controls,
            origin: Origin::default(),
            application: None,
            subsystem: None,
            text: None,
            spare: Vec::new(),
        })
    }

    /// The records that follow come from this event (for `INCLUDE_METADATA`).
    pub fn set_origin(&mut self, partition: &Partition, event: &EventMeta) {
        if self.controls.include_metadata {
            self.origin.set(partition, event);
        }
    }

    /// The records that follow belong to an event enqueued at `enqueued` (when known).
    pub fn begin_event(&mut self, enqueued: Option<Timestamp>) {
        self.origin.set_fallback(enqueued);
    }

    /// The event is done.
    pub fn end_event(&mut self) {
        self.origin.clear();
    }

    /// Applies the controls to `record`: false when it is dropped (and counted in `counts`);
    /// when true, [`Self::application`], [`Self::subsystem`] and [`Self::text`] give what to
    /// send.
    pub fn apply(&mut self, record: &RecordView<'_>, counts: &mut ControlCounts) -> bool {
        for buffer in [
            self.application.take(),
            self.subsystem.take(),
            self.text.take(),
        ]
        .into_iter()
        .flatten()
        {
            self.spare.push(buffer);
        }
        let c = self.controls;
        let needs_text = c.blocking.is_some()
            || c.application.as_ref().is_some_and(Selector::reads_text)
            || c.subsystem.as_ref().is_some_and(Selector::reads_text);
        let text = if needs_text {
            record_text(record.text, record.json)
        } else {
            Cow::Borrowed("")
        };
        if c.blocking.as_ref().is_some_and(|b| b.is_match(&text)) {
            counts.blocked += 1;
            return false;
        }
        let facts = Facts {
            json: record.json.then_some(record.text),
            category: record.category,
            outcome: record.outcome,
        };
        for (i, rule) in c.rules.iter().enumerate() {
            if !rule.matches(&facts) {
                continue;
            }
            let keep = match rule.action {
                Action::Drop => false,
                Action::Keep => true,
                Action::Sample(ppm) => {
                    let key = filter::sample_key(record.id, record.text, record.json);
                    filter::sampled_in(&key, ppm)
                }
            };
            if !keep {
                counts.by_rule[i] += 1;
                return false;
            }
            break;
        }
        for (selector, slot, fallbacks) in [
            (
                &c.application,
                &mut self.application,
                &mut counts.application_fallback,
            ),
            (
                &c.subsystem,
                &mut self.subsystem,
                &mut counts.subsystem_fallback,
            ),
        ] {
            let Some(selector) = selector else { continue };
            match selector.select(record.text, record.json, &text) {
                Some(name) => {
                    let mut buffer = self.spare.pop().unwrap_or_default();
                    buffer.clear();
                    buffer.push_str(&name);
                    *slot = Some(buffer);
                }
                None => *fallbacks += 1,
            }
        }
        if c.include_metadata && record.json {
            let mut buffer = self.spare.pop().unwrap_or_default();
            if self.origin.enrich(record.text, record.time, &mut buffer) {
                self.text = Some(buffer);
            } else {
                self.spare.push(buffer);
            }
        }
        true
    }

    /// The application name of the record last applied: the selector's, or `default`.
    pub fn application<'a>(&'a self, default: &'a str) -> &'a str {
        self.application.as_deref().unwrap_or(default)
    }

    /// The subsystem name of the record last applied: the selector's, or `default`.
    pub fn subsystem<'a>(&'a self, default: &'a str) -> &'a str {
        self.subsystem.as_deref().unwrap_or(default)
    }

    /// The text of the record last applied: with the metadata added, or `original`.
    pub fn text<'a>(&'a self, original: &'a str) -> &'a str {
        self.text.as_deref().unwrap_or(original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_text_is_compact_json_or_the_text() {
        assert!(matches!(
            record_text(r#"{"a":"b c"}"#, true),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            record_text("{ \"a\" : \"b \\\" c\",\n \"d\": [1, 2] }", true),
            r#"{"a":"b \" c","d":[1,2]}"#
        );
        assert_eq!(record_text("free text  here", false), "free text  here");
    }

    #[test]
    fn regexes_are_refused_with_a_reason() {
        assert!(compile("a(", "").unwrap_err().contains("unclosed"));
        assert!(
            compile(r"(\w{100}){100}", "")
                .unwrap_err()
                .contains("more than")
        );
        assert!(compile("abc", "i").unwrap().is_match("ABC"));
    }

    #[test]
    fn counts_print_only_what_happened() {
        let mut c = ControlCounts::default();
        assert_eq!(c.to_string(), "");
        c.blocked = 2;
        c.by_rule[1] = 5;
        c.subsystem_fallback = 1;
        let mut total = ControlCounts::default();
        total += c;
        total += c;
        assert_eq!(
            total.to_string(),
            " dropped_by=blocking_pattern:4,rule2:10 selector_fallback=subsystem:2"
        );
    }
}
