//! The GraphQL multipart request (file uploads): a `multipart/form-data`
//! POST of `operations` (the request), `map` (which file goes to which
//! variable) and the files, in that order.
//!
//! Files are read within the configured limits (size per file, number of
//! files) and handed to execution, which sends each to the subgraph whose
//! fetch carries its variable. A file may only go to a variable of type
//! `Upload` (or a list of them): the client's own declarations say so,
//! and the API schema's validation then keeps such a variable to `Upload`
//! arguments. Multipart is a "simple" content type, so the CSRF rules
//! apply: browsers must send a preflight-forcing header.

use axum::body::Bytes;
use graphql_tools::static_graphql::query::{Type, VariableDefinition};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    admission::Request,
    error::{BAD_REQUEST, RequestError, RequestFailure},
    execution::uploads::{UploadFile, Uploads, slot},
};

pub const MULTIPART: &str = "multipart/form-data";

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadsConfig {
    /// Accept GraphQL multipart requests. `ROUTER_UPLOADS`, default true.
    pub enabled: bool,
    /// The largest file. `ROUTER_UPLOAD_MAX_FILE_BYTES`, default 10 MiB.
    pub max_file_bytes: usize,
    /// The most files in one request. `ROUTER_UPLOAD_MAX_FILES`, default 4.
    pub max_files: usize,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        Self { enabled: true, max_file_bytes: 10 * 1024 * 1024, max_files: 4 }
    }
}

impl UploadsConfig {
    /// The largest body a request may have, given the JSON limit.
    pub fn body_limit(&self, json_limit: usize) -> usize {
        if self.enabled {
            json_limit.saturating_add(self.max_files.saturating_mul(self.max_file_bytes))
        } else {
            json_limit
        }
    }
}

/// Whether the request is a multipart one.
pub fn is_multipart(content_type: &str) -> bool {
    content_type.trim_start().to_ascii_lowercase().starts_with(MULTIPART)
}

fn refused(message: impl Into<String>) -> RequestError {
    RequestError::new(RequestFailure::BadRequest, message, BAD_REQUEST)
}

fn too_large(message: impl Into<String>) -> RequestError {
    RequestError::new(RequestFailure::TooLarge, message, "PAYLOAD_TOO_LARGE")
}

/// The request and its files.
/// `operations` and `map` are held to `json_limit`, each file to the
/// configured size.
pub async fn parse(
    config: &UploadsConfig,
    json_limit: usize,
    content_type: &str,
    body: Bytes,
) -> Result<(Request, Uploads), RequestError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| refused("a multipart request needs a boundary"))?;
    let limits = multer::SizeLimit::new()
        .per_field(config.max_file_bytes as u64)
        .for_field("operations", json_limit as u64)
        .for_field("map", json_limit as u64);
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut parts = multer::Multipart::with_constraints(
        stream,
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let mut next = async || -> Result<Option<multer::Field<'static>>, RequestError> {
        parts.next_field().await.map_err(|e| match e {
            multer::Error::FieldSizeExceeded { field_name, .. } => too_large(format!(
                "file {} is larger than {} bytes",
                field_name.unwrap_or_default(),
                config.max_file_bytes
            )),
            e => refused(format!("the multipart body is malformed: {e}")),
        })
    };
    let mut request: Request = json_part(next().await?, "operations").await?;
    let map: Map<String, Value> = json_part(next().await?, "map").await?;
    if map.len() > config.max_files {
        return Err(too_large(format!(
            "a request may carry at most {} files; this one maps {}",
            config.max_files,
            map.len()
        )));
    }
    let mut variables = match request.variables.take() {
        Some(Value::Object(variables)) => variables,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(refused("`variables` must be an object")),
    };
    let mut files = Vec::new();
    for (key, paths) in &map {
        let targets = targets(key, paths)?;
        for target in &targets {
            let place = slot(&mut variables, target).ok_or_else(|| {
                refused(format!(
                    "`map` sends file {key} to variables.{}, which is not in `variables`",
                    target.join(".")
                ))
            })?;
            // Where a file goes, the variable holds a placeholder until a
            // fetch sends the file itself.
            *place = Value::from(format!("<upload {key}>"));
        }
        files.push(UploadFile {
            key: key.clone(),
            filename: String::new(),
            content_type: String::new(),
            bytes: Bytes::new(),
            targets,
        });
    }
    request.variables = Some(Value::Object(variables));
    let mut received = 0;
    while let Some(field) = next().await? {
        let key = field.name().unwrap_or_default().to_owned();
        let file = files
            .iter_mut()
            .find(|f| f.key == key && f.bytes.is_empty() && f.filename.is_empty())
            .ok_or_else(|| {
                refused(format!("part `{key}` is not a file `map` names, or came twice"))
            })?;
        file.filename = field.file_name().unwrap_or("upload").to_owned();
        file.content_type =
            field.content_type().map_or("application/octet-stream".into(), ToString::to_string);
        file.bytes = field.bytes().await.map_err(|e| match e {
            multer::Error::FieldSizeExceeded { .. } => {
                too_large(format!("file {key} is larger than {} bytes", config.max_file_bytes))
            }
            e => refused(format!("file {key} could not be read: {e}")),
        })?;
        received += 1;
    }
    if received != files.len() {
        return Err(refused("`map` names a file the request does not carry"));
    }
    Ok((request, Uploads { files }))
}

async fn json_part<T: serde::de::DeserializeOwned>(
    field: Option<multer::Field<'static>>,
    name: &str,
) -> Result<T, RequestError> {
    let field = field.filter(|f| f.name() == Some(name)).ok_or_else(|| {
        refused(format!(
            "a multipart request starts with `operations`, then `map`; `{name}` is missing"
        ))
    })?;
    let bytes = field.bytes().await.map_err(|e| refused(format!("`{name}`: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| refused(format!("`{name}` is not valid JSON: {e}")))
}

/// `["variables.file", "variables.files.0"]` as paths from a variable.
fn targets(key: &str, paths: &Value) -> Result<Vec<Vec<String>>, RequestError> {
    let paths = paths
        .as_array()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| refused(format!("`map` must give file {key} a list of paths")))?;
    paths
        .iter()
        .map(|path| {
            let path = path.as_str().unwrap_or_default();
            let mut segments = path.split('.');
            match (segments.next(), segments.next()) {
                (Some("variables"), Some(variable)) if !variable.is_empty() => {
                    Ok(std::iter::once(variable).chain(segments).map(str::to_owned).collect())
                }
                _ => Err(refused(format!(
                    "`map` may only send a file to a variable (`variables.…`), not `{path}`"
                ))),
            }
        })
        .collect()
}

/// Refuses files sent to a variable that is not declared `Upload` (or a
/// list of them, for a path into the list).
pub fn check_targets(
    uploads: &Uploads,
    definitions: &[VariableDefinition],
) -> Result<(), RequestError> {
    for file in &uploads.files {
        for target in &file.targets {
            let Some((name, rest)) = target.split_first() else { continue };
            let declared = definitions.iter().find(|d| d.name == *name).map(|d| &d.var_type);
            if !declared.is_some_and(|t| is_upload(t, rest.len())) {
                return Err(RequestError::new(
                    RequestFailure::Invalid,
                    format!(
                        "file {} goes to `${}`, which is not an `Upload` argument",
                        file.key,
                        target.join(".")
                    ),
                    "BAD_USER_INPUT",
                ));
            }
        }
    }
    Ok(())
}

/// Whether `depth` list levels down, `declared` is `Upload`.
fn is_upload(declared: &Type, depth: usize) -> bool {
    match (declared, depth) {
        (Type::NonNullType(inner), _) => is_upload(inner, depth),
        (Type::ListType(inner), 1..) => is_upload(inner, depth - 1),
        (Type::NamedType(name), 0) => name == "Upload",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
        let mut text = String::new();
        for (name, filename, data) in parts {
            text.push_str("--B\r\n");
            match filename {
                Some(f) => text.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n")),
                None => text.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
            }
            text.push_str(data);
            text.push_str("\r\n");
        }
        text.push_str("--B--\r\n");
        Bytes::from(text)
    }

    const OPERATIONS: &str =
        r#"{"query":"mutation($f: Upload!) { up(file: $f) }","variables":{"f":null}}"#;

    #[tokio::test]
    async fn files_replace_their_variables_with_placeholders() {
        let config = UploadsConfig::default();
        let body = body(&[
            ("operations", None, OPERATIONS),
            ("map", None, r#"{"0":["variables.f"]}"#),
            ("0", Some("a.png"), "PNG"),
        ]);
        let (request, uploads) =
            parse(&config, 1024, "multipart/form-data; boundary=B", body).await.expect("parsed");
        assert_eq!(request.variables, Some(serde_json::json!({ "f": "<upload 0>" })));
        assert_eq!(uploads.files[0].bytes, Bytes::from_static(b"PNG"));
        assert_eq!(uploads.files[0].filename, "a.png");
    }

    #[tokio::test]
    async fn limits_and_malformed_maps_are_refused() {
        let config = UploadsConfig { max_file_bytes: 2, ..UploadsConfig::default() };
        let too_big = body(&[
            ("operations", None, OPERATIONS),
            ("map", None, r#"{"0":["variables.f"]}"#),
            ("0", Some("a.png"), "PNG"),
        ]);
        let error = parse(&config, 1024, "multipart/form-data; boundary=B", too_big).await.err();
        assert_eq!(error.map(|e| e.failure), Some(RequestFailure::TooLarge));
        let config = UploadsConfig::default();
        for map in
            [r#"{"0":["query"]}"#, r#"{"0":["variables.missing"]}"#, r#"{"1":["variables.f"]}"#]
        {
            let body = body(&[
                ("operations", None, OPERATIONS),
                ("map", None, map),
                ("0", Some("a"), "x"),
            ]);
            let error = parse(&config, 1024, "multipart/form-data; boundary=B", body).await.err();
            assert_eq!(error.map(|e| e.failure), Some(RequestFailure::BadRequest), "{map}");
        }
    }

    #[test]
    fn only_upload_variables_may_take_files() {
        let upload = || Box::new(Type::NamedType("Upload".into()));
        assert!(is_upload(&Type::NonNullType(upload()), 0));
        assert!(is_upload(&Type::ListType(Box::new(Type::NonNullType(upload()))), 1));
        assert!(!is_upload(&Type::ListType(upload()), 0));
        assert!(!is_upload(&Type::NamedType("String".into()), 0));
    }
}
