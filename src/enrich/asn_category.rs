//! ASN categories: takes an autonomous system number and, if known, its organisation name, and
//! gives the kind of network it is (hosting, ISP, mobile, education, government) or `Unknown`.
//!
//! This is a heuristic, and it says so by reporting `unknown` rather than guessing. Two steps:
//!
//! 1. `KNOWN_ASNS`, a curated table of networks whose kind is not in doubt: the large cloud,
//!    hosting and CDN companies that DDoS traffic from rented machines comes from, a few mobile
//!    carriers whose ASN carries only their mobile network, and the national research and
//!    education networks. Every number was checked against the organisation name in the
//!    ip-location-db ASN tables (RouteViews, RIR and DB-IP ASN Lite data, 2026-06 snapshot,
//!    `asn-ipv4.csv`/`asn-ipv6.csv`); that name is quoted next to each entry. The kind of company
//!    is public knowledge (the companies' own descriptions of their networks, PeeringDB network
//!    types), not something this table can prove. Numbers whose name in those tables did not
//!    match the company were left out.
//! 2. Otherwise, keyword rules over the organisation name (`RULES`), matched case-insensitively
//!    on whole words, so "Cloudflare" is not "cloud" and "Universo Online" is not a university.
//!    The keywords were chosen by sampling the 81,276 distinct organisation names in the same
//!    tables and keeping only those whose matches were nearly all of one kind; words that
//!    matched many kinds ("communications", "federal", "municipal", "host", "vps", "mobile" on
//!    its own) were left out.
//!
//! The table wins over the rules: "Amazon.com, Inc." names no kind, and a carrier's or a cloud's
//! subsidiary may carry a misleading word.

use serde::Serialize;

/// The kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AsnCategory {
    /// Cloud, VPS, dedicated-server, CDN and data-centre networks: sources there are rented
    /// machines, proxies or VPN exits rather than people at home.
    Hosting,
    /// Fixed-line eyeball and telecom networks (including fixed-wireless ISPs).
    Isp,
    /// Mobile carriers, where many users share one address behind carrier-grade NAT.
    Mobile,
    Education,
    Government,
    /// Neither the table nor any rule says; not a guess that the network is residential.
    Unknown,
}

impl AsnCategory {
    /// The name used in reports and JSON (the same as the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            AsnCategory::Hosting => "hosting",
            AsnCategory::Isp => "isp",
            AsnCategory::Mobile => "mobile",
            AsnCategory::Education => "education",
            AsnCategory::Government => "government",
            AsnCategory::Unknown => "unknown",
        }
    }
}

/// The category of the network `asn`, whose organisation name (from an ASN database) may help.
pub fn categorize(asn: u32, organization: Option<&str>) -> AsnCategory {
    KNOWN_ASNS
        .iter()
        .find(|&&(known, _)| known == asn)
        .map(|&(_, category)| category)
        .or_else(|| organization.and_then(categorize_organization))
        .unwrap_or(AsnCategory::Unknown)
}

/// The category the first matching rule gives `organization`, if any.
fn categorize_organization(organization: &str) -> Option<AsnCategory> {
    // Split once: every rule's patterns look at the same words (a run with millions of
    // sources categorises tens of thousands of networks).
    let name = Name {
        text: organization,
        words: words(organization).collect(),
    };
    RULES
        .iter()
        .find(|(_, patterns)| patterns.iter().any(|pattern| pattern.matches(&name)))
        .map(|&(category, _)| category)
}

/// An organisation name and its words.
struct Name<'a> {
    text: &'a str,
    words: Vec<&'a str>,
}

/// A keyword test on an organisation name. Keywords are lower-case ASCII; names are compared
/// ignoring ASCII case, and split into words at every character that is not a letter or digit
/// (so "T-Mobile" is the words "T" "Mobile", and "Research & Education" is "Research"
/// "Education").
enum Pattern {
    /// These whole words, consecutively.
    Words(&'static [&'static str]),
    /// A word that starts with this: "universit" covers University, Universitat, Universiteit,
    /// Universitas but not Universal or Universo.
    WordStart(&'static str),
    /// Anywhere, even inside a word, for a keyword that is often glued to others
    /// ("Webhosting24", "Hostingway").
    Anywhere(&'static str),
}

impl Pattern {
    fn matches(&self, name: &Name) -> bool {
        match *self {
            Pattern::Words(phrase) => contains_phrase(&name.words, phrase),
            Pattern::WordStart(start) => name.words.iter().any(|word| {
                word.as_bytes()
                    .get(..start.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(start.as_bytes()))
            }),
            Pattern::Anywhere(needle) => {
                !needle.is_empty()
                    && name
                        .text
                        .as_bytes()
                        .windows(needle.len())
                        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
            }
        }
    }
}

fn is_word_separator(character: char) -> bool {
    !character.is_alphanumeric()
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_word_separator)
        .filter(|word| !word.is_empty())
}

fn contains_phrase(words: &[&str], phrase: &[&str]) -> bool {
    !phrase.is_empty()
        && words.windows(phrase.len()).any(|window| {
            window
                .iter()
                .zip(phrase)
                .all(|(word, keyword)| word.eq_ignore_ascii_case(keyword))
        })
}

// The variant names alone keep the tables readable.
use AsnCategory::*;
use Pattern::{Anywhere, WordStart, Words};

/// Organisation-name rules, tried in order; the first category with a matching pattern wins.
/// The order settles names with words of two kinds: an institution's type beats the services
/// it runs ("CERNET Internet Data Center" is hosting, but a university's data centre is a
/// university), explicit hosting words beat telecom words ("Online Server Telekomunikasyon"),
/// a mobile phrase beats a telecom word ("Syriatel Mobile Telecom"), and the weak hosting word
/// "cloud" comes last ("kt cloud" is hosting, "Cloud Telecom SAS" an ISP).
const RULES: &[(AsnCategory, &[Pattern])] = &[
    (
        Education,
        &[
            WordStart("universit"),
            WordStart("universidad"),
            Words(&["college"]),
            Words(&["colleges"]),
            Words(&["school"]),
            Words(&["schools"]),
            // "Academic" alone would take in Russia's "State Academic" theatres.
            Words(&["academic", "and", "research"]),
            Words(&["research", "and", "academic"]),
            Words(&["academic", "research"]),
            Words(&["academic", "network"]),
            Words(&["academic", "computer"]),
            Words(&["academy", "of", "sciences"]),
            Words(&["academy", "of", "science"]),
            WordStart("polytechn"),
            WordStart("politecn"),
            Anywhere("hochschule"),
            Words(&["institute", "of", "technology"]),
            Words(&["research", "and", "education"]),
            Words(&["research", "education"]),
            Words(&["edu"]),
        ],
    ),
    (
        Government,
        &[
            Words(&["ministry"]),
            // Ministerio, Ministere, Ministero, Ministerie, Ministerstvo, Ministerstwo.
            WordStart("minister"),
            Words(&["government"]),
            Words(&["gov"]),
            Words(&["govt"]),
            WordStart("gobierno"),
            Words(&["governo"]),
            Words(&["prefeitura"]),
            Words(&["municipality"]),
            WordStart("municipio"),
            Words(&["parliament"]),
            Words(&["city", "of"]),
            Words(&["county", "of"]),
            Words(&["state", "of"]),
            Words(&["department", "of"]),
            Words(&["city", "council"]),
            Words(&["county", "council"]),
            Words(&["district", "council"]),
            Words(&["borough", "council"]),
            Words(&["regional", "council"]),
        ],
    ),
    (
        Hosting,
        &[
            Anywhere("hosting"),
            Words(&["datacenter"]),
            Words(&["datacenters"]),
            Words(&["datacentre"]),
            Words(&["datacentres"]),
            Words(&["data", "center"]),
            Words(&["data", "centers"]),
            Words(&["data", "centre"]),
            Words(&["data", "centres"]),
            Words(&["colocation"]),
            Words(&["server"]),
            Words(&["servers"]),
            // Chinese "internet data center" networks.
            Words(&["idc"]),
            Words(&["cdn"]),
        ],
    ),
    (
        Mobile,
        &[
            Words(&["cellular"]),
            Words(&["t", "mobile"]),
            Words(&["mobile", "telecom"]),
            Words(&["mobile", "telecommunications"]),
            Words(&["mobile", "communication"]),
            Words(&["mobile", "communications"]),
            Words(&["mobile", "telephone"]),
            Words(&["mobile", "telesystems"]),
            Words(&["mobile", "telekomunikasyon"]),
        ],
    ),
    (
        Isp,
        &[
            Words(&["telecom"]),
            Words(&["telecoms"]),
            Words(&["telekom"]),
            Words(&["telco"]),
            // Telecommunications, Telecomunicacoes/Telecomunicaciones, Telekomunikasi/-syon.
            WordStart("telecommunication"),
            WordStart("telecomunica"),
            WordStart("telekomunik"),
            Words(&["broadband"]),
            Words(&["cable"]),
            Words(&["fiber"]),
            Words(&["fibre"]),
            Words(&["dsl"]),
            Words(&["telephone"]),
            Words(&["isp"]),
            Words(&["internet", "service", "provider"]),
            // Nearly all are fixed-wireless ISPs, not mobile carriers.
            Words(&["wireless"]),
        ],
    ),
    (Hosting, &[Words(&["cloud"])]),
];

/// Networks whose kind is not in doubt, grouped by company. Each number's organisation name in
/// the ip-location-db ASN tables is quoted beside it.
///
/// Left out for lack of verification (the name there is not the company's): 44477 (Stark
/// Industries; listed only as "AS44477"), 6167 and 22394 (Verizon Wireless; listed as "Verizon
/// Business"), 20057 (AT&T Mobility; listed as "AT&T Enterprises, LLC"). PQ Hosting and
/// ColoCrossing appear under no ASN of their own. Networks that mix fixed and mobile customers
/// (China Mobile, Reliance Jio, most Vodafone companies) are left to the rules.
const KNOWN_ASNS: &[(u32, AsnCategory)] = &[
    // ---- Cloud, CDN and hosting companies. ----
    // Amazon Web Services.
    (16509, Hosting), // "Amazon.com, Inc."
    (14618, Hosting), // "Amazon.com, Inc."
    (8987, Hosting),  // "Amazon Data Services Ireland Ltd"
    // Google and Google Cloud.
    (15169, Hosting),  // "Google LLC"
    (396982, Hosting), // "Google LLC"
    (19527, Hosting),  // "Google LLC"
    // Microsoft Azure and Microsoft services.
    (8075, Hosting), // "Microsoft Corporation"
    (8068, Hosting), // "Microsoft Corporation"
    (8069, Hosting), // "Microsoft Corporation"
    // Oracle Cloud.
    (31898, Hosting), // "Oracle Corporation"
    // IBM Cloud (formerly SoftLayer).
    (36351, Hosting), // "IBM Cloud"
    // Alibaba Cloud.
    (45102, Hosting),  // "Alibaba (US) Technology Co., Ltd."
    (37963, Hosting),  // "Hangzhou Alibaba Advertising Co.,Ltd."
    (134963, Hosting), // "Alibaba Cloud (Singapore) Private Limited"
    // Tencent Cloud.
    (132203, Hosting), // "Shenzhen Tencent Computer Systems Company Limited"
    (45090, Hosting),  // "Shenzhen Tencent Computer Systems Company Limited"
    (133478, Hosting), // "Tencent Cloud Computing (Beijing) Co., Ltd"
    // Huawei Cloud.
    (136907, Hosting), // "HUAWEI INTERNATIONAL PTE. LTD."
    (55990, Hosting),  // "Huawei Cloud Service data center"
    // ByteDance / BytePlus cloud.
    (396986, Hosting), // "Bytedance Inc."
    (150436, Hosting), // "Byteplus Pte. Ltd."
    // Kingsoft Cloud.
    (59019, Hosting), // "Beijing Kingsoft Cloud Internet Technology Co., Ltd"
    // UCloud.
    (135377, Hosting), // "UCLOUD INFORMATION TECHNOLOGY (HK) LIMITED"
    // Cloudflare CDN, and the WARP VPN egress.
    (13335, Hosting),  // "Cloudflare, Inc."
    (209242, Hosting), // "Cloudflare London, LLC"
    // Akamai CDN.
    (20940, Hosting), // "Akamai International B.V."
    (16625, Hosting), // "Akamai Technologies, Inc."
    (12222, Hosting), // "Akamai Technologies, Inc."
    // Linode, now Akamai Connected Cloud.
    (63949, Hosting), // "Akamai Technologies, Inc."
    (48337, Hosting), // "Linode, LLC"
    // Fastly CDN.
    (54113, Hosting), // "Fastly, Inc."
    // Imperva Incapsula CDN and DDoS protection.
    (19551, Hosting), // "Incapsula Inc"
    // DDoS-Guard protection and hosting.
    (57724, Hosting), // "DDOS-GUARD LTD"
    // DigitalOcean.
    (14061, Hosting),  // "DigitalOcean, LLC"
    (393406, Hosting), // "DigitalOcean, LLC"
    // Vultr, operated by The Constant Company (formerly Choopa).
    (20473, Hosting), // "The Constant Company, LLC"
    // OVHcloud.
    (16276, Hosting), // "OVH SAS"
    (35540, Hosting), // "OVH SAS"
    // Hetzner.
    (24940, Hosting),  // "Hetzner Online GmbH"
    (213230, Hosting), // "Hetzner Online GmbH"
    (212317, Hosting), // "Hetzner Online GmbH"
    // Scaleway (formerly Online SAS).
    (12876, Hosting), // "Scaleway SAS"
    (29447, Hosting), // "SCALEWAY S.A.S."
    // Contabo.
    (51167, Hosting),  // "Contabo GmbH"
    (40021, Hosting),  // "Contabo Inc."
    (141995, Hosting), // "Contabo Asia Private Limited"
    // Leaseweb.
    (60781, Hosting),  // "LeaseWeb Netherlands B.V."
    (16265, Hosting),  // "LeaseWeb Network B.V."
    (28753, Hosting),  // "Leaseweb Deutschland GmbH"
    (30633, Hosting),  // "Leaseweb USA, Inc."
    (395954, Hosting), // "Leaseweb USA, Inc."
    (7203, Hosting),   // "Leaseweb USA, Inc."
    (59253, Hosting),  // "LEASEWEB SINGAPORE PTE. LTD."
    // M247, heavily used by commercial VPNs.
    (9009, Hosting),  // "M247 Europe SRL"
    (16247, Hosting), // "M247 UK Ltd"
    // DataCamp, the network of CDN77 and of many VPN exits.
    (60068, Hosting),  // "Datacamp Limited"
    (212238, Hosting), // "Datacamp Limited"
    // Psychz Networks.
    (40676, Hosting), // "Psychz Networks"
    // QuadraNet.
    (8100, Hosting), // "QuadraNet Enterprises LLC"
    // HostPapa; this is the ASN ColoCrossing used before HostPapa bought it.
    (36352, Hosting), // "HostPapa"
    // Hostinger.
    (47583, Hosting), // "Hostinger International Limited"
    // IONOS (formerly 1&1 hosting).
    (8560, Hosting), // "IONOS SE"
    // FranTech / BuyVM.
    (53667, Hosting), // "FranTech Solutions"
    // Zenlayer.
    (21859, Hosting), // "Zenlayer Inc"
    // G-Core Labs.
    (199524, Hosting), // "G-Core Labs S.A."
    (202422, Hosting), // "G-Core Labs S.A."
    // Selectel.
    (49505, Hosting), // "JSC Selectel"
    (50340, Hosting), // "JSC Selectel"
    // Timeweb.
    (9123, Hosting), // JSC "TIMEWEB"
    // Aeza.
    (210644, Hosting), // "AEZA INTERNATIONAL LTD"
    (216246, Hosting), // "Aeza Group LLC"
    // Sharktech.
    (46844, Hosting), // "Sharktech"
    // Serverius.
    (50673, Hosting), // "Serverius Holding B.V."
    // Kamatera.
    (36007, Hosting), // "Kamatera, Inc."
    // Hivelocity.
    (29802, Hosting), // "HIVELOCITY, Inc."
    // Clouvider.
    (62240, Hosting), // "Clouvider Limited"
    // Servers.com.
    (7979, Hosting), // "Servers.com, Inc."
    // WorldStream.
    (49981, Hosting), // "WorldStream B.V."
    // i3D.net.
    (49544, Hosting), // "i3D.net B.V"
    // NForce Entertainment.
    (43350, Hosting), // "NForce Entertainment B.V."
    // HostRoyale, heavily used by commercial VPNs.
    (203020, Hosting), // "HostRoyale Technologies Pvt Ltd"
    // PacketHub, heavily used by commercial VPNs.
    (136787, Hosting), // "PacketHub S.A."
    // Cherry Servers.
    (16125, Hosting), // "UAB Cherry Servers"
    // HOSTKEY.
    (57043, Hosting), // "HOSTKEY B.V."
    // Limestone Networks.
    (46475, Hosting), // "Limestone Networks, Inc."
    // InterServer.
    (19318, Hosting), // "Interserver, Inc"
    // Unified Layer (Bluehost).
    (46606, Hosting), // "Unified Layer"
    // GoDaddy.
    (26496, Hosting),  // "GoDaddy.com, LLC"
    (398101, Hosting), // "GoDaddy.com, LLC"
    // Liquid Web.
    (32244, Hosting), // "Liquid Web, L.L.C"
    // Rackspace.
    (33070, Hosting), // "Rackspace Hosting"
    (19994, Hosting), // "Rackspace Hosting"
    // netcup.
    (197540, Hosting), // "netcup GmbH"
    // Host Europe.
    (8972, Hosting), // "Host Europe GmbH"
    // Strato.
    (6724, Hosting), // "Strato AG"
    // UpCloud.
    (202053, Hosting), // "UpCloud Ltd"
    // xTom.
    (3214, Hosting), // "xTom GmbH"
    // ---- Mobile carriers: only ASNs that carry the mobile network alone. ----
    // T-Mobile US mobile network.
    (21928, Mobile), // "T-Mobile USA, Inc."
    // NTT DOCOMO mobile network.
    (9605, Mobile), // "NTT DOCOMO, INC."
    // Turkcell mobile network (its fixed lines are Superonline).
    (16135, Mobile), // "TURKCELL ILETISIM HIZMETLERI A.S."
    // Vodafone Ukraine mobile network.
    (21497, Mobile), // PrJSC "VF UKRAINE"
    // Telkomsel mobile network.
    (23693, Mobile), // "PT. Telekomunikasi Selular"
    // ---- National research and education networks. ----
    // DFN, German research and education network.
    (680, Education), // "Verein zur Foerderung eines Deutschen Forschungsnetzes e.V."
    // RENATER, French research and education network.
    (2200, Education), // "Renater"
    // RedIRIS, Spanish research and education network run by Red.es.
    (766, Education), // "Entidad Publica Empresarial Red.es"
    // Internet2, US research and education network.
    (11537, Education), // "Internet2"
    // Janet, UK research and education network run by Jisc.
    (786, Education), // "Jisc Services Limited"
    // SURF, Dutch research and education network.
    (1103, Education), // "SURF B.V."
    // SWITCH, Swiss research and education network.
    (559, Education), // "SWITCH"
    // CERNET, China Education and Research Network.
    (4538, Education), // "China Education and Research Network Center"
    // SINET, Japanese research and education network run by NII.
    // CSV: "Research Organization of Information and Systems, National Institute of Informa".
    (2907, Education),
    // GEANT, the European backbone between research and education networks.
    (20965, Education), // "GEANT Vereniging"
    // AARNet, Australian research and education network.
    (7575, Education), // "Australian Academic and Research Network"
    // CANARIE, Canadian research and education network.
    (6509, Education), // "CANARIE Inc"
];

#[cfg(test)]
mod tests {
    use super::*;

    /// An ASN reserved for documentation (RFC 5398), so the table never answers and the
    /// organisation-name rules are what is tested.
    const UNLISTED: u32 = 64496;

    const ALL: [AsnCategory; 6] = [Hosting, Isp, Mobile, Education, Government, Unknown];

    /// Checks each organisation name (all taken from the ip-location-db ASN tables unless
    /// noted) and reports every mismatch at once.
    fn check(cases: &[(&str, AsnCategory)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|&(organization, expected)| {
                let got = categorize(UNLISTED, Some(organization));
                (got != expected)
                    .then(|| format!("{organization:?}: expected {expected:?}, got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn as_str_matches_the_serde_name() {
        for category in ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.as_str()));
        }
    }

    #[test]
    fn table_is_well_formed() {
        assert!(!KNOWN_ASNS.iter().any(|&(asn, _)| asn == UNLISTED));
        for (index, &(asn, category)) in KNOWN_ASNS.iter().enumerate() {
            assert_ne!(category, Unknown, "AS{asn} listed as unknown");
            assert!(
                !KNOWN_ASNS[..index]
                    .iter()
                    .any(|&(earlier, _)| earlier == asn),
                "AS{asn} listed twice"
            );
        }
    }

    #[test]
    fn rules_are_well_formed() {
        // An empty phrase would match every name; an upper-case keyword is a typo.
        let well_formed = |keyword: &str| {
            !keyword.is_empty()
                && keyword
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        };
        for (category, patterns) in RULES {
            assert_ne!(*category, Unknown);
            for pattern in *patterns {
                match pattern {
                    Words(phrase) => {
                        assert!(!phrase.is_empty());
                        assert!(phrase.iter().all(|word| well_formed(word)), "{phrase:?}");
                    }
                    WordStart(keyword) | Anywhere(keyword) => {
                        assert!(well_formed(keyword), "{keyword:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn table_hits() {
        let cases = [
            (16509, Some("Amazon.com, Inc."), Hosting),
            (14061, Some("DigitalOcean, LLC"), Hosting),
            (20473, Some("The Constant Company, LLC"), Hosting),
            (9009, Some("M247 Europe SRL"), Hosting),
            (13335, Some("Cloudflare, Inc."), Hosting),
            (24940, None, Hosting),
            // MaxMind GeoLite2 spells its organisation names differently; the number decides.
            (396982, Some("GOOGLE-CLOUD-PLATFORM"), Hosting),
            (21928, Some("T-Mobile USA, Inc."), Mobile),
            (9605, None, Mobile),
            (
                680,
                Some("Verein zur Foerderung eines Deutschen Forschungsnetzes e.V."),
                Education,
            ),
            (
                4538,
                Some("China Education and Research Network Center"),
                Education,
            ),
        ];
        for (asn, organization, expected) in cases {
            assert_eq!(categorize(asn, organization), expected, "AS{asn}");
        }
    }

    #[test]
    fn table_wins_over_rules() {
        // Made-up names whose words would point elsewhere.
        assert_eq!(categorize(16509, Some("Example University")), Hosting);
        assert_eq!(categorize(21928, Some("Example Hosting")), Mobile);
        assert_eq!(categorize(7575, Some("Example Telecom")), Education);
    }

    #[test]
    fn hosting_rules() {
        check(&[
            ("Krystal Hosting Ltd", Hosting),
            ("Webhosting24 GmbH", Hosting),
            ("Hostingway B.V.", Hosting),
            ("Tulsa Datacenter, LLC", Hosting),
            ("Micron21 Datacentre Pty Ltd", Hosting),
            ("NTT Global Data Centers Americas, INC.", Hosting),
            ("Auckland Data Centre Limited", Hosting),
            ("Colocation America Corporation", Hosting),
            ("Servers.com, Inc.", Hosting),
            ("Island Servers LTD", Hosting),
            ("CHINANET Fujian province Fuzhou IDC network", Hosting),
            ("CDN Squared Limited", Hosting),
            ("IBM Cloud", Hosting),
            ("kt cloud Co., Ltd", Hosting),
        ]);
    }

    #[test]
    fn education_rules() {
        check(&[
            ("University of Wisconsin Madison", Education),
            (
                "Johann Wolfgang Goethe-Universitat Frankfurt am Main",
                Education,
            ),
            ("Universiteit van Amsterdam", Education),
            ("Universitas Siliwangi", Education),
            ("UNIVERSIDADE FEDERAL DA BAHIA", Education),
            ("Universidad Nacional de Rosario", Education),
            // Not in the tables: a name with a non-ASCII letter.
            ("Université de Lorraine", Education),
            ("Farmingdale State College", Education),
            ("Austin Independent School District", Education),
            ("Milwaukee Public Schools", Education),
            ("Bulgarian Academy of Sciences", Education),
            ("Cyprus Research and Academic Network (CYNET)", Education),
            ("Lviv Polytechnic National University", Education),
            ("Escuela Politecnica Nacional", Education),
            ("Berner Fachhochschule", Education),
            ("Florida Institute of Technology", Education),
            ("Zambia Research and Education Network (ZAMREN)", Education),
            ("Research & Education Network of Example", Education),
            ("HBU.edu", Education),
        ]);
    }

    #[test]
    fn government_rules() {
        check(&[
            ("Ministry of Justice", Government),
            ("MINISTERIO DE TRANSPORTE", Government),
            ("Ministerstwo Spraw Wewnetrznych", Government),
            ("Government of Botswana", Government),
            (
                "AEC-GOV-AU-AS-AP - AUSTRALIAN ELECTORAL COMMISSION",
                Government,
            ),
            ("Anne Arundel County Govt", Government),
            (
                "Ministerio del Interior y de Seguridad Publica - Gobierno de Chile",
                Government,
            ),
            ("Prefeitura Municipal de Bauru", Government),
            ("Istanbul Metropolitan Municipality", Government),
            ("MUNICIPIO DE MEDELLIN", Government),
            ("EUROPEAN PARLIAMENT", Government),
            ("City of Akron", Government),
            ("County of San Diego", Government),
            ("State of Tennessee", Government),
            ("Georgia Department of Transportation", Government),
            ("Bristol City Council", Government),
        ]);
    }

    #[test]
    fn mobile_rules() {
        check(&[
            ("T-Mobile Austria GmbH", Mobile),
            ("Inland Cellular", Mobile),
            ("Syriatel Mobile Telecom", Mobile),
            ("MTC - Mobile Telecommunications, Ltd.", Mobile),
            ("Mobile Communication Company of Iran PLC", Mobile),
            ("Smartone Mobile communications Limited", Mobile),
            ("Sudanese Mobile Telephone (ZAIN) Co Ltd", Mobile),
            ("Mobile TeleSystems JLLC", Mobile),
        ]);
    }

    #[test]
    fn isp_rules() {
        check(&[
            ("Deutsche Telekom AG", Isp),
            ("Korea Telecom", Isp),
            ("Orient Telecoms Sdn. Bhd", Isp),
            ("IP Telco", Isp),
            ("Bahamas Telecommunications Corporation", Isp),
            ("TEUTONET TELECOMUNICACOES LTDA", Isp),
            ("CORPORACION NACIONAL DE TELECOMUNICACIONES - CNT EP", Isp),
            ("PT EXTREME AKSES TELEKOMUNIKASI", Isp),
            (
                "Farknet Telekomunikasyon ve Bilisim Hizmetleri Ltd. Sti.",
                Isp,
            ),
            ("Fibernet Broadband Ltd", Isp),
            ("Planet Cable, Inc.", Isp),
            ("Google Fiber Inc.", Isp),
            ("Hull Fibre Ltd", Isp),
            ("DSL EXPRESS", Isp),
            ("Emily Cooperative Telephone Company", Isp),
            ("Afghan Cyber ISP", Isp),
            ("Maa Internet Service Provider", Isp),
            ("Natural State Wireless, LLC", Isp),
        ]);
    }

    #[test]
    fn rule_precedence() {
        check(&[
            // Education before government: a police university is a university ...
            ("Korea National Police University", Education),
            // ... but a ministry or department of education is government.
            ("Ministry of Education Computer Center", Government),
            ("U.S. Department of Education", Government),
            // Hosting words before telecom words.
            ("CHINANET SiChuan Telecom Internet Data Center", Hosting),
            (
                "OnlineServer2 ONLINE SERVER TELEKOMUNIKASYON LIMITED SIRKETI",
                Hosting,
            ),
            // A mobile phrase before a telecom word.
            ("KIBRIS MOBILE TELEKOMUNIKASYON LTD.", Mobile),
            ("Mobile Telecom-Service LLP", Mobile),
            // Telecom before the weak "cloud".
            ("CLOUD TELECOM SAS", Isp),
            ("Cable & Wireless (Cayman Islands) Ltd.", Isp),
        ]);
    }

    #[test]
    fn no_false_positives_on_tricky_names() {
        check(&[
            // Whole words only: these contain a keyword inside a longer word.
            ("Cloudflare, Inc.", Unknown),
            ("Universo Online S.A.", Unknown),
            // Made up: "Universal" is not a university, "Cable" still counts.
            ("Universal Cable Example", Isp),
            ("Mobileye Vision Technologies Ltd", Unknown),
            ("Academy Sports & Outdoors", Unknown),
            (
                "Federal State Institution of Culture \"State Academic Bolshoi Theatre of Russia",
                Unknown,
            ),
            // Words left out on purpose because they match many kinds of network.
            ("Host Hotels and Resorts, L.P.", Unknown),
            ("Navy Federal Credit Union", Unknown),
            ("Federal Express Corporation Hong Kong Branch", Unknown),
            ("Taunton Municipal Lighting Plant", Unknown),
            ("VPS Securities Joint Stock Company", Unknown),
            (
                "Dedicated Freight Corridor Corporation of India Limited",
                Unknown,
            ),
            ("Grupa Azoty Zaklady Chemiczne \"Police\" S.A.", Unknown),
            ("Cogent Communications", Unknown),
            ("LSC Communications", Unknown),
            ("Greenwave Mobile IoT ApS", Unknown),
        ]);
    }

    #[test]
    fn unknown_fallback() {
        assert_eq!(categorize(UNLISTED, None), Unknown);
        assert_eq!(categorize(UNLISTED, Some("")), Unknown);
        assert_eq!(categorize(UNLISTED, Some("  - , ")), Unknown);
        assert_eq!(categorize(UNLISTED, Some("Chinanet")), Unknown);
        assert_eq!(categorize(UNLISTED, Some("Amazon.com, Inc.")), Unknown);
        assert_eq!(categorize(0, None), Unknown);
    }
}
