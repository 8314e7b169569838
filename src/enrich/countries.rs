//! Country names and continents: takes an ISO 3166-1 alpha-2 code as a GeoIP database gives it
//! (any case) and gives the English name and continent, or "Unknown".
//!
//! The table is `data/worlddata/countries.csv` from the `countries-list` package (Annexare
//! Studio, MIT, see `data/worlddata/README.md`), embedded in the binary and parsed once on first
//! use. Only its `Code`, `Name` and `Continent` columns are read. A row that does not parse is
//! skipped rather than failing the run; a unit test checks that every embedded row parsed.
//!
//! A few codes that GeoIP databases emit are not countries and so are missing from that file;
//! `SUPPLEMENT` below names them. An unknown country is a value, [`UNKNOWN`] ("ZZ", the
//! user-assigned code the rest of whence uses for it), never an error.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;

/// The code whence uses for an address whose country no database knows.
pub const UNKNOWN: &str = "ZZ";

/// The name and the continent reported for [`UNKNOWN`] and for any code not in the table.
const UNKNOWN_NAME: &str = "Unknown";

/// One country or territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryInfo {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub code: String,
    /// English short name, e.g. "United States", "Russia".
    pub name: String,
    /// As the CSV spells it: "Africa", "Antarctica", "Asia", "Europe", "North America",
    /// "Oceania" or "South America" ("Unknown" only for the non-geographic codes in
    /// `SUPPLEMENT`). Transcontinental countries get the CSV's one choice: Russia and Türkiye
    /// are in Asia, Egypt in Africa.
    pub continent: String,
}

/// The country with this alpha-2 code (case and surrounding spaces ignored), if known.
/// [`UNKNOWN`] is not a country and gives `None`.
pub fn country(code: &str) -> Option<&'static CountryInfo> {
    COUNTRIES.get(&table_key(code)?)
}

/// The English name for `code`, or "Unknown".
pub fn name(code: &str) -> &'static str {
    country(code).map_or(UNKNOWN_NAME, |info| info.name.as_str())
}

/// The continent for `code`, or "Unknown".
pub fn continent(code: &str) -> &'static str {
    country(code).map_or(UNKNOWN_NAME, |info| info.continent.as_str())
}

const COUNTRIES_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/worlddata/countries.csv"
));

/// Codes seen in GeoIP data that are not in the CSV, as (code, name, continent).
const SUPPLEMENT: &[(&str, &str, &str)] = &[
    // Regional registries and MaxMind's legacy GeoIP gave blocks assigned to a region rather than
    // a country these codes; legacy GeoIP put AP in Asia and EU in Europe.
    ("EU", "European Union", "Europe"),
    ("AP", "Asia/Pacific Region", "Asia"),
    // ISO 3166-3 former code (dissolved in 2010); the embedded ip-location-db country database
    // still uses it. North America, as the CSV places its successors CW, SX and BQ.
    ("AN", "Netherlands Antilles", "North America"),
    // Exceptionally reserved by ISO 3166 for the United Kingdom; some feeds use it for GB.
    ("UK", "United Kingdom", "Europe"),
    // MaxMind legacy GeoIP pseudo-countries.
    ("A1", "Anonymous Proxy", UNKNOWN_NAME),
    ("A2", "Satellite Provider", UNKNOWN_NAME),
    ("O1", "Other Country", UNKNOWN_NAME),
];

static COUNTRIES: LazyLock<HashMap<[u8; 2], CountryInfo>> = LazyLock::new(|| {
    let mut table: HashMap<[u8; 2], CountryInfo> = parse_countries(COUNTRIES_CSV)
        .into_iter()
        .filter_map(|info| Some((table_key(&info.code)?, info)))
        .collect();
    for &(code, name, continent) in SUPPLEMENT {
        if let Some(key) = table_key(code) {
            // The CSV wins if a future copy of it gains one of these codes.
            table.entry(key).or_insert_with(|| CountryInfo {
                code: code.to_string(),
                name: name.to_string(),
                continent: continent.to_string(),
            });
        }
    }
    table
});

/// Two ASCII letters or digits, upper-cased; anything else cannot be an alpha-2 code.
/// A fixed-size key lets lookups ignore case without allocating.
fn table_key(code: &str) -> Option<[u8; 2]> {
    match *code.trim().as_bytes() {
        [first, second] if first.is_ascii_alphanumeric() && second.is_ascii_alphanumeric() => {
            Some([first.to_ascii_uppercase(), second.to_ascii_uppercase()])
        }
        _ => None,
    }
}

/// The countries in a `countries-list` CSV, found by header name so a reordered file still
/// reads. Rows that are malformed or lack a code, name or continent are skipped.
fn parse_countries(text: &str) -> Vec<CountryInfo> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let Some(header) = lines.next().and_then(parse_csv_line) else {
        return Vec::new();
    };
    let column = |wanted: &str| header.iter().position(|field| field == wanted);
    let (Some(code_at), Some(name_at), Some(continent_at)) =
        (column("Code"), column("Name"), column("Continent"))
    else {
        return Vec::new();
    };
    lines
        .filter_map(parse_csv_line)
        .filter_map(|fields| {
            let field = |at: usize| fields.get(at).filter(|value| !value.is_empty());
            let code = field(code_at)?;
            table_key(code)?;
            Some(CountryInfo {
                code: code.to_ascii_uppercase(),
                name: field(name_at)?.clone(),
                continent: field(continent_at)?.clone(),
            })
        })
        .collect()
}

/// The fields of one RFC 4180 CSV line: comma-separated, optionally in double quotes, where a
/// quoted field may hold commas (the file's language lists do) and `""` stands for one quote.
/// `None` for a malformed line: an unterminated quote, or text after a closing quote.
/// Quoted line breaks are not supported; the file has none, and a row that had one would fail
/// to parse and show up in the completeness test.
fn parse_csv_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next()? {
                    '"' if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    '"' => break,
                    other => field.push(other),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some('"') => return None,
                    Some(other) => field.push(other),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parsed_fully() {
        let data_rows = COUNTRIES_CSV
            .lines()
            .filter(|line| !line.trim().is_empty())
            .count()
            - 1;
        assert_eq!(data_rows, 252, "the embedded CSV changed; check this test");
        assert_eq!(parse_countries(COUNTRIES_CSV).len(), data_rows);
        // No duplicate codes, and every supplement code is new.
        assert_eq!(COUNTRIES.len(), data_rows + SUPPLEMENT.len());
    }

    #[test]
    fn continents_are_the_csvs_seven() {
        let allowed = [
            "Africa",
            "Antarctica",
            "Asia",
            "Europe",
            "North America",
            "Oceania",
            "South America",
        ];
        for info in parse_countries(COUNTRIES_CSV) {
            assert!(
                allowed.contains(&info.continent.as_str()),
                "{} has continent {:?}",
                info.code,
                info.continent
            );
        }
    }

    #[test]
    fn well_known_countries() {
        let cases = [
            ("DE", "Germany", "Europe"),
            ("US", "United States", "North America"),
            ("UA", "Ukraine", "Europe"),
            ("CN", "China", "Asia"),
            // The CSV places transcontinental Russia and Türkiye in Asia; whence keeps its view.
            ("RU", "Russia", "Asia"),
            ("TR", "Türkiye", "Asia"),
            ("BR", "Brazil", "South America"),
            ("AU", "Australia", "Oceania"),
            ("ZA", "South Africa", "Africa"),
            ("AQ", "Antarctica", "Antarctica"),
            ("XK", "Kosovo", "Europe"),
        ];
        for (code, expected_name, expected_continent) in cases {
            let info = country(code).unwrap();
            assert_eq!(info.code, code);
            assert_eq!(info.name, expected_name, "{code}");
            assert_eq!(info.continent, expected_continent, "{code}");
            assert_eq!(name(code), expected_name);
            assert_eq!(continent(code), expected_continent);
        }
    }

    #[test]
    fn names_with_commas_in_other_columns_parse() {
        // Afghanistan's language list is "ps,fa,uz,tk": quoted commas must not shift columns.
        let info = country("AF").unwrap();
        assert_eq!(info.name, "Afghanistan");
        assert_eq!(info.continent, "Asia");
    }

    #[test]
    fn lookup_ignores_case_and_spaces() {
        assert_eq!(name("de"), "Germany");
        assert_eq!(name("De"), "Germany");
        assert_eq!(name(" gb "), "United Kingdom");
        assert_eq!(country("xk").map(|info| info.code.as_str()), Some("XK"));
    }

    #[test]
    fn regional_and_legacy_codes_have_names() {
        assert_eq!(name("EU"), "European Union");
        assert_eq!(continent("EU"), "Europe");
        assert_eq!(name("AP"), "Asia/Pacific Region");
        assert_eq!(name("AN"), "Netherlands Antilles");
        assert_eq!(name("UK"), "United Kingdom");
        assert_eq!(name("a1"), "Anonymous Proxy");
        assert_eq!(continent("A1"), "Unknown");
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(country(UNKNOWN), None);
        assert_eq!(name(UNKNOWN), "Unknown");
        assert_eq!(continent(UNKNOWN), "Unknown");
        for code in ["", "Q", "QQ", "DEU", "D€", "--", "276"] {
            assert_eq!(country(code), None, "{code:?}");
            assert_eq!(name(code), "Unknown", "{code:?}");
        }
    }

    #[test]
    fn csv_line_parser() {
        let fields = |line| parse_csv_line(line);
        assert_eq!(
            fields(r#""AF","Afghanistan","ps,fa,uz,tk""#),
            Some(vec![
                "AF".to_string(),
                "Afghanistan".to_string(),
                "ps,fa,uz,tk".to_string()
            ])
        );
        assert_eq!(
            fields(r#"a,"say ""hi""",,"""#),
            Some(vec![
                "a".to_string(),
                r#"say "hi""#.to_string(),
                String::new(),
                String::new()
            ])
        );
        assert_eq!(fields(""), Some(vec![String::new()]));
        assert_eq!(fields(r#""unterminated,x"#), None);
        assert_eq!(fields(r#""closed"junk,x"#), None);
        assert_eq!(fields(r#"stray"quote"#), None);
    }

    #[test]
    fn bad_rows_are_skipped_not_fatal() {
        let text = "\u{feff}\"Code\",\"Name\",\"Continent\"\r\n\
                    \"DE\",\"Germany\",\"Europe\"\r\n\
                    \"broken,\"Nowhere\",\"Europe\"\r\n\
                    \"XYZ\",\"Too long\",\"Europe\"\r\n\
                    \"FR\",\"\",\"Europe\"\r\n\
                    \r\n\
                    \"IT\",\"Italy\",\"Europe\"\r\n";
        let parsed = parse_countries(text);
        let codes: Vec<&str> = parsed.iter().map(|info| info.code.as_str()).collect();
        assert_eq!(codes, ["DE", "IT"]);
        assert!(parse_countries("").is_empty());
        assert!(parse_countries("\"Code\",\"Title\"\n\"DE\",\"Germany\"\n").is_empty());
    }
}
