//! Uploaded files (`upload_file`), served at `/files/{id}/{name}`.
//!
//! Like the real service's upload URLs, a file that no `file` event uses expires 24 hours
//! after its upload; a file used in an event stays. Unused uploads are also capped in
//! number and bytes: past the cap the oldest unused ones go first.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How long an upload that no event uses is kept.
pub(crate) const UNUSED_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The most unused uploads kept.
pub(crate) const MAX_UNUSED_FILES: usize = 1_000;
/// The most bytes of unused uploads kept.
pub(crate) const MAX_UNUSED_BYTES: usize = 256 * 1024 * 1024;

/// An uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct FileRec {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: bytes::Bytes,
    /// Whether a `file` event points at it (then it never expires).
    pub(crate) used: bool,
}

/// The uploaded files by id, with the unused ones in upload order.
#[derive(Debug, Default)]
pub(crate) struct Files {
    by_id: HashMap<String, FileRec>,
    /// Unused uploads, oldest first (an id may already be used or gone: skipped).
    unused: VecDeque<(Instant, String)>,
    unused_bytes: usize,
}

impl Files {
    /// Stores an upload under `id`, first dropping the unused uploads that expired or
    /// that the cap pushes out.
    pub(crate) fn insert(&mut self, id: String, file: FileRec, now: Instant) {
        self.expire(now);
        while self.unused.len() >= MAX_UNUSED_FILES
            || (!self.unused.is_empty() && self.unused_bytes + file.bytes.len() > MAX_UNUSED_BYTES)
        {
            self.drop_oldest_unused();
        }
        self.unused_bytes += file.bytes.len();
        self.unused.push_back((now, id.clone()));
        self.by_id.insert(id, file);
    }

    /// The file with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&FileRec> {
        self.by_id.get(id)
    }

    /// The file a URL of the sandbox names (`…/files/{id}/{name}`).
    pub(crate) fn find_by_url(&self, url: &str) -> Option<&FileRec> {
        self.by_id.get(id_in_url(url)?)
    }

    /// Marks the file a URL names as used by an event: it no longer expires.
    pub(crate) fn mark_used(&mut self, url: &str) {
        let Some(id) = id_in_url(url) else { return };
        if let Some(file) = self.by_id.get_mut(id) {
            if !file.used {
                file.used = true;
                self.unused_bytes -= file.bytes.len();
            }
        }
    }

    /// How many files are stored.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Drops the unused uploads older than [`UNUSED_LIFETIME`].
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.unused.front() {
            if now.saturating_duration_since(*at) < UNUSED_LIFETIME {
                break;
            }
            self.drop_oldest_unused();
        }
    }

    fn drop_oldest_unused(&mut self) {
        let Some((_, id)) = self.unused.pop_front() else {
            return;
        };
        if self.by_id.get(&id).is_some_and(|file| !file.used) {
            if let Some(file) = self.by_id.remove(&id) {
                self.unused_bytes -= file.bytes.len();
            }
        }
    }
}

/// The file id in a URL of the sandbox: the segment after `/files/`.
fn id_in_url(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("/files/")?;
    rest.split('/').next().filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: usize) -> FileRec {
        FileRec {
            name: "a.txt".to_owned(),
            content_type: "text/plain".to_owned(),
            bytes: bytes::Bytes::from(vec![b'x'; size]),
            used: false,
        }
    }

    #[test]
    fn unused_uploads_expire_after_a_day_and_used_ones_stay() {
        let mut files = Files::default();
        let start = Instant::now();
        files.insert("a".into(), file(10), start);
        files.insert("b".into(), file(10), start);
        files.mark_used("http://127.0.0.1:1/files/b/a.txt");
        assert!(
            files
                .find_by_url("http://127.0.0.1:1/files/a/a.txt")
                .is_some()
        );

        files.expire(start + UNUSED_LIFETIME);
        assert!(files.get("a").is_none(), "unused and a day old");
        assert!(files.get("b").is_some(), "used by an event");
        assert_eq!(files.len(), 1);
        assert_eq!(files.unused_bytes, 0);
    }

    #[test]
    fn the_oldest_unused_uploads_make_room_past_the_caps() {
        let mut files = Files::default();
        let now = Instant::now();
        for n in 0..MAX_UNUSED_FILES + 5 {
            files.insert(n.to_string(), file(1), now);
        }
        assert_eq!(files.len(), MAX_UNUSED_FILES);
        assert!(files.get("0").is_none() && files.get("4").is_none());
        assert!(files.get("5").is_some());

        let big = MAX_UNUSED_BYTES / 2 + 1;
        files.insert("big1".into(), file(big), now);
        files.insert("big2".into(), file(big), now);
        assert!(files.get("big1").is_none(), "pushed out by bytes");
        assert!(files.get("big2").is_some());
        assert!(files.unused_bytes <= MAX_UNUSED_BYTES);
    }

    #[test]
    fn ids_are_read_from_sandbox_urls_only() {
        assert_eq!(id_in_url("http://h:1/files/abc/cat.png"), Some("abc"));
        assert_eq!(id_in_url("https://cdn.example.com/cat.png"), None);
        assert_eq!(id_in_url("http://h:1/files/"), None);
    }
}
