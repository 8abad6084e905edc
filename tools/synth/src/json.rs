//! A minimal JSON writer that keeps keys in the order they are written, so records look like
//! Entra's (and the output does not depend on any serializer's settings).
//!
//! ```
//! let text = entra_synth::json::object(|o| {
//!     o.str("category", "AuditLogs").int("durationMs", 0);
//!     o.arr("tags", |a| {
//!         a.str("x");
//!     });
//! });
//! assert_eq!(text, br#"{"category":"AuditLogs","durationMs":0,"tags":["x"]}"#);
//! ```

/// Writes one JSON object and returns its bytes.
pub fn object(f: impl FnOnce(&mut Obj)) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write_object(&mut out, f);
    out
}

/// Appends one JSON object to `out`.
pub fn write_object(out: &mut Vec<u8>, f: impl FnOnce(&mut Obj)) {
    out.push(b'{');
    f(&mut Obj { out, first: true });
    out.push(b'}');
}

/// Appends one JSON array to `out`.
pub fn write_array(out: &mut Vec<u8>, f: impl FnOnce(&mut Arr)) {
    out.push(b'[');
    f(&mut Arr { out, first: true });
    out.push(b']');
}

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

pub struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Obj<'_> {
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(b':');
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        let out = self.key(key);
        write_str(out, value);
        self
    }

    /// A string, or `null` for `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        self.raw(key, &value.to_string())
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// JSON text written as is (a number, `null`, `[]`, `{}`).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).extend_from_slice(json.as_bytes());
        self
    }

    pub fn obj(&mut self, key: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        write_object(self.key(key), f);
        self
    }

    pub fn arr(&mut self, key: &str, f: impl FnOnce(&mut Arr)) -> &mut Self {
        write_array(self.key(key), f);
        self
    }

    /// An array of strings.
    pub fn strs(&mut self, key: &str, values: &[&str]) -> &mut Self {
        self.arr(key, |a| {
            for v in values {
                a.str(v);
            }
        })
    }
}

pub struct Arr<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Arr<'_> {
    fn next(&mut self) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out
    }

    pub fn str(&mut self, value: &str) -> &mut Self {
        let out = self.next();
        write_str(out, value);
        self
    }

    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.next().extend_from_slice(json.as_bytes());
        self
    }

    pub fn obj(&mut self, f: impl FnOnce(&mut Obj)) -> &mut Self {
        write_object(self.next(), f);
        self
    }

    /// Already-written JSON (a whole record).
    pub fn bytes(&mut self, json: &[u8]) -> &mut Self {
        self.next().extend_from_slice(json);
        self
    }
}
