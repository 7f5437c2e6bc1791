//! [`Upload`]: a file to send as `multipart/form-data`, with progress and cancellation.

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

/// The largest file the LiveChat `upload_file` action takes: 10 MB.
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

type Progress = Arc<dyn Fn(f64) + Send + Sync>;

/// A file to upload: from memory, a path or any [`AsyncRead`], with an optional
/// progress callback and cancellation token.
///
/// ```no_run
/// # async fn demo(client: lc_web::WebClient) -> Result<(), lc_protocol::Error> {
/// use lc_web::Upload;
/// use tokio_util::sync::CancellationToken;
///
/// let cancel = CancellationToken::new();
/// let upload = Upload::bytes("notes.txt", b"hello".to_vec())
///     .content_type("text/plain")
///     .on_progress(|done| eprintln!("{:.0}%", done * 100.0))
///     .cancel_on(cancel.clone());
/// let uploaded = client.upload_file(upload).await?;
/// println!("{}", uploaded.url);
/// # Ok(())
/// # }
/// ```
pub struct Upload {
    pub(crate) file_name: String,
    pub(crate) content_type: Option<String>,
    pub(crate) part_name: String,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) progress: Option<Progress>,
    pub(crate) cancel: Option<CancellationToken>,
    source: Source,
}

enum Source {
    Bytes(Bytes),
    Path {
        path: PathBuf,
        len: u64,
    },
    Reader {
        len: u64,
        reader: Option<Box<dyn AsyncRead + Send + Unpin>>,
    },
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("part_name", &self.part_name)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Upload {
    fn with_source(file_name: String, source: Source) -> Self {
        Self {
            file_name,
            content_type: None,
            part_name: "file".to_owned(),
            fields: Vec::new(),
            progress: None,
            cancel: None,
            source,
        }
    }

    /// A file held in memory.
    pub fn bytes(file_name: impl Into<String>, data: impl Into<Bytes>) -> Self {
        Self::with_source(file_name.into(), Source::Bytes(data.into()))
    }

    /// A file on disk, named after its last path component. Its size is read now; its
    /// content when sending (again on a retry).
    ///
    /// # Errors
    /// When the file's metadata cannot be read.
    pub async fn path(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let len = tokio::fs::metadata(&path).await?.len();
        let name = path
            .file_name()
            .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
        let content_type = guess_content_type(&name).to_owned();
        Ok(Self::with_source(name, Source::Path { path, len }).content_type(content_type))
    }

    /// A stream of exactly `len` bytes. It can be sent once, so it is not retried after
    /// sending started.
    pub fn reader(
        file_name: impl Into<String>,
        len: u64,
        reader: impl AsyncRead + Send + Unpin + 'static,
    ) -> Self {
        let source = Source::Reader {
            len,
            reader: Some(Box::new(reader)),
        };
        Self::with_source(file_name.into(), source)
    }

    /// The part's `Content-Type` (default: guessed from the file name's extension).
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }

    /// Called with the share of the file sent so far, from 0.0 to 1.0.
    pub fn on_progress(mut self, f: impl Fn(f64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Cancelling `token` stops the upload; the call ends with `Error::Cancelled`.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// A text field sent before the file part (e.g. Inbenta's `chatId`).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// The name of the file part (default `file`, as LiveChat expects).
    pub fn part_name(mut self, name: impl Into<String>) -> Self {
        self.part_name = name.into();
        self
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        match &self.source {
            Source::Bytes(bytes) => bytes.len() as u64,
            Source::Path { len, .. } | Source::Reader { len, .. } => *len,
        }
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the body can be built again for a retry.
    pub(crate) fn replayable(&self) -> bool {
        !matches!(self.source, Source::Reader { .. })
    }

    /// The multipart body for one attempt: its content type, length and byte stream;
    /// `None` when a one-shot reader was already used.
    pub(crate) async fn body(&mut self) -> io::Result<Option<MultipartBody>> {
        let boundary = format!("lc-web-{}", uuid::Uuid::new_v4().simple());
        let len = self.len();
        let file: BoxStream<'static, io::Result<Bytes>> = match &mut self.source {
            Source::Bytes(bytes) => {
                let chunks: Vec<io::Result<Bytes>> = (0..bytes.len())
                    .step_by(CHUNK)
                    .map(|at| Ok(bytes.slice(at..(at + CHUNK).min(bytes.len()))))
                    .collect();
                stream::iter(chunks).boxed()
            }
            Source::Path { path, .. } => {
                let file = tokio::fs::File::open(&*path).await?;
                exact(ReaderStream::with_capacity(file.take(len), CHUNK), len)
            }
            Source::Reader { reader, .. } => match reader.take() {
                None => return Ok(None),
                Some(reader) => exact(ReaderStream::with_capacity(reader.take(len), CHUNK), len),
            },
        };
        let content_type = self
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(&self.file_name).to_owned());
        let mut head = String::new();
        for (name, value) in &self.fields {
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                quoted(name)
            ));
        }
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            quoted(&self.part_name),
            quoted(&self.file_name),
            content_type.replace(['\r', '\n'], "")
        ));
        let tail = format!("\r\n--{boundary}--\r\n");
        let total = head.len() as u64 + len + tail.len() as u64;
        let file = with_progress(file, len, self.progress.clone());
        let stream = stream::once(async move { Ok(Bytes::from(head)) })
            .chain(file)
            .chain(stream::once(async move { Ok(Bytes::from(tail)) }))
            .boxed();
        Ok(Some(MultipartBody {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            len: total,
            stream,
        }))
    }
}

/// One attempt's multipart body.
pub(crate) struct MultipartBody {
    pub(crate) content_type: String,
    pub(crate) len: u64,
    pub(crate) stream: BoxStream<'static, io::Result<Bytes>>,
}

const CHUNK: usize = 64 * 1024;

/// Fails the stream if it ends before `len` bytes (a shorter file or reader).
fn exact(
    inner: impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static,
    len: u64,
) -> BoxStream<'static, io::Result<Bytes>> {
    let state = (inner.boxed(), 0u64, false);
    stream::unfold(state, move |(mut inner, seen, ended)| async move {
        if ended {
            return None;
        }
        match inner.next().await {
            Some(Ok(chunk)) => {
                let seen = seen + chunk.len() as u64;
                Some((Ok(chunk), (inner, seen, false)))
            }
            Some(Err(err)) => Some((Err(err), (inner, seen, true))),
            None if seen < len => {
                let err = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the file ended after {seen} of its {len} bytes"),
                );
                Some((Err(err), (inner, seen, true)))
            }
            None => None,
        }
    })
    .boxed()
}

/// Reports the share of `len` file bytes that went through the stream.
fn with_progress(
    file: BoxStream<'static, io::Result<Bytes>>,
    len: u64,
    progress: Option<Progress>,
) -> BoxStream<'static, io::Result<Bytes>> {
    let Some(progress) = progress else {
        return file;
    };
    progress(0.0);
    stream::unfold((file, 0u64), move |(mut file, sent)| {
        let progress = progress.clone();
        async move {
            match file.next().await {
                Some(Ok(chunk)) => {
                    let sent = sent + chunk.len() as u64;
                    progress((sent as f64 / len as f64).min(1.0));
                    Some((Ok(chunk), (file, sent)))
                }
                Some(Err(err)) => Some((Err(err), (file, sent))),
                None => {
                    if len == 0 {
                        progress(1.0);
                    }
                    None
                }
            }
        }
    })
    .boxed()
}

/// A header parameter value with its quotes and line breaks escaped.
fn quoted(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A MIME type for common file extensions; `application/octet-stream` otherwise.
pub fn guess_content_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    async fn collect(body: MultipartBody) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut stream = body.stream;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn the_body_is_multipart_with_fields_first_and_its_declared_length() {
        let mut upload = Upload::bytes("a\"b.png", vec![7u8; 100_000])
            .field("chatId", "c1")
            .part_name("media");
        let body = upload.body().await.unwrap().unwrap();
        assert!(
            body.content_type
                .starts_with("multipart/form-data; boundary=lc-web-")
        );
        let len = body.len;
        let bytes = collect(body).await.unwrap();
        assert_eq!(bytes.len() as u64, len);
        let text = String::from_utf8_lossy(&bytes);
        let field = text.find("name=\"chatId\"\r\n\r\nc1\r\n").unwrap();
        let file = text
            .find("name=\"media\"; filename=\"a%22b.png\"\r\nContent-Type: image/png")
            .unwrap();
        assert!(field < file);
    }

    #[tokio::test]
    async fn progress_climbs_to_one() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut upload = Upload::bytes("x.bin", vec![0u8; 3 * CHUNK + 5])
            .on_progress(move |p| sink.lock().unwrap().push(p));
        collect(upload.body().await.unwrap().unwrap())
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.first(), Some(&0.0));
        assert_eq!(seen.last(), Some(&1.0));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(seen.len(), 5);
    }

    #[tokio::test]
    async fn a_short_reader_fails_the_body_and_is_not_replayable() {
        let mut upload = Upload::reader("x.txt", 10, &b"four"[..]);
        assert!(!upload.replayable());
        let err = collect(upload.body().await.unwrap().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(upload.body().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_long_reader_is_cut_at_its_declared_length() {
        let mut upload = Upload::reader("x.txt", 3, &b"abcdef"[..]);
        let body = upload.body().await.unwrap().unwrap();
        let len = body.len;
        let bytes = collect(body).await.unwrap();
        assert_eq!(bytes.len() as u64, len);
        assert!(String::from_utf8_lossy(&bytes).contains("\r\n\r\nabc\r\n--"));
    }

    #[test]
    fn content_types_are_guessed_from_extensions() {
        assert_eq!(guess_content_type("A.JPG"), "image/jpeg");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }
}
