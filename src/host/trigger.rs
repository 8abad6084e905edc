//! The trigger as `EventHubTrigger/function.json` declares it: its cardinality and data type
//! decide the shape of the value the host sends (see
//! `docs/functions-host.md#trigger-value-by-cardinality-and-datatype`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The function's folder, which holds `function.json`.
pub const FUNCTION_DIR: &str = "EventHubTrigger";

/// `cardinality` × `dataType` of the Event Hub trigger binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerShape {
    /// `cardinality: many` (a batch); `one` otherwise (the host's default).
    pub many: bool,
    /// `dataType`.
    pub data_type: DataType,
}

/// The binding's `dataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Exact bytes, sent base64-encoded.
    Binary,
    /// UTF-8 text.
    String,
    /// Not set: the host parses each body as JSON.
    Unset,
}

impl TriggerShape {
    /// The shape declared by the text of a `function.json`.
    pub fn from_function_json(text: &str) -> Result<Self, String> {
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
        let bindings = doc["bindings"]
            .as_array()
            .ok_or("has no \"bindings\" array")?;
        let trigger = bindings
            .iter()
            .find(|b| {
                b["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("eventHubTrigger"))
            })
            .ok_or("has no binding of type eventHubTrigger")?;
        let field = |name: &str| -> Result<Option<String>, String> {
            match &trigger[name] {
                serde_json::Value::Null => Ok(None),
                serde_json::Value::String(s) => Ok(Some(s.to_ascii_lowercase())),
                other => Err(format!("has a {name} that is not a string: {other}")),
            }
        };
        let many = match field("cardinality")?.as_deref() {
            Some("many") => true,
            Some("one") | None => false,
            Some(other) => return Err(format!("has an unknown cardinality {other:?}")),
        };
        let data_type = match field("dataType")?.as_deref() {
            Some("binary") => DataType::Binary,
            Some("string") => DataType::String,
            None => DataType::Unset,
            Some(other) => return Err(format!("has an unknown dataType {other:?}")),
        };
        Ok(TriggerShape { many, data_type })
    }

    /// The path of `function.json` under the app's root folder.
    pub fn path(app_root: &Path) -> PathBuf {
        app_root.join(FUNCTION_DIR).join("function.json")
    }

    /// Reads `<app root>/EventHubTrigger/function.json`; `Ok(None)` when there is no such file.
    pub fn read(app_root: &Path) -> Result<Option<Self>, String> {
        let path = Self::path(app_root);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_function_json(&text)
                .map(Some)
                .map_err(|e| format!("{} {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

impl fmt::Display for TriggerShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cardinality = if self.many { "many" } else { "one" };
        let data_type = match self.data_type {
            DataType::Binary => "binary",
            DataType::String => "string",
            DataType::Unset => "unset",
        };
        write!(f, "cardinality {cardinality}, dataType {data_type}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shipped_function_json() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shape = TriggerShape::read(root).unwrap().unwrap();
        assert_eq!(
            shape,
            TriggerShape {
                many: true,
                data_type: DataType::Binary
            }
        );
        assert_eq!(shape.to_string(), "cardinality many, dataType binary");
    }

    #[test]
    fn defaults_and_errors() {
        let shape = TriggerShape::from_function_json(
            r#"{"bindings":[{"type":"blob","name":"x"},{"type":"EventHubTrigger","name":"e"}]}"#,
        )
        .unwrap();
        assert_eq!(
            shape,
            TriggerShape {
                many: false,
                data_type: DataType::Unset
            }
        );
        for bad in [
            "nope",
            r#"{"bindings":[]}"#,
            r#"{"bindings":[{"type":"eventHubTrigger","cardinality":"lots"}]}"#,
            r#"{"bindings":[{"type":"eventHubTrigger","dataType":"stream"}]}"#,
        ] {
            assert!(TriggerShape::from_function_json(bad).is_err(), "{bad}");
        }
        assert_eq!(TriggerShape::read(Path::new("/nonexistent")), Ok(None));
    }
}
