//! `FILTER_RULES`: which records to drop or sample, as `;`-separated rules read in order.
//!
//! ```text
//! keep userPrincipalName=breakglass@contoso.com;
//! drop category=NonInteractiveUserSignInLogs result=success appId=a,b;
//! sample 10% category=ServicePrincipalSignInLogs result=success
//! ```
//!
//! A rule is an action and conditions, all of which must hold (none: every record):
//!
//! - `drop`: the record is dropped.
//! - `keep`: the record is kept (an exception to the rules after it).
//! - `sample N%`: N percent of the records are kept (`0.01`–`100`, up to 4 decimals), the
//!   others dropped. Which ones is decided by a hash of the record's id, so a batch delivered
//!   again makes the same decisions (see [`sample_key`]).
//!
//! A condition is `field=value,value` (the field is one of the values) or `field!=value,value`
//! (it is none of them; a missing field is none of them). Values are compared ignoring ASCII
//! case; a value in double quotes may hold spaces, commas and semicolons. Fields:
//!
//! - `category`: the record's category as the handler reads it (`SignInLogs`, …; also
//!   `Uncategorized` and `Unparsed`).
//! - `result`: `success`, `failure` or `unknown`, as `DROP_SUCCESSFUL_CATEGORIES` decides it.
//! - a path with a dot or `$.` (`properties.appId`, `$.resultType`): that member of the record.
//! - any other name (`appId`, `userPrincipalName`, `operationName`): `properties.<name>`.
//!
//! The first rule whose conditions hold decides; a record no rule matches is kept.

use std::borrow::Cow;

use super::path::Path;
use crate::entra::Outcome;

/// The most rules `FILTER_RULES` may hold (each is counted on its own).
pub const MAX_RULES: usize = 32;

/// What a rule does to the records it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Drop them.
    Drop,
    /// Keep them.
    Keep,
    /// Keep this many parts per million of them.
    Sample(u32),
}

/// What a condition reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The category.
    Category,
    /// Success, failure or unknown.
    Result,
    /// A member of the record.
    Path(Path),
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// What is read.
    pub field: Field,
    /// `!=` rather than `=`.
    pub negated: bool,
    /// The values, any of which matches.
    pub values: Vec<String>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What it does.
    pub action: Action,
    /// What must hold.
    pub conditions: Vec<Condition>,
}

/// What a rule is asked about a record.
pub struct Facts<'r> {
    /// The record's JSON, or `None` for a record that is not JSON.
    pub json: Option<&'r str>,
    /// Its (pseudo-)category.
    pub category: &'r str,
    /// Its outcome.
    pub outcome: Outcome,
}

impl Rule {
    /// Whether every condition holds for the record.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.conditions.iter().all(|c| {
            let value: Option<Cow<'_, str>> = match &c.field {
                Field::Category => Some(Cow::Borrowed(facts.category)),
                Field::Result => Some(Cow::Borrowed(match facts.outcome {
                    Outcome::Success => "success",
                    Outcome::Failure => "failure",
                    Outcome::Unknown => "unknown",
                })),
                Field::Path(path) => facts.json.and_then(|j| path.lookup(j)),
            };
            let listed = value.is_some_and(|v| c.values.iter().any(|w| w.eq_ignore_ascii_case(&v)));
            listed != c.negated
        })
    }
}

/// Parses `FILTER_RULES`; the error names the rule at fault (the caller names the setting).
pub fn parse(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for words in split_rules(text)? {
        if words.is_empty() {
            continue;
        }
        let shown = words.join(" ");
        let rule = parse_rule(&words).map_err(|why| format!("rule {shown:?}: {why}"))?;
        rules.push(rule);
    }
    if rules.len() > MAX_RULES {
        return Err(format!("has {} rules; at most {MAX_RULES}", rules.len()));
    }
    Ok(rules)
}

/// The rules as lists of words: `;` (or a new line) ends a rule, whitespace ends a word, and
/// double quotes keep both inside a word (the quotes stay, for values to be read).
fn split_rules(text: &str) -> Result<Vec<Vec<String>>, String> {
    let (mut rules, mut words, mut word) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            _ if quoted => word.push(c),
            ';' | '\n' => {
                words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
                rules.push(std::mem::take(&mut words));
            }
            c if c.is_whitespace() => {
                words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err(format!("a double quote is not closed in {:?}", text.trim()));
    }
    words.extend((!word.is_empty()).then_some(word));
    rules.push(words);
    Ok(rules)
}

fn parse_rule(words: &[String]) -> Result<Rule, String> {
    let (action, rest) = match words[0].to_ascii_lowercase().as_str() {
        "drop" => (Action::Drop, &words[1..]),
        "keep" => (Action::Keep, &words[1..]),
        "sample" => {
            let pct = words
                .get(1)
                .ok_or("sample needs a percentage, as in `sample 10% category=…`")?;
            (Action::Sample(percent(pct)?), &words[2..])
        }
        other => return Err(format!("{other:?} is not drop, keep or sample")),
    };
    let conditions = rest
        .iter()
        .map(|w| condition(w))
        .collect::<Result<_, _>>()?;
    Ok(Rule { action, conditions })
}

/// `12.5%` as parts per million.
fn percent(word: &str) -> Result<u32, String> {
    let bad = || format!("{word:?} is not a percentage from 0.0001% to 100% such as 10%");
    let number = word.strip_suffix('%').ok_or_else(bad)?;
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || frac.len() > 4
        || !(whole.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
    let ppm = whole
        .checked_mul(10_000)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)?;
    if ppm == 0 || ppm > 1_000_000 {
        return Err(bad());
    }
    Ok(ppm)
}

fn condition(word: &str) -> Result<Condition, String> {
    let (name, negated, values) = match word.split_once("!=") {
        Some((name, values)) => (name, true, values),
        None => match word.split_once('=') {
            Some((name, values)) => (name, false, values),
            None => {
                return Err(format!(
                    "{word:?} is not a condition field=value,value or field!=value"
                ));
            }
        },
    };
    let name = name.trim();
    if name.is_empty() || name.contains('"') {
        return Err(format!("{word:?} has no field name before the ="));
    }
    let values = split_values(values).ok_or_else(|| format!("{word:?} has an empty value"))?;
    let field = match name.to_ascii_lowercase().as_str() {
        "category" => Field::Category,
        "result" => {
            if let Some(v) = values.iter().find(|v| {
                !["success", "failure", "unknown"].contains(&v.to_ascii_lowercase().as_str())
            }) {
                return Err(format!("result is success, failure or unknown, not {v:?}"));
            }
            Field::Result
        }
        _ if name.contains('.') => Field::Path(Path::parse(name)),
        _ => Field::Path(Path::parse(&format!("properties.{name}"))),
    };
    Ok(Condition {
        field,
        negated,
        values,
    })
}

/// `a,"b, c",d`: values, each non-empty; `None` when one is empty.
fn split_values(text: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let (mut value, mut quoted, mut was_quoted) = (String::new(), false, false);
    for c in text.chars().chain([',']) {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => {
                if value.is_empty() && !was_quoted {
                    return None;
                }
                values.push(std::mem::take(&mut value));
                was_quoted = false;
            }
            c => value.push(c),
        }
    }
    Some(values)
}

/// What identifies a record for sampling: its own id (`properties.id`, else
/// `properties.requestId`, as the handler reads it), else its `correlationId`, else its bytes.
pub fn sample_key<'r>(id: Option<&'r str>, record: &'r str, json: bool) -> Cow<'r, str> {
    if let Some(id) = id.filter(|id| !id.is_empty()) {
        return Cow::Borrowed(id);
    }
    let correlation = json
        .then(|| Path::parse("correlationId").lookup(record))
        .flatten()
        .filter(|c| !c.is_empty());
    correlation.unwrap_or(Cow::Borrowed(record))
}

/// Whether a sample of `ppm` parts per million keeps the record identified by `key`: a 64-bit
/// FNV-1a hash of the key, mixed by SplitMix64's finalizer, taken modulo a million. Both are
/// fixed, public algorithms, so the decision is the same on every machine and in every build
/// (unlike `std`'s `DefaultHasher`, whose algorithm may change between Rust releases).
pub fn sampled_in(key: &str, ppm: u32) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h % 1_000_000) < u64::from(ppm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(json: &'a str, category: &'a str, outcome: Outcome) -> Facts<'a> {
        Facts {
            json: Some(json),
            category,
            outcome,
        }
    }

    #[test]
    fn the_documented_example_parses() {
        let rules = parse(
            "keep userPrincipalName=\"break glass@contoso.com\"; \
             drop category=NonInteractiveUserSignInLogs result=success appId=a,b;\n\
             sample 12.5% category=ServicePrincipalSignInLogs result!=failure;;",
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].action, Action::Keep);
        assert_eq!(rules[0].conditions[0].values, ["break glass@contoso.com"]);
        assert_eq!(
            rules[0].conditions[0].field,
            Field::Path(Path::parse("properties.userPrincipalName"))
        );
        assert_eq!(rules[1].conditions[2].values, ["a", "b"]);
        assert_eq!(rules[2].action, Action::Sample(125_000));
        assert!(rules[2].conditions[1].negated);
        assert!(parse("").unwrap().is_empty());
        assert_eq!(
            parse("sample 100%").unwrap()[0].action,
            Action::Sample(1_000_000)
        );
        assert_eq!(
            parse("sample 0.0001%").unwrap()[0].action,
            Action::Sample(1)
        );
    }

    #[test]
    fn bad_rules_are_refused_with_the_rule_named() {
        for bad in [
            "delete category=AuditLogs",
            "drop category",
            "drop =x",
            "drop category=",
            "drop appId=a,,b",
            "sample",
            "sample 10",
            "sample 0%",
            "sample 101%",
            "sample 1.23456%",
            "sample x%",
            "drop result=ok",
            "drop appId=\"open",
        ] {
            let e = parse(&format!("keep category=AuditLogs; {bad}")).unwrap_err();
            assert!(e.contains("rule") || e.contains("quote"), "{bad}: {e}");
        }
        let many = vec!["drop category=A"; MAX_RULES + 1].join(";");
        assert!(parse(&many).unwrap_err().contains("at most"));
    }

    #[test]
    fn conditions_match_fields_paths_and_negations() {
        let json = r#"{"category":"SignInLogs","resultType":"0","properties":{"appId":"A","userPrincipalName":"ann@x"}}"#;
        let rec = facts(json, "SignInLogs", Outcome::Success);
        let first = |rules: &str| {
            parse(rules)
                .unwrap()
                .into_iter()
                .position(|r| r.matches(&rec))
        };
        assert_eq!(
            first("drop category=signinlogs result=success appId=a"),
            Some(0)
        );
        assert_eq!(first("drop category=AuditLogs; drop appId=B,a"), Some(1));
        assert_eq!(
            first("drop result=failure; drop appId!=a; drop $.resultType=0"),
            Some(2)
        );
        assert_eq!(first("drop properties.missing=x"), None);
        assert_eq!(first("drop missing!=x"), Some(0));
        assert_eq!(first("drop"), Some(0));
        let text = Facts {
            json: None,
            category: "Unparsed",
            outcome: Outcome::Unknown,
        };
        assert!(parse("drop category=Unparsed appId!=x").unwrap()[0].matches(&text));
    }

    #[test]
    fn sampling_is_deterministic_and_near_its_rate() {
        let kept = (0..20_000)
            .filter(|i| sampled_in(&format!("00000000-0000-0000-0000-{i:012}"), 100_000))
            .count();
        assert!((1_700..2_300).contains(&kept), "{kept} of 20000 at 10%");
        assert_eq!(sampled_in("id-1", 500_000), sampled_in("id-1", 500_000));
        assert!(sampled_in("anything", 1_000_000));
        assert_eq!(sample_key(Some("id"), "{}", true), "id");
        assert_eq!(sample_key(None, r#"{"correlationId":"c"}"#, true), "c");
        assert_eq!(sample_key(None, "text", false), "text");
    }
}
