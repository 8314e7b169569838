//! Choosing the databases for a run: the user's `--geoip-db` files first, then databases found
//! where `geoipupdate` installs them (and `WHENCE_GEOIP_DIR`), then the embedded defaults. Each
//! role (country, ASN, anonymizer) is answered by the first database that can fill it, and the
//! report names which one did.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use anyhow::{Context, Result};

use super::address_space::AddressSpace;
use super::asn_category::{self, AsnCategory};
use super::geoip::{Database, DatabaseSource, GeoInfo, NetworkRange, Role};

/// Where `geoipupdate` puts databases on common systems (its GeoIP.conf `DatabaseDirectory`
/// defaults on Debian/Ubuntu, Fedora and Homebrew/FreeBSD respectively).
pub const SYSTEM_DIRECTORIES: [&str; 3] = [
    "/usr/share/GeoIP",
    "/var/lib/GeoIP",
    "/usr/local/share/GeoIP",
];

/// The environment variable naming one more directory to search, before the system ones.
pub const DIRECTORY_VARIABLE: &str = "WHENCE_GEOIP_DIR";

/// Credit the embedded data's licenses require (CC BY 4.0), repeated in every report.
pub const EMBEDDED_COUNTRY_ATTRIBUTION: &str = "Country: ip-location-db geo-whois-asn-country, built from RIR delegations and whois data published by the NRO (CC BY 4.0).";
pub const EMBEDDED_ASN_ATTRIBUTION: &str = "ASN: ip-location-db asn, from RouteViews, the NRO's RIR data and DB-IP ASN Lite (https://db-ip.com), CC BY 4.0; converted to MaxMind DB format by whence.";

static EMBEDDED_COUNTRY: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/geoip/country.mmdb"
));
static EMBEDDED_ASN: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/geoip/asn.mmdb"));

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct DatabaseOptions {
    pub explicit: Vec<PathBuf>,
    /// Directories to search, in order (empty disables discovery).
    pub search_directories: Vec<PathBuf>,
    pub use_embedded: bool,
}

impl DatabaseOptions {
    /// The directories searched by default: `WHENCE_GEOIP_DIR`, then the system ones.
    pub fn default_search_directories(variable: Option<PathBuf>) -> Vec<PathBuf> {
        variable
            .into_iter()
            .chain(SYSTEM_DIRECTORIES.iter().map(PathBuf::from))
            .collect()
    }
}

/// The databases of a run and which answers each role.
pub struct GeoDatabases {
    databases: Vec<Database>,
    by_role: BTreeMap<Role, usize>,
    /// Things the user should know (a discovered file that could not be read, a database that
    /// was not needed).
    pub notes: Vec<String>,
    /// Measured on first use, see `address_space`.
    address_space: OnceLock<AddressSpace>,
    /// Categories given so far, by ASN and organisation name: a batch run enriches every
    /// capture on its own and would otherwise match the same networks' names against every
    /// rule once per capture. Shared by the threads that enrich.
    categories: Mutex<HashMap<u32, Vec<NamedCategory>>>,
}

/// An organisation name (if the database gave one) and the category it was given.
type NamedCategory = (Option<Box<str>>, AsnCategory);

/// Organisation names whose category is kept per ASN (see `GeoDatabases::category`).
const NAMES_KEPT_PER_ASN: usize = 4;

impl GeoDatabases {
    pub fn resolve(options: &DatabaseOptions) -> Result<GeoDatabases> {
        let mut chosen = GeoDatabases {
            databases: Vec::new(),
            by_role: BTreeMap::new(),
            notes: Vec::new(),
            address_space: OnceLock::new(),
            categories: Mutex::default(),
        };
        for path in &options.explicit {
            let database = Database::open_file(path)
                .with_context(|| format!("GeoIP database {}", path.display()))?;
            if !chosen.adopt(database) {
                chosen.notes.push(format!(
                    "{}: not used, its roles are already filled by an earlier --geoip-db",
                    path.display()
                ));
            }
        }
        for directory in &options.search_directories {
            for path in mmdb_files_in(directory) {
                if chosen.all_roles_filled() {
                    break;
                }
                match Database::open_file(&path) {
                    Ok(database) => {
                        chosen.adopt(database);
                    }
                    Err(error) => chosen
                        .notes
                        .push(format!("{}: skipped: {error}", path.display())),
                }
            }
        }
        if options.use_embedded {
            for (bytes, name) in [(EMBEDDED_COUNTRY, "country"), (EMBEDDED_ASN, "asn")] {
                let database = embedded(bytes, name)?;
                if !database
                    .roles()
                    .iter()
                    .all(|role| chosen.by_role.contains_key(role))
                {
                    chosen.adopt(database);
                }
            }
        }
        Ok(chosen)
    }

    /// Takes `database` for every role it can fill that is still open; false if none.
    fn adopt(&mut self, database: Database) -> bool {
        let open: Vec<Role> = database
            .roles()
            .iter()
            .copied()
            .filter(|role| !self.by_role.contains_key(role))
            .collect();
        if open.is_empty() {
            return false;
        }
        let index = self.databases.len();
        for role in open {
            self.by_role.insert(role, index);
        }
        self.databases.push(database);
        true
    }

    fn all_roles_filled(&self) -> bool {
        [Role::Country, Role::Asn, Role::Anonymizer]
            .iter()
            .all(|role| self.by_role.contains_key(role))
    }

    /// How much of the IPv4 space each country and ASN holds in these databases, measured on
    /// first use and then kept. The walk over every network is the same for every report built
    /// from these databases: tens of milliseconds, but fuzzing (`fuzz/`, target `report`) found
    /// that a caller building many reports repeated it for each one, seconds apiece under a
    /// sanitizer, enough to time out.
    pub fn address_space(&self) -> &AddressSpace {
        self.address_space
            .get_or_init(|| AddressSpace::measure(self))
    }

    /// The database answering each role, in role order.
    pub fn assignments(&self) -> impl Iterator<Item = (Role, &Database)> {
        self.by_role
            .iter()
            .filter_map(|(role, &index)| Some((*role, self.databases.get(index)?)))
    }

    /// The category of network `asn` named `organization` (`asn_category::categorize`),
    /// worked out once per process.
    pub fn category(&self, asn: u32, organization: Option<&str>) -> AsnCategory {
        let mut categories = self
            .categories
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let known = categories.entry(asn).or_default();
        // One name per ASN in any sane database; a list keeps the answer exact for one that
        // names an ASN differently in different records.
        if let Some((_, category)) = known
            .iter()
            .find(|(name, _)| name.as_deref() == organization)
        {
            return *category;
        }
        let category = asn_category::categorize(asn, organization);
        // A hostile database could give one ASN any number of names: past a few, they are
        // categorised each time rather than searched for in an ever longer list.
        if known.len() < NAMES_KEPT_PER_ASN {
            known.push((organization.map(Box::from), category));
        }
        category
    }

    /// A lookup session: keeps each database's decoded records while many addresses are
    /// looked up.
    pub fn session(&self) -> LookupSession<'_> {
        LookupSession {
            databases: self,
            caches: self.databases.iter().map(|_| HashMap::default()).collect(),
            last_networks: vec![None; self.databases.len()],
        }
    }
}

pub struct LookupSession<'db> {
    databases: &'db GeoDatabases,
    caches: Vec<HashMap<usize, GeoInfo<'db>, foldhash::fast::RandomState>>,
    /// Per database, the network of the last answer and the answer. Sources are looked up in
    /// address order, and a flood's millions of addresses fall many to a network: a lookup
    /// in the same network as the one before it needs no walk of the search tree.
    last_networks: Vec<Option<(NetworkRange, GeoInfo<'db>)>>,
}

impl<'db> LookupSession<'db> {
    pub fn category(&self, asn: u32, organization: Option<&str>) -> AsnCategory {
        self.databases.category(asn, organization)
    }

    /// Asks each database about `ip` and keeps, from each, only the fields of the roles it was
    /// chosen for. Decoding errors leave the fields unknown and are returned for counting.
    pub fn lookup(&mut self, ip: IpAddr) -> (GeoInfo<'db>, usize) {
        let mut info = GeoInfo::default();
        let mut errors = 0;
        let by_role = &self.databases.by_role;
        for (index, ((database, cache), last_network)) in self
            .databases
            .databases
            .iter()
            .zip(&mut self.caches)
            .zip(&mut self.last_networks)
            .enumerate()
        {
            let answer = match last_network {
                Some((network, answer)) if network.contains(ip) => *answer,
                _ => {
                    let Ok((answer, network)) = database.lookup(ip, cache) else {
                        errors += 1;
                        continue;
                    };
                    *last_network = network.map(|network| (network, answer));
                    answer
                }
            };
            let answers = |role: Role| by_role.get(&role) == Some(&index);
            if answers(Role::Country) {
                info.country = answer.country;
                info.registered_country = answer.registered_country;
                info.anycast = answer.anycast;
            }
            if answers(Role::Asn) {
                info.asn = answer.asn;
                info.as_org = answer.as_org;
            }
            if answers(Role::Anonymizer) {
                info.anonymizer = answer.anonymizer;
            }
        }
        (info, errors)
    }
}

fn embedded(bytes: &'static [u8], name: &'static str) -> Result<Database> {
    Database::from_bytes(
        std::borrow::Cow::Borrowed(bytes),
        DatabaseSource::Embedded(name),
    )
    .with_context(|| format!("embedded {name} database"))
}

/// `.mmdb` files directly in `directory`, sorted by name so the choice is deterministic.
fn mmdb_files_in(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "mmdb") && path.is_file())
        .collect();
    files.sort();
    files
}

/// The embedded databases alone, for the enrichment stage's unit tests.
#[cfg(test)]
pub(crate) fn embedded_for_tests() -> GeoDatabases {
    GeoDatabases::resolve(&DatabaseOptions {
        explicit: Vec::new(),
        search_directories: Vec::new(),
        use_embedded: true,
    })
    .expect("the embedded databases open")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> GeoDatabases {
        embedded_for_tests()
    }

    /// Sorted addresses, many to a network: clusters of IPv4 addresses, IPv6 ones (some
    /// IPv4-mapped) and a few edges of the address space.
    fn addresses_to_look_up() -> Vec<IpAddr> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut addresses = Vec::new();
        for _ in 0..400 {
            let base = (next() as u32) & 0xffff_0000;
            for _ in 0..50 {
                let low = (next() as u32) & 0xffff;
                addresses.push(IpAddr::from(std::net::Ipv4Addr::from(base | low)));
            }
        }
        for _ in 0..2_000 {
            let high = u128::from(next()) << 64;
            let prefix = 0x2000u128 << 112 | (high & !(0xffffu128 << 112));
            addresses.push(IpAddr::from(std::net::Ipv6Addr::from(
                prefix | u128::from(next()),
            )));
            let mapped = std::net::Ipv4Addr::from(next() as u32).to_ipv6_mapped();
            addresses.push(IpAddr::from(mapped));
        }
        for edge in [
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            addresses.push(edge.parse().unwrap());
        }
        addresses.sort_unstable();
        addresses.dedup();
        addresses
    }

    /// A session reuses the last answer for an address in the same network; every answer must
    /// be what a lookup of its own gives, in every database the tests carry.
    #[test]
    fn reusing_the_last_network_gives_the_answer_of_a_lookup_of_its_own() {
        // As enrichment does: the test databases include records nested as deep as the format
        // allows, which the decoder follows recursively (a test thread has 2 MiB of stack).
        std::thread::Builder::new()
            .stack_size(crate::enrich::DECODER_STACK_BYTES)
            .spawn(compare_reused_answers_with_lookups_of_their_own)
            .unwrap()
            .join()
            .unwrap();
    }

    fn compare_reused_answers_with_lookups_of_their_own() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/database");
        let mut databases = vec![embedded()];
        for path in mmdb_files_in(&seeds) {
            if let Ok(chosen) = GeoDatabases::resolve(&DatabaseOptions {
                explicit: vec![path],
                search_directories: Vec::new(),
                use_embedded: false,
            }) {
                databases.push(chosen);
            }
        }
        assert!(databases.len() > 5, "{} database sets", databases.len());
        let addresses = addresses_to_look_up();
        let mut reused = 0;
        for chosen in &databases {
            let mut session = chosen.session();
            for &address in &addresses {
                let before = session.last_networks.clone();
                let answer = session.lookup(address);
                let alone = chosen.session().lookup(address);
                assert_eq!(answer, alone, "{address}");
                if before.iter().zip(&session.last_networks).any(|(was, is)| {
                    was.is_some_and(|(network, _)| network.contains(address)) && was == is
                }) {
                    reused += 1;
                }
            }
        }
        assert!(reused > addresses.len(), "{reused} answers reused");
    }

    #[test]
    fn kept_categories_are_those_of_the_rules_per_name() {
        let databases = embedded();
        let names = [
            (16509, Some("AMAZON-02")),
            (64500, Some("Example Webhosting24 GmbH")),
            (64500, Some("Example Broadband Telecom")),
            (64501, None),
        ];
        // Asked twice: the second answer comes from what was kept, and must not differ.
        for _ in 0..2 {
            for (asn, name) in names {
                assert_eq!(
                    databases.category(asn, name),
                    asn_category::categorize(asn, name),
                    "{asn} {name:?}"
                );
            }
        }
        // Two names of one ASN keep a category each.
        assert_ne!(
            databases.category(64500, Some("Example Webhosting24 GmbH")),
            databases.category(64500, Some("Example Broadband Telecom"))
        );
        // Past the names kept, the answer is still the rules'.
        for n in 0..3 * NAMES_KEPT_PER_ASN {
            let name = format!("Cloud Hosting {n}");
            assert_eq!(
                databases.category(64502, Some(&name)),
                asn_category::categorize(64502, Some(&name))
            );
        }
    }
}
