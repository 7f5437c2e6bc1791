//! Unit tests of webhook delivery (filled in next).
