//! Report-wide rewrites done after the report is built: hiding the victims' addresses
//! (`--anonymize-victim`) and naming report files after their evidence.

use super::Report;

/// Replaces every victim address or prefix with `victim-1`, `victim-2`, ... (in victim order)
/// wherever the report could show it: victim rows, headline, BPF filters, backscatter senders,
/// claims' and caveats' prose, and the recorded command line (`--victim 203.0.113.10`).
pub fn anonymize_victims(report: &mut Report) {
    let labels: Vec<(String, String)> = report
        .victims
        .iter()
        .enumerate()
        .map(|(index, victim)| (victim.ip.clone(), format!("victim-{}", index + 1)))
        .collect();
    // A prefix victim ("203.0.113.0/24") is also named without its length in filters
    // ("dst net 203.0.113.0/24" keeps it, but a host inside may appear): longest first so that
    // "10.0.0.10" is not half-replaced by "10.0.0.1".
    let mut replacements: Vec<(String, String)> = labels.clone();
    for (address, label) in &labels {
        if let Some((network, _)) = address.split_once('/') {
            replacements.push((network.to_string(), label.clone()));
        }
    }
    replacements.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    let hide = |text: &mut String| {
        for (address, label) in &replacements {
            *text = replace_address(text, address, label);
        }
    };
    for (victim, (_, label)) in report.victims.iter_mut().zip(&labels) {
        victim.ip.clone_from(label);
    }
    hide(&mut report.summary.headline);
    for vector in &mut report.vectors {
        hide(&mut vector.bpf);
    }
    for wave in &mut report.waves {
        if let Some(bpf) = &mut wave.bpf {
            hide(bpf);
        }
    }
    for sender in &mut report.backscatter.from {
        hide(sender);
    }
    for argument in &mut report.command_line {
        hide(argument);
    }
    for claim in &mut report.attribution.claims {
        hide(&mut claim.statement);
        for factor in &mut claim.factors {
            hide(&mut factor.detail);
        }
    }
    hide(&mut report.attribution.technical_origin.statement);
    for caveat in &mut report.attribution.caveats {
        hide(&mut caveat.text);
    }
    for evidence in &mut report.spoofing.evidence {
        hide(&mut evidence.detail);
    }
}

/// `text` with each whole occurrence of `address` (not part of a longer address) replaced.
fn replace_address(text: &str, address: &str, label: &str) -> String {
    if address.is_empty() {
        return text.to_string();
    }
    let ipv6 = address.contains(':');
    let part_of_address =
        |c: char| c.is_ascii_digit() || (ipv6 && (c.is_ascii_hexdigit() || c == ':'));
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find(address) {
        let after_index = position + address.len();
        let before = rest[..position].chars().next_back();
        let mut after = rest[after_index..].chars();
        // A '.' continues an address only when a digit follows: else it ends a sentence.
        let continues = match after.next() {
            Some('.') => after.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => part_of_address(c),
            None => false,
        };
        if before.is_some_and(|c| part_of_address(c) || c == '.') || continues {
            result.push_str(&rest[..after_index]);
        } else {
            result.push_str(&rest[..position]);
            result.push_str(label);
        }
        rest = &rest[after_index..];
    }
    result.push_str(rest);
    result
}

/// `<first capture's name without extensions>-<first packet as YYYYMMDDTHHMMSSZ>`, for the
/// files `-o DIR` writes; `stdin` and `unknown-time` when there is no name or no packet.
pub fn file_stem(report: &Report) -> String {
    let name = report
        .inputs
        .first()
        .map(|input| input.path.as_str())
        .filter(|path| *path != "-")
        .and_then(|path| std::path::Path::new(path).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin".to_string());
    let mut stem = name.as_str();
    for _ in 0..3 {
        match stem.rsplit_once('.') {
            Some((base, extension))
                if !base.is_empty()
                    && matches!(
                        extension.to_ascii_lowercase().as_str(),
                        "pcap" | "pcapng" | "cap" | "dmp" | "gz" | "zst" | "xz" | "lz4"
                    ) =>
            {
                stem = base;
            }
            _ => break,
        }
    }
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let time = report
        .totals
        .first_seen
        .as_deref()
        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
        .map_or("unknown-time".to_string(), |moment| {
            moment.strftime("%Y%m%dT%H%M%SZ").to_string()
        });
    format!("{safe}-{time}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_addresses_are_replaced() {
        assert_eq!(
            replace_address("dst host 10.0.0.1 or 10.0.0.10.", "10.0.0.1", "victim-1"),
            "dst host victim-1 or 10.0.0.10."
        );
        assert_eq!(
            replace_address("against 10.0.0.1.", "10.0.0.1", "victim-1"),
            "against victim-1."
        );
        assert_eq!(
            replace_address("110.0.0.1 and 10.0.0.1:80", "10.0.0.1", "v"),
            "110.0.0.1 and v:80"
        );
    }
}
