//! Source addresses with a known origin: takes the two MaxMind DBs whence embeds
//! (`data/geoip/country.mmdb`, `asn.mmdb`) and gives addresses drawn from the real networks of
//! chosen countries or autonomous systems, each with the country and ASN those databases
//! answer for it.
//!
//! Pools come from iterating the databases' networks, so a drawn address is inside a network
//! the database really lists; the address is then looked up in both databases, as whence
//! will look it up, and kept only if both answer (and, for an ASN pool, the country is the one
//! asked for). That is what makes the truth files' countries and ASNs exact for whence run
//! with `--no-system-db`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ipnetwork::IpNetwork;
use maxminddb::{Reader, WithinOptions};
use serde::Deserialize;

use super::bogon;
use super::rng::Rng;

/// ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(pub [u8; 2]);

impl Country {
    pub const fn new(code: &str) -> Country {
        let bytes = code.as_bytes();
        Country([bytes[0], bytes[1]])
    }

    fn parse(code: &str) -> Option<Country> {
        match code.as_bytes() {
            &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(Country([a, b])),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

/// What the databases say about an address (nothing for a bogon: whence never looks those up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'g> {
    pub country: Option<Country>,
    pub asn: Option<u32>,
    pub org: Option<&'g str>,
    pub bogon: Option<&'static str>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// How the host part of a drawn address looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostStyle {
    /// Residential and mobile devices: any host address; IPv6 with a random (privacy)
    /// interface identifier (RFC 8981).
    Client,
    /// Servers: IPv6 with a small, hand-assigned interface identifier (`::1`, `::25`).
    Server,
}

/// The two databases, read into memory.
pub struct Geo {
    country: Reader<Vec<u8>>,
    asn: Reader<Vec<u8>>,
}

/// A set of networks to draw from, weighted by size so that every address is equally likely.
#[derive(Debug, Default)]
pub struct Pool {
    networks: Vec<(u128, u128)>,
    /// Cumulative sizes.
    ends: Vec<u128>,
    family: Option<Family>,
}

impl Pool {
    fn push(&mut self, network: IpNetwork) {
        let (start, size) = match network {
            IpNetwork::V4(v4) => (
                u128::from(v4.network().to_bits()),
                1u128 << (32 - u32::from(v4.prefix())),
            ),
            IpNetwork::V6(v6) => (
                v6.network().to_bits(),
                // A /0 cannot occur inside 2000::/3; saturate rather than overflow anyway.
                1u128
                    .checked_shl(128 - u32::from(v6.prefix()))
                    .unwrap_or(u128::MAX),
            ),
        };
        self.family = Some(if network.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        });
        let end = self.ends.last().copied().unwrap_or(0).saturating_add(size);
        self.networks.push((start, size));
        self.ends.push(end);
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// An address in one of the networks, uniformly over their addresses, with the host part
    /// shaped by `style`.
    fn draw(&self, rng: &mut Rng, style: HostStyle) -> Option<IpAddr> {
        let total = self.ends.last().copied()?;
        let point = rng.below_u128(total);
        let index = self.ends.partition_point(|&end| end <= point);
        let &(start, size) = self.networks.get(index)?;
        match self.family? {
            Family::V4 => {
                let mut offset = rng.below_u128(size);
                // Skip the .0 and .255 of each /24 where the network is large enough to have
                // them as subnet boundaries: hosts rarely sit there.
                if size >= 256 && matches!(offset & 0xff, 0 | 255) {
                    offset ^= 0x7f;
                }
                let bits = u32::try_from(start + offset).ok()?;
                Some(IpAddr::V4(Ipv4Addr::from_bits(bits)))
            }
            Family::V6 => {
                let offset = rng.below_u128(size);
                let mut bits = start + offset;
                if size > 1 << 64 {
                    // Subnets are /64s: the interface identifier is the host part.
                    bits &= !u128::from(u64::MAX);
                    bits |= match style {
                        HostStyle::Client => u128::from(rng.next_u64() | 1),
                        HostStyle::Server => u128::from(rng.between(1, 0x3ff)),
                    };
                }
                Some(IpAddr::V6(Ipv6Addr::from_bits(bits)))
            }
        }
    }
}

/// An address with what both databases say about it.
#[derive(Debug, Clone, Copy)]
pub struct Drawn<'g> {
    pub ip: IpAddr,
    pub origin: Origin<'g>,
}

/// Draws made before giving up on a pool: a pool whose addresses the ASN database mostly does
/// not cover is a scenario mistake worth an error, not an endless loop.
const MAX_ATTEMPTS: u32 = 10_000;

impl Geo {
    /// The databases in `data/geoip/` of the repository this tool was built from.
    pub fn default_dir() -> PathBuf {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR"));
        tools.parent().unwrap_or(tools).join("data/geoip")
    }

    /// Opens `country.mmdb` and `asn.mmdb` in `dir`.
    ///
    /// # Errors
    /// A file is missing or not a MaxMind DB.
    pub fn open(dir: &Path) -> Result<Geo> {
        let open = |name: &str| -> Result<Reader<Vec<u8>>> {
            let path = dir.join(name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Reader::from_source(bytes)
                .with_context(|| format!("{} is not a MaxMind DB", path.display()))
        };
        Ok(Geo {
            country: open("country.mmdb")?,
            asn: open("asn.mmdb")?,
        })
    }

    /// What whence will find for `ip`: nothing for a bogon, else both databases' answers.
    ///
    /// # Errors
    /// A database record does not decode.
    pub fn origin(&self, ip: IpAddr) -> Result<Origin<'_>> {
        if let Some(class) = bogon::classify(ip) {
            return Ok(Origin {
                country: None,
                asn: None,
                org: None,
                bogon: Some(class),
            });
        }
        let country = self
            .country
            .lookup(ip)?
            .decode::<CountryRecord>()?
            .and_then(|record| record.country_code)
            .and_then(Country::parse);
        let asn = self.asn.lookup(ip)?.decode::<AsnRecord>()?;
        Ok(Origin {
            country,
            asn: asn.as_ref().and_then(|a| a.autonomous_system_number),
            org: asn.and_then(|a| a.autonomous_system_organization),
            bogon: None,
        })
    }

    /// One pool per wanted country, from the country database's networks of `family`.
    ///
    /// # Errors
    /// A record does not decode, or a wanted country has no network.
    pub fn country_pools(
        &self,
        wanted: &BTreeSet<Country>,
        family: Family,
    ) -> Result<BTreeMap<Country, Pool>> {
        let mut pools: BTreeMap<Country, Pool> = BTreeMap::new();
        // Few distinct records (one per country) against many networks: decode each once.
        let mut decoded: HashMap<usize, Option<Country>> = HashMap::new();
        for item in self
            .country
            .within(space(family)?, WithinOptions::default())?
        {
            let item = item?;
            let Some(offset) = item.offset() else {
                continue;
            };
            let country = match decoded.get(&offset) {
                Some(known) => *known,
                None => {
                    let country = item
                        .decode::<CountryRecord>()?
                        .and_then(|record| record.country_code)
                        .and_then(Country::parse);
                    decoded.insert(offset, country);
                    country
                }
            };
            if let Some(country) = country.filter(|c| wanted.contains(c)) {
                pools.entry(country).or_default().push(item.network()?);
            }
        }
        for country in wanted {
            if !pools.contains_key(country) {
                bail!(
                    "the country database has no {family:?} network for {}",
                    country.as_str()
                );
            }
        }
        Ok(pools)
    }

    /// One pool per wanted autonomous system, from the ASN database's networks of `family`.
    ///
    /// # Errors
    /// A record does not decode, or a wanted ASN has no network.
    pub fn asn_pools(&self, wanted: &BTreeSet<u32>, family: Family) -> Result<BTreeMap<u32, Pool>> {
        let mut pools: BTreeMap<u32, Pool> = BTreeMap::new();
        let mut decoded: HashMap<usize, Option<u32>> = HashMap::new();
        for item in self.asn.within(space(family)?, WithinOptions::default())? {
            let item = item?;
            let Some(offset) = item.offset() else {
                continue;
            };
            let asn = match decoded.get(&offset) {
                Some(known) => *known,
                None => {
                    let asn = item
                        .decode::<AsnRecord>()?
                        .and_then(|record| record.autonomous_system_number);
                    decoded.insert(offset, asn);
                    asn
                }
            };
            if let Some(asn) = asn.filter(|a| wanted.contains(a)) {
                pools.entry(asn).or_default().push(item.network()?);
            }
        }
        for asn in wanted {
            if !pools.contains_key(asn) {
                bail!("the ASN database has no {family:?} network for AS{asn}");
            }
        }
        Ok(pools)
    }

    /// An address from `pool` that both databases place (in `country`, if given), that is
    /// no bogon and that `accept` takes (e.g. not drawn before).
    ///
    /// # Errors
    /// No such address in `MAX_ATTEMPTS` draws, or a record does not decode.
    pub fn draw(
        &self,
        pool: &Pool,
        country: Option<Country>,
        style: HostStyle,
        rng: &mut Rng,
        mut accept: impl FnMut(IpAddr) -> bool,
    ) -> Result<Drawn<'_>> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(ip) = pool.draw(rng, style) else {
                bail!("cannot draw from an empty pool");
            };
            let origin = self.origin(ip)?;
            let placed = origin.bogon.is_none()
                && origin.asn.is_some()
                && origin.country.is_some()
                && country.is_none_or(|wanted| origin.country == Some(wanted));
            if placed && accept(ip) {
                return Ok(Drawn { ip, origin });
            }
        }
        bail!(
            "no address with a known country and ASN{} after {MAX_ATTEMPTS} draws",
            country.map_or(String::new(), |c| format!(" in {}", c.as_str()))
        )
    }
}

/// Where sources of a family come from: all of IPv4, and IPv6 global unicast (2000::/3), the
/// only IPv6 space allocated to networks.
fn space(family: Family) -> Result<IpNetwork> {
    Ok(match family {
        Family::V4 => IpNetwork::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)?,
        Family::V6 => IpNetwork::new(IpAddr::V6(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0)), 3)?,
    })
}
