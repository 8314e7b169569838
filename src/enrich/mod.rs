//! Enrichment: takes the unique source addresses after aggregation and gives each its origin
//! (country, ASN, organisation, network category, anonymizer flags) or its bogon class.
//!
//! Lookups run once per unique source, never per packet; the resulting map is the per-address
//! cache every later stage reads.

pub mod address_space;
pub mod asn_category;
pub mod bogon;
pub mod countries;
pub mod databases;
pub mod geoip;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::aggregate::SourceList;

pub use asn_category::AsnCategory;
pub use bogon::BogonClass;
pub use databases::{DatabaseOptions, GeoDatabases, LookupSession};
pub use geoip::{AnonymizerFlags, CountryCode, GeoInfo};

/// Stack of the second enrichment thread: as much as the main thread's, so that the deepest
/// record a database may hold decodes on either.
pub(crate) const DECODER_STACK_BYTES: usize = 8 << 20;

/// What is known about where one source address is: small and free of allocations, since a
/// spoofed flood has millions of sources. Per-ASN facts live in `Enrichment::asns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceOrigin {
    pub country: Option<CountryCode>,
    pub registered_country: Option<CountryCode>,
    pub asn: Option<u32>,
    /// Set for addresses that cannot be a genuine source on the Internet; such a source is
    /// never given a country.
    pub bogon: Option<BogonClass>,
    pub anycast: bool,
    pub anonymizer: Option<AnonymizerFlags>,
}

/// What is known about an autonomous system, looked up and categorised once per ASN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnDetails {
    pub org: Option<String>,
    pub category: AsnCategory,
}

/// The origin of every source of a `SourceList`, by the same index.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    pub origins: Vec<SourceOrigin>,
    pub asns: HashMap<u32, AsnDetails, foldhash::fast::RandomState>,
    /// Lookups a database could not answer because a record would not decode.
    pub lookup_errors: usize,
}

impl Enrichment {
    /// The origin of the source at `index` of the list this enrichment was built from.
    pub fn origin(&self, index: usize) -> Option<&SourceOrigin> {
        self.origins.get(index)
    }

    pub fn asn(&self, asn: u32) -> Option<&AsnDetails> {
        self.asns.get(&asn)
    }

    /// The network category of a source's ASN; `Unknown` without one.
    pub fn category(&self, origin: &SourceOrigin) -> AsnCategory {
        origin
            .asn
            .and_then(|asn| self.asn(asn))
            .map_or(AsnCategory::Unknown, |details| details.category)
    }

    /// Looks `address` up (a bogon is not looked up: whatever a database says about it would
    /// be noise), and records its ASN's details the first time that ASN is seen.
    fn look_up(&mut self, address: IpAddr, session: &mut LookupSession) -> SourceOrigin {
        if let Some(class) = bogon::classify(address) {
            return SourceOrigin {
                country: None,
                registered_country: None,
                asn: None,
                bogon: Some(class),
                anycast: false,
                anonymizer: None,
            };
        }
        let (geo, errors) = session.lookup(address);
        self.lookup_errors += errors;
        if let Some(asn) = geo.asn {
            self.asns.entry(asn).or_insert_with(|| AsnDetails {
                org: geo.as_org.map(str::to_string),
                category: session.category(asn, geo.as_org),
            });
        }
        SourceOrigin {
            country: geo.country,
            registered_country: geo.registered_country,
            asn: geo.asn,
            bogon: None,
            anycast: geo.anycast,
            anonymizer: geo.anonymizer,
        }
    }
}

/// Measures `databases`' address space (`GeoDatabases::address_space`, a walk of the whole
/// country database) on a thread of `scope` while the caller goes on, typically reading the
/// captures, so that the report finds it ready. Without a thread it is measured when first
/// needed, as before.
pub fn measure_address_space_alongside<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    databases: &'scope GeoDatabases,
) {
    let _ = std::thread::Builder::new()
        .name("address-space".into())
        .stack_size(DECODER_STACK_BYTES)
        .spawn_scoped(scope, move || {
            databases.address_space();
        });
}

/// Below this many sources a second thread costs more than it saves (a thread starts in tens
/// of microseconds; 16,384 lookups take some milliseconds).
const MIN_SOURCES_TO_SPLIT: usize = 1 << 14;

/// Enriches every source once, in address order. A large list is split in two halves looked
/// up side by side (the lookups are a large share of a run with millions of sources); the
/// halves are joined in order, and an ASN seen in both keeps the first half's details, so the
/// result is the same as one pass in address order.
pub fn enrich(sources: &SourceList, databases: &GeoDatabases) -> Enrichment {
    enrich_addresses(sources.addresses(), databases)
}

/// `enrich` for sorted, distinct addresses (those of a `SourceList`, before its records are).
pub fn enrich_addresses(addresses: &[IpAddr], databases: &GeoDatabases) -> Enrichment {
    let parallel = std::thread::available_parallelism().is_ok_and(|cores| cores.get() > 1);
    if !parallel || addresses.len() < MIN_SOURCES_TO_SPLIT {
        return enrich_in_order(addresses, databases);
    }
    let (first, second) = addresses.split_at(addresses.len() / 2);
    let (mut enrichment, rest) = std::thread::scope(|scope| {
        // The MaxMind DB format allows records nested 512 levels deep, and the decoder follows
        // them recursively: a hostile database can use all of them. The default 2 MiB of a
        // spawned thread is not enough for that in every build; the main thread has 8 MiB.
        let later = std::thread::Builder::new()
            .stack_size(DECODER_STACK_BYTES)
            .spawn_scoped(scope, || enrich_in_order(second, databases));
        let earlier = enrich_in_order(first, databases);
        let later = match later {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: do the second half here.
            Err(_) => enrich_in_order(second, databases),
        };
        (earlier, later)
    });
    enrichment.origins.extend(rest.origins);
    for (asn, details) in rest.asns {
        enrichment.asns.entry(asn).or_insert(details);
    }
    enrichment.lookup_errors += rest.lookup_errors;
    enrichment
}

fn enrich_in_order(addresses: &[IpAddr], databases: &GeoDatabases) -> Enrichment {
    let mut enrichment = Enrichment::default();
    enrichment.origins.reserve(addresses.len());
    let mut session = databases.session();
    for &address in addresses {
        let origin = enrichment.look_up(address, &mut session);
        enrichment.origins.push(origin);
    }
    enrichment
}
