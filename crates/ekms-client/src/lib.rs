//! ekms-client
