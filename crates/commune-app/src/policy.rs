//! Reading policies: one typed table of keys with one set of defaults (the domain's
//! `policy_parameters()`: the seven commune policies and the constitutional floors), read here and
//! nowhere else.

use crate::error::AppError;
use commune_domain::governance::proposal::{policy_parameter, policy_parameters};
use commune_store::Store;
use std::collections::HashMap;

/// The policies of one organisation as set, each unset key at its default.
#[derive(Debug, Default, Clone)]
pub struct Policies(HashMap<String, f64>);

impl Policies {
    /// The value of `key`. Keys come from code, never from members: an unknown key is a bug,
    /// not a default of zero.
    pub fn get(&self, key: &str) -> f64 {
        let parameter = policy_parameter(key);
        assert!(parameter.is_some(), "unknown policy key {key:?}");
        self.0.get(key).copied().unwrap_or_else(|| parameter.map_or(0.0, |p| p.default))
    }

    /// Every known policy of the table with its value here.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        policy_parameters().map(|p| (p.key, self.get(p.key)))
    }
}

/// The policies of `org_id` (one read).
pub async fn of_org(store: &Store, org_id: &str) -> Result<Policies, AppError> {
    Ok(Policies(store.policies(org_id).await?.into_iter().collect()))
}

/// The commune's own policies (those of the root organisation; defaults before setup).
pub async fn commune(store: &Store) -> Result<Policies, AppError> {
    match store.root_org().await? {
        Some(root) => of_org(store, &root.id).await,
        None => Ok(Policies::default()),
    }
}

/// One policy of `org_id`.
pub async fn policy(store: &Store, org_id: &str, key: &str) -> Result<f64, AppError> {
    Ok(of_org(store, org_id).await?.get(key))
}
