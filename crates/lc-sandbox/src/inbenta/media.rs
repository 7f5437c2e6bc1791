//! Media: the multipart upload `POST /v1/media` (fields `chatId`, `senderId`, file part
//! `media`), which posts a `media` message, and the download `GET /v1/media/{id}`.

use super::ctx::{Ctx, Who};
use super::error::{Fail, json_response};
use super::hub::Hub;
use super::messages::{self, Post};
use super::state::MediaRec;
use crate::body::RequestBody;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use lc_protocol::inbenta::{InbentaMedia, InbentaMessageType};
use serde_json::{Map, json};
use std::sync::Arc;

/// The largest file accepted.
const MAX_MEDIA: usize = 10 * 1024 * 1024;
/// The most of a multipart body read: past [`MAX_MEDIA`] the rest of the file is read
/// and dropped, so that a client still sending gets the 413 rather than a reset.
const MAX_STREAM: usize = 4 * MAX_MEDIA;

/// What the multipart body carried.
#[derive(Default)]
struct Upload {
    chat: Option<String>,
    sender: Option<String>,
    file: Option<(String, String, Bytes)>,
}

/// `POST /v1/media`.
pub(crate) async fn upload<B: RequestBody>(
    req: Request<B>,
    hub: &Arc<Hub>,
    app: &str,
    who: &Who,
) -> Result<Response<Full<Bytes>>, Fail> {
    let upload = read_upload(req).await?;
    let chat = upload
        .chat
        .ok_or_else(|| Fail::bad_request("The `chatId` field is required"))?;
    let (name, mime, bytes) = upload
        .file
        .ok_or_else(|| Fail::bad_request("The `media` file part is required"))?;
    let mut st = hub.lock();
    let mut ctx = Ctx::new(hub, &mut st, app);
    let sender = who.acting_as(upload.sender.as_deref(), "senderId")?;
    let record = ctx.app()?.chat(&chat)?;
    if !record.is_member(&sender) {
        return Err(Fail::forbidden("The sender is not a member of this chat"));
    }
    if record.closed {
        return Err(Fail::bad_request("The chat is closed"));
    }
    if !allowed(&ctx.app()?.config.allowed_media_types, &mime) {
        return Err(Fail::forbidden("File type is not allowed"));
    }
    // Unguessable, unlike the other ids: the id is all a download needs besides a session.
    let id = format!("f{}", uuid::Uuid::new_v4().simple());
    let url = format!("/media/{id}");
    let size = bytes.len() as u64;
    let media = InbentaMedia {
        id: Some(id.clone()),
        url: Some(url.clone()),
        kind: Some(mime.clone()),
        name: Some(name.clone()),
        size: Some(size),
        sender_id: Some(sender.clone()),
        extra: Map::new(),
    };
    ctx.app_mut()?.media.insert(
        id.clone(),
        MediaRec {
            chat: chat.clone(),
            name,
            mime,
            bytes,
        },
    );
    let content = serde_json::to_value(&media).unwrap_or_default();
    let post = Post {
        chat,
        sender: Some(sender),
        kind: InbentaMessageType::Media,
        content,
        event_id: None,
    };
    messages::post_message(&mut ctx, &Who::Server, post, None)?;
    Ok(json_response(
        StatusCode::OK,
        json!({ "media": media }).to_string(),
    ))
}

async fn read_upload<B: RequestBody>(req: Request<B>) -> Result<Upload, Fail> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Fail::bad_request("The upload must be multipart/form-data"))?;
    let stream = crate::multipart::guard(req.into_body().into_data_stream(), &boundary);
    let limits = multer::SizeLimit::new().whole_stream(MAX_STREAM as u64);
    let constraints = multer::Constraints::new().size_limit(limits);
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("chatId") => upload.chat = Some(field.text().await.map_err(multipart_error)?),
            Some("senderId") => {
                upload.sender = Some(field.text().await.map_err(multipart_error)?);
            }
            Some("media") => {
                let name = field.file_name().unwrap_or("file").to_owned();
                let mime = field
                    .content_type()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| guess_mime(&name).to_owned());
                let (mut data, mut too_large) = (Vec::new(), false);
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    too_large |= data.len() + chunk.len() > MAX_MEDIA;
                    if too_large {
                        data = Vec::new();
                    } else {
                        data.extend_from_slice(&chunk);
                    }
                }
                if too_large {
                    return Err(Fail::new(413, "The file is too large"));
                }
                upload.file = Some((name, mime, Bytes::from(data)));
            }
            _ => {}
        }
    }
    Ok(upload)
}

fn multipart_error(error: multer::Error) -> Fail {
    if crate::multipart::is_part_headers_too_long(&error) {
        return Fail::new(413, "A part's headers are too long");
    }
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Fail::new(413, "The file is too large")
        }
        other => Fail::bad_request(format!("Malformed multipart body: {other}")),
    }
}

/// The MIME type of a file part sent without one, from its name.
fn guess_mime(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// Whether `mime` matches one of `patterns` (`type/*` matches a family, `*/*` anything).
fn allowed(patterns: &[String], mime: &str) -> bool {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    patterns.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        match p.strip_suffix("/*") {
            Some("*") => true,
            Some(family) => mime.split('/').next() == Some(family),
            None => p == mime || p == "*",
        }
    })
}

/// `GET /v1/media/{id}`: the file, with its type, for the members of the chat it was
/// posted in and the app secret. It is served as an attachment that browsers must not
/// sniff, so that a file cannot run as a page of the sandbox's origin.
pub(crate) fn download(
    hub: &Hub,
    app: &str,
    who: &Who,
    id: &str,
) -> Result<Response<Full<Bytes>>, Fail> {
    let st = hub.lock();
    let app = st.app(app)?;
    let media = app
        .media
        .get(id)
        .ok_or_else(|| Fail::not_found("Media not found"))?;
    if let Who::User(user) = who {
        let member = app
            .chats
            .get(&media.chat)
            .is_some_and(|chat| chat.is_member(user));
        if !member {
            return Err(Fail::forbidden("Not a member of the chat of this file"));
        }
    }
    let mut response = Response::new(Full::new(media.bytes.clone()));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media.mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let safe: String = media
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
