//! Claims about where an attack came from, as a user states them on the command line
//! (`country:UA`, `asn:AS15895`, `prefix:203.0.113.0/24`): takes the text, gives a `Claim` that
//! can test one sender, or an error that names the offending text and what was expected.
//!
//! A prefix with bits set below its length (`prefix:203.0.113.7/24`) is rejected rather than
//! masked: a claim is evidence in a report, and silently widening `203.0.113.7/24` to
//! `203.0.113.0/24` would put words in the claimant's mouth. The error names the prefix that
//! was probably meant.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::assess::vectors::IpNetwork;
use crate::enrich::{CountryCode, countries};

use super::Sender;

/// One claim about the attack's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claim {
    /// The sources geolocate to this country (ISO 3166-1 alpha-2, upper case).
    Country(CountryCode),
    /// The sources are in this autonomous system.
    Asn(u32),
    /// The sources lie in this network.
    Prefix(IpNetwork),
}

/// Why a claim's text is not a claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error(
        "not a claim: {text:?}; expected KIND:VALUE, one of country:CC (e.g. country:UA), \
         asn:ASN (e.g. asn:AS15895) or prefix:CIDR (e.g. prefix:203.0.113.0/24)"
    )]
    Syntax { text: String },
    #[error(
        "unknown claim kind {kind:?} in {text:?}; expected country, asn or prefix \
         (e.g. country:UA, asn:AS15895, prefix:203.0.113.0/24)"
    )]
    Kind { text: String, kind: String },
    #[error(
        "not a country in {text:?}: {value:?}; expected an ISO 3166-1 alpha-2 code of two \
         letters, such as UA or de"
    )]
    Country { text: String, value: String },
    #[error(
        "not an AS number in {text:?}: {value:?}; expected AS1 to AS4294967295, with or \
         without the AS (e.g. AS15895 or 15895)"
    )]
    Asn { text: String, value: String },
    #[error(
        "not a prefix in {text:?}: {value:?}; expected an IPv4 or IPv6 network in CIDR \
         notation, such as 203.0.113.0/24 or 2001:db8::/32"
    )]
    Prefix { text: String, value: String },
    #[error(
        "prefix in {text:?} has bits set below its length; expected the network address, \
         prefix:{network}"
    )]
    HostBits { text: String, network: String },
}

impl FromStr for Claim {
    type Err = ClaimError;

    /// Parses `kind:value`. The kind, the country code and the `AS` prefix are
    /// case-insensitive; white space around the text and around each part is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let owned = || text.to_string();
        let Some((kind, value)) = text.trim().split_once(':') else {
            return Err(ClaimError::Syntax { text: owned() });
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(ClaimError::Syntax { text: owned() });
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "country" => parse_country(value)
                .map(Claim::Country)
                .ok_or(ClaimError::Country {
                    text: owned(),
                    value: value.to_string(),
                }),
            "asn" => parse_asn(value).map(Claim::Asn).ok_or(ClaimError::Asn {
                text: owned(),
                value: value.to_string(),
            }),
            "prefix" => parse_prefix(text, value).map(Claim::Prefix),
            other => Err(ClaimError::Kind {
                text: owned(),
                kind: other.to_string(),
            }),
        }
    }
}

/// A code the country table knows (ISO 3166-1 alpha-2 and the few registry regions GeoIP data
/// uses, such as EU). "ZZ", whence's "unknown", is not a country anyone can claim.
fn parse_country(value: &str) -> Option<CountryCode> {
    let code = CountryCode::parse(value)?;
    countries::country(code.as_str()).map(|_| code)
}

/// `AS123`, `as123` or `123`. AS 0 is reserved and never originates routes (RFC 7607).
fn parse_asn(value: &str) -> Option<u32> {
    let digits = match value.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("as") => value.get(2..)?,
        _ => value,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&asn| asn != 0)
}

/// A network in CIDR notation; a bare address is the network of that one address (/32 or
/// /128). Bits below the length must be zero.
fn parse_prefix(text: &str, value: &str) -> Result<IpNetwork, ClaimError> {
    let prefix_error = || ClaimError::Prefix {
        text: text.to_string(),
        value: value.to_string(),
    };
    let network: IpNetwork = value.parse().map_err(|_| prefix_error())?;
    let address_text = value.split_once('/').map_or(value, |(address, _)| address);
    let written: IpAddr = address_text.parse().map_err(|_| prefix_error())?;
    if written != network.address() {
        return Err(ClaimError::HostBits {
            text: text.to_string(),
            network: cidr(&network),
        });
    }
    Ok(network)
}

/// Always with the length, so `prefix:192.0.2.1/32` reads as a prefix claim.
fn cidr(network: &IpNetwork) -> String {
    format!("{}/{}", network.address(), network.prefix_len())
}

impl fmt::Display for Claim {
    /// The canonical form: `country:UA`, `asn:AS15895`, `prefix:203.0.113.0/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Country(code) => write!(f, "country:{}", code.as_str()),
            Claim::Asn(asn) => write!(f, "asn:AS{asn}"),
            Claim::Prefix(network) => write!(f, "prefix:{}", cidr(network)),
        }
    }
}

impl Claim {
    /// Whether this sender's address is what the claim names: located in the country, in the
    /// AS, inside the prefix.
    pub fn matches(&self, sender: &Sender) -> bool {
        match self {
            Claim::Country(code) => sender.country == Some(*code),
            Claim::Asn(asn) => sender.asn == Some(*asn),
            Claim::Prefix(network) => network.contains(sender.address),
        }
    }

    /// For country claims: whether the sender's network is registered in the country.
    pub(super) fn matches_registered(&self, sender: &Sender) -> bool {
        match self {
            Claim::Country(code) => sender.registered_country == Some(*code),
            Claim::Asn(_) | Claim::Prefix(_) => false,
        }
    }

    /// The claim's subject in words: "Germany (DE)", "AS15895", "203.0.113.0/24".
    pub fn subject(&self) -> String {
        match self {
            Claim::Country(code) => {
                let code = code.as_str();
                format!("{} ({code})", countries::name(code))
            }
            Claim::Asn(asn) => format!("AS{asn}"),
            Claim::Prefix(network) => cidr(network),
        }
    }

    /// What a matching address does, for statements: "geolocate to Germany (DE)". Never "came
    /// from": an address says where a block is used or registered, not who used it.
    pub fn predicate(&self) -> String {
        match self {
            Claim::Country(_) => format!("geolocate to {}", self.subject()),
            Claim::Asn(_) => format!("belong to {}", self.subject()),
            Claim::Prefix(_) => format!("lie in {}", self.subject()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Claim, ClaimError> {
        text.parse()
    }

    #[test]
    fn countries_parse_case_insensitively_and_print_upper_case() {
        for text in ["country:UA", "country:ua", "Country:uA", " country : ua "] {
            let claim = parse(text).unwrap();
            assert_eq!(claim.to_string(), "country:UA", "{text}");
        }
        assert_eq!(parse("country:de").unwrap().subject(), "Germany (DE)");
    }

    #[test]
    fn country_errors_name_the_value() {
        for value in ["XX", "ZZ", "UKR", "U", "1A", "Ü1"] {
            let text = format!("country:{value}");
            let error = parse(&text).unwrap_err();
            assert_eq!(
                error,
                ClaimError::Country {
                    text: text.clone(),
                    value: value.to_string()
                }
            );
            let message = error.to_string();
            assert!(
                message.contains(value) && message.contains("ISO 3166-1"),
                "{message}"
            );
        }
    }

    #[test]
    fn asns_parse_with_or_without_as() {
        for text in ["asn:AS15895", "asn:as15895", "asn:15895", "ASN:As15895"] {
            assert_eq!(parse(text).unwrap(), Claim::Asn(15895), "{text}");
            assert_eq!(parse(text).unwrap().to_string(), "asn:AS15895");
        }
        assert_eq!(parse("asn:4294967295").unwrap(), Claim::Asn(u32::MAX));
        for value in [
            "AS0",
            "0",
            "AS",
            "4294967296",
            "AS-1",
            "AS 12",
            "+12",
            "12a",
            "ÄS1",
        ] {
            let text = format!("asn:{value}");
            assert!(
                matches!(parse(&text), Err(ClaimError::Asn { value: v, .. }) if v == value),
                "{text}"
            );
        }
    }

    #[test]
    fn prefixes_parse_and_must_have_no_host_bits() {
        let claim = parse("prefix:203.0.113.0/24").unwrap();
        assert_eq!(claim.to_string(), "prefix:203.0.113.0/24");
        assert_eq!(
            parse("prefix:2001:DB8::/32").unwrap().to_string(),
            "prefix:2001:db8::/32"
        );
        assert_eq!(
            parse("prefix:192.0.2.1").unwrap().to_string(),
            "prefix:192.0.2.1/32",
            "a bare address is a /32"
        );
        assert_eq!(
            parse("prefix:0.0.0.0/0").unwrap().to_string(),
            "prefix:0.0.0.0/0"
        );
        let error = parse("prefix:203.0.113.7/24").unwrap_err();
        assert_eq!(
            error,
            ClaimError::HostBits {
                text: "prefix:203.0.113.7/24".into(),
                network: "203.0.113.0/24".into()
            }
        );
        assert!(error.to_string().contains("prefix:203.0.113.0/24"));
        for value in [
            "203.0.113.0/33",
            "2001:db8::/129",
            "203.0.113/24",
            "x/8",
            "10.0.0.0/",
        ] {
            let text = format!("prefix:{value}");
            assert!(
                matches!(parse(&text), Err(ClaimError::Prefix { value: v, .. }) if v == value),
                "{text}"
            );
        }
    }

    #[test]
    fn syntax_and_kind_errors() {
        for text in ["UA", "", "country:", "country:  ", ":UA"] {
            let error = parse(text).unwrap_err();
            assert!(
                matches!(error, ClaimError::Syntax { .. } | ClaimError::Kind { .. }),
                "{text}: {error:?}"
            );
        }
        let error = parse("city:Kyiv").unwrap_err();
        assert_eq!(
            error,
            ClaimError::Kind {
                text: "city:Kyiv".into(),
                kind: "city".into()
            }
        );
        assert!(error.to_string().contains("country, asn or prefix"));
    }

    #[test]
    fn claims_match_senders() {
        let sender = Sender {
            address: "203.0.113.9".parse().unwrap(),
            packets: 1,
            country: CountryCode::parse("DE"),
            registered_country: CountryCode::parse("NL"),
            asn: Some(24940),
            validated: false,
            bogon: false,
            hosting: true,
            anonymizer: false,
        };
        assert!(parse("country:de").unwrap().matches(&sender));
        assert!(!parse("country:nl").unwrap().matches(&sender));
        assert!(parse("country:nl").unwrap().matches_registered(&sender));
        assert!(parse("asn:24940").unwrap().matches(&sender));
        assert!(parse("prefix:203.0.113.0/24").unwrap().matches(&sender));
        assert!(!parse("prefix:203.0.112.0/24").unwrap().matches(&sender));
        assert!(!parse("prefix:2001:db8::/32").unwrap().matches(&sender));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "country:UA",
            "asn:AS1",
            "prefix:198.51.100.0/24",
            "prefix:2001:db8::/48",
        ] {
            let claim = parse(text).unwrap();
            assert_eq!(claim.to_string(), text);
            assert_eq!(parse(&claim.to_string()).unwrap(), claim);
        }
    }
}
