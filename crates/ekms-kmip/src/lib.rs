//! ekms-kmip
