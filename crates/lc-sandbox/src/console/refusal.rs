//! [`Refusal`]: why the admin API refused a call.

/// What went wrong with an admin call: a status and a message.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// 400: the body or an argument is wrong.
    BadRequest(String),
    /// 404: no such user or connection.
    NotFound(String),
}
