//! The device of a session, from its user agent (woothee's classifier).

/// A browser and an operating system, when the user agent names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device {
    pub browser: Option<String>,
    pub os: Option<String>,
}

/// What the user agent says of the device.
pub fn describe(user_agent: Option<&str>) -> Device {
    let Some(parsed) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return Device::default();
    };
    let known =
        |v: &str| (!v.is_empty() && v != woothee::woothee::VALUE_UNKNOWN).then(|| v.to_owned());
    Device {
        browser: known(parsed.name),
        os: known(parsed.os),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firefox_on_linux_and_unknown_agents() {
        let d = describe(Some(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ));
        assert_eq!(d.browser.as_deref(), Some("Firefox"));
        assert_eq!(d.os.as_deref(), Some("Linux"));
        assert_eq!(describe(Some("x")).browser, None);
        assert_eq!(describe(None), Device::default());
    }
}
