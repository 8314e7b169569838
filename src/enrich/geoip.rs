//! GeoIP and ASN databases in MaxMind DB format: takes database bytes (embedded or a user's
//! file), recognises which record schema they use and which roles they can fill (country, ASN,
//! anonymizer), and answers lookups as small `GeoInfo` values.
//!
//! Record structs are private and borrow from the database; each schema's fields are mapped to
//! one domain type, so the rest of whence never sees a schema. Lookups never panic: an address
//! a database does not cover, or a record it cannot decode, is simply unknown, and decoding
//! errors are counted so the report can say a database misbehaved.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{Reader, WithinOptions};
use serde::{Deserialize, Serialize};

/// What a database can tell about an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Country,
    Asn,
    Anonymizer,
}

/// The record layouts met in the wild (see the module docs of each struct below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSchema {
    /// MaxMind GeoIP2/GeoLite2 Country, City, Enterprise and DB-IP's compatible files:
    /// `country.iso_code`, `registered_country.iso_code`, `traits`.
    Geoip2Country,
    /// ip-location-db country files: `country_code` only.
    CountryCode,
    /// IPinfo's free files: `country_code` (Lite) or `country` (older country+ASN files) as a
    /// code, `asn` ("AS15169"), `as_name`.
    Ipinfo,
    /// GeoLite2/GeoIP2 ASN, GeoIP2 ISP, DB-IP ASN: `autonomous_system_number`,
    /// `autonomous_system_organization` (ISP adds `isp`, `organization`).
    Geolite2Asn,
    /// GeoIP2 Anonymous IP: `is_anonymous`, `is_anonymous_vpn`, `is_hosting_provider`,
    /// `is_public_proxy`, `is_residential_proxy`, `is_tor_exit_node`.
    AnonymousIp,
}

impl RecordSchema {
    pub fn roles(self) -> &'static [Role] {
        match self {
            RecordSchema::Geoip2Country => &[Role::Country],
            RecordSchema::CountryCode => &[Role::Country],
            RecordSchema::Ipinfo => &[Role::Country, Role::Asn],
            RecordSchema::Geolite2Asn => &[Role::Asn],
            RecordSchema::AnonymousIp => &[Role::Anonymizer],
        }
    }
}

/// Where a database came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseSource {
    Embedded(&'static str),
    File(PathBuf),
}

impl DatabaseSource {
    pub fn label(&self) -> String {
        match self {
            DatabaseSource::Embedded(_) => "embedded".to_string(),
            DatabaseSource::File(path) => path.display().to_string(),
        }
    }
}

/// Anonymizer flags; `None` where the database says nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AnonymizerFlags {
    pub anonymous: bool,
    pub vpn: bool,
    pub hosting: bool,
    pub public_proxy: bool,
    pub residential_proxy: bool,
    pub tor_exit: bool,
}

/// An ISO 3166-1 alpha-2 code (or a registry's two-letter region such as "EU"), stored inline
/// so that millions of sources cost no allocation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// "ZZ": ISO 3166 leaves it for user assignment; whence uses it for "no database knows".
    pub const UNKNOWN: CountryCode = CountryCode(*b"ZZ");

    /// Two ASCII letters, upper-cased; anything else is not a country code.
    pub fn parse(text: &str) -> Option<CountryCode> {
        match text.as_bytes() {
            [first, second] if first.is_ascii_alphabetic() && second.is_ascii_alphabetic() => {
                Some(CountryCode([
                    first.to_ascii_uppercase(),
                    second.to_ascii_uppercase(),
                ]))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What the databases say about one address; strings borrow from the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoInfo<'db> {
    /// Where the address is located.
    pub country: Option<CountryCode>,
    /// Where the network is registered, when the database distinguishes it.
    pub registered_country: Option<CountryCode>,
    pub asn: Option<u32>,
    pub as_org: Option<&'db str>,
    pub anonymizer: Option<AnonymizerFlags>,
    /// The country record flags the network as anycast (one address, many places).
    pub anycast: bool,
}

/// The addresses of one network of a database, as integers of one address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkRange {
    ipv4: bool,
    first: u128,
    last: u128,
}

impl NetworkRange {
    /// The range of `network`, if it is of `ip`'s family and holds it (a database whose tree
    /// ends above its IPv4 subtree answers an IPv4 lookup with an IPv6 network: not reused).
    fn holding(network: ipnetwork::IpNetwork, ip: IpAddr) -> Option<NetworkRange> {
        let range = match network {
            ipnetwork::IpNetwork::V4(v4) => NetworkRange {
                ipv4: true,
                first: u128::from(u32::from(v4.network())),
                last: u128::from(u32::from(v4.broadcast())),
            },
            ipnetwork::IpNetwork::V6(v6) => {
                let first = u128::from(v6.network());
                let host_bits = 128 - u32::from(v6.prefix());
                let hosts = 1u128.checked_shl(host_bits).map_or(u128::MAX, |n| n - 1);
                NetworkRange {
                    ipv4: false,
                    first,
                    last: first | hosts,
                }
            }
        };
        range.contains(ip).then_some(range)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (ipv4, value) = match ip {
            IpAddr::V4(v4) => (true, u128::from(u32::from(v4))),
            IpAddr::V6(v6) => (false, u128::from(v6)),
        };
        ipv4 == self.ipv4 && (self.first..=self.last).contains(&value)
    }
}

/// A database ready for lookups.
pub struct Database {
    /// Embedded databases are read in place (no copy, no decompression: start-up stays in
    /// milliseconds); files are read into memory.
    reader: Reader<Cow<'static, [u8]>>,
    pub source: DatabaseSource,
    pub schema: RecordSchema,
    pub database_type: String,
    pub build_epoch: u64,
    pub description: Option<String>,
}

/// Why a database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("not a readable MaxMind DB file: {0}")]
    Invalid(maxminddb::MaxMindDbError),
    #[error(
        "database type {database_type:?} holds no country, ASN or anonymizer records whence can read \
         (expected GeoIP2/GeoLite2 Country, City, ASN, ISP or Anonymous-IP, DB-IP, ip-location-db or IPinfo)"
    )]
    UnknownSchema { database_type: String },
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{bytes} bytes or more: over the {MAX_DATABASE_BYTES}-byte limit for a database")]
    TooLarge { bytes: u64 },
}

/// Largest database file read: it is held in memory whole. The largest MaxMind DB files sold
/// (GeoIP2 Enterprise, IPinfo's richest) are a few hundred MB; a larger "database" (or a
/// device such as /dev/zero given by mistake) is refused before it exhausts memory.
pub const MAX_DATABASE_BYTES: u64 = 2 << 30;

/// Iterations of a walk over the search tree per tree node. A tree with N nodes has N + 1
/// leaves, each visited once; nodes shared between branches (the IPv4 aliases of IPv6
/// databases) add a few more. A hostile file whose nodes point back to earlier ones in every
/// branch would make a walk visit up to 2^128 paths instead: it is cut off here. maxminddb's
/// own `Reader::verify` uses the same bound.
const WALK_STEPS_PER_NODE: usize = 3;

impl Database {
    pub fn open_file(path: &Path) -> Result<Database, DatabaseError> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let stated = file.metadata()?.len();
        if stated > MAX_DATABASE_BYTES {
            return Err(DatabaseError::TooLarge { bytes: stated });
        }
        // Pipes and devices state no length: read one byte past the limit to tell.
        let mut bytes = Vec::new();
        file.take(MAX_DATABASE_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_DATABASE_BYTES {
            return Err(DatabaseError::TooLarge {
                bytes: bytes.len() as u64,
            });
        }
        Database::from_bytes(Cow::Owned(bytes), DatabaseSource::File(path.to_path_buf()))
    }

    pub fn from_bytes(
        bytes: Cow<'static, [u8]>,
        source: DatabaseSource,
    ) -> Result<Database, DatabaseError> {
        let reader = Reader::from_source(bytes).map_err(DatabaseError::Invalid)?;
        // The embedded databases are whence's own, built and checked with it; anything else
        // may be hostile.
        if !matches!(source, DatabaseSource::Embedded(_)) {
            check_tree_shape(&reader).map_err(DatabaseError::Invalid)?;
        }
        let metadata = reader.metadata();
        let database_type = metadata.database_type.clone();
        let build_epoch = metadata.build_epoch;
        let description = metadata
            .description
            .get("en")
            .or_else(|| metadata.description.values().next())
            .cloned();
        let schema = detect_schema(&reader, &database_type)?;
        Ok(Database {
            reader,
            source,
            schema,
            database_type,
            build_epoch,
            description,
        })
    }

    pub fn roles(&self) -> &'static [Role] {
        self.schema.roles()
    }

    /// Looks `ip` up; `Err` carries the decoding error of a corrupt record.
    ///
    /// Decoded records are kept in `cache` by their data-section offset: a country database has
    /// a few hundred distinct records and an ASN database some tens of thousands, against
    /// millions of sources in a spoofed flood, so most lookups only walk the tree.
    ///
    /// Also gives the database network that holds `ip` (all of whose addresses get the same
    /// answer), when the database reports one that does.
    pub fn lookup<'db>(
        &'db self,
        ip: IpAddr,
        cache: &mut HashMap<usize, GeoInfo<'db>, foldhash::fast::RandomState>,
    ) -> Result<(GeoInfo<'db>, Option<NetworkRange>), maxminddb::MaxMindDbError> {
        let result = self.reader.lookup(ip)?;
        let network = result
            .network()
            .ok()
            .and_then(|network| NetworkRange::holding(network, ip));
        let Some(offset) = result.offset() else {
            return Ok((GeoInfo::default(), network));
        };
        if let Some(known) = cache.get(&offset) {
            return Ok((*known, network));
        }
        let mut info = GeoInfo::default();
        self.decode_record(&result, &mut info)?;
        cache.insert(offset, info);
        Ok((info, network))
    }

    /// The database maps IPv6 addresses (an IPv6 tree; IPv4-only databases have none).
    pub fn covers_ipv6(&self) -> bool {
        self.reader.metadata().ip_version == 6
    }

    /// Calls `visit` with the prefix length and record of every IPv4 network the database
    /// has data for (in an IPv6 database, its IPv4 subtree). Records are decoded once per data
    /// offset, as for `lookup`. Stops at the first error, which it returns.
    pub fn each_ipv4_network<'db>(
        &'db self,
        mut visit: impl FnMut(u8, &GeoInfo<'db>),
    ) -> Result<(), maxminddb::MaxMindDbError> {
        let everything = ipnetwork::IpNetwork::V4(
            ipnetwork::Ipv4Network::new(std::net::Ipv4Addr::UNSPECIFIED, 0)
                .map_err(maxminddb::MaxMindDbError::InvalidNetwork)?,
        );
        let mut cache: HashMap<usize, GeoInfo<'db>, foldhash::fast::RandomState> =
            HashMap::default();
        // Networks without data are yielded too, so that every step of the walk is counted.
        let options = WithinOptions::default().include_networks_without_data();
        let most_steps = walk_bound(&self.reader);
        for (step, item) in self.reader.within(everything, options)?.enumerate() {
            if step > most_steps {
                return Err(maxminddb::MaxMindDbError::invalid_database(format!(
                    "search tree holds more networks than {} nodes can (nodes shared between branches); walk stopped",
                    self.reader.metadata().node_count
                )));
            }
            let item = item?;
            let Some(offset) = item.offset() else {
                continue;
            };
            let info = match cache.get(&offset) {
                Some(known) => *known,
                None => {
                    let mut info = GeoInfo::default();
                    self.decode_record(&item, &mut info)?;
                    cache.insert(offset, info);
                    info
                }
            };
            if let ipnetwork::IpNetwork::V4(network) = item.network()? {
                visit(network.prefix(), &info);
            }
        }
        Ok(())
    }

    fn decode_record<'db>(
        &self,
        result: &maxminddb::LookupResult<'db, Cow<'static, [u8]>>,
        into: &mut GeoInfo<'db>,
    ) -> Result<(), maxminddb::MaxMindDbError> {
        match self.schema {
            RecordSchema::Geoip2Country => {
                if let Some(record) = result.decode::<Geoip2CountryRecord>()? {
                    into.country = record
                        .country
                        .and_then(|c| c.iso_code)
                        .and_then(CountryCode::parse);
                    into.registered_country = record
                        .registered_country
                        .and_then(|c| c.iso_code)
                        .and_then(CountryCode::parse);
                    if let Some(traits) = record.traits {
                        into.anycast = traits.is_anycast.unwrap_or(false);
                        if traits.is_anonymous_proxy == Some(true) {
                            into.anonymizer.get_or_insert_default().anonymous = true;
                        }
                    }
                }
            }
            RecordSchema::CountryCode | RecordSchema::Ipinfo => {
                if let Some(record) = result.decode::<CountryCodeRecord>()? {
                    into.country = record
                        .country_code
                        .or(record.country)
                        .and_then(CountryCode::parse);
                    if let Some(asn) = record.asn.and_then(parse_as_number) {
                        into.asn = Some(asn);
                        into.as_org = record.as_name;
                    }
                }
            }
            RecordSchema::Geolite2Asn => {
                if let Some(record) = result.decode::<AsnRecord>()? {
                    into.asn = record.autonomous_system_number;
                    into.as_org = record
                        .autonomous_system_organization
                        .or(record.organization)
                        .or(record.isp);
                }
            }
            RecordSchema::AnonymousIp => {
                if let Some(record) = result.decode::<AnonymousIpRecord>()? {
                    into.anonymizer = Some(AnonymizerFlags {
                        anonymous: record.is_anonymous.unwrap_or(false),
                        vpn: record.is_anonymous_vpn.unwrap_or(false),
                        hosting: record.is_hosting_provider.unwrap_or(false),
                        public_proxy: record.is_public_proxy.unwrap_or(false),
                        residential_proxy: record.is_residential_proxy.unwrap_or(false),
                        tor_exit: record.is_tor_exit_node.unwrap_or(false),
                    });
                }
            }
        }
        Ok(())
    }
}

/// "AS15169" or "15169" -> 15169.
fn parse_as_number(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("AS")
        .or_else(|| text.strip_prefix("as"))
        .unwrap_or(text);
    digits.parse().ok()
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct CountryTraits {
    is_anonymous_proxy: Option<bool>,
    is_anycast: Option<bool>,
}

#[derive(Deserialize)]
struct Geoip2CountryRecord<'a> {
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow)]
    registered_country: Option<IsoCode<'a>>,
    traits: Option<CountryTraits>,
}

#[derive(Deserialize)]
struct CountryCodeRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    /// IPinfo's older files put the code in `country`.
    #[serde(borrow)]
    country: Option<&'a str>,
    #[serde(borrow)]
    asn: Option<&'a str>,
    #[serde(borrow)]
    as_name: Option<&'a str>,
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow)]
    organization: Option<&'a str>,
    #[serde(borrow)]
    isp: Option<&'a str>,
}

#[derive(Deserialize)]
struct AnonymousIpRecord {
    is_anonymous: Option<bool>,
    is_anonymous_vpn: Option<bool>,
    is_hosting_provider: Option<bool>,
    is_public_proxy: Option<bool>,
    is_residential_proxy: Option<bool>,
    is_tor_exit_node: Option<bool>,
}

/// Walks the whole search tree once, counting steps, so that a tree whose branches share
/// nodes (a few hundred bytes can describe 2^128 paths) or loop is refused when it is opened,
/// with an error naming the file, rather than hanging a walk later. Linear in the tree's size:
/// a few milliseconds per MB of database.
fn check_tree_shape(reader: &Reader<Cow<'static, [u8]>>) -> Result<(), maxminddb::MaxMindDbError> {
    let options = WithinOptions::default().include_networks_without_data();
    let most_steps = walk_bound(reader);
    for (step, item) in reader.networks(options)?.enumerate() {
        if step > most_steps {
            return Err(maxminddb::MaxMindDbError::invalid_database(format!(
                "search tree holds more networks than {} nodes can (nodes shared between branches)",
                reader.metadata().node_count
            )));
        }
        item?;
    }
    Ok(())
}

/// Most steps a walk over the whole search tree of `reader` may take (see
/// `WALK_STEPS_PER_NODE`).
fn walk_bound(reader: &Reader<Cow<'static, [u8]>>) -> usize {
    (reader.metadata().node_count as usize)
        .saturating_add(1)
        .saturating_mul(WALK_STEPS_PER_NODE)
}

/// The keys of a sample record, and whether `country` is a map (GeoIP2) or a string (IPinfo).
#[derive(Default)]
struct RecordShape {
    keys: Vec<String>,
    country_is_map: bool,
}

/// Decides the schema from the metadata's `database_type` where it is explicit, and otherwise
/// from the keys of the first records (ip-location-db files say only "country ipvAll").
fn detect_schema(
    reader: &Reader<Cow<'static, [u8]>>,
    database_type: &str,
) -> Result<RecordSchema, DatabaseError> {
    let kind = database_type.to_ascii_lowercase();
    if kind.contains("anonymous") {
        return Ok(RecordSchema::AnonymousIp);
    }
    if kind.contains("asn") || kind.contains("isp") {
        return Ok(RecordSchema::Geolite2Asn);
    }
    let maxmind_style =
        kind.starts_with("geoip2-") || kind.starts_with("geolite2-") || kind.starts_with("dbip-");
    if maxmind_style
        && (kind.contains("country") || kind.contains("city") || kind.contains("enterprise"))
    {
        return Ok(RecordSchema::Geoip2Country);
    }
    let shape = sample_shape(reader);
    let has = |key: &str| shape.keys.iter().any(|k| k == key);
    if has("country") && shape.country_is_map {
        Ok(RecordSchema::Geoip2Country)
    } else if has("asn") && (has("country_code") || has("country")) {
        Ok(RecordSchema::Ipinfo)
    } else if has("country_code") {
        Ok(RecordSchema::CountryCode)
    } else if has("autonomous_system_number") {
        Ok(RecordSchema::Geolite2Asn)
    } else if has("is_anonymous") {
        Ok(RecordSchema::AnonymousIp)
    } else {
        Err(DatabaseError::UnknownSchema {
            database_type: database_type.to_string(),
        })
    }
}

/// Looks at the first few records of the tree; a corrupt database yields an empty shape (and
/// so an "unknown schema" error) rather than a crash.
fn sample_shape(reader: &Reader<Cow<'static, [u8]>>) -> RecordShape {
    const SAMPLES: usize = 8;
    let mut shape = RecordShape::default();
    // As in `each_ipv4_network`: empty networks are yielded so a hostile tree of nothing but
    // empty branches is walked a bounded number of steps, not 2^128.
    let options = WithinOptions::default().include_networks_without_data();
    let Ok(networks) = reader.networks(options) else {
        return shape;
    };
    let mut samples = 0;
    for item in networks.take(walk_bound(reader)) {
        let Ok(item) = item else { break };
        if item.offset().is_none() {
            continue;
        }
        samples += 1;
        if samples > SAMPLES {
            break;
        }
        let Ok(Some(record)) =
            item.decode::<std::collections::BTreeMap<String, serde_json::Value>>()
        else {
            continue;
        };
        for (key, value) in record {
            if key == "country" && value.is_object() {
                shape.country_is_map = true;
            }
            if !shape.keys.contains(&key) {
                shape.keys.push(key);
            }
        }
        if !shape.keys.is_empty() {
            break;
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(
            CountryCode::parse("de").map(|code| code.as_str().to_string()),
            Some("DE".into())
        );
        assert_eq!(CountryCode::parse("DEU"), None);
        assert_eq!(CountryCode::parse("1A"), None);
        assert_eq!(CountryCode::parse(""), None);
    }

    #[test]
    fn as_numbers_parse_with_or_without_prefix() {
        assert_eq!(parse_as_number("AS15169"), Some(15169));
        assert_eq!(parse_as_number("13335"), Some(13335));
        assert_eq!(parse_as_number("ASX"), None);
    }
}
