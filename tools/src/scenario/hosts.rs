//! Hosts: takes a plan (so many addresses from these countries or autonomous systems, this
//! mix of operating systems) and gives hosts with a real address, its origin, and a TTL that
//! stays the same for every packet the host sends.
//!
//! A host's TTL at the capture point is its system's initial TTL (64 for Linux, BSD, macOS and
//! embedded devices, 128 for Windows, 255 for network equipment) minus a hop count fixed per
//! host: routes are stable over an attack's minutes, so a genuine source shows one TTL, while
//! spoofed packets from one machine claiming many addresses do not fit that pattern.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;

use anyhow::Result;

use super::geo::{Country, Family, Geo, HostStyle, Origin, Pool};
use super::packet::TcpOptions;
use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux servers and desktops.
    Linux,
    /// Windows 10/11 and Server.
    Windows,
    /// macOS and iOS.
    Apple,
    /// Busybox Linux on routers, cameras and DVRs: the Mirai population.
    Embedded,
    /// Routers' own stacks and some appliances (Cisco IOS, Solaris-derived).
    Router,
}

impl Os {
    pub fn initial_ttl(self) -> u8 {
        match self {
            Os::Linux | Os::Apple | Os::Embedded => 64,
            Os::Windows => 128,
            Os::Router => 255,
        }
    }

    /// The SYN options and window this system's TCP stack sends (the p0f signatures of
    /// current versions), with `timestamp` as TSval where the stack sends timestamps.
    pub fn syn(self, timestamp: u32) -> (TcpOptions, u16) {
        let options = TcpOptions::default();
        match self {
            Os::Linux => (
                options
                    .mss(1460)
                    .sack_permitted()
                    .timestamps(timestamp, 0)
                    .nop()
                    .window_scale(7),
                64_240,
            ),
            Os::Windows => (
                options
                    .mss(1460)
                    .nop()
                    .window_scale(8)
                    .nop()
                    .nop()
                    .sack_permitted(),
                64_240,
            ),
            Os::Apple => (
                options
                    .mss(1460)
                    .nop()
                    .window_scale(6)
                    .nop()
                    .nop()
                    .timestamps(timestamp, 0)
                    .sack_permitted()
                    .padded(),
                65_535,
            ),
            Os::Embedded => (
                options
                    .mss(1460)
                    .sack_permitted()
                    .timestamps(timestamp, 0)
                    .nop()
                    .window_scale(2),
                5_840,
            ),
            Os::Router => (options.mss(536).padded(), 4_128),
        }
    }

    /// Whether data segments carry the timestamp option (Windows leaves it off by default).
    pub fn uses_timestamps(self) -> bool {
        matches!(self, Os::Linux | Os::Apple | Os::Embedded)
    }
}

#[derive(Debug, Clone)]
pub struct Host<'g> {
    pub ip: IpAddr,
    pub origin: Origin<'g>,
    pub os: Os,
    /// Routers between the host and the capture point.
    pub hops: u8,
}

impl Host<'_> {
    /// The TTL (hop limit) its packets carry at the capture point.
    pub fn ttl(&self) -> u8 {
        self.os.initial_ttl().saturating_sub(self.hops)
    }
}

/// How to draw a population: the systems it runs, how far it is, what its addresses look like.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    pub family: Family,
    pub style: HostStyle,
    pub systems: &'a [(Os, u64)],
    /// Inclusive range of hop counts to the capture point.
    pub hops: (u8, u8),
}

/// Splits `total` in proportion to `weights` by largest remainder, so the parts add up
/// exactly and each country's share is what the scenario says it is.
pub fn apportion(total: usize, weights: &[u64]) -> Vec<usize> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total = total as u64;
    let mut parts: Vec<usize> = weights
        .iter()
        .map(|&w| (total * w / sum) as usize)
        .collect();
    let mut remainders: Vec<(u64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(index, &w)| (total * w % sum, index))
        .collect();
    // Largest remainder first; ties to the earlier entry.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let short = total as usize - parts.iter().sum::<usize>();
    for &(_, index) in remainders.iter().take(short) {
        if let Some(part) = parts.get_mut(index) {
            *part += 1;
        }
    }
    parts
}

/// Draws hosts country by country: `plan` gives each country's number of hosts.
///
/// # Errors
/// A country has no network, or too few placeable addresses.
pub fn in_countries<'g>(
    geo: &'g Geo,
    rng: &mut Rng,
    profile: &Profile<'_>,
    plan: &[(Country, usize)],
    taken: &mut HashSet<IpAddr>,
) -> Result<Vec<Host<'g>>> {
    let wanted: BTreeSet<Country> = plan.iter().map(|&(country, _)| country).collect();
    let pools = geo.country_pools(&wanted, profile.family)?;
    let mut hosts = Vec::new();
    for &(country, count) in plan {
        let Some(pool) = pools.get(&country) else {
            continue;
        };
        for _ in 0..count {
            hosts.push(draw_one(geo, rng, profile, pool, Some(country), taken)?);
        }
    }
    Ok(hosts)
}

/// Draws hosts from autonomous systems: `plan` gives (ASN, the country the addresses must be
/// in, number of hosts).
///
/// # Errors
/// An ASN has no network, or too few addresses in that country.
pub fn in_asns<'g>(
    geo: &'g Geo,
    rng: &mut Rng,
    profile: &Profile<'_>,
    plan: &[(u32, Country, usize)],
    taken: &mut HashSet<IpAddr>,
) -> Result<Vec<Host<'g>>> {
    let wanted: BTreeSet<u32> = plan.iter().map(|&(asn, _, _)| asn).collect();
    let pools: BTreeMap<u32, Pool> = geo.asn_pools(&wanted, profile.family)?;
    let mut hosts = Vec::new();
    for &(asn, country, count) in plan {
        let Some(pool) = pools.get(&asn) else {
            continue;
        };
        for _ in 0..count {
            let host = draw_one(geo, rng, profile, pool, Some(country), taken)?;
            // The ASN database may carve a more specific network of another AS out of this
            // one's; such a draw is put back and another taken.
            if host.origin.asn == Some(asn) {
                hosts.push(host);
            } else {
                taken.remove(&host.ip);
                hosts.push(loop {
                    let retry = draw_one(geo, rng, profile, pool, Some(country), taken)?;
                    if retry.origin.asn == Some(asn) {
                        break retry;
                    }
                    taken.remove(&retry.ip);
                });
            }
        }
    }
    Ok(hosts)
}

fn draw_one<'g>(
    geo: &'g Geo,
    rng: &mut Rng,
    profile: &Profile<'_>,
    pool: &Pool,
    country: Option<Country>,
    taken: &mut HashSet<IpAddr>,
) -> Result<Host<'g>> {
    let drawn = geo.draw(pool, country, profile.style, rng, |ip| !taken.contains(&ip))?;
    taken.insert(drawn.ip);
    let weights: Vec<u64> = profile.systems.iter().map(|&(_, w)| w).collect();
    let os = profile
        .systems
        .get(rng.weighted(&weights))
        .map_or(Os::Linux, |&(os, _)| os);
    let hops = rng.between(u64::from(profile.hops.0), u64::from(profile.hops.1)) as u8;
    Ok(Host {
        ip: drawn.ip,
        origin: drawn.origin,
        os,
        hops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportioning_adds_up_and_follows_weights() {
        assert_eq!(apportion(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(apportion(100, &[50, 30, 20]), [50, 30, 20]);
        assert_eq!(apportion(7, &[0, 5]), [0, 7]);
        let parts = apportion(1499, &[15, 14, 12, 9, 6, 4, 4, 3]);
        assert_eq!(parts.iter().sum::<usize>(), 1499);
    }
}
