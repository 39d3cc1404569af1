//! Compaction (to come).
