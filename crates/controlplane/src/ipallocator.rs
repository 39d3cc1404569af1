//! Cluster IP allocation from --service-cluster-ip-range (IPv4). The first
//! address after the network is the `kubernetes` service's; the rest are
//! handed out from a random starting point. Allocations are rebuilt from the
//! stored Services at start; this in-memory set is a fast first guess, the
//! IPAddress objects of [`crate::ipaddresses`] are what hold an address.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Mutex;

/// Why an address could not be allocated, worded as upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// The address is taken.
    #[error("provided IP is already allocated")]
    Allocated,
    /// The address is outside the range.
    #[error("the provided IP ({ip}) is not in the valid range. The range of valid IPs is {cidr}")]
    OutOfRange {
        /// The address asked for.
        ip: String,
        /// The range.
        cidr: String,
    },
    /// Every address is taken.
    #[error("range is full")]
    Full,
}

/// The allocator of one range.
pub struct IpAllocator {
    cidr: String,
    network: u32,
    size: u32,
    used: Mutex<BTreeSet<u32>>,
}

impl IpAllocator {
    /// An allocator for a CIDR such as `10.0.0.0/24`.
    pub fn new(cidr: &str) -> Result<Self, String> {
        let (address, bits) = cidr.split_once('/').ok_or_else(|| format!("invalid CIDR {cidr:?}"))?;
        let address: Ipv4Addr =
            address.parse().map_err(|_| format!("invalid CIDR {cidr:?}: only IPv4 ranges are supported"))?;
        let bits: u32 = bits.parse().map_err(|_| format!("invalid CIDR {cidr:?}"))?;
        if !(8..=30).contains(&bits) {
            return Err(format!("invalid CIDR {cidr:?}: the prefix must be between /8 and /30"));
        }
        let mask = u32::MAX << (32 - bits);
        Ok(IpAllocator {
            cidr: cidr.to_string(),
            network: u32::from(address) & mask,
            size: 1 << (32 - bits),
            used: Mutex::default(),
        })
    }

    fn offset(&self, ip: &str) -> Result<u32, AllocationError> {
        let out_of_range = || AllocationError::OutOfRange { ip: ip.to_string(), cidr: self.cidr.clone() };
        let address: Ipv4Addr = ip.parse().map_err(|_| out_of_range())?;
        let offset = u32::from(address).wrapping_sub(self.network);
        if offset == 0 || offset >= self.size - 1 {
            return Err(out_of_range());
        }
        Ok(offset)
    }

    /// The address of the `kubernetes` service: the first in the range.
    pub fn first(&self) -> String {
        Ipv4Addr::from(self.network + 1).to_string()
    }

    /// Takes a specific address.
    pub fn allocate(&self, ip: &str) -> Result<(), AllocationError> {
        let offset = self.offset(ip)?;
        if self.used.lock().unwrap_or_else(|p| p.into_inner()).insert(offset) {
            Ok(())
        } else {
            Err(AllocationError::Allocated)
        }
    }

    /// Takes any free address (never the first, which is reserved).
    pub fn allocate_next(&self) -> Result<String, AllocationError> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let offset = take_free(&mut used, 2, self.size - 3).ok_or(AllocationError::Full)?;
        Ok(Ipv4Addr::from(self.network + offset).to_string())
    }

    /// Gives an address back.
    pub fn release(&self, ip: &str) {
        if let Ok(offset) = self.offset(ip) {
            self.used.lock().unwrap_or_else(|p| p.into_inner()).remove(&offset);
        }
    }
}

/// Marks and returns a free value among `count` values from `first`,
/// starting the search at a random point so that allocations spread.
pub(crate) fn take_free(used: &mut BTreeSet<u32>, first: u32, count: u32) -> Option<u32> {
    let start = uuid_seed() % count;
    (0..count).map(|i| first + (start + i) % count).find(|value| used.insert(*value))
}

fn uuid_seed() -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    nanos.wrapping_mul(2_654_435_761)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_each_address_once_and_refuses_outsiders() {
        let allocator = IpAllocator::new("10.0.0.0/29").unwrap();
        assert_eq!(allocator.first(), "10.0.0.1");
        allocator.allocate("10.0.0.1").unwrap();
        let mut seen = BTreeSet::new();
        while let Ok(ip) = allocator.allocate_next() {
            assert!(seen.insert(ip));
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(allocator.allocate("10.0.0.3"), Err(AllocationError::Allocated));
        assert!(matches!(allocator.allocate("10.1.0.3"), Err(AllocationError::OutOfRange { .. })));
        allocator.release("10.0.0.3");
        assert_eq!(allocator.allocate("10.0.0.3"), Ok(()));
    }
}
