//! The executor's data: JSON that borrows its text from the subgraph
//! responses it was parsed from. Strings stay JSON-escaped as the subgraph
//! sent them and numbers stay as their text, so they are copied to the
//! client's response byte for byte, never decoded and re-encoded. Objects
//! are small vectors searched in order: a response object has a handful of
//! fields, and a linear scan over short keys beats hashing them.

/// One JSON value whose text lives in a subgraph response (or in the
/// router's own JSON, such as introspection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    /// A number, `true` or `false`: JSON text written back as it is.
    Raw(&'a str),
    /// A string's contents between the quotes, still JSON-escaped.
    Str(&'a str),
    List(Vec<Value<'a>>),
    Object(Object<'a>),
}

/// Fields in the order they arrived. Keys are GraphQL names and aliases,
/// which never need escaping.
pub type Object<'a> = Vec<(&'a str, Value<'a>)>;

impl<'a> Value<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The field `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object().and_then(|object| field(object, key))
    }

    /// A string's escaped contents; equal to the text for GraphQL names.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The object's `__typename`, or "" when it has none.
    pub fn typename(&self) -> &'a str {
        self.get("__typename").and_then(Value::as_str).unwrap_or_default()
    }

    /// Writes this value as JSON text.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Raw(text) => out.extend_from_slice(text.as_bytes()),
            Value::Str(text) => write_escaped(text, out),
            Value::List(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Value::Object(object) => {
                out.push(b'{');
                for (i, (key, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_escaped(key, out);
                    out.push(b':');
                    value.write_json(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// The field `key` of `object`.
pub fn field<'o, 'a>(object: &'o Object<'a>, key: &str) -> Option<&'o Value<'a>> {
    object.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
}

pub fn field_mut<'o, 'a>(object: &'o mut Object<'a>, key: &str) -> Option<&'o mut Value<'a>> {
    object.iter_mut().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
}

/// Key equality, comparing lengths and first bytes before calling
/// `memcmp`: most keys of an object differ in one or the other.
#[inline]
pub fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// Sets `key` in `object`, replacing an existing value in place.
pub fn set<'a>(object: &mut Object<'a>, key: &'a str, value: Value<'a>) {
    match field_mut(object, key) {
        Some(slot) => *slot = value,
        None => object.push((key, value)),
    }
}

/// Quotes text that is already JSON-escaped.
pub fn write_escaped(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// Deep-merges `source` into `target`: objects field by field, lists of the
/// same length item by item, anything else replaced.
pub fn deep_merge<'a>(target: &mut Value<'a>, source: Value<'a>) {
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => {
            if target.is_empty() {
                *target = source;
                return;
            }
            for (key, value) in source {
                match field_mut(target, key) {
                    Some(existing) => deep_merge(existing, value),
                    None => target.push((key, value)),
                }
            }
        }
        (Value::List(target), Value::List(source)) if target.len() == source.len() => {
            for (target, source) in target.iter_mut().zip(source) {
                deep_merge(target, source);
            }
        }
        (target, source) => *target = source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::parse;

    fn parsed(text: &str) -> Value<'_> {
        parse::value(text).expect("valid JSON")
    }

    fn json(value: &Value<'_>) -> String {
        let mut out = Vec::new();
        value.write_json(&mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn merging_adds_fields_merges_objects_and_equal_length_lists() {
        let mut target = parsed(r#"{"a":1,"b":{"x":1},"l":[{"i":1},{"i":2}],"s":[1]}"#);
        let source = parsed(r#"{"b":{"y":"2"},"c":null,"l":[{"j":1},{"j":2}],"s":[2,3]}"#);
        deep_merge(&mut target, source);
        assert_eq!(
            json(&target),
            r#"{"a":1,"b":{"x":1,"y":"2"},"l":[{"i":1,"j":1},{"i":2,"j":2}],"s":[2,3],"c":null}"#
        );
    }

    #[test]
    fn escaped_text_is_written_back_unchanged() {
        let text = r#"{"name":"a \"quoted\" \u00e9 name\n","n":-1.5e3,"t":true}"#;
        assert_eq!(json(&parsed(text)), text);
        assert_eq!(parsed(text).get("t"), Some(&Value::Raw("true")));
    }
}
