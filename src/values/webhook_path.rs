//! [`WebhookPath`]: the path an admission webhook is served at, as the API server accepts it in
//! a webhook configuration's `clientConfig.service.path`, and as the runtime can serve it.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The path the runtime serves conversions at; no admission webhook may take it.
pub const CONVERSION_PATH: &str = "/convert";

/// The API server's limit on one segment of a service path (a DNS-1123 subdomain's).
const MAX_SEGMENT: usize = 253;

/// An admission webhook's path: `/` and then segments separated by `/`, each a DNS-1123
/// subdomain (lower-case letters, digits, `-` and `.`, a letter or digit at both ends), which
/// is what the API server requires of a webhook Service's path. Not the conversion path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookPath(String);

impl FromStr for WebhookPath {
    type Err = String;

    fn from_str(path: &str) -> Result<Self, String> {
        let example = "such as `/mutate-team-label`";
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!(
                "webhook path `{path}` must start with `/`, {example}"
            ));
        };
        if rest.is_empty() {
            return Err(format!(
                "webhook path `/` would take the whole webhook server; name a path, {example}"
            ));
        }
        if path == CONVERSION_PATH {
            return Err(format!(
                "webhook path `{CONVERSION_PATH}` is where the manager serves conversions; pick another, {example}"
            ));
        }
        for (index, segment) in rest.split('/').enumerate() {
            if let Err(why) = check_segment(segment) {
                return Err(format!(
                    "webhook path `{path}`: its part {} {why}, as the API server requires of a webhook's path; {example}",
                    if segment.is_empty() {
                        format!("{}", index + 1)
                    } else {
                        format!("`{segment}`")
                    }
                ));
            }
        }
        Ok(WebhookPath(path.to_string()))
    }
}

/// One segment of a service path: a DNS-1123 subdomain, as the API server checks it.
fn check_segment(segment: &str) -> Result<(), &'static str> {
    if segment.is_empty() {
        return Err("is empty (`//` or a trailing `/`)");
    }
    if segment.len() > MAX_SEGMENT {
        return Err("is longer than 253 characters");
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !segment
        .bytes()
        .all(|b| allowed(b) || b == b'-' || b == b'.')
    {
        return Err("may hold only lower-case letters, digits, `-` and `.`");
    }
    let alphanumeric_ends = segment.split('.').all(|label| {
        label.bytes().next().is_some_and(allowed) && label.bytes().last().is_some_and(allowed)
    });
    if !alphanumeric_ends {
        return Err("must start and end with a letter or digit, on both sides of each `.`");
    }
    Ok(())
}

impl TryFrom<String> for WebhookPath {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        value.parse()
    }
}

impl From<WebhookPath> for String {
    fn from(value: WebhookPath) -> String {
        value.0
    }
}

impl Deref for WebhookPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_the_api_server_accepts() {
        for good in [
            "/mutate-foo",
            "/mutate--v1-pod",
            "/validate-cert-manager-io-v1-issuer",
            "/a/b.c/d-e",
            "/v1",
        ] {
            assert_eq!(
                good.parse::<WebhookPath>().unwrap(),
                WebhookPath(good.into())
            );
        }
    }

    #[test]
    fn paths_the_api_server_or_the_runtime_refuses_say_why() {
        let err = |path: &str| path.parse::<WebhookPath>().unwrap_err();
        assert_eq!(
            err("mutate"),
            "webhook path `mutate` must start with `/`, such as `/mutate-team-label`"
        );
        assert!(err("/").contains("whole webhook server"));
        assert!(err("/convert").contains("where the manager serves conversions"));
        assert_eq!(
            err("/a_b"),
            "webhook path `/a_b`: its part `a_b` may hold only lower-case letters, digits, `-` and `.`, as the API server requires of a webhook's path; such as `/mutate-team-label`"
        );
        assert!(err("/Mutate").contains("lower-case"));
        assert!(err("/a/b~c").contains("`b~c`"));
        assert!(err("/a//b").contains("part 2 is empty"));
        assert!(err("/a/").contains("part 2 is empty"));
        assert!(err("/-a").contains("start and end"));
        assert!(err("/a.-b").contains("start and end"));
        assert!(err("/q?x=1").contains("`q?x=1`"));
        assert!(err(&format!("/{}", "a".repeat(254))).contains("longer than 253"));
    }
}
