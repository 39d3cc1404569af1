//! The etcd3 backend (to come).
