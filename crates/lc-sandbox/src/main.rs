//! `lc-sandbox`: run a local LiveChat server.

fn main() {}
