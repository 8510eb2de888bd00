//! The KMIP operations ekms does not run, each with why: the dispatcher answers them Operation
//! Not Supported with this reason, and Query, which lists only [`super::OPERATIONS`], never
//! names them. Every operation of the specification is in exactly one of the two tables (a
//! test checks it), so `ekms conformance report`, which asks a running server, reads each
//! reason from the dispatcher's answer.

use ekms_kmip::enums::Operation;

/// Why ekms answers these operations Operation Not Supported.
pub const REFUSED: &[(Operation, &str)] = &[
    (
        Operation::Validate,
        "ekms does not validate certificate chains for clients",
    ),
    (
        Operation::Notify,
        "a server-to-client operation: ekms never sends messages to clients",
    ),
    (
        Operation::Put,
        "a server-to-client operation: ekms never sends messages to clients",
    ),
    (
        Operation::Login,
        "ekms authenticates every request (client certificate or token, and the group secret): it issues no session tickets",
    ),
    (
        Operation::Logout,
        "ekms authenticates every request (client certificate or token, and the group secret): it issues no session tickets",
    ),
    (
        Operation::DelegatedLogin,
        "ekms authenticates every request (client certificate or token, and the group secret): it issues no session tickets",
    ),
    (Operation::Pkcs11, "ekms has no PKCS#11 interface"),
    (Operation::ReProvision, "ekms does not provision clients"),
    (
        Operation::SetDefaults,
        "the server's defaults are its settings, not changed over KMIP",
    ),
    (
        Operation::SetConstraints,
        "the server's constraints are its settings, not changed over KMIP",
    ),
    (
        Operation::GetConstraints,
        "the server's constraints are its settings, documented rather than served over KMIP",
    ),
    (
        Operation::QueryAsynchronousRequests,
        "ekms runs every operation synchronously: no request is ever pending",
    ),
    (
        Operation::Process,
        "ekms runs every operation synchronously: there is no pending or streamed operation to continue",
    ),
    (
        Operation::Ping,
        "not implemented: use Query or Discover Versions to check the server answers",
    ),
];

/// Why `op` is not run, if it is one of [`REFUSED`].
pub fn reason(op: Operation) -> Option<&'static str> {
    REFUSED.iter().find(|(o, _)| *o == op).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_either_run_or_refused_with_a_reason() {
        for op in Operation::ALL {
            let run = super::super::OPERATIONS.iter().any(|(o, _)| o == op);
            let refused = REFUSED.iter().filter(|(o, _)| o == op).count();
            assert!(
                run != (refused == 1) && refused <= 1,
                "{} must be in exactly one of OPERATIONS and REFUSED",
                op.name()
            );
        }
    }
}
