//! MaxMind DB writer: takes (network or inclusive address range, record) pairs and gives the
//! bytes of a `.mmdb` file (search tree, data section, metadata) per the MaxMind DB File Format
//! Specification 2.0, <https://maxmind.github.io/MaxMind-DB/>.
//!
//! Our own writer, not one from crates.io, because neither candidate fits:
//! - `mmdb-writer` 0.1.0 is careful code, but its overlap rule is "the last insert wins", so a
//!   wide range listed after a narrow one erases it, and by default it aliases `2001::/32`
//!   (Teredo) and `2002::/16` (6to4) onto IPv4, which would hide real rows of our ASN data
//!   (both prefixes are Hurricane Electric's in it). It also pulls in a proc-macro builder.
//! - `maxminddb-writer` 0.1.3 makes the caller intern values and build bit paths by hand, has no
//!   range insert, and unwraps on size conversions.
//!
//! The writer is small because it does one thing: a binary trie of prefixes, flattened into the
//! file's search tree, with each distinct record (and each repeated string inside records)
//! stored once in the data section.
//!
//! **Overlap rule.** Inserts may overlap. Every address takes the record of the most specific
//! (longest) prefix that covers it, whatever the insert order, as routers do with BGP routes
//! (longest-prefix match); only for the *same* prefix inserted twice does the later insert win.
//! A range is split into its minimal CIDR prefixes first, and the rule applies to those.
//!
//! **IPv4 in an IPv6 database.** IPv4 networks live at `::a.b.c.d` (the `::/96` subtree), where
//! readers look for them, and the IPv4-mapped block `::ffff:0:0/96` is an alias that points at
//! the same subtree, as MaxMind's own databases do. Only that alias: MaxMind's writer also
//! aliases Teredo and 6to4, but those prefixes carry real routes in the data we build from.
//!
//! **Determinism.** The output depends only on the inserts and their order (no hash-map
//! iteration order, no clock): the same inputs give the same bytes.
//!
//! ```
//! use whence_tools::mmdb::{IpVersion, Value, Writer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let germany = Value::map([
//!     ("country", Value::map([("iso_code", "DE")])),
//!     ("registered_country", Value::map([("iso_code", "DE")])),
//! ]);
//! let mut writer = Writer::new("GeoIP2-Country", IpVersion::V6);
//! writer.set_description("en", "whence test database");
//! writer.insert_network("192.0.2.0/24".parse()?, &germany)?;
//! writer.insert_range("2001:db8::".parse()?, "2001:db8::ffff".parse()?, &germany)?;
//! let bytes: Vec<u8> = writer.to_bytes()?;
//!
//! let reader = maxminddb::Reader::from_source(bytes)?;
//! let country: Option<String> = reader
//!     .lookup("192.0.2.7".parse()?)?
//!     .decode_path(&maxminddb::path!["country", "iso_code"])?;
//! assert_eq!(country.as_deref(), Some("DE"));
//! assert!(!reader.lookup("198.51.100.1".parse()?)?.has_data());
//! # Ok(())
//! # }
//! ```

mod data;
mod range;
mod tree;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ipnetwork::IpNetwork;

pub use data::Value;
pub use range::range_to_networks;

use data::DataSection;
use tree::{Record, Trie};

/// Marker that precedes the metadata; readers search for its last occurrence (spec, "Database
/// Metadata").
const METADATA_MARKER: &[u8; 14] = b"\xab\xcd\xefMaxMind.com";

/// The 16 zero bytes between search tree and data section (spec, "Data Section Separator").
const DATA_SECTION_SEPARATOR: [u8; 16] = [0; 16];

/// Why a database cannot be written. Callers mostly report these; they branch only to tell bad
/// input (a network or range) from a database too large for the format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("network {0} has host bits set; write it as {1}")]
    HostBitsSet(IpNetwork, IpNetwork),
    #[error("IPv6 network {0} cannot go into an IPv4 database")]
    Ipv6InIpv4Database(IpNetwork),
    #[error(
        "network {0} lies in ::ffff:0:0/96, which aliases the IPv4 space; insert the IPv4 network instead"
    )]
    AliasedNetwork(IpNetwork),
    #[error("range {0} - {1} mixes IPv4 and IPv6")]
    MixedRange(IpAddr, IpAddr),
    #[error("range {0} - {1} ends before it starts")]
    ReversedRange(IpAddr, IpAddr),
    #[error("{what} is {size}, more than the MaxMind DB format can hold")]
    TooLarge { what: &'static str, size: u64 },
}

/// The address family of the database's search tree (metadata `ip_version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpVersion {
    /// 32-bit tree; IPv6 inserts are refused.
    V4,
    /// 128-bit tree; IPv4 networks live at `::/96`.
    V6,
}

impl IpVersion {
    /// Depth of the search tree in bits.
    fn bits(self) -> u8 {
        match self {
            IpVersion::V4 => 32,
            IpVersion::V6 => 128,
        }
    }
}

/// Bits per search-tree record (metadata `record_size`). The writer picks the smallest that can
/// address every node and record unless one is forced with [`Writer::set_record_size`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordSize {
    Bits24,
    Bits28,
    Bits32,
}

impl RecordSize {
    fn bits(self) -> u16 {
        match self {
            RecordSize::Bits24 => 24,
            RecordSize::Bits28 => 28,
            RecordSize::Bits32 => 32,
        }
    }

    /// Largest record value this size can hold.
    fn max_value(self) -> u64 {
        (1u64 << self.bits()) - 1
    }
}

/// Collects inserts, then writes the database with [`Writer::to_bytes`]. See the module docs
/// for the overlap rule and an example.
#[derive(Debug)]
pub struct Writer {
    database_type: String,
    ip_version: IpVersion,
    languages: Vec<String>,
    description: BTreeMap<String, String>,
    build_epoch: u64,
    record_size: Option<RecordSize>,
    /// Distinct records in first-insert order; the trie refers to them by index, so identical
    /// records are stored (and compared when merging sibling networks) once.
    records: Vec<Value>,
    /// A record's canonical encoding -> its index in `records`.
    record_index: HashMap<Vec<u8>, u32>,
    trie: Trie,
}

impl Writer {
    /// A writer for an empty database. Metadata defaults: `languages` `[]`, `description`
    /// `{"en": database_type}` (readers' `verify` refuses an empty one), `build_epoch` 0 (so
    /// output never depends on the clock; set the real one with [`Writer::set_build_epoch`]).
    pub fn new(database_type: &str, ip_version: IpVersion) -> Writer {
        Writer {
            database_type: database_type.to_owned(),
            ip_version,
            languages: Vec::new(),
            description: BTreeMap::from([("en".to_owned(), database_type.to_owned())]),
            build_epoch: 0,
            record_size: None,
            records: Vec::new(),
            record_index: HashMap::new(),
            trie: Trie::new(),
        }
    }

    /// Sets the metadata `description` for one language code.
    pub fn set_description(&mut self, language: &str, text: &str) -> &mut Writer {
        self.description
            .insert(language.to_owned(), text.to_owned());
        self
    }

    /// Sets the metadata `languages` (the locales that record names are given in).
    pub fn set_languages(&mut self, languages: &[&str]) -> &mut Writer {
        self.languages = languages.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    /// Sets the metadata `build_epoch` (seconds since 1970-01-01 UTC).
    pub fn set_build_epoch(&mut self, epoch: u64) -> &mut Writer {
        self.build_epoch = epoch;
        self
    }

    /// Forces a record size instead of the smallest that fits; [`Writer::to_bytes`] fails if
    /// the database does not fit it.
    pub fn set_record_size(&mut self, size: RecordSize) -> &mut Writer {
        self.record_size = Some(size);
        self
    }

    /// Stores `record` for every address in `network`, under the module's overlap rule.
    ///
    /// # Errors
    /// Host bits set (`192.0.2.1/24`), an IPv6 network in an IPv4 database, a network inside
    /// the aliased `::ffff:0:0/96`, or a record too large to encode.
    pub fn insert_network(&mut self, network: IpNetwork, record: &Value) -> Result<(), Error> {
        if network.ip() != network.network() {
            let clean = IpNetwork::new(network.network(), network.prefix()).unwrap_or(network);
            return Err(Error::HostBitsSet(network, clean));
        }
        let (bits, prefix) = match (network, self.ip_version) {
            (IpNetwork::V4(net), IpVersion::V4) => (u128::from(net.ip().to_bits()), net.prefix()),
            // IPv4 goes at ::a.b.c.d: the 96 leading zero bits are where readers descend for it.
            (IpNetwork::V4(net), IpVersion::V6) => {
                (u128::from(net.ip().to_bits()), net.prefix() + 96)
            }
            (IpNetwork::V6(_), IpVersion::V4) => return Err(Error::Ipv6InIpv4Database(network)),
            (IpNetwork::V6(net), IpVersion::V6) => {
                let bits = net.ip().to_bits();
                if net.prefix() >= tree::IPV4_MAPPED_PREFIX
                    && bits >> (128 - tree::IPV4_MAPPED_PREFIX) == tree::IPV4_MAPPED_BITS
                {
                    return Err(Error::AliasedNetwork(network));
                }
                (bits, net.prefix())
            }
        };
        let id = self.intern(record)?;
        self.trie.insert(bits, prefix, self.ip_version.bits(), id);
        Ok(())
    }

    /// Stores `record` for every address from `start` to `end` inclusive: the range is split
    /// into its minimal CIDR prefixes ([`range_to_networks`]) and each is inserted.
    ///
    /// # Errors
    /// As [`Writer::insert_network`], plus a range that mixes families or ends before it
    /// starts.
    pub fn insert_range(
        &mut self,
        start: IpAddr,
        end: IpAddr,
        record: &Value,
    ) -> Result<(), Error> {
        for network in range_to_networks(start, end)? {
            self.insert_network(network, record)?;
        }
        Ok(())
    }

    /// Writes the database: search tree, separator, data section, metadata marker, metadata.
    ///
    /// # Errors
    /// Only for a database too large for the format (or for a forced record size).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let tree = self.trie.flatten(self.ip_version);

        // Data section: each record the tree still reaches (a record whose every network was
        // overridden is left out), in first-insert order so offsets are deterministic.
        let mut data = DataSection::default();
        let mut offsets: Vec<u32> = vec![0; self.records.len()];
        for id in tree.record_ids() {
            offsets[id as usize] = data.push_record(&self.records[id as usize])?;
        }
        let data = data.into_bytes();

        let node_count = tree.nodes.len() as u64;
        // Largest value a record may hold: a pointer to the last data byte (spec, "Pointer -
        // Data Section Offset": value = node_count + 16 + offset).
        let max_value = node_count + DATA_SECTION_SEPARATOR.len() as u64 + data.len() as u64;
        let record_size = match self.record_size {
            Some(size) if max_value <= size.max_value() => size,
            Some(_) => {
                return Err(Error::TooLarge {
                    what: "the largest record value",
                    size: max_value,
                });
            }
            None => [RecordSize::Bits24, RecordSize::Bits28, RecordSize::Bits32]
                .into_iter()
                .find(|size| max_value <= size.max_value())
                .ok_or(Error::TooLarge {
                    what: "the largest record value",
                    size: max_value,
                })?,
        };

        let value_of = |record: Record| -> u64 {
            match record {
                Record::Node(index) => u64::from(index),
                Record::Empty => node_count,
                Record::Data(id) => {
                    node_count
                        + DATA_SECTION_SEPARATOR.len() as u64
                        + u64::from(offsets[id as usize])
                }
            }
        };

        let node_bytes = usize::from(record_size.bits() / 4);
        let mut out = Vec::with_capacity(tree.nodes.len() * node_bytes + data.len() + 1024);
        for [left, right] in &tree.nodes {
            write_node(&mut out, record_size, value_of(*left), value_of(*right));
        }
        out.extend_from_slice(&DATA_SECTION_SEPARATOR);
        out.extend_from_slice(&data);
        out.extend_from_slice(METADATA_MARKER);
        let node_count = u32::try_from(node_count).map_err(|_| Error::TooLarge {
            what: "the node count",
            size: node_count,
        })?;
        self.metadata(node_count, record_size)
            .encode_plain(&mut out)?;
        Ok(out)
    }

    /// The metadata map, with the integer types the spec gives each key.
    fn metadata(&self, node_count: u32, record_size: RecordSize) -> Value {
        let ip_version: u16 = match self.ip_version {
            IpVersion::V4 => 4,
            IpVersion::V6 => 6,
        };
        Value::map([
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(self.build_epoch)),
            ("database_type", Value::from(self.database_type.as_str())),
            (
                "description",
                Value::map(
                    self.description
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                ),
            ),
            ("ip_version", Value::U16(ip_version)),
            (
                "languages",
                Value::Array(
                    self.languages
                        .iter()
                        .map(|l| Value::from(l.as_str()))
                        .collect(),
                ),
            ),
            ("node_count", Value::U32(node_count)),
            ("record_size", Value::U16(record_size.bits())),
        ])
    }

    /// The index of `record` in `records`, adding it if new.
    fn intern(&mut self, record: &Value) -> Result<u32, Error> {
        let mut key = Vec::new();
        record.encode_plain(&mut key)?;
        if let Some(&id) = self.record_index.get(&key) {
            return Ok(id);
        }
        let id = u32::try_from(self.records.len()).map_err(|_| Error::TooLarge {
            what: "the number of distinct records",
            size: self.records.len() as u64,
        })?;
        self.records.push(record.clone());
        self.record_index.insert(key, id);
        Ok(id)
    }
}

/// Appends one search-tree node: two records of `size` bits, big-endian (spec, "Node Layout").
fn write_node(out: &mut Vec<u8>, size: RecordSize, left: u64, right: u64) {
    // Record values were checked against `size.max_value()`, so the truncating casts below
    // drop only zero bits.
    match size {
        RecordSize::Bits24 => {
            out.extend_from_slice(&(left as u32).to_be_bytes()[1..]);
            out.extend_from_slice(&(right as u32).to_be_bytes()[1..]);
        }
        // 28 bits: the middle byte holds the top nibble of the left record, then of the right.
        RecordSize::Bits28 => {
            out.extend_from_slice(&(left as u32).to_be_bytes()[1..]);
            out.push((((left >> 24) as u8 & 0x0f) << 4) | ((right >> 24) as u8 & 0x0f));
            out.extend_from_slice(&(right as u32).to_be_bytes()[1..]);
        }
        RecordSize::Bits32 => {
            out.extend_from_slice(&(left as u32).to_be_bytes());
            out.extend_from_slice(&(right as u32).to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests;
