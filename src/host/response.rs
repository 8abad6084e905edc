//! Building the handler's answer to the Functions host.
//!
//! The host needs `2xx`, `Content-Type: application/json` and a non-empty JSON object
//! (`docs/functions-host.md#response-shape`, `docs/functions-host.md#status-rules`): an empty
//! 200 leaves the invocation hanging until `functionTimeout`. Any non-2xx fails the
//! invocation, and the host's retry policy then delivers the same batch again.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// `{"Outputs":{…},"Logs":[…],"ReturnValue":null}` with status 200.
pub fn success(logs: Vec<String>, outputs: Map<String, Value>) -> Response {
    (
        StatusCode::OK,
        Json(json!({"Outputs": outputs, "Logs": logs, "ReturnValue": null})),
    )
        .into_response()
}

/// A failed invocation: a non-2xx status with a JSON body saying why. The host ignores the
/// body of a failure, but a human reading a trace or `curl` output does not.
pub fn failure(status: StatusCode, error: &str, logs: Vec<String>) -> Response {
    debug_assert!(!status.is_success());
    (
        status,
        Json(json!({"Outputs": {}, "Logs": logs, "ReturnValue": null, "Error": error})),
    )
        .into_response()
}
