//! Web: `POST|GET /v{ver}/{agent|customer}/action/{name}`, uploads and uploaded files.

use crate::dispatch::{Ctx, Reply, dispatch, err, invalid};
use crate::server::{Shared, text};
use crate::state::{FileRec, Principal};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lc_protocol::error::{ApiError, ErrorBody, ErrorType};
use lc_protocol::id::CustomerId;
use lc_protocol::{Api, ApiVersion, HttpMethod, TransportKind, meta};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The documented upload limit.
pub(crate) const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// Largest JSON body accepted.
const MAX_BODY: usize = 1024 * 1024;
/// Customer actions that need no authorization.
const NO_AUTH: &[&str] = &["list_license_properties", "list_group_properties"];

/// Serves one Web action.
pub(crate) async fn action(
    req: Request<Incoming>,
    api: Api,
    version: ApiVersion,
    name: String,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    match run_action(req, api, version, &name, &shared).await {
        Ok(payload) => json_response(StatusCode::OK, payload.get().to_owned()),
        Err(error) => error_response(&error),
    }
}

async fn run_action(
    req: Request<Incoming>,
    api: Api,
    version: ApiVersion,
    name: &str,
    shared: &Shared,
) -> Reply {
    let get = meta::find_action(api, name).and_then(|m| m.web) == Some(HttpMethod::Get);
    if req.method() != Method::POST && !(get && req.method() == Method::GET) {
        return Err(invalid(format!(
            "`{name}` takes {}",
            if get { "GET or POST" } else { "POST" }
        )));
    }
    if api == Api::Customer {
        let expected = shared.lock().settings.organization_id.clone();
        match query_param(req.uri(), "organization_id") {
            Some(org) if org == expected => {}
            Some(_) => return Err(err(ErrorType::LicenseNotFound, "License not found")),
            None => return Err(invalid("organization_id is required")),
        }
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let who = match authorization {
        Some(value) => crate::auth::authenticate(&shared.lock(), &value)?,
        None if api == Api::Customer && NO_AUTH.contains(&name) => {
            Principal::Customer(CustomerId::new(""))
        }
        None => {
            return Err(err(
                ErrorType::Authentication,
                "Authorization header is required",
            ));
        }
    };
    if who.api() != api {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    }
    crate::dispatch::check_available(who.api(), version, TransportKind::Web, name)?;
    let payload = if name == "upload_file" {
        return upload(req, shared).await;
    } else if req.method() == Method::GET {
        query_object(req.uri())
    } else {
        body_object(req).await?
    };
    let raw = serde_json::value::to_raw_value(&payload).map_err(|e| invalid(e.to_string()))?;
    let mut state = shared.lock();
    let mut ctx = Ctx {
        state: &mut state,
        who,
        version,
        transport: TransportKind::Web,
        conn: None,
        base_url: &shared.base_url,
    };
    let reply = dispatch(&mut ctx, name, &raw);
    if reply.is_err() {
        state.outbox = Default::default();
    }
    crate::push::deliver(&mut state, None);
    reply
}

async fn body_object(req: Request<Incoming>) -> Result<Value, ApiError> {
    let body = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            err(
                ErrorType::EntityTooLarge,
                format!("Request body too large: {e}"),
            )
        })?
        .to_bytes();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(invalid(
            "Wrong format of request: the body must be a JSON object",
        )),
        Err(e) => Err(invalid(format!("Wrong format of request: {e}"))),
    }
}

/// Query parameters as a JSON object: numbers, booleans and JSON literals are decoded,
/// `key[]=a&key[]=b` becomes an array, `organization_id` is left out.
fn query_object(uri: &Uri) -> Value {
    let mut object = Map::new();
    for (key, value) in query_pairs(uri) {
        if key == "organization_id" || key == "license_id" {
            continue;
        }
        let decoded = match serde_json::from_str::<Value>(&value) {
            Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_))) => v,
            _ => Value::String(value),
        };
        if let Some(array_key) = key.strip_suffix("[]") {
            let entry = object
                .entry(array_key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(decoded);
            }
        } else {
            object.insert(key, decoded);
        }
    }
    Value::Object(object)
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// One query parameter, percent-decoded.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    query_pairs(uri)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// `upload_file`: a multipart body with one part named `file`, at most 10 MB.
async fn upload(req: Request<Incoming>, shared: &Shared) -> Reply {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| invalid("upload_file takes multipart/form-data with a part named `file`"))?;
    let stream = req.into_body().into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| invalid(format!("Wrong format of request: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_owned();
        let content_type = field
            .content_type()
            .map_or("application/octet-stream".to_owned(), ToString::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| invalid(format!("Wrong format of request: {e}")))?
        {
            if data.len() + chunk.len() > MAX_UPLOAD {
                return Err(ApiError::new(ErrorType::EntityTooLarge));
            }
            data.extend_from_slice(&chunk);
        }
        let mut state = shared.lock();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let url = format!("{}/files/{id}/{}", shared.base_url, url_safe(&name));
        state.files.insert(
            id,
            FileRec {
                name,
                content_type,
                bytes: Bytes::from(data),
            },
        );
        return crate::dispatch::encode(&serde_json::json!({ "url": url }));
    }
    Err(invalid("upload_file needs a part named `file`"))
}

fn url_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `GET /files/{id}/{name}`: an uploaded file.
pub(crate) fn file(id: &str, shared: &Shared) -> Response<Full<Bytes>> {
    let state = shared.lock();
    let Some(file) = state.files.get(id) else {
        return text(StatusCode::NOT_FOUND, "no such file");
    };
    let mut response = Response::new(Full::new(file.bytes.clone()));
    if let Ok(value) = HeaderValue::from_str(&file.content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// The HTTP status for an error type (the notes' suggested mapping, §2.4).
pub(crate) fn status_of(kind: &ErrorType) -> StatusCode {
    match kind {
        ErrorType::Validation => StatusCode::BAD_REQUEST,
        ErrorType::Authentication => StatusCode::UNAUTHORIZED,
        ErrorType::Authorization | ErrorType::MissingAccess | ErrorType::NotAllowed => {
            StatusCode::FORBIDDEN
        }
        ErrorType::NotFound
        | ErrorType::LicenseNotFound
        | ErrorType::GroupNotFound
        | ErrorType::GreetingNotFound => StatusCode::NOT_FOUND,
        ErrorType::AlreadyExists => StatusCode::CONFLICT,
        ErrorType::EntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorType::MisdirectedRequest => StatusCode::MISDIRECTED_REQUEST,
        ErrorType::ChatInactive | ErrorType::LimitReached => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorType::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorType::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorType::RequestTimeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error_response(error: &ApiError) -> Response<Full<Bytes>> {
    let body = serde_json::to_string(&ErrorBody {
        error: error.clone(),
    })
    .unwrap_or_default();
    json_response(status_of(&error.kind), body)
}
