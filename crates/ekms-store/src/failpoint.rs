//! Crash and failure points for tests: with the `failpoints` feature (compiled into test builds only, see
//! docs/server.md "Crash tests"), `EKMS_FAILPOINT=<name>` makes the process kill itself with
//! SIGKILL when it reaches the point of that name: no destructor, no flush, no signal handler
//! runs, as when an operator or the OOM killer ends it. Without the feature these functions do nothing and the
//! variable is never read.
//!
//! A failure point ([`fails`]) instead makes one step report a failure, for a test of what a
//! caller makes of it.
//!
//! The points live here, in a library, so that ekms-server's dev-dependency on this crate with
//! the feature turns them on in the server binary the tests run, and in no other build.

#[cfg(feature = "failpoints")]
fn armed(name: &str) -> bool {
    std::env::var("EKMS_FAILPOINT").is_ok_and(|v| v == name)
}

/// Sends SIGKILL to this process (through `kill(1)`, so without `unsafe`); aborts if that
/// could not be done, so the process never goes on past an armed point.
#[cfg(feature = "failpoints")]
fn die(name: &str) -> ! {
    eprintln!("failpoint {name}: killing the process (SIGKILL)");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &std::process::id().to_string()])
        .status();
    // SIGKILL is delivered before `kill` returns; this is reached only if it was not sent.
    std::thread::sleep(std::time::Duration::from_secs(1));
    std::process::abort()
}

/// Kills the process here if `EKMS_FAILPOINT` names this point.
#[inline]
pub fn hit(name: &str) {
    #[cfg(feature = "failpoints")]
    if armed(name) {
        die(name);
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// Kills the process `after` from now, whatever it is doing then, if `EKMS_FAILPOINT` names
/// this point: for a crash in the middle of a long step.
#[inline]
pub fn hit_later(name: &str, after: std::time::Duration) {
    #[cfg(feature = "failpoints")]
    if armed(name) {
        let name = name.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            die(&name);
        });
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = (name, after);
}

/// Whether `EKMS_FAILPOINT` names this failure point: the caller then fails the step as the
/// point's name says. Always false without the feature.
#[inline]
pub fn fails(name: &str) -> bool {
    #[cfg(feature = "failpoints")]
    return armed(name);
    #[cfg(not(feature = "failpoints"))]
    {
        let _ = name;
        false
    }
}
