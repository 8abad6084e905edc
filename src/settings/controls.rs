//! The operator controls' settings, read into [`Controls`]: each refused at start with one
//! line naming the setting (and, for `FILTER_RULES`, the rule).

use super::names;
use super::rules::{check_category, edit_distance};
use super::spec_of;
use super::table::{Reader, SettingsError, err};
use crate::controls::filter::{self, Field};
use crate::controls::select::Selector;
use crate::controls::{Controls, compile};

pub(super) fn controls<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<Controls, SettingsError> {
    let raw = |name| r.raw(spec_of(name));
    let selector = |name: &'static str| {
        raw(name)
            .map(|text| Selector::parse(&text).map_err(|e| err(name, e)))
            .transpose()
    };
    let blocking = raw(names::BLOCKING_PATTERN)
        .map(|p| {
            compile(&p, "").map_err(|e| {
                err(
                    names::BLOCKING_PATTERN,
                    format!("{p:?} is not a usable regex: {e}"),
                )
            })
        })
        .transpose()?;
    let rules = filter::parse(raw(names::FILTER_RULES).as_deref().unwrap_or(""))
        .map_err(|e| err(names::FILTER_RULES, e))?;
    for rule in &rules {
        for condition in &rule.conditions {
            match &condition.field {
                Field::Category => {
                    for value in &condition.values {
                        check_category(names::FILTER_RULES, value)?;
                    }
                }
                // A bare name is a member of `properties`; one a letter or two away from
                // `category` or `result` is a misspelling that would never match.
                Field::Path(path) => check_bare_name(&path.dotted())?,
                Field::Result => {}
            }
        }
    }
    Ok(Controls {
        application: selector(names::APPLICATION_SELECTOR)?,
        subsystem: selector(names::SUBSYSTEM_SELECTOR)?,
        blocking,
        rules,
        include_metadata: r.bool(spec_of(names::INCLUDE_METADATA))?,
    })
}

fn check_bare_name(dotted: &str) -> Result<(), SettingsError> {
    let Some(name) = dotted.strip_prefix("properties.") else {
        return Ok(());
    };
    let lower = name.to_ascii_lowercase();
    match ["category", "result"]
        .into_iter()
        .find(|w| edit_distance(&lower, w) <= 2)
    {
        Some(meant) => Err(err(
            names::FILTER_RULES,
            format!(
                "{name:?} is read as properties.{name}: did you mean {meant}? (write properties.{name} for that member)"
            ),
        )),
        None => Ok(()),
    }
}
