//! ekms-attest
