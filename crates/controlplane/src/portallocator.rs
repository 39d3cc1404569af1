//! NodePort allocation from --service-node-port-range (30000-32767 by
//! default), rebuilt from the stored Services at start.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::ipallocator::take_free;

/// Why a port could not be allocated, worded as upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The port is taken.
    #[error("provided port is already allocated")]
    Allocated,
    /// The port is outside the range.
    #[error("provided port is not in the valid range. The range of valid ports is {0}")]
    OutOfRange(String),
    /// Every port is taken.
    #[error("range is full")]
    Full,
}

/// The allocator of the node port range.
pub struct PortAllocator {
    range: String,
    first: u32,
    count: u32,
    used: Mutex<BTreeSet<u32>>,
}

impl PortAllocator {
    /// An allocator for a range such as `30000-32767`.
    pub fn new(range: &str) -> Result<Self, String> {
        let (first, last) = range.split_once('-').ok_or_else(|| format!("invalid port range {range:?}"))?;
        let (first, last): (u32, u32) = (
            first.trim().parse().map_err(|_| format!("invalid port range {range:?}"))?,
            last.trim().parse().map_err(|_| format!("invalid port range {range:?}"))?,
        );
        if first == 0 || last > 65535 || last < first {
            return Err(format!("invalid port range {range:?}"));
        }
        Ok(PortAllocator { range: format!("{first}-{last}"), first, count: last - first + 1, used: Mutex::default() })
    }

    /// Takes a specific port.
    pub fn allocate(&self, port: u32) -> Result<(), PortError> {
        if port < self.first || port >= self.first + self.count {
            return Err(PortError::OutOfRange(self.range.clone()));
        }
        if self.used.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            Ok(())
        } else {
            Err(PortError::Allocated)
        }
    }

    /// Takes any free port.
    pub fn allocate_next(&self) -> Result<u32, PortError> {
        take_free(&mut self.used.lock().unwrap_or_else(|p| p.into_inner()), self.first, self.count)
            .ok_or(PortError::Full)
    }

    /// Gives a port back.
    pub fn release(&self, port: u32) {
        self.used.lock().unwrap_or_else(|p| p.into_inner()).remove(&port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_handed_out_once_within_the_range() {
        let ports = PortAllocator::new("30000-30002").unwrap();
        ports.allocate(30001).unwrap();
        assert_eq!(ports.allocate(30001), Err(PortError::Allocated));
        assert!(matches!(ports.allocate(80), Err(PortError::OutOfRange(_))));
        let mut seen = vec![ports.allocate_next().unwrap(), ports.allocate_next().unwrap()];
        seen.sort();
        assert_eq!(seen, [30000, 30002]);
        assert_eq!(ports.allocate_next(), Err(PortError::Full));
        ports.release(30000);
        assert_eq!(ports.allocate_next(), Ok(30000));
    }
}
