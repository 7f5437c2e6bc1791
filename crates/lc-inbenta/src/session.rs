//! [`InbentaSession`]: it lives in `lc_protocol::session`, beside the Inbenta dialect.

pub use lc_protocol::session::InbentaSession;
