//! Crash points for tests: with the `failpoints` feature (compiled into test builds only, see
//! docs/server.md "Crash tests"), `EKMS_FAILPOINT=<name>` makes the process abort when it
//! reaches the point of that name. Without the feature these functions do nothing and the
//! variable is never read.
//!
//! The points live here, in a library, so that ekms-server's dev-dependency on this crate with
//! the feature turns them on in the server binary the tests run, and in no other build.

#[cfg(feature = "failpoints")]
fn armed(name: &str) -> bool {
    std::env::var("EKMS_FAILPOINT").is_ok_and(|v| v == name)
}

/// Aborts the process here if `EKMS_FAILPOINT` names this point.
#[inline]
pub fn hit(name: &str) {
    #[cfg(feature = "failpoints")]
    if armed(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// Aborts the process `after` from now, whatever it is doing then, if `EKMS_FAILPOINT` names
/// this point: for a crash in the middle of a long step.
#[inline]
pub fn hit_later(name: &str, after: std::time::Duration) {
    #[cfg(feature = "failpoints")]
    if armed(name) {
        let name = name.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            eprintln!("failpoint {name}: aborting");
            std::process::abort();
        });
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = (name, after);
}
