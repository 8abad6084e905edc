//! Finding IP addresses and e-mail addresses (UPNs) in text, and masking them; masking named
//! fields in text that is not valid JSON.
//!
//! A regular expression finds candidates; each IP candidate is then parsed by the standard
//! library, so only real addresses are masked (`12:34:56` and `1.2.3.4.5` are not).

use std::borrow::Cow;
use std::net::IpAddr;

use regex::Regex;

use super::token::{Mode, canonical, is_masked};

/// Local part (with `#` for guests' `alice_contoso.com#EXT#@…` UPNs), `@`, then a domain of
/// at least two labels.
const EMAIL: &str = r"[A-Za-z0-9._%+'#!$&*=?^`{|}~/-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+";
/// IPv6 (with an IPv4 tail and a zone allowed), then IPv4.
const IP: &str = r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[0-9A-Za-z]+)?|[0-9]{1,3}(?:\.[0-9]{1,3}){3}";

/// Finds the values to mask in text.
#[derive(Debug, Clone)]
pub(crate) struct Finder {
    ip: bool,
    email: bool,
    /// IP and/or e-mail candidates; `None` when neither is masked.
    values: Option<Regex>,
    /// `"<key>": <value>` for the last segment of each named field, in text that is not JSON.
    keyed: Option<Regex>,
}

impl Finder {
    /// A finder for the kinds enabled and the named fields' last segments.
    pub(crate) fn new(ip: bool, email: bool, keys: &[&str]) -> Self {
        let values = match (ip, email) {
            (false, false) => None,
            (true, false) => Some(IP.to_owned()),
            (false, true) => Some(EMAIL.to_owned()),
            (true, true) => Some(format!("{EMAIL}|{IP}")),
        };
        let keyed = (!keys.is_empty()).then(|| {
            let alts: Vec<String> = keys.iter().map(|k| regex::escape(k)).collect();
            format!(
                r#"(?i)((?:\\*)"(?:{})\\*"\s*:\s*)(\\*"(?:[^"\\]|\\.)*?\\*"|[^,\}}\]\s"]+)"#,
                alts.join("|")
            )
        });
        Finder {
            ip,
            email,
            values: values.map(|p| Regex::new(&p).expect("the value patterns are valid")),
            keyed: keyed.map(|p| Regex::new(&p).expect("escaped keys make a valid pattern")),
        }
    }

    /// Whether IP and e-mail addresses are masked.
    pub(crate) fn kinds(&self) -> (bool, bool) {
        (self.ip, self.email)
    }

    /// True when `text` may hold a value to mask (a cheap check that can say yes wrongly,
    /// never no wrongly).
    pub(crate) fn may_hold_values(&self, text: &str) -> bool {
        self.values.as_ref().is_some_and(|re| re.is_match(text))
    }

    /// `text` with every IP and e-mail address replaced, or `None` when it holds none; adds
    /// the number replaced to `count`.
    pub(crate) fn mask_values(&self, text: &str, mode: &Mode, count: &mut usize) -> Option<String> {
        let re = self.values.as_ref()?;
        // Most strings (ids, names, results) hold none of these bytes: no regex for them.
        let b = text.as_bytes();
        let email = self.email && memchr::memchr(b'@', b).is_some();
        let ip = self.ip && memchr::memchr2(b'.', b':', b).is_some();
        if !(email || ip) {
            return None;
        }
        let mut out: Option<String> = None;
        let mut copied = 0;
        // `find_iter`, not captures: a match holding `@` is an e-mail address (the IP pattern
        // has none), which keeps the regex on its fast path.
        for m in re.find_iter(text) {
            let (canonical, start, end): (Cow<'_, str>, _, _) = if m.as_str().contains('@') {
                (m.as_str().to_lowercase().into(), m.start(), m.end())
            } else {
                match ip_at(text, m.start(), m.end()) {
                    Some((ip, start, end)) => (ip.to_string().into(), start, end),
                    None => continue,
                }
            };
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..start]);
            mode.replace(&canonical, out);
            copied = end;
            *count += 1;
        }
        let mut out = out?;
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// Text that is not JSON (an `Unparsed` record) with the values of named fields (found as
    /// `"key": value`, whatever their path) and then IP and e-mail addresses masked.
    pub(crate) fn mask_text(&self, text: &str, mode: &Mode, count: &mut usize) -> Option<String> {
        let keyed = self.keyed.as_ref().and_then(|re| {
            let mut n = 0;
            let out = re.replace_all(text, |caps: &regex::Captures<'_>| {
                let value = &caps[2];
                let inner = value.trim_matches(|c| c == '"' || c == '\\');
                let mut s = caps[1].to_owned();
                if inner == "null" || is_masked(inner) {
                    s.push_str(value);
                    return s;
                }
                n += 1;
                let (open, close) = quotes(value);
                s.push_str(open);
                mode.replace(&canonical(inner), &mut s);
                s.push_str(close);
                s
            });
            *count += n;
            (n > 0).then(|| out.into_owned())
        });
        match keyed {
            Some(t) => Some(self.mask_values(&t, mode, count).unwrap_or(t)),
            None => self.mask_values(text, mode, count),
        }
    }
}

/// The quotes (escaped or not) around a value matched in text, to put around its
/// replacement; none for a bare value.
fn quotes(value: &str) -> (&str, &str) {
    if !value.ends_with('"') {
        return ("\"", "\"");
    }
    let open = &value[..value.find('"').map_or(0, |i| i + 1)];
    let close = &value[value.trim_end_matches(['"', '\\']).len()..];
    (open, close)
}

/// The IP address at `start..end` of `text`, if that is one on its own: not part of a longer
/// word or number. A colon the pattern took before or after an address (`ip:2001:db8::1`,
/// `2001:db8::1: refused`) is left out. A four-part version such as `Chrome/131.0.0.0` is a
/// valid IPv4 address and is masked too: one version too many rather than one address too few.
/// Returns the address and the range to replace (with its zone, `%eth0`, if any).
fn ip_at(text: &str, start: usize, end: usize) -> Option<(IpAddr, usize, usize)> {
    let bytes = text.as_bytes();
    let zone = text[start..end].find('%').map_or(end, |i| start + i);
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for lead in [0, 1] {
        for trail in [0, 1] {
            let (s, e) = (start + lead, zone - trail);
            if s >= e || (lead == 1 && bytes[start] != b':') || (trail == 1 && bytes[e] != b':') {
                continue;
            }
            let addr = &text[s..e];
            if !addr.bytes().any(|b| b.is_ascii_alphanumeric()) {
                continue; // `::` alone
            }
            let stop = if trail == 0 { end } else { e };
            let before = s.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(stop).copied();
            if before.is_some_and(|b| word(b) || b == b'.')
                || after.is_some_and(word)
                || (after == Some(b'.') && bytes.get(stop + 1).is_some_and(u8::is_ascii_digit))
            {
                continue;
            }
            if let Ok(ip) = addr.parse() {
                return Some((ip, s, stop));
            }
        }
    }
    None
}
