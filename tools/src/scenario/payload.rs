//! Application payloads: takes what a message should say and gives its bytes as the protocol
//! lays them out, so that Wireshark dissects every sample without complaint and a detector
//! reading payloads sees what real attack tools and servers send.
//!
//! - DNS (RFC 1035, EDNS0 RFC 6891, DNSSEC records RFC 4034): ANY answers for a signed zone,
//!   the classic amplification response (US-CERT TA13-088A), and ordinary A lookups.
//! - NTP mode 7 `MON_GETLIST_1` ("monlist") responses as ntpd's `ntp_request.c` lays them out
//!   (CVE-2013-5211, US-CERT TA14-013A); NTP mode 3/4 client/server packets (RFC 5905).
//! - memcached UDP responses with the 8-byte frame header of memcached's `protocol.txt`
//!   ("UDP protocol"): `stats` output and large `get` values split over datagrams, as in the
//!   2018 amplification attacks (US-CERT/NCCIC and Cloudflare reports).
//! - HTTP/1.1 requests and responses (RFC 9112), TLS 1.3 ClientHello / server records
//!   (RFC 8446), an SSH banner (RFC 4253).

use super::rng::Rng;

/// Appends a domain name as labels (no compression).
fn name(out: &mut Vec<u8>, dotted: &str) {
    for label in dotted.split('.').filter(|label| !label.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// A resource record; `rdata` is written by the closure so its length can be patched in.
fn record(out: &mut Vec<u8>, owner: &[u8], rtype: u16, ttl: u32, rdata: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(owner);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    let length_at = out.len();
    out.extend_from_slice(&[0, 0]);
    rdata(out);
    let length = (out.len() - length_at - 2) as u16;
    out[length_at..length_at + 2].copy_from_slice(&length.to_be_bytes());
}

const TYPE_A: u16 = 1;
const TYPE_NS: u16 = 2;
const TYPE_SOA: u16 = 6;
const TYPE_MX: u16 = 15;
const TYPE_TXT: u16 = 16;
const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;
const TYPE_RRSIG: u16 = 46;
const TYPE_NSEC: u16 = 47;
const TYPE_DNSKEY: u16 = 48;
const TYPE_ANY: u16 = 255;

/// Pointer to the question name at offset 12 (RFC 1035 section 4.1.4).
const AT_QNAME: [u8; 2] = [0xc0, 0x0c];

/// The zone whose ANY answer the reflection scenarios use: `isc.org` was the name in the 2013
/// open-resolver advisories; its signed ANY answer was over 3 kB.
pub const AMPLIFYING_ZONE: &str = "isc.org";

/// A DNSSEC-signed ANY answer for `zone` from an open resolver: some 3.3 kB, so it leaves the
/// resolver as three IPv4 fragments. `now` (seconds since 1970) dates the signatures.
pub fn dns_any_response(out: &mut Vec<u8>, rng: &mut Rng, id: u16, zone: &str, now: u32) {
    out.extend_from_slice(&id.to_be_bytes());
    // QR, opcode 0, RD, RA, rcode 0: a recursive resolver's answer.
    out.extend_from_slice(&0x8180u16.to_be_bytes());
    let counts_at = out.len();
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1]);
    name(out, zone);
    out.extend_from_slice(&TYPE_ANY.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());

    let mut answers = 0u16;
    let ttl = 7200;
    let mut signed_types = Vec::new();
    let mut rrset = |out: &mut Vec<u8>, rtype: u16, rdata: &mut dyn FnMut(&mut Vec<u8>)| {
        record(out, &AT_QNAME, rtype, ttl, |out| rdata(out));
        answers += 1;
        if !signed_types.contains(&rtype) {
            signed_types.push(rtype);
        }
    };
    let mut address = [0u8; 4];
    rng.fill(&mut address);
    rrset(out, TYPE_A, &mut |out| out.extend_from_slice(&address));
    let mut address6 = [0u8; 16];
    rng.fill(&mut address6);
    address6[..4].copy_from_slice(&[0x20, 0x01, 0x04, 0xf8]);
    rrset(out, TYPE_AAAA, &mut |out| out.extend_from_slice(&address6));
    for server in ["ns1", "ns2", "ns3"] {
        rrset(out, TYPE_NS, &mut |out| {
            out.push(server.len() as u8);
            out.extend_from_slice(server.as_bytes());
            out.extend_from_slice(&AT_QNAME);
        });
    }
    rrset(out, TYPE_SOA, &mut |out| {
        out.extend_from_slice(&[3, b'n', b's', b'1']);
        out.extend_from_slice(&AT_QNAME);
        out.extend_from_slice(&[10]);
        out.extend_from_slice(b"hostmaster");
        out.extend_from_slice(&AT_QNAME);
        for value in [now / 60, 7200, 3600, 2_419_200, 3600] {
            out.extend_from_slice(&value.to_be_bytes());
        }
    });
    for (preference, host) in [(10u16, "mx1"), (20, "mx2")] {
        rrset(out, TYPE_MX, &mut |out| {
            out.extend_from_slice(&preference.to_be_bytes());
            out.push(host.len() as u8);
            out.extend_from_slice(host.as_bytes());
            out.extend_from_slice(&AT_QNAME);
        });
    }
    for text in [
        "v=spf1 ip4:149.20.0.0/16 ip6:2001:4f8::/32 include:_spf.google.com ~all",
        "google-site-verification=Xk2mT9dWq0vA7rLbYc4EuJf1HsNgPo8iZ3KyVx6RtQw",
    ] {
        rrset(out, TYPE_TXT, &mut |out| {
            out.push(text.len() as u8);
            out.extend_from_slice(text.as_bytes());
        });
    }
    // Zone-signing and key-signing keys, RSA/SHA-256 (algorithm 8), 2048-bit moduli.
    for flags in [256u16, 257] {
        rrset(out, TYPE_DNSKEY, &mut |out| {
            out.extend_from_slice(&flags.to_be_bytes());
            out.extend_from_slice(&[3, 8]);
            // RFC 3110 key: exponent length 3, exponent 65537, modulus.
            out.extend_from_slice(&[3, 1, 0, 1]);
            let mut modulus = [0u8; 256];
            rng.fill(&mut modulus);
            modulus[0] |= 0x80;
            out.extend_from_slice(&modulus);
        });
    }
    rrset(out, TYPE_NSEC, &mut |out| {
        out.extend_from_slice(&[4]);
        out.extend_from_slice(b"_spf");
        out.extend_from_slice(&AT_QNAME);
        // Type bitmap window 0 (RFC 4034 section 4.1.2): A NS SOA MX TXT AAAA RRSIG NSEC
        // DNSKEY.
        out.extend_from_slice(&[0, 7, 0x62, 0x01, 0x80, 0x08, 0x00, 0x03, 0x80]);
    });
    let key_tag = rng.next_u16();
    for covered in signed_types {
        record(out, &AT_QNAME, TYPE_RRSIG, ttl, |out| {
            out.extend_from_slice(&covered.to_be_bytes());
            out.extend_from_slice(&[8, 2]);
            out.extend_from_slice(&ttl.to_be_bytes());
            out.extend_from_slice(&(now + 30 * 86_400).to_be_bytes());
            out.extend_from_slice(&(now - 86_400).to_be_bytes());
            out.extend_from_slice(&key_tag.to_be_bytes());
            // The signer's name is never compressed (RFC 4034 section 3.1.7).
            name(out, zone);
            let mut signature = [0u8; 256];
            rng.fill(&mut signature);
            out.extend_from_slice(&signature);
        });
        answers += 1;
    }
    // EDNS0 OPT: 4096-byte UDP size, DNSSEC OK; what lets the answer exceed 512 bytes.
    out.push(0);
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&4096u16.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0x80, 0, 0, 0]);
    out[counts_at + 2..counts_at + 4].copy_from_slice(&answers.to_be_bytes());
}

/// An ordinary recursive lookup: an A query (`answer` None) or its answer.
pub fn dns_lookup(out: &mut Vec<u8>, id: u16, host: &str, answer: Option<[u8; 4]>) {
    out.extend_from_slice(&id.to_be_bytes());
    let flags: u16 = if answer.is_some() { 0x8180 } else { 0x0100 };
    out.extend_from_slice(&flags.to_be_bytes());
    let answers = u16::from(answer.is_some());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&answers.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    name(out, host);
    out.extend_from_slice(&TYPE_A.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    if let Some(address) = answer {
        record(out, &AT_QNAME, TYPE_A, 300, |out| {
            out.extend_from_slice(&address)
        });
    }
}

/// Size of ntpd's `struct info_monitor_1`, one monlist entry.
pub const MONLIST_ITEM_LEN: usize = 72;
/// Entries per response datagram: ntpd fills a 500-byte data area (`RESP_DATA_SIZE`) with as
/// many items as fit, which gives the well-known 482-byte Ethernet frames.
pub const MONLIST_ITEMS_PER_PACKET: usize = 6;

/// One datagram of a monlist reply: `sequence` numbers the datagrams, `more` is set on all but
/// the last, `items` (at most six) are the clients ntpd remembers.
pub fn ntp_monlist_response(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    sequence: u8,
    more: bool,
    items: usize,
) {
    // Response bit, "more", version 2, mode 7 (private).
    out.push(0x80 | if more { 0x40 } else { 0 } | (2 << 3) | 7);
    out.push(sequence & 0x7f);
    // Implementation 3 (IMPL_XNTPD), request 42 (MON_GETLIST_1).
    out.extend_from_slice(&[3, 42]);
    out.extend_from_slice(&(items as u16 & 0x0fff).to_be_bytes());
    out.extend_from_slice(&(MONLIST_ITEM_LEN as u16).to_be_bytes());
    for _ in 0..items {
        let last = rng.below(3600) as u32;
        out.extend_from_slice(&last.to_be_bytes());
        out.extend_from_slice(&(last + rng.below(86_400) as u32).to_be_bytes());
        // restr: RES_ flags the server applied to this client.
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&(1 + rng.below(5000) as u32).to_be_bytes());
        let mut address = [0u8; 4];
        rng.fill(&mut address);
        address[0] = 1 + (address[0] % 223);
        out.extend_from_slice(&address);
        let mut local = [0u8; 4];
        rng.fill(&mut local);
        out.extend_from_slice(&local);
        // flags, port, mode, version
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&[0, 123]);
        out.extend_from_slice(&[if rng.chance(1, 2) { 3 } else { 7 }, 4]);
        // v6_flag, unused, addr6, daddr6: IPv4 entries leave them zero.
        out.extend_from_slice(&[0u8; 8 + 32]);
    }
}

/// An NTP v4 client request (mode 3) or the server's reply (mode 4), 48 bytes.
pub fn ntp_packet(out: &mut Vec<u8>, rng: &mut Rng, server: bool, now: u32) {
    // Seconds from 1900 to 1970 (RFC 5905 section 6).
    let ntp_seconds = now.wrapping_add(2_208_988_800);
    let mode = if server { 4 } else { 3 };
    out.push((4 << 3) | mode);
    if server {
        // Stratum 2, poll 6, precision -24, root delay/dispersion, reference ID.
        out.extend_from_slice(&[2, 6, 0xe8]);
        out.extend_from_slice(&[0, 0, 0x02, 0x1c, 0, 0, 0x04, 0x5d]);
        out.extend_from_slice(&[0xc0, 0x21, 0x04, 0x01]);
        for _ in 0..3 {
            out.extend_from_slice(&ntp_seconds.to_be_bytes());
            out.extend_from_slice(&rng.next_u32().to_be_bytes());
        }
    } else {
        out.extend_from_slice(&[0, 6, 0xe9]);
        out.extend_from_slice(&[0u8; 12]);
        // A client request carries only its transmit timestamp.
        out.extend_from_slice(&[0u8; 24]);
    }
    out.extend_from_slice(&ntp_seconds.to_be_bytes());
    out.extend_from_slice(&rng.next_u32().to_be_bytes());
}

/// The 8-byte memcached UDP frame header.
fn memcached_frame(out: &mut Vec<u8>, request_id: u16, sequence: u16, total: u16) {
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
}

/// memcached's largest UDP datagram payload (`UDP_MAX_PAYLOAD_SIZE`), frame header included.
pub const MEMCACHED_DATAGRAM: usize = 1400;

/// The text of a `stats` reply from memcached 1.4/1.5, the versions exposed in 2018.
pub fn memcached_stats_text(rng: &mut Rng, now: u32) -> Vec<u8> {
    let uptime = 86_400 + rng.below(40_000_000);
    let pid = 900 + rng.below(30_000);
    let items = rng.below(5_000_000);
    let mut text = String::new();
    let mut stat = |key: &str, value: String| {
        text.push_str("STAT ");
        text.push_str(key);
        text.push(' ');
        text.push_str(&value);
        text.push_str("\r\n");
    };
    stat("pid", pid.to_string());
    stat("uptime", uptime.to_string());
    stat("time", now.to_string());
    stat(
        "version",
        ["1.4.15", "1.4.25", "1.4.33", "1.5.4"][rng.index(4)].to_string(),
    );
    stat("libevent", "2.0.21-stable".to_string());
    stat("pointer_size", "64".to_string());
    stat(
        "rusage_user",
        format!("{}.{:06}", rng.below(90_000), rng.below(1_000_000)),
    );
    stat(
        "rusage_system",
        format!("{}.{:06}", rng.below(90_000), rng.below(1_000_000)),
    );
    stat("curr_connections", rng.between(5, 800).to_string());
    stat(
        "total_connections",
        rng.between(10_000, 90_000_000).to_string(),
    );
    stat("connection_structures", rng.between(10, 900).to_string());
    stat("reserved_fds", "20".to_string());
    for key in [
        "cmd_get",
        "cmd_set",
        "cmd_flush",
        "cmd_touch",
        "get_hits",
        "get_misses",
        "get_expired",
        "delete_misses",
        "delete_hits",
        "incr_misses",
        "incr_hits",
        "decr_misses",
        "decr_hits",
        "cas_misses",
        "cas_hits",
        "cas_badval",
        "touch_hits",
        "touch_misses",
        "auth_cmds",
        "auth_errors",
    ] {
        stat(key, rng.below(900_000_000).to_string());
    }
    stat("bytes_read", rng.below(90_000_000_000).to_string());
    stat("bytes_written", rng.below(900_000_000_000).to_string());
    stat("limit_maxbytes", "67108864".to_string());
    stat("accepting_conns", "1".to_string());
    stat("listen_disabled_num", "0".to_string());
    stat("threads", "4".to_string());
    stat("conn_yields", "0".to_string());
    stat("hash_power_level", "16".to_string());
    stat("hash_bytes", "524288".to_string());
    stat("hash_is_expanding", "0".to_string());
    stat("bytes", rng.below(67_108_864).to_string());
    stat("curr_items", items.to_string());
    stat("total_items", (items + rng.below(90_000_000)).to_string());
    stat("expired_unfetched", rng.below(900_000).to_string());
    stat("evicted_unfetched", rng.below(900_000).to_string());
    stat("evictions", rng.below(900_000).to_string());
    stat("reclaimed", rng.below(900_000).to_string());
    text.push_str("END\r\n");
    text.into_bytes()
}

/// A `get` reply carrying one value of `value_len` bytes: what attackers stored on open
/// servers (as 1 MB "junk" values) to multiply each request's reply.
pub fn memcached_get_text(rng: &mut Rng, key: &str, value_len: usize) -> Vec<u8> {
    let mut text = format!("VALUE {key} 0 {value_len}\r\n").into_bytes();
    let start = text.len();
    text.resize(start + value_len, 0);
    rng.fill(&mut text[start..]);
    // Attack tools stored printable filler; keep it printable like theirs.
    for byte in &mut text[start..] {
        *byte = b'a' + (*byte % 26);
    }
    text.extend_from_slice(b"\r\nEND\r\n");
    text
}

/// Splits a memcached reply into UDP datagram payloads, each with its frame header.
pub fn memcached_datagrams(request_id: u16, text: &[u8]) -> Vec<Vec<u8>> {
    let per = MEMCACHED_DATAGRAM - 8;
    let chunks: Vec<&[u8]> = text.chunks(per).collect();
    let total = chunks.len() as u16;
    chunks
        .iter()
        .enumerate()
        .map(|(sequence, chunk)| {
            let mut datagram = Vec::with_capacity(8 + chunk.len());
            memcached_frame(&mut datagram, request_id, sequence as u16, total);
            datagram.extend_from_slice(chunk);
            datagram
        })
        .collect()
}

/// Browser identities of HTTP flood bots and benign visitors: the bots copy real browsers'
/// strings to pass simple filters.
pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.64 Mobile Safari/537.36",
];

/// An HTTP/1.1 GET. Flood bots add a random query string so each request misses the cache.
pub fn http_get(rng: &mut Rng, host: &str, path: &str, cache_buster: bool) -> Vec<u8> {
    let agent = USER_AGENTS[rng.index(USER_AGENTS.len())];
    let target = if cache_buster {
        format!("{path}?{:x}={:x}", rng.next_u32(), rng.next_u64())
    } else {
        path.to_string()
    };
    format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\n\
         Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
         Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n\
         Connection: keep-alive\r\n\r\n"
    )
    .into_bytes()
}

/// An HTTP/1.1 response with a small HTML body.
pub fn http_response(rng: &mut Rng, status: u16, body_len: usize) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Unknown",
    };
    let mut body = String::from("<!doctype html><html><head><title>");
    body.push_str(reason);
    body.push_str("</title></head><body>");
    while body.len() + 14 < body_len {
        body.push_str(["<p>", "catalogue ", "item ", "</p>"][rng.index(4)]);
    }
    body.push_str("</body></html>");
    format!(
        "HTTP/1.1 {status} {reason}\r\nServer: nginx/1.24.0\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A TLS 1.3 ClientHello for `server_name` (inside a TLS 1.0-versioned record, as clients
/// send it for middlebox compatibility).
pub fn tls_client_hello(rng: &mut Rng, server_name: &str) -> Vec<u8> {
    let mut hello = Vec::with_capacity(512);
    hello.extend_from_slice(&[0x03, 0x03]);
    let mut random = [0u8; 32 + 32];
    rng.fill(&mut random);
    hello.extend_from_slice(&random[..32]);
    hello.push(32);
    hello.extend_from_slice(&random[32..]);
    let suites: [u16; 9] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
    ];
    hello.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        hello.extend_from_slice(&suite.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]);
    let mut extensions = Vec::new();
    let mut extension = |kind: u16, body: &[u8]| {
        extensions.extend_from_slice(&kind.to_be_bytes());
        extensions.extend_from_slice(&(body.len() as u16).to_be_bytes());
        extensions.extend_from_slice(body);
    };
    let mut sni = Vec::new();
    sni.extend_from_slice(&((server_name.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(server_name.len() as u16).to_be_bytes());
    sni.extend_from_slice(server_name.as_bytes());
    extension(0x0000, &sni);
    extension(0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
    extension(0x000b, &[1, 0]);
    extension(
        0x000d,
        &[0, 8, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03],
    );
    extension(0x0010, b"\x00\x0c\x02h2\x08http/1.1");
    extension(0x002b, &[4, 0x03, 0x04, 0x03, 0x03]);
    extension(0x002d, &[1, 1]);
    let mut key_share = vec![0, 36, 0, 0x1d, 0, 32];
    let mut key = [0u8; 32];
    rng.fill(&mut key);
    key_share.extend_from_slice(&key);
    extension(0x0033, &key_share);
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);

    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&((hello.len() + 4) as u16).to_be_bytes());
    record.push(1);
    let length = (hello.len() as u32).to_be_bytes();
    record.extend_from_slice(&length[1..]);
    record.extend_from_slice(&hello);
    record
}

/// A TLS record of `content_type` with `len` opaque bytes: encrypted data looks random.
pub fn tls_record(rng: &mut Rng, content_type: u8, len: usize) -> Vec<u8> {
    let mut record = vec![content_type, 0x03, 0x03];
    record.extend_from_slice(&(len as u16).to_be_bytes());
    let start = record.len();
    record.resize(start + len, 0);
    rng.fill(&mut record[start..]);
    record
}

/// What an OpenSSH server or client says first.
pub const SSH_BANNER: &[u8] = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n";

/// An SSH binary packet of `len` bytes after the banner: encrypted, so random bytes.
pub fn ssh_packet(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut packet = vec![0u8; len];
    rng.fill(&mut packet);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_any_answer_is_large_enough_to_fragment() {
        let mut out = Vec::new();
        let mut rng = Rng::new(1, "dns");
        dns_any_response(&mut out, &mut rng, 0x1234, AMPLIFYING_ZONE, 1_741_600_000);
        assert!((3000..4000).contains(&out.len()), "{}", out.len());
        // 2 A/AAAA, 3 NS, SOA, 2 MX, 2 TXT, 2 DNSKEY, NSEC, and 8 RRSIGs (one per type).
        assert_eq!(u16::from_be_bytes([out[6], out[7]]), 13 + 8);
    }

    #[test]
    fn monlist_datagrams_are_ntpds_size() {
        let mut out = Vec::new();
        let mut rng = Rng::new(1, "ntp");
        ntp_monlist_response(&mut out, &mut rng, 0, true, MONLIST_ITEMS_PER_PACKET);
        // 482-byte Ethernet frames: 14 + 20 IP + 8 UDP + 440.
        assert_eq!(out.len(), 440);
        assert_eq!(out[0], 0xd7);
    }

    #[test]
    fn memcached_replies_split_into_framed_datagrams() {
        let mut rng = Rng::new(1, "memcached");
        let text = memcached_get_text(&mut rng, "a", 5000);
        let datagrams = memcached_datagrams(7, &text);
        assert_eq!(datagrams.len(), text.len().div_ceil(MEMCACHED_DATAGRAM - 8));
        assert!(datagrams.iter().all(|d| d.len() <= MEMCACHED_DATAGRAM));
        assert_eq!(&datagrams[1][..6], &[0, 7, 0, 1, 0, datagrams.len() as u8]);
        let stats = memcached_stats_text(&mut rng, 0);
        assert!(
            stats.ends_with(b"END\r\n") && stats.len() > 900,
            "{}",
            stats.len()
        );
    }
}
