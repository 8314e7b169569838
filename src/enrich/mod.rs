//! Enrichment: takes the unique source addresses after aggregation and gives each its origin
//! (country, ASN, organisation, network category, anonymizer flags) or its bogon class.
//!
//! Lookups run once per unique source, never per packet; the resulting map is the per-address
//! cache every later stage reads.

pub mod asn_category;
pub mod bogon;
pub mod countries;
pub mod databases;
pub mod geoip;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::aggregate::SourceTable;

pub use asn_category::AsnCategory;
pub use bogon::BogonClass;
pub use databases::{DatabaseOptions, GeoDatabases};
pub use geoip::GeoInfo;

/// What is known about where one source address is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOrigin {
    pub geo: GeoInfo,
    /// Set for addresses that cannot be a genuine source on the Internet; such a source is
    /// never given a country.
    pub bogon: Option<BogonClass>,
    pub category: AsnCategory,
}

#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    pub origins: HashMap<IpAddr, SourceOrigin, foldhash::fast::RandomState>,
    /// Lookups a database could not answer because a record would not decode.
    pub lookup_errors: usize,
}

impl Enrichment {
    pub fn origin(&self, address: &IpAddr) -> Option<&SourceOrigin> {
        self.origins.get(address)
    }
}

pub fn enrich(sources: &SourceTable, databases: &GeoDatabases) -> Enrichment {
    let mut enrichment = Enrichment::default();
    enrichment.origins.reserve(sources.len());
    for (&address, _) in sources.iter() {
        let (origin, errors) = origin_of(address, databases);
        enrichment.lookup_errors += errors;
        enrichment.origins.insert(address, origin);
    }
    enrichment
}

/// The origin of one address, and how many database records failed to decode on the way.
/// A bogon is not looked up: whatever a database says about it would be noise.
pub fn origin_of(address: IpAddr, databases: &GeoDatabases) -> (SourceOrigin, usize) {
    if let Some(class) = bogon::classify(address) {
        let origin = SourceOrigin {
            geo: GeoInfo::default(),
            bogon: Some(class),
            category: AsnCategory::Unknown,
        };
        return (origin, 0);
    }
    let (geo, errors) = databases.lookup(address);
    let category = match geo.asn {
        Some(asn) => asn_category::categorize(asn, geo.as_org.as_deref()),
        None => AsnCategory::Unknown,
    };
    let origin = SourceOrigin {
        geo,
        bogon: None,
        category,
    };
    (origin, errors)
}
