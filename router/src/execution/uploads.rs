//! Files of a GraphQL multipart request (the client's `operations`, `map`
//! and file parts), and the multipart request a fetch sends them on with.
//!
//! The client's variables hold a placeholder where each file goes; a
//! fetch whose variables include such a variable is sent to its subgraph
//! as a multipart request of its own: `operations` with `null` where the
//! files go, a `map` of which file goes where, then the files.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Map, Value, json};

/// One uploaded file and where it goes.
#[derive(Debug, Clone)]
pub struct UploadFile {
    /// Its part's name in the client's request (a key of `map`).
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
    /// Each place it goes: a variable name, then keys or list indexes
    /// (`variables.files.0` is `["files", "0"]`).
    pub targets: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct Uploads {
    pub files: Vec<UploadFile>,
}

impl Uploads {
    /// The variables that carry files.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .flat_map(|f| f.targets.iter().filter_map(|t| t.first()))
            .map(String::as_str)
    }

    /// The multipart request (content type and body) for a fetch with
    /// `variables`, or `None` when the fetch carries no file.
    pub fn request(&self, query: &str, variables: &Map<String, Value>) -> Option<(String, Bytes)> {
        let carried =
            |target: &Vec<String>| target.first().is_some_and(|v| variables.contains_key(v));
        let files: Vec<&UploadFile> =
            self.files.iter().filter(|f| f.targets.iter().any(carried)).collect();
        if files.is_empty() {
            return None;
        }
        let mut variables = variables.clone();
        let mut map = Map::new();
        for file in &files {
            let mut paths = Vec::new();
            for target in file.targets.iter().filter(|t| carried(t)) {
                if let Some(slot) = slot(&mut variables, target) {
                    *slot = Value::Null;
                }
                paths.push(Value::from(format!("variables.{}", target.join("."))));
            }
            map.insert(file.key.clone(), Value::Array(paths));
        }
        let boundary = boundary(&files);
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let mut body = BytesMut::new();
        part(&mut body, &boundary, "operations", None, operations.as_bytes());
        part(&mut body, &boundary, "map", None, Value::Object(map).to_string().as_bytes());
        for file in files {
            part(&mut body, &boundary, &file.key, Some(file), &file.bytes);
        }
        body.put_slice(format!("--{boundary}--\r\n").as_bytes());
        Some((format!("multipart/form-data; boundary={boundary}"), body.freeze()))
    }
}

/// A boundary that occurs in none of the files.
fn boundary(files: &[&UploadFile]) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    loop {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let candidate = format!("shopgraph-{nanos:x}-{n:x}");
        let needle = candidate.as_bytes();
        if !files.iter().any(|f| f.bytes.windows(needle.len()).any(|w| w == needle)) {
            return candidate;
        }
    }
}

/// The value at `path` (a variable, then keys or indexes) in `variables`.
pub fn slot<'v>(variables: &'v mut Map<String, Value>, path: &[String]) -> Option<&'v mut Value> {
    let (name, rest) = path.split_first()?;
    let mut current = variables.get_mut(name)?;
    for segment in rest {
        current = match current {
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            Value::Object(fields) => fields.get_mut(segment)?,
            _ => return None,
        };
    }
    Some(current)
}

fn part(body: &mut BytesMut, boundary: &str, name: &str, file: Option<&UploadFile>, data: &[u8]) {
    // Quotes and line breaks cannot end the header early.
    let clean = |s: &str| s.replace(['"', '\r', '\n', '\\'], "_");
    body.put_slice(format!("--{boundary}\r\n").as_bytes());
    match file {
        Some(file) => body.put_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                clean(name),
                clean(&file.filename),
                clean(&file.content_type)
            )
            .as_bytes(),
        ),
        None => body.put_slice(
            format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", clean(name)).as_bytes(),
        ),
    }
    body.put_slice(data);
    body.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_gets_only_its_files_with_nulls_where_they_go() {
        let uploads = Uploads {
            files: vec![
                UploadFile {
                    key: "0".into(),
                    filename: "a\".png".into(),
                    content_type: "image/png".into(),
                    bytes: Bytes::from_static(b"PNGDATA"),
                    targets: vec![vec!["file".into()]],
                },
                UploadFile {
                    key: "1".into(),
                    filename: "b.png".into(),
                    content_type: "image/png".into(),
                    bytes: Bytes::from_static(b"OTHER"),
                    targets: vec![vec!["others".into(), "0".into()]],
                },
            ],
        };
        let variables = json!({ "file": "upload:0", "id": "p1" });
        let Value::Object(variables) = variables else { unreachable!() };
        let (content_type, body) = uploads.request("mutation", &variables).expect("multipart");
        let text = String::from_utf8(body.to_vec()).expect("text");
        let boundary = content_type.split("boundary=").nth(1).expect("boundary");
        assert!(
            text.contains(r#"{"query":"mutation","variables":{"file":null,"id":"p1"}}"#),
            "{text}"
        );
        assert!(text.contains(r#"{"0":["variables.file"]}"#), "{text}");
        assert!(text.contains("filename=\"a_.png\""), "{text}");
        assert!(text.contains("PNGDATA") && !text.contains("OTHER"), "{text}");
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        let none = Map::new();
        assert!(uploads.request("query", &none).is_none());
    }
}
