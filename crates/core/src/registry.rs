//! The registry of government bodies and their accounts: the list every report ranks and every
//! routed question lands in. Shipped as TOML (`data/registry.toml`) and replaceable by a
//! deployment's own file.

use std::collections::HashMap;

use serde::Deserialize;

/// The registry tawasul ships with: the bodies and handles of the brief.
pub const SHIPPED_REGISTRY_TOML: &str = include_str!("../data/registry.toml");

/// Why a registry text was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Not valid TOML, or a field has the wrong type; the message names line and field.
    #[error("registry {source_name}: {message}")]
    Syntax {
        /// File name or `shipped registry`.
        source_name: String,
        /// Parser message with position.
        message: String,
    },
    /// Valid TOML that breaks a rule (duplicate key or handle, unknown parent).
    #[error("registry {source_name}: {message}")]
    Invalid {
        /// File name or `shipped registry`.
        source_name: String,
        /// What is wrong and where.
        message: String,
    },
}

/// What kind of public body this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// A ministry.
    Ministry,
    /// An authority or agency.
    Authority,
    /// The cabinet.
    Cabinet,
    /// The presidency.
    Presidency,
    /// A centre (e.g. the cabinet's information centre).
    Centre,
}

/// What role an account plays for its body; reports treat a minister's personal account and the
/// president's account differently from the official one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// The body's official account.
    Official,
    /// A media centre that promises to answer.
    MediaCentre,
    /// The minister's personal account.
    Minister,
    /// The president's account (amplification metrics).
    President,
}

/// One account of a body on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryAccount {
    /// Platform (`x`).
    #[serde(default = "default_platform")]
    pub platform: String,
    /// Handle without `@`, as the platform spells it.
    pub handle: String,
    /// The account's role.
    pub kind: AccountKind,
}

fn default_platform() -> String {
    "x".to_string()
}

/// A government body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Stable key, the `body` label value.
    pub key: String,
    /// Kind of body.
    pub kind: BodyKind,
    /// Arabic name, shown first.
    pub name_ar: String,
    /// English name.
    pub name_en: String,
    /// Key of a parent body (the cabinet for its centre).
    #[serde(default)]
    pub parent: Option<String>,
    /// Its accounts.
    #[serde(default)]
    pub accounts: Vec<RegistryAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    body: Vec<Body>,
}

/// Bodies and accounts, with lookups by key and by handle (case-insensitive, as X handles are).
#[derive(Debug, Clone)]
pub struct Registry {
    bodies: Vec<Body>,
    by_key: HashMap<String, usize>,
    by_handle: HashMap<String, (usize, usize)>,
}

impl Registry {
    /// The shipped registry.
    pub fn shipped() -> Self {
        Self::from_toml(SHIPPED_REGISTRY_TOML, "shipped registry")
            .expect("the shipped registry is valid (tested)")
    }

    /// Parses a registry; `source_name` is used in error messages.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, RegistryError> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| RegistryError::Syntax {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| RegistryError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let mut by_key = HashMap::new();
        let mut by_handle = HashMap::new();
        for (b, body) in file.body.iter().enumerate() {
            if body.key.is_empty()
                || !body
                    .key
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c == b'_' || c.is_ascii_digit())
            {
                return Err(invalid(format!(
                    "body {}: key {:?} must be lower-case ASCII letters, digits and _",
                    b + 1,
                    body.key
                )));
            }
            if by_key.insert(body.key.clone(), b).is_some() {
                return Err(invalid(format!("body key {:?} appears twice", body.key)));
            }
            for (a, account) in body.accounts.iter().enumerate() {
                let handle = account.handle.trim_start_matches('@').to_ascii_lowercase();
                if handle.is_empty() {
                    return Err(invalid(format!(
                        "body {:?}: account {} has an empty handle",
                        body.key,
                        a + 1
                    )));
                }
                let lookup = format!("{}:{}", account.platform, handle);
                if let Some((other, _)) = by_handle.insert(lookup, (b, a)) {
                    return Err(invalid(format!(
                        "handle @{} belongs to both {:?} and {:?}",
                        account.handle, file.body[other].key, body.key
                    )));
                }
            }
        }
        for body in &file.body {
            if let Some(parent) = &body.parent {
                if !by_key.contains_key(parent) {
                    return Err(invalid(format!(
                        "body {:?}: unknown parent {:?}",
                        body.key, parent
                    )));
                }
            }
        }
        Ok(Registry {
            bodies: file.body,
            by_key,
            by_handle,
        })
    }

    /// All bodies in file order.
    pub fn bodies(&self) -> &[Body] {
        &self.bodies
    }

    /// The body with this key.
    pub fn body(&self, key: &str) -> Option<&Body> {
        self.by_key.get(key).map(|&i| &self.bodies[i])
    }

    /// The body and account behind an X handle (with or without `@`, any case).
    pub fn account_by_handle(
        &self,
        platform: &str,
        handle: &str,
    ) -> Option<(&Body, &RegistryAccount)> {
        let lookup = format!(
            "{}:{}",
            platform,
            handle.trim_start_matches('@').to_ascii_lowercase()
        );
        self.by_handle
            .get(&lookup)
            .map(|&(b, a)| (&self.bodies[b], &self.bodies[b].accounts[a]))
    }

    /// Every (body, account) pair.
    pub fn accounts(&self) -> impl Iterator<Item = (&Body, &RegistryAccount)> {
        self.bodies
            .iter()
            .flat_map(|b| b.accounts.iter().map(move |a| (b, a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_registry_has_the_brief_accounts() {
        let registry = Registry::shipped();
        for handle in [
            "MOICEgypt",
            "MCIT_News",
            "MOP_Egypt",
            "MofEgypt",
            "Trade_Industry",
            "AwkafOnline",
            "IDSC_Egypt",
            "CabinetEgy",
            "mohpegypt",
            "moiegy",
            "AlsisiOfficial",
        ] {
            assert!(
                registry.account_by_handle("x", handle).is_some(),
                "{handle} missing"
            );
        }
        let (body, account) = registry.account_by_handle("x", "@alsisiofficial").unwrap();
        assert_eq!(body.key, "presidency");
        assert_eq!(account.kind, AccountKind::President);
        assert_eq!(
            registry.body("idsc").unwrap().parent.as_deref(),
            Some("cabinet")
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let dup = "[[body]]\nkey='a'\nkind='ministry'\nname_ar='x'\nname_en='x'\n[[body]]\nkey='a'\nkind='ministry'\nname_ar='y'\nname_en='y'\n";
        let err = Registry::from_toml(dup, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mine.toml") && err.contains("twice"), "{err}");
        let bad_kind = "[[body]]\nkey='a'\nkind='kingdom'\nname_ar='x'\nname_en='x'\n";
        let err = Registry::from_toml(bad_kind, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line") && err.contains("kingdom"), "{err}");
        let same_handle = "[[body]]\nkey='a'\nkind='ministry'\nname_ar='x'\nname_en='x'\naccounts=[{handle='H',kind='official'}]\n[[body]]\nkey='b'\nkind='ministry'\nname_ar='y'\nname_en='y'\naccounts=[{handle='h',kind='minister'}]\n";
        let err = Registry::from_toml(same_handle, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("@h") && err.contains("\"a\""), "{err}");
    }
}
