//! The deployment contract: the ARM template (arm/azuredeploy.json), the function's bindings
//! (EventHubTrigger/function.json), the README and the settings the binary reads
//! (`entra_coralogix::settings`) must agree.
//!
//! The template builds the app settings in one `Microsoft.Web/sites/config` `appsettings`
//! resource whose `properties` is a `union(...)` of template variables (plain JSON objects,
//! one key per setting) and `createObject('NAME', ...)` calls. This test reads every variable
//! and createObject key named there, so it sees the settings of every plan variant at once.

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
    for name in [names::PRIVATE_KEY, "EventHubConnection"] {
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
