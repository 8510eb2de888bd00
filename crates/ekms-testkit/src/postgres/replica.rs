//! A throwaway primary with a synchronous streaming replica, for the failover tests: the
//! primary is a cluster of its own (not the shared one of [`super::cluster`]) run with
//! `synchronous_standby_names = '*'`, and the replica is made from it by `pg_basebackup -R`
//! (streaming replication, its connection to the primary written into its configuration), on
//! a free port and a directory of its own, run as the same system user. Since every commit
//! waits for the replica to have it, a write the primary acknowledged survives the primary's
//! loss once the replica is promoted ([`Cluster::promote`]).

use super::{Cluster, ROLE, installed, run};
use std::process::Command;
use std::time::{Duration, Instant};

/// A primary and its synchronous replica, each stopped and removed once the test binary has
/// exited.
#[derive(Debug)]
pub struct Replicated {
    pub primary: Cluster,
    pub replica: Cluster,
}

/// A new primary with a synchronous streaming replica, the replica streaming and synchronous
/// when this returns; `None` if PostgreSQL is not installed and `CI` is not set (one line
/// printed).
pub fn primary_with_replica() -> Option<Replicated> {
    let bin = installed()?;
    let primary = Cluster::create(bin.clone(), "-c synchronous_standby_names=*".into());
    primary.initdb();
    primary.pg_ctl_start();
    primary.watch();
    let mut replica = Cluster::create(bin, String::new());
    // One role, one password: the replica is a copy of the primary.
    replica.password = primary.password.clone();
    // -R: the replica's configuration gets `primary_conninfo` (with the password it was given)
    // and `standby.signal`; -X stream: the WAL written during the copy comes with it.
    run(
        replica
            .server_tool("pg_basebackup")
            .arg("-D")
            .arg(replica.data_dir())
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                ROLE,
            ])
            .args(["-R", "-X", "stream", "--no-sync", "-c", "fast"])
            .env("PGPASSWORD", &primary.password),
        "pg_basebackup",
    );
    replica.pg_ctl_start();
    replica.watch();
    let pair = Replicated { primary, replica };
    pair.wait_synchronous();
    Some(pair)
}

impl Replicated {
    /// Waits (up to 60 s) until the primary counts the replica as its synchronous standby.
    fn wait_synchronous(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = run(
                self.primary.client("psql", "postgres").args([
                    "-At",
                    "-c",
                    "SELECT sync_state FROM pg_stat_replication",
                ]),
                "psql",
            );
            if state.trim() == "sync" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica did not become synchronous (state {state:?}); its log:\n{}",
                std::fs::read_to_string(self.replica.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The URL of `database` naming both hosts, primary first, in libpq's form: only a writable
    /// server is kept (`target_session_attrs=read-write`), so a client follows a promotion.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{ROLE}@127.0.0.1:{},127.0.0.1:{}/{database}?target_session_attrs=read-write",
            self.primary.port, self.replica.port
        )
    }
}

impl Cluster {
    /// SIGKILL of the server's postmaster, as a crash of its machine would end it: no shutdown
    /// checkpoint, no goodbye to clients (its backends end on their own once they notice).
    pub fn kill(&self) {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .expect("postmaster.pid of a running cluster");
        let pid = pid_file
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        run(Command::new("kill").args(["-KILL", &pid]), "kill -KILL");
    }

    /// `pg_ctl promote`: a replica becomes a writable primary (waits until it is).
    pub fn promote(&self) {
        self.pg_ctl(&["-w", "-t", "60", "promote"]);
    }
}
