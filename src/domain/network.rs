use std::net::IpAddr;

/// The coarse network around a client address, as a user may be shown it
/// without revealing the address itself: the /24 of an IPv4 address, the
/// /48 of an IPv6 one (a site's prefix).
pub fn coarse_network(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            Some(format!("{prefix}/48"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_the_24_or_48_around_an_address() {
        assert_eq!(coarse_network("10.1.2.3").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(
            coarse_network("2001:db8:1:2:3:4:5:6").as_deref(),
            Some("2001:db8:1::/48")
        );
        assert_eq!(coarse_network("nonsense"), None);
    }
}
