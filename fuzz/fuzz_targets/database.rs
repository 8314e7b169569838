//! Fuzz target: bytes as a MaxMind DB file -> `Database::from_bytes`, a few lookups (IPv4,
//! IPv4-mapped and plain IPv6) and the IPv4 walk the address-space figures use.

#![no_main]

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use whence::enrich::geoip::{Database, DatabaseSource};

const ADDRESSES: [&str; 6] = [
    "1.1.1.1",
    "8.8.8.8",
    "81.2.69.160",
    "0.0.0.0",
    "::ffff:203.0.113.7",
    "2001:db8::1",
];

fuzz_target!(|data: &[u8]| {
    // As a user's file (not an embedded database), so the checks made on opening a file run.
    let source = DatabaseSource::File(PathBuf::from("fuzz.mmdb"));
    let Ok(database) = Database::from_bytes(Cow::Owned(data.to_vec()), source) else {
        return;
    };
    let mut cache = HashMap::default();
    for text in ADDRESSES {
        let ip: IpAddr = text.parse().expect("a valid address literal");
        let _ = database.lookup(ip, &mut cache);
    }
    let _ = database.covers_ipv6();
    let mut networks = 0u64;
    let _ = database.each_ipv4_network(|_, _| networks += 1);
});
