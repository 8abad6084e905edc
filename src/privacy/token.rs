//! What a masked value becomes: a fixed marker, or a keyed pseudonym.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a masked value becomes with `MASK_MODE=replace`.
pub const MARKER: &str = "[masked]";
/// The start of every pseudonym (`MASK_MODE=pseudonymize`), followed by [`PSEUDONYM_HEX`]
/// lower-case hex digits: `pii:3f9c0a1b2c3d4e5f`.
pub const PSEUDONYM_PREFIX: &str = "pii:";
/// Hex digits of a pseudonym: the first 64 bits of the HMAC, which keeps a collision between
/// two of a tenant's users far out of reach (about 4 billion values for an even chance).
pub const PSEUDONYM_HEX: usize = 16;
/// The shortest pseudonymisation key accepted: 32 characters (the HMAC-SHA256 block is 64
/// bytes and its output 32; a shorter key would be easier to guess than the hash is to break).
pub const MIN_KEY_CHARS: usize = 32;

/// The key of the pseudonyms, ready to use. `Debug` never shows it.
#[derive(Clone)]
pub struct PseudonymKey(Hmac<Sha256>);

impl PseudonymKey {
    /// Checks and prepares a key: at least [`MIN_KEY_CHARS`] visible ASCII characters, and not
    /// an unresolved Key Vault reference. The error never contains the key.
    pub fn new(key: &str) -> Result<Self, String> {
        if key.starts_with("@Microsoft.KeyVault(") {
            return Err("is an unresolved Key Vault reference: give the app's identity the \"Key Vault Secrets User\" role on the vault and check the secret URI".into());
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("contains characters other than visible ASCII (whitespace, a zero-width space, curly quotes…)".into());
        }
        if key.len() < MIN_KEY_CHARS {
            return Err(format!(
                "is {} characters long; a pseudonymisation key needs at least {MIN_KEY_CHARS} (for example `openssl rand -base64 48`)",
                key.len()
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
            .map_err(|_| "cannot key HMAC-SHA256".to_owned())?;
        Ok(PseudonymKey(mac))
    }

    /// The pseudonym of `value`: [`PSEUDONYM_PREFIX`] and the first [`PSEUDONYM_HEX`] hex
    /// digits of HMAC-SHA256(key, value).
    pub fn pseudonym(&self, value: &str, out: &mut String) {
        let mut mac = self.0.clone();
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        out.push_str(PSEUDONYM_PREFIX);
        for b in &digest[..PSEUDONYM_HEX / 2] {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

/// How masked values are replaced (`MASK_MODE`).
#[derive(Debug, Clone)]
pub enum Mode {
    /// By [`MARKER`].
    Replace,
    /// By a keyed pseudonym: the same value always gives the same pseudonym under one key, so
    /// a user's records still correlate across records, invocations and instances.
    Pseudonymize(PseudonymKey),
}

impl Mode {
    /// Appends the replacement of `canonical` (a value already put in its canonical form).
    pub(crate) fn replace(&self, canonical: &str, out: &mut String) {
        match self {
            Mode::Replace => out.push_str(MARKER),
            Mode::Pseudonymize(key) => key.pseudonym(canonical, out),
        }
    }
}

/// True when `s` is already what masking writes (a marker or a pseudonym), so that masking
/// twice (a dead-letter blob replayed) changes nothing.
pub(crate) fn is_masked(s: &str) -> bool {
    s == MARKER
        || s.strip_prefix(PSEUDONYM_PREFIX).is_some_and(|hex| {
            hex.len() == PSEUDONYM_HEX
                && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// The form of a value that is hashed: an IP address as the standard library writes it (so
/// `2001:DB8:0::1` and `2001:db8::1` agree), an e-mail address or UPN in lower case (Entra
/// compares them without case), anything else trimmed.
pub(crate) fn canonical(value: &str) -> std::borrow::Cow<'_, str> {
    let v = value.trim();
    if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        return ip.to_string().into();
    }
    if v.contains('@') && !v.contains(char::is_whitespace) {
        return v.to_lowercase().into();
    }
    v.into()
}
