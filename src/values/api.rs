//! The parts of an API's name as types that only hold valid values: [`Group`], [`Version`],
//! [`Kind`] and [`Plural`].
//!
//! Flags and `PROJECT.toml` go through the same `FromStr`, so a bad value gets the same message
//! wherever it comes from, and code past parsing never sees an invalid name.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::values::rules;

macro_rules! api_name {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, String> {
                let check: fn(&str) -> anyhow::Result<()> = $check;
                check(value).map_err(|err| err.to_string())?;
                Ok(Self(value.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

api_name!(
    /// An API group without the domain, such as `tutorial`; with the domain it must still form a
    /// DNS-1123 subdomain, which `validate::group` checks where the domain is known.
    Group,
    rules::group_alone
);
api_name!(
    /// A Kubernetes API version: `v1`, `v1alpha1`, `v2beta3`.
    Version,
    rules::version
);
api_name!(
    /// A PascalCase kind whose module name is not a Rust keyword.
    Kind,
    |kind| {
        rules::kind(kind)?;
        rules::kind_module(kind, &crate::values::spelling::kind_module(kind))
    }
);
api_name!(
    /// A resource name, a DNS-1035 label such as `foos`.
    Plural,
    rules::plural
);
api_name!(
    /// The name of a second controller for a kind (`--controller-name`), a DNS-1035 label such
    /// as `foo-backup`; its module is the snake-case form.
    ControllerName,
    rules::controller_name
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_values_parse_and_invalid_ones_say_why() {
        assert_eq!("Foo".parse::<Kind>().unwrap(), "Foo");
        assert_eq!(
            "v1alpha1".parse::<Version>().unwrap().to_string(),
            "v1alpha1"
        );
        assert!("foo".parse::<Kind>().unwrap_err().contains("PascalCase"));
        assert!("Type".parse::<Kind>().unwrap_err().contains("keyword"));
        assert!("v1gamma".parse::<Version>().is_err());
        assert!("Foos".parse::<Plural>().is_err());
        assert!("Tutorial".parse::<Group>().is_err());
        assert!("".parse::<Group>().is_err());
    }

    #[test]
    fn serde_goes_through_the_same_checks() {
        #[derive(Debug, Deserialize, Serialize)]
        struct Api {
            kind: Kind,
        }
        let api: Api = toml::from_str("kind = \"CronJob\"").unwrap();
        assert_eq!(toml::to_string(&api).unwrap(), "kind = \"CronJob\"\n");
        let err = toml::from_str::<Api>("kind = \"cron\"").unwrap_err();
        assert!(err.message().contains("must be PascalCase"), "{err}");
    }
}
