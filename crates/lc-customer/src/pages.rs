//! Offset/limit pagination (customer-sdk's) over the API's page cursors.
//!
//! The API pages lists with opaque cursors (`page_id`); customer-sdk asks for `offset` and
//! `limit`. A window is read page by page from the first page it touches; the cursors met
//! on the way are remembered per list and page size, so that reading on (offset 0, 10,
//! 20, ...) costs one request per window. A cursor the server refuses (expired) is
//! forgotten and the window read again from the first page; every cursor is forgotten
//! when a new thread starts (`incoming_chat`), since it shifts the lists.

use lc_protocol::Error;
use lc_protocol::id::PageId;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Which part of a list to read: skip `offset` items, return at most `limit` (each
/// method has its own default and maximum).
///
/// ```
/// use lc_customer::Pagination;
///
/// let second_page = Pagination::new(10, 10);
/// let first_default = Pagination::default();
/// # let _ = (second_page, first_default);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pagination {
    /// Items to skip (default 0).
    pub offset: u32,
    /// Items to return at most (default: the method's default).
    pub limit: Option<u32>,
}

impl Pagination {
    /// Skip `offset` items, return at most `limit`.
    pub fn new(offset: u32, limit: u32) -> Self {
        Self {
            offset,
            limit: Some(limit),
        }
    }

    /// The limit to use: the default when unset; `InvalidInput` outside `1..=max`.
    pub(crate) fn limit_or(&self, default: u32, max: u32, method: &str) -> Result<u32, Error> {
        match self.limit.unwrap_or(default) {
            limit @ 1.. if limit <= max => Ok(limit),
            limit => Err(Error::InvalidInput(format!(
                "`{method}` takes a limit from 1 to {max}, not {limit}"
            ))),
        }
    }
}

/// One page as the API returned it.
pub(crate) struct Page<I> {
    pub(crate) items: Vec<I>,
    pub(crate) total: u64,
    pub(crate) next: Option<PageId>,
}

/// Remembered cursors: per (list, page size), the cursor of page `i + 1` at index `i`.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    lists: HashMap<(String, u32), Vec<PageId>>,
}

impl Cursors {
    pub(crate) fn clear(&mut self) {
        self.lists.clear();
    }

    /// The furthest known page at or before `page`, with its cursor (`None`: the first).
    fn start(&self, list: &str, size: u32, page: usize) -> (usize, Option<PageId>) {
        let known = self.lists.get(&(list.to_owned(), size));
        let reachable = known.map_or(0, Vec::len).min(page);
        let cursor = reachable
            .checked_sub(1)
            .and_then(|i| known.and_then(|k| k.get(i)).cloned());
        (reachable, cursor)
    }

    /// Remembers the cursor of page `page` (`page` ≥ 1).
    fn record(&mut self, list: &str, size: u32, page: usize, cursor: PageId) {
        let known = self.lists.entry((list.to_owned(), size)).or_default();
        let index = page - 1;
        if index < known.len() {
            known[index] = cursor;
        } else if index == known.len() {
            known.push(cursor);
        }
    }

    fn forget(&mut self, list: &str, size: u32) {
        self.lists.remove(&(list.to_owned(), size));
    }
}

/// The page size for a window: the limit itself when the window is a whole page of that
/// size, otherwise the largest page the API allows.
pub(crate) fn page_size(offset: u32, limit: u32, max_page: u32) -> u32 {
    if limit <= max_page && offset % limit == 0 {
        limit
    } else {
        max_page
    }
}

/// Reads the items `offset .. offset + limit` of `list` with pages of `size` items, and
/// the list's total. `fetch(cursor)` reads one page (`None`: the first).
pub(crate) async fn window<I, F, Fut>(
    cursors: &Mutex<Cursors>,
    list: &str,
    offset: u32,
    limit: u32,
    size: u32,
    mut fetch: F,
) -> Result<(Vec<I>, u64), Error>
where
    F: FnMut(Option<PageId>) -> Fut,
    Fut: Future<Output = Result<Page<I>, Error>>,
{
    let first = (offset / size) as usize;
    let (start, cursor) = lock(cursors).start(list, size, first);
    match read(
        cursors,
        list,
        offset,
        limit,
        size,
        start,
        cursor.clone(),
        &mut fetch,
    )
    .await
    {
        // A remembered cursor may have expired: read again from the first page.
        Err(Error::Api { .. }) if cursor.is_some() => {
            lock(cursors).forget(list, size);
            read(cursors, list, offset, limit, size, 0, None, &mut fetch).await
        }
        result => result,
    }
}

#[allow(clippy::too_many_arguments)]
async fn read<I, F, Fut>(
    cursors: &Mutex<Cursors>,
    list: &str,
    offset: u32,
    limit: u32,
    size: u32,
    mut page: usize,
    mut cursor: Option<PageId>,
    fetch: &mut F,
) -> Result<(Vec<I>, u64), Error>
where
    F: FnMut(Option<PageId>) -> Fut,
    Fut: Future<Output = Result<Page<I>, Error>>,
{
    let limit = limit as usize;
    let mut skip = (offset as usize).saturating_sub(page * size as usize);
    let mut items = Vec::with_capacity(limit);
    loop {
        let fetched = fetch(cursor).await?;
        if let Some(next) = &fetched.next {
            lock(cursors).record(list, size, page + 1, next.clone());
        }
        let count = fetched.items.len();
        let wanted = limit - items.len();
        items.extend(fetched.items.into_iter().skip(skip).take(wanted));
        skip = skip.saturating_sub(count);
        if items.len() >= limit || fetched.next.is_none() || count == 0 {
            return Ok((items, fetched.total));
        }
        cursor = fetched.next;
        page += 1;
    }
}

/// Locks the cursors; a panic elsewhere never makes them unusable.
fn lock(cursors: &Mutex<Cursors>) -> MutexGuard<'_, Cursors> {
    cursors.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_are_checked() {
        let default = Pagination::default();
        assert_eq!(default.limit_or(10, 25, "m").unwrap(), 10);
        assert!(Pagination::new(0, 26).limit_or(10, 25, "m").is_err());
        assert!(Pagination::new(0, 0).limit_or(10, 25, "m").is_err());
    }

    #[test]
    fn aligned_windows_use_their_own_page_size() {
        assert_eq!(page_size(20, 10, 25), 10);
        assert_eq!(page_size(5, 10, 25), 25);
        assert_eq!(page_size(0, 500, 100), 100);
    }

    #[test]
    fn cursors_resume_from_the_furthest_known_page() {
        let mut cursors = Cursors::default();
        assert_eq!(cursors.start("l", 10, 3), (0, None));
        cursors.record("l", 10, 1, PageId::new("p1"));
        cursors.record("l", 10, 2, PageId::new("p2"));
        assert_eq!(cursors.start("l", 10, 3), (2, Some(PageId::new("p2"))));
        assert_eq!(cursors.start("l", 10, 1), (1, Some(PageId::new("p1"))));
        assert_eq!(cursors.start("l", 25, 1), (0, None));
        cursors.forget("l", 10);
        assert_eq!(cursors.start("l", 10, 3), (0, None));
    }
}
