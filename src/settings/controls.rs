//! The operator controls' settings, read into [`Controls`]: each refused at start with one
//! line naming the setting (and, for `FILTER_RULES`, the rule).

use super::names;
use super::rules::check_category;
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
        for condition in rule
            .conditions
            .iter()
            .filter(|c| c.field == Field::Category)
        {
            for value in &condition.values {
                check_category(names::FILTER_RULES, value)?;
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
