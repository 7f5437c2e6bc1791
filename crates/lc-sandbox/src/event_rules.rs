//! What the service checks in an event a user sends (`send_event`, the events of
//! `start_chat` / `resume_chat`), and what it fills in: the required fields of each type,
//! the documented limits (message text ≤ 16 KB; rich messages ≤ 10 elements of ≤ 13
//! buttons) and, for a `file` event, the uploaded file's name, type, size and image
//! dimensions. A broken event is `validation`, as on the real service.

use crate::files::{FileRec, Files};
use crate::handler::invalid;
use lc_protocol::error::ApiError;
use lc_protocol::types::{Event, FileEvent, RichMessageEvent};

/// The longest message text, in bytes.
pub(crate) const MAX_TEXT: usize = 16 * 1024;
/// The most elements a rich message has.
pub(crate) const MAX_ELEMENTS: usize = 10;
/// The most buttons an element of a rich message has.
pub(crate) const MAX_BUTTONS: usize = 13;
/// The rich message templates.
const TEMPLATES: &[&str] = &["cards", "sticker", "quick_replies", "ecommerce"];
/// The types of a rich message button.
const BUTTON_TYPES: &[&str] = &["webview", "message", "url", "phone", "cancel"];

/// Checks a sent `event` and fills in what the service adds; `validation` when it lacks
/// a required field, breaks a limit, or is of a type users cannot send.
pub(crate) fn accept(files: &mut Files, event: &mut Event) -> Result<(), ApiError> {
    match event {
        Event::Message(message) => {
            let text = required(message.text.as_deref(), "event.text")?;
            if text.len() > MAX_TEXT {
                return Err(invalid(format!(
                    "`event.text` is longer than {MAX_TEXT} bytes"
                )));
            }
            if let Some(postback) = &message.postback {
                if postback.kind.is_some() != postback.value.is_some() {
                    return Err(invalid(
                        "`event.postback.type` and `event.postback.value` go together",
                    ));
                }
            }
            Ok(())
        }
        Event::File(file) => fill_file(files, file),
        Event::Form(form) => {
            required(form.form_id.as_deref(), "event.form_id")?;
            required(form.fields.as_ref(), "event.fields").map(drop)
        }
        Event::FilledForm(form) => {
            required(form.form_id.as_deref(), "event.form_id")?;
            required(form.fields.as_ref(), "event.fields").map(drop)
        }
        Event::RichMessage(rich) => check_rich_message(rich),
        Event::SystemMessage(system) => required(
            system.system_message_type.as_deref(),
            "event.system_message_type",
        )
        .map(drop),
        Event::Custom(_) => Ok(()),
        _ => Err(invalid(format!(
            "Events of type `{}` cannot be sent",
            event.kind()
        ))),
    }
}

/// `value`, or `validation` naming the missing `field`.
fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| invalid(format!("`{field}` is required")))
}

fn check_rich_message(rich: &RichMessageEvent) -> Result<(), ApiError> {
    let template = required(rich.template_id.as_deref(), "event.template_id")?;
    if !TEMPLATES.contains(&template) {
        return Err(invalid(format!(
            "`event.template_id` must be one of {}",
            TEMPLATES.join(", ")
        )));
    }
    let elements = rich.elements.as_deref().unwrap_or_default();
    if elements.len() > MAX_ELEMENTS {
        return Err(invalid(format!(
            "A rich message has at most {MAX_ELEMENTS} elements"
        )));
    }
    for element in elements {
        let buttons = element.buttons.as_deref().unwrap_or_default();
        if buttons.len() > MAX_BUTTONS {
            return Err(invalid(format!(
                "An element of a rich message has at most {MAX_BUTTONS} buttons"
            )));
        }
        for button in buttons {
            if let Some(kind) = button.kind.as_deref() {
                if !BUTTON_TYPES.contains(&kind) {
                    return Err(invalid(format!(
                        "`event.elements.buttons.type` must be one of {}",
                        BUTTON_TYPES.join(", ")
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A `file` event must point at a file uploaded with `upload_file` (the real service
/// takes only its own CDN's URLs); the service fills in the file's name, content type
/// and size, and for images the width and height and the thumbnails (the sandbox has no
/// resized copies: both thumbnails are the image's own URL). The upload is then kept for
/// good.
fn fill_file(files: &mut Files, file: &mut FileEvent) -> Result<(), ApiError> {
    let url = required(file.url.as_deref(), "event.url")?;
    let Some(rec) = files.find_by_url(url) else {
        return Err(invalid(
            "`event.url` must be the URL of a file uploaded with upload_file",
        ));
    };
    let FileRec {
        name,
        content_type,
        bytes,
        ..
    } = rec;
    let url = url.to_owned();
    file.name = Some(name.clone());
    file.content_type = Some(content_type.clone());
    file.size = Some(bytes.len() as u64);
    if let Some((width, height)) = image_size(bytes) {
        file.width = Some(width);
        file.height = Some(height);
        file.thumbnail_url = Some(url.clone());
        file.thumbnail2x_url = Some(url.clone());
    }
    files.mark_used(&url);
    Ok(())
}

/// The width and height of a PNG, GIF or JPEG image, read from its header; `None` for
/// anything else (or a header too short to tell).
pub(crate) fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let be32 = |at: usize| -> Option<u32> {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        return Some((be32(16)?, be32(20)?));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        let b = bytes.get(6..10)?;
        let width = u16::from_le_bytes([b[0], b[1]]);
        let height = u16::from_le_bytes([b[2], b[3]]);
        return Some((u32::from(width), u32::from(height)));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg_size(bytes);
    }
    None
}

/// The size in a JPEG's first start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        let marker = *bytes.get(at + 1)?;
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        let start_of_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if start_of_frame {
            let height = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
            let width = u16::from_be_bytes([*bytes.get(at + 7)?, *bytes.get(at + 8)?]);
            return Some((u32::from(width), u32::from(height)));
        }
        if length < 2 {
            return None;
        }
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::image_size;

    #[test]
    fn image_sizes_are_read_from_png_gif_and_jpeg_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((640, 480)));

        let gif = b"GIF89a\x20\x03\x58\x02rest";
        assert_eq!(image_size(gif), Some((800, 600)));

        // SOI, an APP0 segment of 16 bytes, then SOF0 with height 300 and width 200.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x00, 0xC8]);
        assert_eq!(image_size(&jpeg), Some((200, 300)));
    }

    #[test]
    fn other_or_broken_files_have_no_size() {
        assert_eq!(image_size(b"hello"), None);
        assert_eq!(image_size(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0"), None);
        assert_eq!(image_size(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]), None);
        assert_eq!(image_size(&[0xFF, 0xD8, 0xFF]), None);
        assert_eq!(image_size(&[0xFF, 0xD8, 0x00, 0xC0]), None);
    }
}
