//! Address space: takes the GeoIP databases and gives how much of the IPv4 address space each
//! country and each ASN holds in them, the expected share of a claim when there is no
//! baseline capture ("addresses in X make up 2 % of the address space; 40 % of the attack's
//! sources are there").
//!
//! Measured from the databases themselves, so the figure matches the data that located the
//! sources, and computed only when a claim needs it: one walk over the IPv4 tree of each
//! database (a few hundred thousand networks, tens of milliseconds; records are decoded once
//! per distinct record). IPv4 only: IPv6 allocations are so large and sparsely used that
//! their sizes say nothing about how many hosts are there.

use std::collections::HashMap;

use crate::assess::vectors::IpNetwork;
use crate::enrich::geoip::Role;
use crate::enrich::{CountryCode, GeoDatabases};

/// IPv4 addresses per country and per ASN, as the databases map them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressSpace {
    countries: HashMap<CountryCode, u64, foldhash::fast::RandomState>,
    asns: HashMap<u32, u64, foldhash::fast::RandomState>,
    /// Addresses with a located country, and with an ASN.
    located: u64,
    announced: u64,
}

impl AddressSpace {
    /// Walks the country and ASN databases. A database that fails part-way (a corrupt record)
    /// gives no figures for its role rather than wrong ones.
    pub fn measure(databases: &GeoDatabases) -> AddressSpace {
        let mut space = AddressSpace::default();
        for (role, database) in databases.assignments() {
            match role {
                Role::Country => {
                    let mut countries = HashMap::default();
                    let mut located = 0u64;
                    let walked = database.each_ipv4_network(|prefix_len, info| {
                        if let Some(country) = info.country {
                            let size = network_size(prefix_len);
                            *countries.entry(country).or_insert(0u64) += size;
                            located += size;
                        }
                    });
                    if walked.is_ok() {
                        space.countries = countries;
                        space.located = located;
                    }
                }
                Role::Asn => {
                    let mut asns = HashMap::default();
                    let mut announced = 0u64;
                    let walked = database.each_ipv4_network(|prefix_len, info| {
                        if let Some(asn) = info.asn {
                            let size = network_size(prefix_len);
                            *asns.entry(asn).or_insert(0u64) += size;
                            announced += size;
                        }
                    });
                    if walked.is_ok() {
                        space.asns = asns;
                        space.announced = announced;
                    }
                }
                Role::Anonymizer => {}
            }
        }
        space
    }

    /// The country's share of the located IPv4 space; `None` without country data.
    pub fn country_share(&self, country: CountryCode) -> Option<f64> {
        (self.located > 0).then(|| {
            self.countries.get(&country).copied().unwrap_or(0) as f64 / self.located as f64
        })
    }

    /// The ASN's share of the IPv4 space the ASN database maps; `None` without ASN data.
    pub fn asn_share(&self, asn: u32) -> Option<f64> {
        (self.announced > 0)
            .then(|| self.asns.get(&asn).copied().unwrap_or(0) as f64 / self.announced as f64)
    }

    /// An IPv4 prefix's size over the located IPv4 space (at most 1); `None` for IPv6 or
    /// without country data.
    pub fn prefix_share(&self, network: &IpNetwork) -> Option<f64> {
        if !network.address().is_ipv4() || self.located == 0 {
            return None;
        }
        Some((network_size(network.prefix_len()) as f64 / self.located as f64).min(1.0))
    }
}

/// Addresses in an IPv4 network of this prefix length (0 past 32).
fn network_size(prefix_len: u8) -> u64 {
    32u32
        .checked_sub(u32::from(prefix_len))
        .map_or(0, |host_bits| 1u64 << host_bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> GeoDatabases {
        crate::enrich::databases::embedded_for_tests()
    }

    #[test]
    fn the_databases_measure_their_address_space_once() {
        let databases = embedded();
        let first = databases.address_space();
        assert!(std::ptr::eq(first, databases.address_space()));
        assert_eq!(*first, AddressSpace::measure(&databases));
    }

    #[test]
    fn network_sizes() {
        assert_eq!(network_size(0), 1 << 32);
        assert_eq!(network_size(24), 256);
        assert_eq!(network_size(32), 1);
        assert_eq!(network_size(33), 0);
    }

    #[test]
    fn shares_of_the_embedded_databases_are_plausible() {
        let space = AddressSpace::measure(&embedded());
        // The United States hold about 1.5 billion IPv4 addresses of some 3.7 billion
        // allocated; any real country database puts them between a quarter and a half.
        let us = space
            .country_share(CountryCode::parse("US").unwrap())
            .unwrap();
        assert!((0.25..0.5).contains(&us), "{us}");
        let shares: f64 = space
            .countries
            .keys()
            .filter_map(|c| space.country_share(*c))
            .sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        // A country the database does not know holds nothing.
        assert_eq!(
            space.country_share(CountryCode::parse("XX").unwrap()),
            Some(0.0)
        );
        // Amazon (AS16509) announces tens of millions of addresses: 0.5 % to 5 % of the space.
        let amazon = space.asn_share(16_509).unwrap();
        assert!((0.005..0.05).contains(&amazon), "{amazon}");
        let slash8: IpNetwork = "10.0.0.0/8".parse().unwrap();
        let share = space.prefix_share(&slash8).unwrap();
        assert!((share - (1u64 << 24) as f64 / space.located as f64).abs() < 1e-12);
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert_eq!(space.prefix_share(&v6), None);
    }
}
