//! A guard in front of the multipart parser of the uploads (`upload_file`, Inbenta's
//! `POST /v1/media`): the headers of a part may not run past [`MAX_PART_HEADERS`]
//! bytes. The parser looks for the end of a part's headers in everything it has
//! buffered, again at each chunk, so an endless header would cost it memory and time
//! that grow with the square of its length; the guard finds it in one pass.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::fmt;

/// The most bytes of one part's headers.
pub(crate) const MAX_PART_HEADERS: usize = 16 * 1024;

const HEADERS_END: &[u8] = b"\r\n\r\n";

/// Why a guarded body stopped.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Reading the body failed.
    Read(crate::body::BoxError),
    /// A part's headers ran past [`MAX_PART_HEADERS`].
    PartHeadersTooLong,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Read(err) => write!(f, "reading the body failed: {err}"),
            BodyError::PartHeadersTooLong => {
                write!(
                    f,
                    "a part's headers are longer than {MAX_PART_HEADERS} bytes"
                )
            }
        }
    }
}

impl std::error::Error for BodyError {}

/// Whether a multipart parser error came from the guard.
pub(crate) fn is_part_headers_too_long(error: &multer::Error) -> bool {
    let multer::Error::StreamReadFailed(source) = error else {
        return false;
    };
    matches!(
        source.downcast_ref::<BodyError>(),
        Some(BodyError::PartHeadersTooLong)
    )
}

/// `body`, failing with [`BodyError::PartHeadersTooLong`] once a part's headers grow
/// past the bound.
pub(crate) fn guard<S, E>(
    body: S,
    boundary: &str,
) -> impl Stream<Item = Result<Bytes, BodyError>> + use<S, E>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<crate::body::BoxError>,
{
    let mut scanner = Scanner::new(boundary);
    body.map(move |chunk| {
        let chunk = chunk.map_err(|err| BodyError::Read(err.into()))?;
        scanner.scan(&chunk)?;
        Ok(chunk)
    })
}

/// Where the scan is: in a part's data (or the preamble), or in the headers after a
/// delimiter, with how many header bytes were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Data,
    Headers(usize),
}

/// Follows the delimiters and part headers across chunks.
#[derive(Debug)]
struct Scanner {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    phase: Phase,
    /// The end of the previous chunk, which a pattern may straddle.
    carry: Vec<u8>,
}

impl Scanner {
    fn new(boundary: &str) -> Self {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        Self {
            delimiter,
            phase: Phase::Data,
            // The body's first delimiter has no line break before it.
            carry: b"\r\n".to_vec(),
        }
    }

    fn scan(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        let mut text = std::mem::take(&mut self.carry);
        text.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let rest = &text[at..];
            match self.phase {
                Phase::Data => match memchr::memmem::find(rest, &self.delimiter) {
                    Some(found) => {
                        at += found + self.delimiter.len();
                        self.phase = Phase::Headers(0);
                    }
                    None => {
                        let keep = rest.len().min(self.delimiter.len() - 1);
                        self.carry = rest[rest.len() - keep..].to_vec();
                        return Ok(());
                    }
                },
                Phase::Headers(seen) => {
                    let found = memchr::memmem::find(rest, HEADERS_END);
                    let length = seen + found.unwrap_or(rest.len());
                    if length > MAX_PART_HEADERS {
                        return Err(BodyError::PartHeadersTooLong);
                    }
                    let Some(found) = found else {
                        let keep = rest.len().min(HEADERS_END.len() - 1);
                        self.carry = rest[rest.len() - keep..].to_vec();
                        self.phase = Phase::Headers(seen + rest.len() - keep);
                        return Ok(());
                    };
                    at += found + HEADERS_END.len();
                    self.phase = Phase::Data;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_in_chunks(body: &[u8], size: usize) -> Result<(), BodyError> {
        let mut scanner = Scanner::new("XyZ");
        body.chunks(size).try_for_each(|chunk| scanner.scan(chunk))
    }

    fn part(headers: &str, data: &[u8]) -> Vec<u8> {
        let mut part = format!("--XyZ\r\n{headers}\r\n\r\n").into_bytes();
        part.extend_from_slice(data);
        part.extend_from_slice(b"\r\n");
        part
    }

    #[test]
    fn well_formed_bodies_pass_in_chunks_of_any_size() {
        let mut body = part("Content-Disposition: form-data; name=\"a\"", b"text");
        // Data with line breaks, blank lines and a near-delimiter, longer than the bound.
        let mut data = b"\r\n\r\n--Xy\r\n".repeat(3_000);
        data.extend_from_slice(&[0xFF; 20_000]);
        body.extend(part(
            "Content-Disposition: form-data; name=\"file\"; filename=\"f\"",
            &data,
        ));
        body.extend_from_slice(b"--XyZ--\r\n");
        for size in [1, 2, 3, 7, 64, 4096, body.len()] {
            assert!(scan_in_chunks(&body, size).is_ok(), "chunks of {size}");
        }
    }

    #[test]
    fn headers_past_the_bound_fail_wherever_the_chunks_cut() {
        let long = format!("X-Pad: {}", "a".repeat(MAX_PART_HEADERS));
        let body = part(&long, b"data");
        for size in [1, 5, 1000, body.len()] {
            assert!(
                matches!(
                    scan_in_chunks(&body, size),
                    Err(BodyError::PartHeadersTooLong)
                ),
                "chunks of {size}"
            );
        }
        let just = format!("X-Pad: {}", "a".repeat(MAX_PART_HEADERS - 16));
        assert!(scan_in_chunks(&part(&just, b"data"), 100).is_ok());
    }

    #[test]
    fn an_endless_header_fails_without_holding_it() {
        let mut scanner = Scanner::new("XyZ");
        scanner.scan(b"--XyZ\r\nX-Pad: ").unwrap();
        let pad = vec![b'a'; 1024];
        let mut failed = false;
        for _ in 0..64 {
            if scanner.scan(&pad).is_err() {
                failed = true;
                break;
            }
            assert!(scanner.carry.len() < 8, "only a few bytes are carried");
        }
        assert!(failed);
    }
}
