//! Client addresses behind proxies: which networks are trusted (`trusted_proxies` in the
//! settings) and which address is the client's. The web layer's `ClientAddress` guard applies
//! it to each request.

use serde::Deserialize;
use std::net::IpAddr;

/// An IP network from the settings: `10.0.0.7`, `10.0.0.0/8`, `::1`, `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("«{text}» no es una dirección IP ni una red CIDR válida");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(invalid)?,
            None => max,
        };
        Ok(Network {
            address: canonical(address),
            prefix,
        })
    }
}

impl Network {
    /// The network of exactly one address.
    pub fn host(address: IpAddr) -> Network {
        let address = canonical(address);
        Network {
            address,
            prefix: if address.is_ipv4() { 32 } else { 128 },
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:1.2.3.4`) are the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// What the proxies in front wrote about the client: every line of each header, in order
/// (repeated lines of a header are one list, as HTTP has it).
#[derive(Clone, Debug, Default)]
pub struct ProxyHeaders<'a> {
    /// `X-Forwarded-For`: addresses, the nearest proxy's last.
    pub forwarded_for: Vec<&'a str>,
    /// `Forwarded` (RFC 7239): elements with a `for=` node each, the nearest proxy's last.
    pub forwarded: Vec<&'a str>,
    /// `X-Real-IP`: one address.
    pub real_ip: Option<&'a str>,
}

/// One hop of a proxy's header as an address: `203.0.113.7`, `203.0.113.7:51234`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`, each also in double quotes (as
/// `Forwarded` writes them). `None` for anything else — `unknown`, an obfuscated `_hidden`,
/// garbage — which names no address.
pub fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !after.is_empty() && !after.strip_prefix(':').is_some_and(is_port) {
            return None;
        }
        return inside
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| canonical(IpAddr::V6(ip)));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    // An IPv4 address and its port (an IPv6 address with a port is always bracketed).
    let (host, port) = text.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A port as proxies write it: a number up to 65535, or RFC 7239's obfuscated `_name`.
fn is_port(text: &str) -> bool {
    match text.strip_prefix('_') {
        Some(name) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        None => {
            !text.is_empty()
                && text.len() <= 5
                && text.bytes().all(|b| b.is_ascii_digit())
                && text.parse::<u16>().is_ok()
        }
    }
}

/// Splits `text` at `separator` outside double-quoted strings (where `\` escapes).
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut escaped, mut start) = (false, false, 0);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The `for=` node of one element of a `Forwarded` header (`for=192.0.2.60;proto=https`),
/// unquoted; `None` when it has none.
fn forwarded_for_node(element: &str) -> Option<String> {
    split_outside_quotes(element, ';')
        .into_iter()
        .find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("for") {
                return None;
            }
            let value = value.trim();
            Some(
                match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\\", ""),
                    None => value.to_string(),
                },
            )
        })
}

/// Who a header's hops say the client is.
enum Told {
    /// This address.
    Address(IpAddr),
    /// A hop that names no address: nobody can say who the client is.
    Unknown,
    /// The header is absent or empty.
    Nothing,
}

/// Walks `hops` from the right (each proxy appends whom it received the request from): the
/// first address that is not a trusted proxy is the client; a hop that is not an address stops
/// the walk with an unknown client (issue 46: never the proxy). Only trusted proxies: the
/// leftmost of them.
fn walk(hops: Vec<Option<IpAddr>>, is_trusted: impl Fn(IpAddr) -> bool) -> Told {
    let mut last = Told::Nothing;
    for hop in hops.into_iter().rev() {
        match hop {
            None => return Told::Unknown,
            Some(ip) if !is_trusted(ip) => return Told::Address(ip),
            Some(ip) => last = Told::Address(ip),
        }
    }
    last
}

/// The hops of a header's lines, each line a list separated by `separator`; nothing when every
/// line is blank.
fn hops_of<'a>(lines: &[&'a str], separator: char) -> Option<Vec<&'a str>> {
    if lines.iter().all(|line| line.trim().is_empty()) {
        return None;
    }
    Some(
        lines
            .iter()
            .flat_map(|line| split_outside_quotes(line, separator))
            .collect(),
    )
}

/// The client address given the connection's peer, the proxy headers and the trusted proxies;
/// `None` when nobody can tell it: no peer, or a trusted proxy's header whose hop for the
/// client is not an address (`unknown`, `_hidden`, garbage). Such a client is never taken for
/// the proxy (issue 46): it has no address for `metrics_allowed`, and is throttled under the
/// unknown address's own key.
///
/// Only when the peer is a trusted proxy are the headers read, in this order: `X-Forwarded-For`,
/// `Forwarded`, `X-Real-IP`; the first present decides. A hop may carry a port
/// ([`parse_hop`]).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &ProxyHeaders<'_>,
    trusted: &[Network],
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let from_forwarded_for = hops_of(&headers.forwarded_for, ',')
        .map(|hops| walk(hops.into_iter().map(parse_hop).collect(), is_trusted));
    let from_forwarded = || {
        hops_of(&headers.forwarded, ',').map(|elements| {
            let hops = elements
                .into_iter()
                .map(|element| forwarded_for_node(element).as_deref().and_then(parse_hop))
                .collect();
            walk(hops, is_trusted)
        })
    };
    let from_real_ip = || {
        headers
            .real_ip
            .filter(|text| !text.trim().is_empty())
            .map(|text| parse_hop(text).map_or(Told::Unknown, Told::Address))
    };
    match from_forwarded_for
        .or_else(from_forwarded)
        .or_else(from_real_ip)
    {
        Some(Told::Address(ip)) => Some(ip),
        Some(Told::Unknown) => None,
        Some(Told::Nothing) | None => Some(peer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Network = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.200.3.4")));
        assert!(net.contains(ip("::ffff:10.1.1.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        let single: Network = "192.0.2.7".parse().unwrap();
        assert!(single.contains(ip("192.0.2.7")));
        assert!(!single.contains(ip("192.0.2.8")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let everything: Network = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "proxy", "10.0.0/8", "::1/129", ""] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    /// The headers as one proxy wrote them.
    fn xff(value: &str) -> ProxyHeaders<'_> {
        ProxyHeaders {
            forwarded_for: vec![value],
            ..Default::default()
        }
    }

    #[test]
    fn headers_count_only_when_the_peer_is_a_trusted_proxy() {
        let trusted = ["10.0.0.0/8".parse::<Network>().unwrap()];
        // A client talking directly: its headers are ignored.
        let both = ProxyHeaders {
            forwarded_for: vec!["1.2.3.4"],
            forwarded: vec!["for=1.2.3.5"],
            real_ip: Some("5.6.7.8"),
        };
        assert_eq!(
            client_address(Some(ip("203.0.113.5")), &both, &trusted),
            Some(ip("203.0.113.5"))
        );
        // Through the proxy: the rightmost untrusted hop, whatever the client prepended.
        assert_eq!(
            client_address(
                Some(ip("10.0.0.2")),
                &xff("6.6.6.6, 198.51.100.9, 10.0.0.3"),
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        // Repeated lines are one list: the proxy's own line counts, not the client's first.
        let lines = ProxyHeaders {
            forwarded_for: vec!["6.6.6.6", "198.51.100.9"],
            ..Default::default()
        };
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &lines, &trusted),
            Some(ip("198.51.100.9"))
        );
        let real = ProxyHeaders {
            real_ip: Some("198.51.100.10"),
            ..Default::default()
        };
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &real, &trusted),
            Some(ip("198.51.100.10"))
        );
        // Only proxies in the chain: the leftmost; no header: the proxy itself.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &xff("10.0.0.9, 10.0.0.3"), &trusted),
            Some(ip("10.0.0.9"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &ProxyHeaders::default(), &trusted),
            Some(ip("10.0.0.2"))
        );
        // No trusted proxies configured (the default): the socket only.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &both, &[]),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(client_address(None, &xff("1.1.1.1"), &trusted), None);
    }

    /// Issue 46: hops with a port are their address, in every header a proxy writes.
    #[test]
    fn hops_with_a_port_are_read_as_their_address() {
        for (hop, address) in [
            ("203.0.113.7", "203.0.113.7"),
            ("203.0.113.7:51234", "203.0.113.7"),
            (" 203.0.113.7:1 ", "203.0.113.7"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("\"[2001:db8::1]:443\"", "2001:db8::1"),
            ("\"192.0.2.43:47011\"", "192.0.2.43"),
            ("192.0.2.43:_port", "192.0.2.43"),
            ("[::ffff:192.0.2.8]:80", "192.0.2.8"),
        ] {
            assert_eq!(parse_hop(hop), Some(ip(address)), "{hop}");
        }
        for hop in [
            "unknown",
            "_hidden",
            "garbage",
            "",
            "203.0.113.7:",
            "203.0.113.7:65536",
            "203.0.113.7:80:80",
            "203.0.113.7:x",
            "[2001:db8::1]443",
            "[2001:db8::1]:",
            "[203.0.113.7]:80",
            "[2001:db8::1",
            "2001:db8::1]:443",
            "::1:99999",
            "fe80::1%eth0",
        ] {
            assert_eq!(parse_hop(hop), None, "{hop}");
        }
        let trusted = ["10.0.0.0/8".parse::<Network>().unwrap()];
        let proxy = Some(ip("10.0.0.2"));
        assert_eq!(
            client_address(proxy, &xff("203.0.113.7:51234"), &trusted),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_address(proxy, &xff("[2001:db8::1]:443, 10.0.0.3:8080"), &trusted),
            Some(ip("2001:db8::1"))
        );
        let real = ProxyHeaders {
            real_ip: Some("[2001:db8::1]:443"),
            ..Default::default()
        };
        assert_eq!(
            client_address(proxy, &real, &trusted),
            Some(ip("2001:db8::1"))
        );
        let forwarded = |value| ProxyHeaders {
            forwarded: vec![value],
            ..Default::default()
        };
        for (value, address) in [
            ("for=\"[2001:db8::1]:443\"", "2001:db8::1"),
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            (
                "for=198.51.100.1, For=\"192.0.2.61:4711\";proto=https, for=10.0.0.3",
                "192.0.2.61",
            ),
            (
                "proto=https;for=\"[2001:db8:cafe::17]\"",
                "2001:db8:cafe::17",
            ),
        ] {
            assert_eq!(
                client_address(proxy, &forwarded(value), &trusted),
                Some(ip(address)),
                "{value}"
            );
        }
        // `X-Forwarded-For` decides when a proxy wrote both.
        let both = ProxyHeaders {
            forwarded_for: vec!["203.0.113.9"],
            forwarded: vec!["for=192.0.2.60"],
            real_ip: Some("192.0.2.61"),
        };
        assert_eq!(
            client_address(proxy, &both, &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    /// Issue 46: a hop that names no address makes the client unknown, never the proxy.
    #[test]
    fn an_unparsable_hop_is_an_unknown_client_never_the_proxy() {
        let trusted = ["10.0.0.0/8".parse::<Network>().unwrap()];
        let proxy = Some(ip("10.0.0.2"));
        for chain in [
            "garbage",
            "unknown",
            "_hidden",
            "198.51.100.9, unknown",
            "unknown, 10.0.0.3",
            "198.51.100.9,,10.0.0.3",
            "203.0.113.7:99999",
        ] {
            assert_eq!(
                client_address(proxy, &xff(chain), &trusted),
                None,
                "{chain}"
            );
        }
        // Past the client's hop, what the client wrote is never read.
        assert_eq!(
            client_address(proxy, &xff("garbage, 198.51.100.9:5000"), &trusted),
            Some(ip("198.51.100.9"))
        );
        for value in ["for=unknown", "for=_hidden", "proto=https", "for=\"_x:80\""] {
            let headers = ProxyHeaders {
                forwarded: vec![value],
                ..Default::default()
            };
            assert_eq!(client_address(proxy, &headers, &trusted), None, "{value}");
        }
        let real = ProxyHeaders {
            real_ip: Some("unknown"),
            ..Default::default()
        };
        assert_eq!(client_address(proxy, &real, &trusted), None);
        // A blank header is no header: the proxy is the client, as without one.
        assert_eq!(client_address(proxy, &xff("  "), &trusted), proxy);
    }
}
