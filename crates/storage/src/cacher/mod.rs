//! The watch cache (to come).
