//! Privacy masking: personal data is masked in every record before anything is built from
//! it, so nothing shipped (an entry's text, its tenant and id fields, the parts of a large
//! record, an `Unparsed` text, a dead-letter blob) holds it.
//!
//! Two things are masked, as the operator chooses:
//!
//! - **Named fields** (`MASK_FIELDS`): dotted paths such as `properties.userPrincipalName` or
//!   `targetResources[].userPrincipalName`. A path matches a field whose path *ends* with it
//!   (names compared without case, array levels ignored), at any depth, inside arrays and
//!   inside JSON held in a string: `userPrincipalName` masks every field of that name,
//!   `initiatedBy.user.userPrincipalName` the one under `properties` of an audit record. The
//!   whole value is replaced (an object or array too); `null` stays `null`.
//! - **Values** (`MASK_VALUES`): IP addresses (v4 and v6) and e-mail addresses (which UPNs
//!   are) wherever they appear in a string, keys included.
//!
//! A masked value becomes `[masked]` (`MASK_MODE=replace`) or a pseudonym
//! (`MASK_MODE=pseudonymize`): `pii:` and 16 hex digits of HMAC-SHA256 under
//! `PSEUDONYMIZE_KEY`, computed on a canonical form (IP addresses as the standard library
//! writes them, e-mail addresses in lower case), so one user gets one pseudonym everywhere.
//! Masking what is already masked changes nothing, so a dead-letter blob can be replayed
//! through masking again.
//!
//! Cost: a record is rewritten only when a cheap check (a regular expression over its text)
//! says it may hold something to mask; it is then walked once, and copied unchanged except the
//! masked values. Without masking settings nothing of this runs.
//!
//! ```
//! use entra_coralogix::privacy::{FieldPath, Masker, Mode};
//!
//! let m = Masker::new(
//!     vec![FieldPath::parse("identity").unwrap()],
//!     true,
//!     true,
//!     Mode::Replace,
//! )
//! .unwrap();
//! let record = r#"{"identity":"Avery","callerIpAddress":"203.0.113.7","properties":{"upn":"a@contoso.com"}}"#;
//! let masked = m.mask_json(record).unwrap();
//! assert_eq!(
//!     masked.text,
//!     r#"{"identity":"[masked]","callerIpAddress":"[masked]","properties":{"upn":"[masked]"}}"#
//! );
//! assert_eq!(masked.count, 3);
//! ```

mod text;
mod token;
mod walk;

use regex::Regex;

pub use token::{MARKER, MIN_KEY_CHARS, Mode, PSEUDONYM_HEX, PSEUDONYM_PREFIX, PseudonymKey};

/// A named field to mask (`MASK_FIELDS`): the path's names, array levels dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(Vec<String>);

impl FieldPath {
    /// Reads `a.b[].c` (also `a.b[*].c`, `a.b[0].c`: any array level is ignored). The error
    /// says what is wrong with the path.
    pub fn parse(path: &str) -> Result<Self, String> {
        let mut names = Vec::new();
        for segment in path.trim().split('.') {
            let name = segment.split('[').next().unwrap_or_default().trim();
            let rest = &segment[segment.find('[').unwrap_or(segment.len())..];
            let brackets_ok = rest.is_empty()
                || rest
                    .split_inclusive(']')
                    .all(|b| b.starts_with('[') && b.ends_with(']'));
            if name.is_empty()
                || !brackets_ok
                || name.contains(['"', '\\', ' ', ',', '=', ']', '*'])
            {
                return Err(format!(
                    "{path:?} is not a field path such as properties.userPrincipalName or targetResources[].userPrincipalName"
                ));
            }
            names.push(name.to_owned());
        }
        Ok(FieldPath(names))
    }

    /// True when the field at `path` (its keys from the record's root) ends with this path.
    fn matches(&self, path: &[impl AsRef<str>]) -> bool {
        path.len() >= self.0.len()
            && path[path.len() - self.0.len()..]
                .iter()
                .zip(&self.0)
                .all(|(a, b)| a.as_ref().eq_ignore_ascii_case(b))
    }

    /// The last name, which a record must contain for the path to match.
    fn leaf(&self) -> &str {
        self.0.last().expect("a path has at least one name")
    }
}

/// What masking did to one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    /// The text with its values masked.
    pub text: String,
    /// How many values were masked.
    pub count: usize,
}

/// Masks records as the settings say; built once at start.
#[derive(Debug, Clone)]
pub struct Masker {
    fields: Vec<FieldPath>,
    /// A record holding none of the fields' last names needs no walk for them.
    field_names: Option<Regex>,
    finder: text::Finder,
    mode: Mode,
}

impl Masker {
    /// A masker for `fields` and, if asked, IP and e-mail addresses; `None` when there is
    /// nothing to mask.
    pub fn new(fields: Vec<FieldPath>, ip: bool, email: bool, mode: Mode) -> Option<Self> {
        if fields.is_empty() && !ip && !email {
            return None;
        }
        let mut leaves: Vec<&str> = fields.iter().map(FieldPath::leaf).collect();
        leaves.sort_unstable_by_key(|l| l.to_ascii_lowercase());
        leaves.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let field_names = (!leaves.is_empty()).then(|| {
            let alts: Vec<String> = leaves.iter().map(|l| regex::escape(l)).collect();
            Regex::new(&format!(r#"(?i)"(?:{})\\*""#, alts.join("|")))
                .expect("escaped names make a valid pattern")
        });
        Some(Masker {
            finder: text::Finder::new(ip, email, &leaves),
            fields,
            field_names,
            mode,
        })
    }

    /// The JSON text `json` with its personal data masked, or `None` when it holds none.
    /// Text that turns out not to be JSON is masked as text ([`Masker::mask_text`]).
    pub fn mask_json(&self, json: &str) -> Option<Masked> {
        let named = self
            .field_names
            .as_ref()
            .is_some_and(|re| re.is_match(json));
        if !named && !self.finder.may_hold_values(json) {
            return None;
        }
        let mut walk = walk::Walk::new(self, json.len());
        match walk.document(json, &mut Vec::new(), 0) {
            Ok(()) if walk.count > 0 => Some(Masked {
                text: walk.out,
                count: walk.count,
            }),
            Ok(()) => None,
            Err(_) => self.mask_text(json),
        }
    }

    /// Text that is not JSON (an `Unparsed` record) with its personal data masked, or `None`
    /// when it holds none: `"name": value` pairs of the named fields' last names, then IP and
    /// e-mail addresses.
    pub fn mask_text(&self, text: &str) -> Option<Masked> {
        let mut count = 0;
        let text = self.finder.mask_text(text, &self.mode, &mut count)?;
        Some(Masked { text, count })
    }

    fn is_named(&self, path: &[std::borrow::Cow<'_, str>]) -> bool {
        self.fields.iter().any(|f| f.matches(path))
    }
}

/// What is masked and how, for the log at start (never the key).
impl std::fmt::Display for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<String> = self.fields.iter().map(|p| p.0.join(".")).collect();
        let (ip, email) = self.finder.kinds();
        let values: Vec<&str> = [(ip, "ip"), (email, "email")]
            .iter()
            .filter_map(|&(on, name)| on.then_some(name))
            .collect();
        let mode = match self.mode {
            Mode::Replace => "replace with [masked]",
            Mode::Pseudonymize(_) => "pseudonymize (HMAC-SHA256, PSEUDONYMIZE_KEY)",
        };
        write!(
            f,
            "fields [{}], values [{}], {mode}",
            fields.join(", "),
            values.join(", ")
        )
    }
}

#[cfg(test)]
mod tests;
