//! `whence geoip lookup`: what each database says about each address, as aligned text or JSON.

use std::fmt::Write;
use std::net::IpAddr;

use anyhow::{Context, Result};
use serde::Serialize;

use super::terminal_safe;
use crate::aggregate::SourceList;
use crate::enrich::geoip::AnonymizerFlags;
use crate::enrich::{self, AsnCategory, GeoDatabases, countries};

#[derive(Serialize)]
struct AddressReport {
    ip: String,
    bogon: Option<&'static str>,
    country: Option<String>,
    country_name: Option<String>,
    registered_country: Option<String>,
    asn: Option<u32>,
    as_org: Option<String>,
    category: AsnCategory,
    anycast: bool,
    anonymizer: Option<AnonymizerFlags>,
}

#[derive(Serialize)]
struct DatabaseLine {
    role: enrich::geoip::Role,
    source: String,
    database_type: String,
}

#[derive(Serialize)]
struct LookupReport {
    databases: Vec<DatabaseLine>,
    addresses: Vec<AddressReport>,
}

pub fn render(addresses: &[String], databases: &GeoDatabases, json: bool) -> Result<String> {
    let mut parsed = Vec::with_capacity(addresses.len());
    for text in addresses {
        let address: IpAddr = text
            .trim()
            .parse()
            .with_context(|| format!("not an IP address: {}", terminal_safe(text)))?;
        parsed.push(address);
    }
    let list = SourceList::from_addresses(parsed.iter().copied());
    let enrichment = enrich::enrich(&list, databases);
    let mut reports = Vec::with_capacity(parsed.len());
    for address in parsed {
        let Some(origin) = list
            .position(&address)
            .and_then(|index| enrichment.origin(index))
        else {
            continue;
        };
        let details = origin.asn.and_then(|asn| enrichment.asn(asn));
        let country = origin.country.map(|code| code.as_str().to_string());
        reports.push(AddressReport {
            ip: address.to_string(),
            bogon: origin.bogon.map(|class| class.as_str()),
            country_name: country
                .as_deref()
                .map(|code| countries::name(code).to_string()),
            country,
            registered_country: origin
                .registered_country
                .map(|code| code.as_str().to_string()),
            asn: origin.asn,
            as_org: details.and_then(|details| details.org.clone()),
            category: details.map_or(AsnCategory::Unknown, |details| details.category),
            anycast: origin.anycast,
            anonymizer: origin.anonymizer,
        });
    }
    let report = LookupReport {
        databases: databases
            .assignments()
            .map(|(role, database)| DatabaseLine {
                role,
                source: database.source.label(),
                database_type: database.database_type.clone(),
            })
            .collect(),
        addresses: reports,
    };
    if json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        return Ok(text);
    }
    Ok(render_text(&report))
}

fn render_text(report: &LookupReport) -> String {
    let mut text = String::new();
    for database in &report.databases {
        let role = serde_json::to_value(database.role).ok();
        let role = role
            .as_ref()
            .and_then(|value| value.as_str())
            .unwrap_or("?");
        let _ = writeln!(
            text,
            "{role:<10} {} ({})",
            terminal_safe(&database.source),
            terminal_safe(&database.database_type)
        );
    }
    for address in &report.addresses {
        let _ = writeln!(text, "\n{}", address.ip);
        if let Some(class) = address.bogon {
            let _ = writeln!(
                text,
                "  bogon        {class} (special-purpose address: not a genuine Internet source; not looked up)"
            );
            continue;
        }
        let country = match (&address.country, &address.country_name) {
            (Some(code), Some(name)) => {
                format!("{} ({})", terminal_safe(code), terminal_safe(name))
            }
            _ => "unknown".to_string(),
        };
        let _ = writeln!(text, "  country      {country}");
        if let Some(registered) = &address.registered_country {
            let _ = writeln!(text, "  registered   {}", terminal_safe(registered));
        }
        let asn = match (address.asn, &address.as_org) {
            (Some(asn), Some(org)) => format!("AS{asn} {}", terminal_safe(org)),
            (Some(asn), None) => format!("AS{asn}"),
            _ => "unknown".to_string(),
        };
        let _ = writeln!(text, "  asn          {asn}");
        let _ = writeln!(text, "  network      {}", address.category.as_str());
        if address.anycast {
            let _ = writeln!(
                text,
                "  anycast      yes (one address announced from many places)"
            );
        }
        if let Some(flags) = address.anonymizer {
            let _ = writeln!(
                text,
                "  anonymizer   {}",
                serde_json::to_string(&flags).unwrap_or_default()
            );
        }
    }
    text
}
