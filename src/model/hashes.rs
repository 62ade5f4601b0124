//! The fingerprint `PROJECT.toml` keeps of each generated file, so a later command can tell a
//! file nobody touched from one its user edited.

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of `content`, named so another algorithm could follow without ambiguity.
pub fn of(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// Whether `content` is what was hashed into `recorded`.
pub fn matches(recorded: &str, content: &str) -> bool {
    of(content) == recorded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        assert_eq!(
            of("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches(&of("x\n"), "x\n"));
        assert!(!matches(&of("x\n"), "x"));
    }
}
