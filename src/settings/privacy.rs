//! The masking settings (`MASK_FIELDS`, `MASK_VALUES`, `MASK_MODE`, `PSEUDONYMIZE_KEY`), read
//! into a [`Masker`].

use super::table::{Reader, SettingsError, err};
use super::{names, spec_of};
use crate::privacy::{FieldPath, Masker, Mode, PseudonymKey};

/// The masker the settings describe; `None` when `MASK_FIELDS` and `MASK_VALUES` are unset.
/// The key is checked whenever it is set, and its value never appears in an error.
pub(super) fn masker<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<Option<Masker>, SettingsError> {
    let raw = |name| r.raw(spec_of(name));
    let fields = raw(names::MASK_FIELDS)
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| FieldPath::parse(p).map_err(|e| err(names::MASK_FIELDS, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut ip, mut email) = (false, false);
    for word in raw(names::MASK_VALUES)
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        match word.to_ascii_lowercase().as_str() {
            "ip" => ip = true,
            "email" | "upn" => email = true,
            "all" => (ip, email) = (true, true),
            _ => {
                return Err(err(
                    names::MASK_VALUES,
                    format!("{word:?} is not ip, email (or upn) or all"),
                ));
            }
        }
    }
    let key = raw(names::PSEUDONYMIZE_KEY)
        .map(|k| PseudonymKey::new(&k).map_err(|e| err(names::PSEUDONYMIZE_KEY, e)))
        .transpose()?;
    let mode = match (r.choice(spec_of(names::MASK_MODE))?.as_deref(), key) {
        (Some("replace"), _) => Mode::Replace,
        (Some(_), None) => {
            return Err(err(
                names::PSEUDONYMIZE_KEY,
                "is required with MASK_MODE=pseudonymize: a secret of at least 32 characters",
            ));
        }
        (_, Some(key)) => Mode::Pseudonymize(key),
        (None, None) => Mode::Replace,
    };
    Ok(Masker::new(fields, ip, email, mode))
}

#[cfg(test)]
mod tests {
    use crate::settings::{Mode as Load, Settings, SettingsError};

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::load(Load::DryRun, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn nothing_set_masks_nothing() {
        assert!(load(&[]).unwrap().masker.is_none());
        // A key alone masks nothing either (but is still checked).
        assert!(load(&[("PSEUDONYMIZE_KEY", KEY)]).unwrap().masker.is_none());
        assert!(load(&[("PSEUDONYMIZE_KEY", "short")]).is_err());
    }

    #[test]
    fn the_mode_follows_the_key_unless_set() {
        let mode = |vars: &[(&str, &str)]| {
            let mut all = vec![("MASK_VALUES", "ip")];
            all.extend_from_slice(vars);
            format!("{:?}", load(&all).unwrap().masker.unwrap())
        };
        assert!(mode(&[]).contains("mode: Replace"));
        assert!(
            mode(&[("PSEUDONYMIZE_KEY", KEY)]).contains("Pseudonymize(PseudonymKey(<redacted>))")
        );
        assert!(
            mode(&[("PSEUDONYMIZE_KEY", KEY), ("MASK_MODE", "replace")]).contains("mode: Replace")
        );
        assert!(!mode(&[("PSEUDONYMIZE_KEY", KEY)]).contains(KEY));
    }

    #[test]
    fn bad_values_are_refused_with_one_line_naming_the_setting() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("MASK_VALUES", "ip,phone")], "MASK_VALUES"),
            (
                &[("MASK_FIELDS", "properties..userPrincipalName")],
                "MASK_FIELDS",
            ),
            (
                &[("MASK_VALUES", "ip"), ("MASK_MODE", "pseudonymize")],
                "PSEUDONYMIZE_KEY",
            ),
            (&[("MASK_MODE", "hash")], "MASK_MODE"),
            (
                &[("PSEUDONYMIZE_KEY", "tooshort-secret")],
                "PSEUDONYMIZE_KEY",
            ),
            (
                &[(
                    "PSEUDONYMIZE_KEY",
                    "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k)",
                )],
                "PSEUDONYMIZE_KEY",
            ),
        ];
        for (vars, setting) in cases {
            let e = load(vars).unwrap_err();
            assert_eq!(e.setting, *setting, "{e}");
            let line = e.to_string();
            assert!(!line.contains('\n'), "{line}");
            assert!(
                !line.contains("tooshort-secret") && !line.contains("SecretUri"),
                "{line}"
            );
        }
    }
}
