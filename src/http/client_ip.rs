//! The client's address. `X-Forwarded-For` is believed only when the TCP
//! peer is a configured trusted proxy, and then read from the right, past
//! every trusted hop: a client can prepend anything it likes to the header,
//! but not what the proxies append after it.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The address the per-IP limits count for this request.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(resolve(peer, &forwarded.join(","), trusted).to_string())
}

/// The first address from the right that is not a trusted proxy.
fn resolve(peer: IpAddr, forwarded_for: &str, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for
        .split(',')
        .rev()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return ip,
            // A malformed hop: stop at the last address we could trust.
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(resolve(ip("10.0.0.5"), "203.0.113.9", &[]), ip("10.0.0.5"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("10.0.0.5"), "203.0.113.9", &trusted),
            ip("203.0.113.9")
        );
        // The client forged the first entry; the proxies appended the real one.
        assert_eq!(
            resolve(ip("10.0.0.5"), "1.2.3.4, 203.0.113.9, 10.0.0.7", &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("198.51.100.1"), "203.0.113.9", &trusted),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn malformed_or_missing_hops_fall_back_to_the_last_trusted_address() {
        let trusted = nets(&["10.0.0.0/8", "::1/128"]);
        assert_eq!(resolve(ip("10.0.0.5"), "", &trusted), ip("10.0.0.5"));
        assert_eq!(
            resolve(ip("10.0.0.5"), "garbage, 10.0.0.6", &trusted),
            ip("10.0.0.6")
        );
        assert_eq!(
            resolve(ip("::1"), "2001:db8::1", &trusted),
            ip("2001:db8::1")
        );
    }
}
