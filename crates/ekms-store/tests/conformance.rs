//! The shared store suite (`ekms_store::conformance`) on the SQLCipher engine, run from
//! outside the crate exactly as a second engine runs it: a fixture and one line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_store::conformance::Fixture;
use ekms_store::{ObjectStore, SqlCipherStore};
use std::sync::atomic::{AtomicBool, Ordering};

/// One group file in a directory of its own.
struct SqlFixture {
    dir: tempfile::TempDir,
    created: AtomicBool,
}

impl SqlFixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            created: AtomicBool::new(false),
        }
    }
}

impl Fixture for SqlFixture {
    fn open(&self) -> Box<dyn ObjectStore> {
        let path = self.dir.path().join("g.db");
        let key = [3u8; 32];
        if self.created.swap(true, Ordering::SeqCst) {
            Box::new(SqlCipherStore::open(&path, &key).unwrap())
        } else {
            Box::new(SqlCipherStore::create(&path, &key, "g").unwrap())
        }
    }
}

ekms_store::store_tests!(sqlcipher, SqlFixture::new);
