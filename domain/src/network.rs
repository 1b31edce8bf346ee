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

/// The client address given the connection's peer, the proxy headers and the trusted proxies.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    real_ip: Option<&str>,
    trusted: &[Network],
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    // Each proxy appends the address it received the request from: walking from the right,
    // the first address not belonging to a trusted proxy is the client.
    if let Some(chain) = forwarded_for {
        let mut last = None;
        for hop in chain.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>().map(canonical) else {
                // A malformed entry was written by whoever is further away: stop trusting.
                return Some(last.unwrap_or(peer));
            };
            if !is_trusted(ip) {
                return Some(ip);
            }
            last = Some(ip);
        }
        if let Some(ip) = last {
            return Some(ip);
        }
    }
    real_ip
        .and_then(|text| text.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .or(Some(peer))
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

    #[test]
    fn headers_count_only_when_the_peer_is_a_trusted_proxy() {
        let trusted = ["10.0.0.0/8".parse::<Network>().unwrap()];
        // A client talking directly: its headers are ignored.
        assert_eq!(
            client_address(
                Some(ip("203.0.113.5")),
                Some("1.2.3.4"),
                Some("5.6.7.8"),
                &trusted
            ),
            Some(ip("203.0.113.5"))
        );
        // Through the proxy: the rightmost untrusted hop, whatever the client prepended.
        assert_eq!(
            client_address(
                Some(ip("10.0.0.2")),
                Some("6.6.6.6, 198.51.100.9, 10.0.0.3"),
                None,
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), None, Some("198.51.100.10"), &trusted),
            Some(ip("198.51.100.10"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), Some("garbage"), None, &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), None, None, &trusted),
            Some(ip("10.0.0.2"))
        );
        // No trusted proxies configured (the default): the socket only.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), Some("1.1.1.1"), Some("2.2.2.2"), &[]),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(client_address(None, Some("1.1.1.1"), None, &trusted), None);
    }
}
