//! Web: `POST|GET /v{ver}/{agent|customer|configuration}/action/{name}`, uploads and
//! uploaded files.

use crate::auth::Credential;
use crate::body::RequestBody;
use crate::console::journal::WebCall;
use crate::cutoff::Cutoff;
use crate::dispatch::dispatch;
use crate::files::FileRec;
use crate::handler::{Ctx, Reply, err, invalid};
use crate::query::{query_pairs, query_param};
use crate::response::{lifecycle_header, text};
use crate::shared::Shared;
use crate::state::{AuthKind, Principal, Settings};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use lc_protocol::error::{ApiError, ErrorBody, ErrorType};
use lc_protocol::id::{AgentId, CustomerId};
use lc_protocol::{Api, ApiVersion, HttpMethod, TransportKind, meta};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The documented upload limit.
pub(crate) const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// How much of an oversized upload is read (and dropped) before answering.
const MAX_DRAIN: usize = 4 * MAX_UPLOAD;
/// File name endings `upload_file` refuses ("executables rejected", §2.5).
const EXECUTABLES: &[&str] = &[".exe", ".msi", ".bat", ".cmd", ".com", ".scr", ".dll"];
/// Configuration actions that need no authorization: `issue_bot_token` (the bot secret
/// is the credential, Q9) and `list_webhook_names` (documented).
const CONFIGURATION_NO_AUTH: &[&str] = &["issue_bot_token", "list_webhook_names"];
/// Largest JSON body accepted.
const MAX_BODY: usize = 1024 * 1024;
/// Customer actions that need no authorization: the property lists (documented) and the
/// widget's configuration reads, which a page makes before any customer exists ([I]).
const NO_AUTH: &[&str] = &[
    "list_license_properties",
    "list_group_properties",
    "get_dynamic_configuration",
    "get_configuration",
    "get_localization",
];

/// Serves one Web action, fault injection first: a raw answer, the response delay, a
/// forced failure. An action to drop after applying (`Sandbox::drop_after_applying`)
/// runs, then cuts the HTTP connection (`cutoff`) and never answers. Agent and Customer
/// calls go to the console's journal (their request once its body is read, and their
/// response).
pub(crate) async fn action<B: RequestBody>(
    req: Request<B>,
    api: Api,
    version: ApiVersion,
    name: String,
    shared: Arc<Shared>,
    cutoff: &Cutoff,
) -> Response<Full<Bytes>> {
    let mut call = crate::console::hooks::web_call(&shared, api, &name);
    let raw = shared.faults().take_raw_reply(&name);
    if let Some((status, body)) = raw {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        if let Some(call) = &call {
            call.response(status.is_success(), &body);
        }
        let mut response = json_response(StatusCode::OK, body, version);
        *response.status_mut() = status;
        return response;
    }
    if let Err(error) = wait_for_delay(&shared, &name).await {
        return failed(&error, version, call.as_ref());
    }
    let forced = shared.faults().take_failure(&name);
    if let Some(error) = forced {
        return failed(&error, version, call.as_ref());
    }
    let reply = run_action(req, api, version, &name, &shared, call.as_mut()).await;
    let drop_after = shared.faults().take_drop(&name);
    if drop_after {
        cutoff.cut();
        // The connection task drops this future with the connection.
        return std::future::pending().await;
    }
    match reply {
        Ok(payload) => {
            if let Some(call) = &call {
                call.response(true, payload.get());
            }
            json_response(StatusCode::OK, payload.get().to_owned(), version)
        }
        Err(error) => failed(&error, version, call.as_ref()),
    }
}

/// The error response of `error`, journaled on `call`.
fn failed(error: &ApiError, version: ApiVersion, call: Option<&WebCall>) -> Response<Full<Bytes>> {
    if let Some(call) = call {
        let body = serde_json::to_string(&ErrorBody {
            error: error.clone(),
        })
        .unwrap_or_default();
        call.response(false, &body);
    }
    error_response(error, version)
}

/// Runs one Web action: checks the method, organization, credentials and availability in
/// `version`, then runs the handler.
async fn run_action<B: RequestBody>(
    req: Request<B>,
    api: Api,
    version: ApiVersion,
    name: &str,
    shared: &Shared,
    call: Option<&mut WebCall>,
) -> Reply {
    check_method(req.method(), api, name)?;
    let region = req.headers().get("x-region").and_then(|v| v.to_str().ok());
    shared.faults().check_region(region)?;
    if api == Api::Customer {
        let legacy_ok = name == "get_dynamic_configuration";
        check_organization(req.uri(), version, legacy_ok, &shared.lock().settings)?;
    }
    let credential = requester(&req, api, name, shared)?;
    crate::dispatch::check_available(api, version, TransportKind::Web, name)?;
    let user = credential.principal.user_id_str().to_owned();
    if name == "upload_file" {
        if let Some(call) = call {
            call.request(Some(&user), "(multipart upload)");
        }
        return upload(req, shared).await;
    }
    let payload = Value::Object(payload_of(req).await?);
    if let Some(call) = call {
        call.request(Some(&user), &payload.to_string());
    }
    let raw = serde_json::value::to_raw_value(&payload).map_err(|e| invalid(e.to_string()))?;
    let mut state = shared.lock();
    let mut ctx = Ctx {
        state: &mut state,
        who: credential.principal,
        version,
        transport: TransportKind::Web,
        conn: None,
        client_id: credential.client_id,
        auth: credential.kind,
    };
    let reply = dispatch(&mut ctx, api, name, &raw);
    if reply.is_err() {
        state.outbox = Default::default();
    }
    crate::push::deliver(&mut state, None);
    reply
}

/// Waits for the response delay armed for `name`; a delay that reaches the request
/// timeout ends in `request_timeout` at the timeout.
async fn wait_for_delay(shared: &Shared, name: &str) -> Result<(), ApiError> {
    let delay = shared.faults().delay_for(name);
    let timeout = shared.timing.request_timeout;
    if delay >= timeout {
        tokio::time::sleep(timeout).await;
        return Err(ApiError::new(ErrorType::RequestTimeout));
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(())
}

/// Every action takes `POST`; the GET actions of the Customer API also take `GET`.
fn check_method(method: &Method, api: Api, name: &str) -> Result<(), ApiError> {
    let get = meta::find_action(api, name).and_then(|m| m.web) == Some(HttpMethod::Get);
    if method == Method::POST || (get && method == Method::GET) {
        return Ok(());
    }
    Err(invalid(format!(
        "`{name}` takes {}",
        if get { "GET or POST" } else { "POST" }
    )))
}

/// Checks the organization a customer request names (§2.1): `organization_id`; in 3.3
/// (and for `get_dynamic_configuration`, `legacy_ok`) also the older `license_id`. A
/// wrong one is `license_not_found`, a missing one `validation`.
pub(crate) fn check_organization(
    uri: &Uri,
    version: ApiVersion,
    legacy_ok: bool,
    settings: &Settings,
) -> Result<(), ApiError> {
    let (expected, given) = match query_param(uri, "organization_id") {
        Some(org) => (&settings.organization_id, org),
        None => match query_param(uri, "license_id") {
            Some(license) if legacy_ok || version == ApiVersion::V3_3 => {
                (&settings.license_id, license)
            }
            _ => return Err(invalid("organization_id is required")),
        },
    };
    if &given == expected {
        Ok(())
    } else {
        Err(ApiError::new(ErrorType::LicenseNotFound))
    }
}

/// The requester named by the `Authorization` header: `Bearer <token>` (agents,
/// customers, bots) or `Basic base64(account_id:PAT)` (agents only). The customer
/// property lists and two Configuration actions ([`CONFIGURATION_NO_AUTH`]) need none.
/// The Configuration API takes agent credentials only.
fn requester<B: RequestBody>(
    req: &Request<B>,
    api: Api,
    name: &str,
    shared: &Shared,
) -> Result<Credential, ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let anonymous = |principal| Credential {
        principal,
        client_id: None,
        kind: AuthKind::Anonymous,
    };
    let credential = match authorization {
        Some(value) => {
            // A banned customer is refused on every Web request, as at RTM login.
            let state = shared.lock();
            let credential = crate::auth::credential(&state, value)?;
            if let Principal::Customer(id) = &credential.principal {
                crate::customer_api::check_not_banned(&state, id)?;
            }
            credential
        }
        None if api == Api::Customer && NO_AUTH.contains(&name) => {
            anonymous(Principal::Customer(CustomerId::new("")))
        }
        None if api == Api::Configuration && CONFIGURATION_NO_AUTH.contains(&name) => {
            anonymous(Principal::Agent(AgentId::new("")))
        }
        None => {
            return Err(err(
                ErrorType::Authentication,
                "Authorization header is required",
            ));
        }
    };
    let expected = match api {
        Api::Configuration => Api::Agent,
        other => other,
    };
    if credential.principal.api() != expected {
        return Err(err(ErrorType::Authentication, "Invalid access token"));
    }
    Ok(credential)
}

/// The request payload: the JSON body of a `POST`; for a `GET`, the query parameters,
/// completed by the fields of a JSON body if one is sent too (lc-sdk-js sends both).
async fn payload_of<B: RequestBody>(req: Request<B>) -> Result<Map<String, Value>, ApiError> {
    if req.method() != Method::GET {
        return body_object(req).await;
    }
    let mut payload = query_object(req.uri());
    for (key, value) in body_object(req).await? {
        payload.entry(key).or_insert(value);
    }
    Ok(payload)
}

/// The body as a JSON object (an empty body is `{}`). Malformed or truncated JSON, or a
/// body that ends early, is `validation`; more than [`MAX_BODY`] is `entity_too_large`.
async fn body_object<B: RequestBody>(req: Request<B>) -> Result<Map<String, Value>, ApiError> {
    let body = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                err(ErrorType::EntityTooLarge, "Request body too large")
            } else {
                invalid(format!("Wrong format of request: unreadable body: {e}"))
            }
        })?
        .to_bytes();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(invalid(
            "Wrong format of request: the body must be a JSON object",
        )),
        Err(e) => Err(invalid(format!("Wrong format of request: {e}"))),
    }
}

/// Query parameters as a JSON object: numbers, booleans and JSON literals are decoded,
/// `key[]=a&key[]=b` becomes an array, `organization_id` is left out.
fn query_object(uri: &Uri) -> Map<String, Value> {
    let mut object = Map::new();
    for (key, value) in query_pairs(uri) {
        if key == "organization_id" || key == "license_id" {
            continue;
        }
        let decoded = decode_query_value(&key, value);
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
    object
}

/// Query parameters of the GET actions that are not strings: group ids are integers,
/// `test` is a boolean. Everything else stays a string, even when it looks like a number
/// (e.g. `version=1`).
const TYPED_QUERY_KEYS: &[&str] = &["id", "group_id", "test"];

/// A query value as JSON: integers and booleans for [`TYPED_QUERY_KEYS`], JSON arrays and
/// objects as such, strings otherwise.
fn decode_query_value(key: &str, value: String) -> Value {
    let bare = key.strip_suffix("[]").unwrap_or(key);
    match serde_json::from_str::<Value>(&value) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) if TYPED_QUERY_KEYS.contains(&bare) => v,
        Ok(v @ (Value::Array(_) | Value::Object(_))) => v,
        _ => Value::String(value),
    }
}

/// `upload_file` (§2.5): a multipart body with one part named `file`, at most
/// [`MAX_UPLOAD`] bytes (`entity_too_large`), not an executable (`validation`). The file is
/// served back at the returned URL with the part's content type.
async fn upload<B: RequestBody>(req: Request<B>, shared: &Shared) -> Reply {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| invalid("upload_file takes multipart/form-data with a part named `file`"))?;
    let stream = crate::multipart::guard(req.into_body().into_data_stream(), &boundary);
    // The whole body is bounded too: no part, header or preamble can hold more.
    let limits = multer::SizeLimit::new().whole_stream(MAX_DRAIN as u64);
    let constraints = multer::Constraints::new().size_limit(limits);
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_owned();
        if is_executable(&name) {
            return Err(invalid("Executable files cannot be uploaded"));
        }
        let content_type = field
            .content_type()
            .map_or("application/octet-stream".to_owned(), ToString::to_string);
        let bytes = read_file_part(field).await?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let url = format!("{}/files/{id}/{}", shared.base_url, url_safe(&name));
        let file = FileRec {
            name,
            content_type,
            bytes,
            used: false,
        };
        let now = std::time::Instant::now();
        shared.lock().files.insert(id, file, now);
        return crate::handler::encode(&serde_json::json!({ "url": url }));
    }
    Err(invalid("upload_file needs a part named `file`"))
}

/// The content of the `file` part. Past [`MAX_UPLOAD`] it keeps reading (up to
/// [`MAX_DRAIN`]) without storing, so that the client, still sending, gets the
/// `entity_too_large` answer instead of a reset connection.
async fn read_file_part(mut field: multer::Field<'_>) -> Result<Bytes, ApiError> {
    let mut data = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        seen += chunk.len();
        if seen > MAX_DRAIN {
            break;
        }
        if seen <= MAX_UPLOAD {
            data.extend_from_slice(&chunk);
        }
    }
    if seen > MAX_UPLOAD {
        return Err(ApiError::new(ErrorType::EntityTooLarge));
    }
    Ok(Bytes::from(data))
}

/// A multipart body that does not parse: `validation`; one that goes past its size
/// bound: `entity_too_large`.
fn multipart_error(error: multer::Error) -> ApiError {
    let too_large = matches!(
        error,
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. }
    );
    if too_large || crate::multipart::is_part_headers_too_long(&error) {
        return ApiError::new(ErrorType::EntityTooLarge);
    }
    invalid(format!("Wrong format of request: {error}"))
}

/// Whether a file name looks like an executable ([I] by extension).
fn is_executable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXECUTABLES.iter().any(|ext| lower.ends_with(ext))
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

/// `GET /files/{id}/{name}`: an uploaded file, as an attachment that browsers must not
/// sniff (its type is whatever the uploader said), so that it cannot run as a page of the
/// sandbox's origin.
pub(crate) fn file(id: &str, shared: &Shared) -> Response<Full<Bytes>> {
    let state = shared.lock();
    let Some(file) = state.files.get(id) else {
        return text(StatusCode::NOT_FOUND, "no such file");
    };
    let mut response = Response::new(Full::new(file.bytes.clone()));
    if let Ok(value) = HeaderValue::from_str(&file.content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let disposition = format!("attachment; filename=\"{}\"", url_safe(&file.name));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
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

/// A JSON response carrying the lifecycle header of `version`.
fn json_response(status: StatusCode, body: String, version: ApiVersion) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some((name, value)) = lifecycle_header(version) {
        headers.insert(name, value);
    }
    response
}

/// `{"error": {...}}` with the status of [`status_of`]; `too_many_requests` also carries
/// `Retry-After: 1` ([I] the real service documents no header).
pub(crate) fn error_response(error: &ApiError, version: ApiVersion) -> Response<Full<Bytes>> {
    let body = serde_json::to_string(&ErrorBody {
        error: error.clone(),
    })
    .unwrap_or_default();
    let mut response = json_response(status_of(&error.kind), body, version);
    if error.kind == ErrorType::TooManyRequests {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(text: &str) -> Value {
        let uri: Uri = format!("/v3.6/customer/action/x?{text}")
            .parse()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        Value::Object(query_object(&uri))
    }

    #[test]
    fn query_parameters_decode_ids_booleans_and_text() {
        assert_eq!(
            query("id=0&test=true&name=a%20b+c&organization_id=org"),
            json!({"id": 0, "test": true, "name": "a b c"})
        );
    }

    #[test]
    fn number_looking_text_parameters_stay_strings() {
        assert_eq!(
            query("group_id=2&version=1&language=1"),
            json!({"group_id": 2, "version": "1", "language": "1"})
        );
    }

    #[test]
    fn repeated_bracketed_query_parameters_make_an_array() {
        assert_eq!(
            query("group_id[]=1&group_id[]=2&names%5B%5D=x"),
            json!({"group_id": [1, 2], "names": ["x"]})
        );
    }
}
