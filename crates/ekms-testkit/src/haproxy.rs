//! A throwaway HAProxy in front of several `ekms-server` nodes, for the tests of several
//! nodes: its configuration in a temporary directory, a free port on 127.0.0.1, TLS passed
//! through untouched (`mode tcp`, so each node's enclave keeps its own TLS key), the backends
//! taken in turn (`balance roundrobin`, one backend per connection), each health-checked with
//! `GET /health/ready` over TLS.
//!
//! When HAProxy is not installed, [`Haproxy::start`] prints one line naming the Debian package
//! and returns `None` (the test skips), or panics if the environment variable `CI` is set, so
//! that a CI run never passes without these tests.

use crate::Process;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The Debian package that provides HAProxy.
pub const DEBIAN_PACKAGE: &str = "haproxy";

/// A running HAProxy, stopped (and its directory removed) when dropped.
pub struct Haproxy {
    /// `127.0.0.1:<port>`, the address clients connect to.
    pub addr: String,
    /// Its configuration file, as written.
    pub config: String,
    process: Process,
    dir: tempfile::TempDir,
}

/// `haproxy` on the PATH, or in Debian's place for it (`/usr/sbin`, not on every user's PATH).
fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("haproxy"))
        .find(|p| p.is_file())
}

/// The configuration of a TCP passthrough to `backends` (`host:port` of each node's HTTPS
/// listener), listening on `listen`: the configuration docs/several-nodes.md shows.
pub fn config(listen: &str, backends: &[&str]) -> String {
    let mut out = format!(
        "defaults
    mode tcp
    timeout connect 2s
    timeout client 180s
    timeout server 180s
    timeout check 3s

frontend ekms
    bind {listen}
    default_backend ekms_nodes

backend ekms_nodes
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
"
    );
    for (i, b) in backends.iter().enumerate() {
        out.push_str(&format!(
            "    server node{i} {b} check check-ssl verify none inter 1s\n"
        ));
    }
    out
}

impl Haproxy {
    /// Starts HAProxy passing connections through to `backends` (`host:port` each); `None`
    /// (one line printed) if HAProxy is not installed and `CI` is not set.
    pub fn start(backends: &[&str]) -> Option<Haproxy> {
        let Some(bin) = find_binary() else {
            crate::missing("HAProxy", DEBIAN_PACKAGE);
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", crate::postgres::free_port());
        let config = config(&addr, backends);
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, &config).unwrap();
        let mut cmd = Command::new(bin);
        // -db: in the foreground, logging to stderr; the test kills it.
        cmd.arg("-db").arg("-f").arg(&file);
        let process = Process::start(cmd, "haproxy");
        let proxy = Haproxy {
            addr,
            config,
            process,
            dir,
        };
        proxy.wait_listening();
        Some(proxy)
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&self.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "haproxy does not listen on {}; log:\n{}",
                self.addr,
                self.process.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `https://<addr>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Everything HAProxy printed so far (its warnings and health-check changes).
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The directory of its configuration.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documented_configuration_is_the_tested_one() {
        let doc = include_str!("../../../docs/several-nodes.md");
        let production = super::config(":9998", &["10.0.0.11:9998", "10.0.0.12:9998"]);
        assert!(
            doc.contains(&format!("```\n{production}```")),
            "docs/several-nodes.md does not show the configuration the tests run:\n{production}"
        );
    }
}
