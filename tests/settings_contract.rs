//! The deployment contract: the ARM template (arm/azuredeploy.json), the Terraform module
//! (terraform/), the function's bindings (EventHubTrigger/function.json), the README and the
//! settings the binary reads (`entra_coralogix::settings`) must agree.
//!
//! The template builds the app settings in one `Microsoft.Web/sites/config` `appsettings`
//! resource whose `properties` is a `union(...)` of template variables (plain JSON objects,
//! one key per setting) and `createObject('NAME', ...)` calls. This test reads every variable
//! and createObject key named there, so it sees the settings of every plan variant at once.
//!
//! The Terraform module mirrors that in terraform/app_settings.tf: `local.app_settings` is a
//! `merge(...)` of locals (HCL maps, one `NAME = value` per line), conditionals on the plan
//! and the Event Hub mode, and inline maps. A small tolerant HCL reader below reads it, and
//! both are evaluated per plan and Event Hub mode, so binary, template and module cannot drift
//! apart without `cargo test` failing.

use std::collections::{BTreeMap, BTreeSet};

use entra_coralogix::settings::{REGIONS, TABLE, names};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Settings read by the Functions host, its extensions or the App Service platform, never by
/// the handler. An entry ending in `__` is a prefix (identity-based connection properties).
const PLATFORM_SETTINGS: &[&str] = &[
    // Host storage (checkpoints, leases, keys, dead-letter blobs), connection-string form...
    "AzureWebJobsStorage",
    // ...or identity form: AzureWebJobsStorage__blobServiceUri, __queueServiceUri, ...
    "AzureWebJobsStorage__",
    // Application Insights: where to send, and Entra authentication for sending.
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    // The trigger's `connection`: a connection string (Key Vault reference)...
    "EventHubConnection",
    // ...or identity form: EventHubConnection__fullyQualifiedNamespace.
    "EventHubConnection__",
    // Expanded by the host in function.json (%EVENTHUB_NAME%, %EVENTHUB_CONSUMER_GROUP%).
    "EVENTHUB_NAME",
    "EVENTHUB_CONSUMER_GROUP",
    // Runtime selection on Premium (Flex takes it from functionAppConfig.runtime instead).
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    // Premium runs from a package blob (its URL)...
    "WEBSITE_RUN_FROM_PACKAGE",
    // ...read with this identity (`SystemAssigned`) instead of a SAS in the URL.
    "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID",
    // Azure Files content share (Premium with a share; the template avoids it today).
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
];

/// Settings Flex Consumption rejects or ignores: only the Premium variant may set them.
const NOT_ON_FLEX: &[&str] = &[
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
];

fn read(rel: &str) -> String {
    let path = format!("{ROOT}/{rel}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid JSON: {e}"))
}

/// Every `<func>('<arg>'` first argument in an ARM expression, e.g. `variables('x')`.
fn string_args<'a>(expr: &'a str, func: &str) -> Vec<&'a str> {
    let needle = format!("{func}('");
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        let end = after.find('\'').expect("unterminated string in expression");
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

fn resources(template: &Value) -> Vec<&Value> {
    fn walk<'a>(node: &'a Value, out: &mut Vec<&'a Value>) {
        for r in node.as_array().into_iter().flatten() {
            out.push(r);
            walk(&r["resources"], out);
            walk(&r["properties"]["template"]["resources"], out);
        }
    }
    let mut out = Vec::new();
    walk(&template["resources"], &mut out);
    out
}

struct AppSettings {
    /// Setting name → the template value that sets it (an ARM expression or a literal).
    values: BTreeMap<String, String>,
    /// Name of the template variable each setting came from (`None` for createObject keys).
    source: BTreeMap<String, Option<String>>,
    /// The appsettings resource's `properties` expression.
    expression: String,
}

fn app_settings(template: &Value) -> AppSettings {
    let config: Vec<&Value> = resources(template)
        .into_iter()
        .filter(|r| {
            r["type"].as_str() == Some("Microsoft.Web/sites/config")
                && r["name"]
                    .as_str()
                    .is_some_and(|n| n.contains("appsettings"))
        })
        .collect();
    assert_eq!(
        config.len(),
        1,
        "expected exactly one Microsoft.Web/sites/config appsettings resource in arm/azuredeploy.json"
    );
    for site in resources(template)
        .into_iter()
        .filter(|r| r["type"].as_str() == Some("Microsoft.Web/sites"))
    {
        assert!(
            site["properties"]["siteConfig"]["appSettings"].is_null(),
            "the site must not also carry siteConfig.appSettings: the appsettings resource owns them"
        );
    }
    let expression = config[0]["properties"]
        .as_str()
        .expect("the appsettings properties are one union(...) expression")
        .to_owned();
    let mut values = BTreeMap::new();
    let mut source = BTreeMap::new();
    for var in string_args(&expression, "variables") {
        // Object-valued variables are sets of settings; others (isFlex, appInsightsId, ...)
        // are conditions and arguments inside the expression.
        let Some(obj) = template["variables"][var].as_object() else {
            assert!(
                !template["variables"][var].is_null(),
                "variables('{var}') is not declared"
            );
            continue;
        };
        for (name, value) in obj {
            let value = value.as_str().unwrap_or_default().to_owned();
            assert!(
                values.insert(name.clone(), value).is_none(),
                "{name} is set by two variables"
            );
            source.insert(name.clone(), Some(var.to_owned()));
        }
    }
    for name in string_args(&expression, "createObject") {
        assert!(
            values.insert(name.to_owned(), String::new()).is_none(),
            "{name} is set twice"
        );
        source.insert(name.to_owned(), None);
    }
    assert!(
        values.contains_key(names::PRIVATE_KEY),
        "found no handler settings in the appsettings expression; has its shape changed?"
    );
    AppSettings {
        values,
        source,
        expression,
    }
}

fn is_platform_setting(name: &str) -> bool {
    PLATFORM_SETTINGS.iter().any(|p| {
        if p.ends_with("__") {
            name.starts_with(p) && name.len() > p.len()
        } else {
            name == *p
        }
    })
}

#[test]
fn template_sets_only_settings_the_binary_or_the_platform_reads() {
    let settings = app_settings(&json("arm/azuredeploy.json"));
    let unknown: Vec<&String> = settings
        .values
        .keys()
        .filter(|n| !TABLE.iter().any(|s| s.name == n.as_str()) && !is_platform_setting(n))
        .collect();
    assert!(
        unknown.is_empty(),
        "arm/azuredeploy.json sets app settings nobody reads: {unknown:?}. Either the binary \
         reads them (add to settings::TABLE) or the host does (add to PLATFORM_SETTINGS \
         in this test, with a comment saying who reads it)."
    );
}

#[test]
fn template_exposes_every_handler_setting() {
    // A setting the template cannot set would be wiped by every redeploy (the appsettings
    // resource replaces the whole set), so each one the binary reads has a parameter.
    let settings = app_settings(&json("arm/azuredeploy.json"));
    let missing: Vec<&str> = TABLE
        .iter()
        .filter(|s| !s.by_host)
        .map(|s| s.name)
        .filter(|n| !settings.values.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "settings the binary reads but arm/azuredeploy.json never sets: {missing:?}"
    );
}

#[test]
fn template_never_sets_the_port() {
    let text = read("arm/azuredeploy.json");
    for port in [names::PORT, names::LEGACY_PORT] {
        assert!(
            !text.contains(port),
            "arm/azuredeploy.json mentions {port}: the Functions host sets it when it starts the handler"
        );
    }
}

#[test]
fn secrets_are_key_vault_references() {
    let settings = app_settings(&json("arm/azuredeploy.json"));
    for name in [
        names::PRIVATE_KEY,
        names::PSEUDONYMIZE_KEY,
        "EventHubConnection",
    ] {
        let value = &settings.values[name];
        assert!(
            value.contains("@Microsoft.KeyVault(SecretUri="),
            "{name} must be a Key Vault reference, not a value: {value}"
        );
    }
}

#[test]
fn flex_variant_gets_no_premium_only_settings() {
    let settings = app_settings(&json("arm/azuredeploy.json"));
    for name in NOT_ON_FLEX {
        let Some(source) = settings.source.get(*name) else {
            continue;
        };
        let var = source
            .as_deref()
            .unwrap_or_else(|| panic!("{name} must come from a Premium-only variable"));
        let guarded = format!("if(variables('isFlex'), createObject(), variables('{var}'))");
        assert!(
            settings.expression.contains(&guarded),
            "{name} comes from variables('{var}'), which must be added only when not on Flex \
             ({guarded}); Flex Consumption rejects it"
        );
    }
}

#[test]
fn every_binding_setting_is_set() {
    let settings = app_settings(&json("arm/azuredeploy.json"));
    let function = json("EventHubTrigger/function.json");
    let mut referenced = BTreeSet::new();
    let mut connections = BTreeSet::new();
    for binding in function["bindings"].as_array().expect("bindings array") {
        for (key, value) in binding.as_object().expect("binding object") {
            let Some(text) = value.as_str() else { continue };
            if key == "connection" {
                connections.insert(text.to_owned());
            }
            let mut rest = text;
            while let Some(start) = rest.find('%') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('%') else { break };
                referenced.insert(after[..end].to_owned());
                rest = &after[end + 1..];
            }
        }
    }
    assert!(
        referenced.contains("EVENTHUB_NAME"),
        "function.json changed shape?"
    );
    for name in &referenced {
        assert!(
            settings.values.contains_key(name),
            "EventHubTrigger/function.json expands %{name}%, which arm/azuredeploy.json never sets"
        );
    }
    for conn in &connections {
        let prefix = format!("{conn}__");
        assert!(
            settings.values.contains_key(conn)
                || settings.values.keys().any(|k| k.starts_with(&prefix)),
            "function.json uses connection {conn:?}, but the template sets neither {conn} nor {prefix}*"
        );
    }
}

#[test]
fn template_creates_the_dead_letter_container() {
    let template = json("arm/azuredeploy.json");
    let function = json("EventHubTrigger/function.json");
    let path = function["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "deadletter")
        .and_then(|b| b["path"].as_str())
        .expect("a deadletter blob binding");
    let container = path.split('/').next().unwrap();
    let found = resources(&template).into_iter().any(|r| {
        r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"
            && r["name"].as_str().is_some_and(|name| {
                name.contains(container)
                    || string_args(name, "variables")
                        .iter()
                        .any(|v| template["variables"][*v] == container)
            })
    });
    assert!(
        found,
        "arm/azuredeploy.json creates no blob container {container:?} for the deadletter binding"
    );
}

#[test]
fn region_choices_match_the_binary() {
    let template = json("arm/azuredeploy.json");
    let allowed: Vec<&str> = template["parameters"]["coralogixRegion"]["allowedValues"]
        .as_array()
        .expect("coralogixRegion has allowedValues")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let binary: Vec<&str> = REGIONS.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        allowed, binary,
        "coralogixRegion's allowedValues must list settings::REGIONS, in the same order"
    );
    let default = template["parameters"]["coralogixRegion"]["defaultValue"]
        .as_str()
        .unwrap();
    assert!(binary.contains(&default));
}

#[test]
fn readme_configuration_table_is_the_settings_table() {
    // One row per setting, in the table's order, with the table's default.
    let readme = read("README.md");
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .expect("README.md has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    let rows: Vec<(String, String)> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            // Cells split on `|`; only the meaning (the third) may hold one in code.
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect();
    let table: Vec<(String, String)> = TABLE
        .iter()
        .filter(|s| !s.by_host)
        .map(|s| (s.name.to_owned(), s.default.readme_text()))
        .collect();
    assert_eq!(
        rows, table,
        "README.md's Configuration table must list settings::TABLE, in its order, with its defaults"
    );
}

// --- Terraform: terraform/app_settings.tf against the template and the binary ---------------

const TF_APP_SETTINGS: &str = "terraform/app_settings.tf";

/// One deployment shape: the plan and the Event Hub access mode decide which settings exist.
#[derive(Clone, Copy, Debug)]
struct Variant {
    flex: bool,
    identity: bool,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        flex: true,
        identity: true,
    },
    Variant {
        flex: true,
        identity: false,
    },
    Variant {
        flex: false,
        identity: true,
    },
    Variant {
        flex: false,
        identity: false,
    },
];

impl Variant {
    /// The value of a condition, by the name the template or the module gives it.
    fn condition(self, name: &str) -> bool {
        match name {
            "variables('isFlex')" | "local.is_flex" => self.flex,
            "variables('useEventHubIdentity')" | "local.use_event_hub_identity" => self.identity,
            other => panic!(
                "unknown condition {other:?} in the app settings; teach tests/settings_contract.rs \
                 which variant decides it"
            ),
        }
    }
}

/// A tolerant reader for the HCL of terraform/app_settings.tf: comments, strings with `${...}`
/// interpolation, brackets. It knows nothing of Terraform's semantics; it splits text.
mod hcl {
    /// Calls `visit(index, char, depth)` for every character of code that is outside strings
    /// and comments; `depth` counts the (), [] and {} open around it. What is inside a string,
    /// interpolations (`${ }`, `%{ }`) included, is never visited.
    pub fn walk(text: &str, mut visit: impl FnMut(usize, char, usize)) {
        // Open strings and interpolations around the current character; each entry holds the
        // bracket depth of its code (unused for strings).
        let mut stack: Vec<(bool, usize)> = vec![(false, 0)];
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            let next = chars.get(i + 1).map(|&(_, n)| n);
            let (in_string, _) = *stack.last().expect("never empty");
            if in_string {
                match c {
                    '\\' => i += 1,
                    '$' | '%' if next == Some('{') => {
                        stack.push((false, 0));
                        i += 1;
                    }
                    '"' => {
                        stack.pop();
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let top_level = stack.len() == 1;
            match c {
                '#' => {
                    while i < chars.len() && chars[i].1 != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '/' if next == Some('/') => {
                    while i < chars.len() && chars[i].1 != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '/' if next == Some('*') => {
                    i += 2;
                    while i + 1 < chars.len() && !(chars[i].1 == '*' && chars[i + 1].1 == '/') {
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                '"' => stack.push((true, 0)),
                '(' | '[' | '{' => {
                    if top_level {
                        visit(at, c, stack[0].1);
                    }
                    stack.last_mut().expect("never empty").1 += 1;
                }
                ')' | ']' | '}' => {
                    let top = stack.last_mut().expect("never empty");
                    if top.1 == 0 && !top_level {
                        // The end of an interpolation: back into its string.
                        stack.pop();
                    } else {
                        top.1 = top.1.saturating_sub(1);
                        if top_level {
                            visit(at, c, stack[0].1);
                        }
                    }
                }
                _ => {
                    if top_level {
                        visit(at, c, stack[0].1);
                    }
                }
            }
            i += 1;
        }
    }

    /// The text of `name = <value>` in a block body at `depth`, up to the end of the value.
    pub fn attribute<'a>(text: &'a str, name: &str, depth: usize) -> Option<&'a str> {
        let mut line_start = true;
        let mut found = None;
        walk(text, |at, c, d| {
            if found.is_some() {
                return;
            }
            if c == '\n' {
                line_start = true;
            } else if line_start && !c.is_whitespace() {
                line_start = false;
                if d == depth && text[at..].starts_with(name) {
                    let rest = text[at + name.len()..].trim_start_matches([' ', '\t']);
                    if rest.starts_with('=') && !rest.starts_with("==") {
                        found = Some(text.len() - rest.len() + 1);
                    }
                }
            }
        });
        let value = &text[found?..];
        // The value ends at the first newline where its brackets are balanced again.
        let mut end = None;
        walk(value, |at, c, d| {
            if c == '\n' && d == 0 && end.is_none() && !value[..at].trim().is_empty() {
                end = Some(at);
            }
        });
        Some(value[..end.unwrap_or(value.len())].trim())
    }

    /// Splits `text` at `sep` characters that are at bracket depth 0 and outside strings.
    pub fn split_top(text: &str, sep: &[char]) -> Vec<String> {
        let mut cuts = vec![];
        walk(text, |at, c, d| {
            if d == 0 && sep.contains(&c) {
                cuts.push(at);
            }
        });
        let mut parts = vec![];
        let mut from = 0;
        for cut in cuts {
            parts.push(text[from..cut].trim().to_owned());
            from = cut + 1;
        }
        parts.push(text[from..].trim().to_owned());
        parts.into_iter().filter(|p| !p.is_empty()).collect()
    }

    /// The arguments of `func(a, b, ...)`, or None if `text` is not a call of `func`.
    pub fn call_args(text: &str, func: &str) -> Option<Vec<String>> {
        let inner = text
            .strip_prefix(func)?
            .trim_start()
            .strip_prefix('(')?
            .strip_suffix(')')?;
        Some(split_top(inner, &[',']))
    }

    /// `cond ? a : b` split into its three parts, or None.
    pub fn conditional(text: &str) -> Option<(String, String, String)> {
        let q = split_top(text, &['?']);
        if q.len() != 2 {
            return None;
        }
        let branches = split_top(&q[1], &[':']);
        if branches.len() != 2 {
            return None;
        }
        Some((q[0].clone(), branches[0].clone(), branches[1].clone()))
    }

    /// `NAME = value` split at its `=` (not at `==`, `!=`, `<=`, `>=` or `=>`).
    fn assignment(item: &str) -> Option<(String, String)> {
        let bytes = item.as_bytes();
        let mut at = None;
        walk(item, |i, c, d| {
            let prev = i.checked_sub(1).map(|p| bytes[p]);
            let next = bytes.get(i + 1).copied();
            if at.is_none()
                && d == 0
                && c == '='
                && !matches!(prev, Some(b'=' | b'!' | b'<' | b'>'))
                && !matches!(next, Some(b'=' | b'>'))
            {
                at = Some(i);
            }
        });
        let at = at?;
        Some((
            item[..at].trim().trim_matches('"').to_owned(),
            item[at + 1..].trim().to_owned(),
        ))
    }

    /// The entries of a map literal `{ NAME = value ... }`, in order: (name, value text).
    pub fn map_entries(text: &str) -> Vec<(String, String)> {
        let inner = text
            .trim()
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or_else(|| panic!("not a map literal: {text}"));
        split_top(inner, &['\n', ','])
            .into_iter()
            .map(|item| {
                assignment(&item).unwrap_or_else(|| {
                    panic!("cannot read map entry {item:?}: write one NAME = value per line")
                })
            })
            .collect()
    }
}

/// terraform/app_settings.tf: its `*_app_settings` maps, and `local.app_settings`'s expression.
struct TerraformSettings {
    maps: BTreeMap<String, Vec<(String, String)>>,
    merge: Vec<String>,
    azurerm_argument_settings: Vec<String>,
}

fn terraform_settings() -> TerraformSettings {
    let text = read(TF_APP_SETTINGS);
    // Entries of the `locals { ... }` block sit at bracket depth 1.
    let mut maps = BTreeMap::new();
    let merge_text = hcl::attribute(&text, "app_settings", 1)
        .unwrap_or_else(|| panic!("{TF_APP_SETTINGS} has no local app_settings"));
    let merge = hcl::call_args(merge_text, "merge")
        .unwrap_or_else(|| panic!("local.app_settings must be merge(...), found {merge_text}"));
    let mut names = BTreeSet::new();
    for arg in &merge {
        let parts = match hcl::conditional(arg) {
            Some((_, a, b)) => vec![a, b],
            None => vec![arg.clone()],
        };
        for part in parts {
            if let Some(name) = part.strip_prefix("local.") {
                names.insert(name.to_owned());
            }
        }
    }
    for name in names {
        let value = hcl::attribute(&text, &name, 1).unwrap_or_else(|| {
            panic!(
                "local.{name} is used by local.app_settings but not defined in {TF_APP_SETTINGS}"
            )
        });
        maps.insert(name, hcl::map_entries(value));
    }
    let routed = hcl::attribute(&text, "azurerm_argument_settings", 1)
        .unwrap_or_else(|| panic!("{TF_APP_SETTINGS} has no local azurerm_argument_settings"));
    let azurerm_argument_settings = hcl::split_top(
        routed.trim().trim_start_matches('[').trim_end_matches(']'),
        &[','],
    )
    .into_iter()
    .map(|s| s.trim_matches('"').to_owned())
    .collect();
    TerraformSettings {
        maps,
        merge,
        azurerm_argument_settings,
    }
}

impl TerraformSettings {
    /// Every setting the module writes in `variant`: name and value text.
    fn for_variant(&self, variant: Variant) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for arg in &self.merge {
            let chosen = match hcl::conditional(arg) {
                Some((cond, a, b)) => {
                    if variant.condition(&cond) {
                        a
                    } else {
                        b
                    }
                }
                None => arg.clone(),
            };
            let entries = if let Some(name) = chosen.strip_prefix("local.") {
                self.maps[name].clone()
            } else {
                hcl::map_entries(&chosen)
            };
            for (name, value) in entries {
                assert!(
                    out.insert(name.clone(), value).is_none(),
                    "{name} is set twice in local.app_settings"
                );
            }
        }
        out
    }
}

/// The template's settings in `variant`, read from its union(...) the same way.
fn template_settings_for_variant(template: &Value, variant: Variant) -> BTreeSet<String> {
    let expr = app_settings(template).expression;
    let body = expr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .strip_prefix("union(")
        .and_then(|t| t.strip_suffix(')'))
        .expect("the appsettings properties are one union(...) expression")
        .to_owned();
    let mut out = BTreeSet::new();
    for arg in arm_args(&body) {
        let chosen = match arg.strip_prefix("if(").and_then(|t| t.strip_suffix(')')) {
            Some(inner) => {
                let parts = arm_args(inner);
                assert_eq!(parts.len(), 3, "if() with {} arguments: {arg}", parts.len());
                if variant.condition(&parts[0]) {
                    parts[1].clone()
                } else {
                    parts[2].clone()
                }
            }
            None => arg,
        };
        if chosen.starts_with("variables(") {
            let var = string_args(&chosen, "variables")[0];
            let obj = template["variables"][var]
                .as_object()
                .unwrap_or_else(|| panic!("variables('{var}') is not an object"));
            out.extend(obj.keys().cloned());
        } else if chosen.starts_with("createObject(") {
            // createObject('NAME', value): one setting; createObject(): none.
            if let Some(name) = string_args(&chosen, "createObject").first() {
                out.insert((*name).to_owned());
            }
        } else {
            panic!("unexpected union() argument in the template's app settings: {chosen}");
        }
    }
    out
}

/// Top-level arguments of an ARM expression's argument list (commas outside () and quotes).
fn arm_args(text: &str) -> Vec<String> {
    let mut parts = vec![];
    let (mut depth, mut quoted, mut from) = (0usize, false, 0usize);
    for (at, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(text[from..at].trim().to_owned());
                from = at + 1;
            }
            _ => {}
        }
    }
    parts.push(text[from..].trim().to_owned());
    parts
}

/// camelCase to snake_case, as terraform/variables.tf names the template's parameters.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn terraform_writes_the_template_settings_in_every_variant() {
    let template = json("arm/azuredeploy.json");
    let tf = terraform_settings();
    for variant in VARIANTS {
        let module: BTreeSet<String> = tf.for_variant(variant).into_keys().collect();
        let arm = template_settings_for_variant(&template, variant);
        let only_module: Vec<&String> = module.difference(&arm).collect();
        let only_arm: Vec<&String> = arm.difference(&module).collect();
        assert!(
            only_module.is_empty() && only_arm.is_empty(),
            "{variant:?}: {TF_APP_SETTINGS} and arm/azuredeploy.json write different app settings; \
             only the module: {only_module:?}, only the template: {only_arm:?}"
        );
    }
}

#[test]
fn terraform_sets_every_setting_the_binary_reads_and_nothing_unknown() {
    let tf = terraform_settings();
    for variant in VARIANTS {
        let settings = tf.for_variant(variant);
        let unknown: Vec<&String> = settings
            .keys()
            .filter(|n| !TABLE.iter().any(|s| s.name == n.as_str()) && !is_platform_setting(n))
            .collect();
        assert!(
            unknown.is_empty(),
            "{variant:?}: {TF_APP_SETTINGS} sets app settings nobody reads: {unknown:?}"
        );
        let missing: Vec<&str> = TABLE
            .iter()
            .filter(|s| !s.by_host)
            .map(|s| s.name)
            .filter(|n| !settings.contains_key(*n))
            .collect();
        assert!(
            missing.is_empty(),
            "{variant:?}: settings the binary reads but {TF_APP_SETTINGS} never sets (add a \
             variable and a line in local.handler_app_settings): {missing:?}"
        );
        if variant.flex {
            for name in NOT_ON_FLEX {
                assert!(
                    !settings.contains_key(*name),
                    "{TF_APP_SETTINGS} gives Flex Consumption {name}, which it rejects"
                );
            }
        }
    }
}

#[test]
fn terraform_handler_settings_come_from_the_template_parameters() {
    // The module's variable for a setting is the template's parameter for it, in snake_case:
    // CORALOGIX_REGION = var.coralogix_region where the template has parameters('coralogixRegion').
    let template = json("arm/azuredeploy.json");
    let arm_handler = template["variables"]["handlerAppSettings"]
        .as_object()
        .expect("variables('handlerAppSettings')");
    let tf = terraform_settings();
    let module_handler: BTreeMap<&str, &str> = tf.maps["handler_app_settings"]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let arm_names: BTreeSet<&str> = arm_handler.keys().map(String::as_str).collect();
    let module_names: BTreeSet<&str> = module_handler.keys().copied().collect();
    assert_eq!(
        arm_names, module_names,
        "local.handler_app_settings and variables('handlerAppSettings') must name the same settings"
    );
    for (name, arm_value) in arm_handler {
        let params = string_args(arm_value.as_str().unwrap_or_default(), "parameters");
        let Some(param) = params.first() else {
            continue;
        };
        let want = format!("var.{}", snake(param));
        let got = module_handler[name.as_str()];
        assert!(
            got.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .any(|token| token == want),
            "{name}: the template sets it from parameters('{param}'), so the module must set it \
             from {want}; found {got}"
        );
    }
}

#[test]
fn terraform_secrets_are_key_vault_references() {
    let tf = terraform_settings();
    for variant in VARIANTS {
        let settings = tf.for_variant(variant);
        let secret = if variant.identity {
            vec![names::PRIVATE_KEY, names::PSEUDONYMIZE_KEY]
        } else {
            vec![
                names::PRIVATE_KEY,
                names::PSEUDONYMIZE_KEY,
                "EventHubConnection",
            ]
        };
        for name in secret {
            let value = &settings[name];
            assert!(
                value.contains("@Microsoft.KeyVault(SecretUri="),
                "{name} must be a Key Vault reference in {TF_APP_SETTINGS}, not a value: {value}"
            );
        }
    }
}

#[test]
fn terraform_routes_azurerm_owned_settings_to_their_arguments() {
    // On Premium azurerm_linux_function_app owns these settings through arguments; they must
    // still be settings the template writes there, or the routing hides a difference.
    let tf = terraform_settings();
    for variant in VARIANTS.iter().filter(|v| !v.flex) {
        let settings = tf.for_variant(*variant);
        for name in &tf.azurerm_argument_settings {
            assert!(
                settings.contains_key(name),
                "{name} is routed to an azurerm argument but is not a Premium setting"
            );
        }
    }
}

#[test]
fn terraform_region_choices_match_the_binary() {
    let text = read("terraform/variables.tf");
    let start = text
        .find("variable \"coralogix_region\"")
        .expect("terraform/variables.tf declares coralogix_region");
    let block = &text[start..];
    let block = &block[..block.find("\n}\n").map_or(block.len(), |e| e + 2)];
    let list = block
        .split("contains([")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("coralogix_region has a contains([...], var.coralogix_region) validation");
    let allowed: Vec<&str> = list
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    let binary: Vec<&str> = REGIONS.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        allowed, binary,
        "coralogix_region's validation must list settings::REGIONS, in the same order"
    );
    let default = hcl::attribute(block, "default", 1).expect("coralogix_region has a default");
    assert!(binary.contains(&default.trim_matches('"')));
}

#[test]
fn terraform_never_sets_the_port() {
    for entry in std::fs::read_dir(format!("{ROOT}/terraform")).expect("terraform/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("read");
            for port in [names::PORT, names::LEGACY_PORT] {
                assert!(
                    !text.contains(port),
                    "{} mentions {port}: the Functions host sets it when it starts the handler",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn hcl_reader_reads_what_it_claims() {
    let text = r#"
locals {
  # a comment with { braces and "quotes"
  m = {
    A = var.a // trailing
    "B__c" = "https://${local.x}/{literal}"
    C = var.c ? "true" : "false"
  }
  all = merge(local.m, local.f ? {} : local.m, { D = "${var.d}" })
}
"#;
    let m = hcl::attribute(text, "m", 1).expect("m");
    let entries = hcl::map_entries(m);
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["A", "B__c", "C"]);
    assert_eq!(entries[2].1, r#"var.c ? "true" : "false""#);
    let all = hcl::call_args(hcl::attribute(text, "all", 1).expect("all"), "merge").expect("merge");
    assert_eq!(all.len(), 3);
    let (cond, a, b) = hcl::conditional(&all[1]).expect("conditional");
    assert_eq!(
        (cond.as_str(), a.as_str(), b.as_str()),
        ("local.f", "{}", "local.m")
    );
    assert_eq!(hcl::map_entries(&all[2])[0].0, "D");
    assert_eq!(snake("flexInstanceMemoryMB"), "flex_instance_memory_mb");
    assert_eq!(
        snake("coralogixPrivateKeySecretUri"),
        "coralogix_private_key_secret_uri"
    );
}
