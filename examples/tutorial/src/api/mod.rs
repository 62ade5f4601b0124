// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! Custom resource types, one module per API version.

pub mod v1;
// +operator:scaffold:api-versions

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::crd::{MergeError, merge_crds};

// Re-exported (rather than imported) so that `Kind::crd()` below resolves
// and the module still compiles warning-free while no kind is registered.
pub use kube::CustomResourceExt;

/// The CustomResourceDefinitions of every kind this operator serves.
///
/// Each `Kind::crd()` describes one version of one kind; versions of the same
/// kind are merged into a single CRD whose storage version is the one listed
/// first.
pub fn crds() -> Result<Vec<CustomResourceDefinition>, MergeError> {
    let per_version: Vec<CustomResourceDefinition> = vec![
        v1::Foo::crd(),
        // +operator:scaffold:crds
    ];
    merge_versions(per_version)
}

/// Groups single-version CRDs by name (`<plural>.<group>`), keeping the order
/// in which kinds are first listed, and merges each group into one CRD.
fn merge_versions(
    per_version: Vec<CustomResourceDefinition>,
) -> Result<Vec<CustomResourceDefinition>, MergeError> {
    let mut groups: Vec<Vec<CustomResourceDefinition>> = Vec::new();
    for crd in per_version {
        match groups
            .iter_mut()
            .find(|group| group[0].metadata.name == crd.metadata.name)
        {
            Some(group) => group.push(crd),
            None => groups.push(vec![crd]),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let storage = group[0]
                .spec
                .versions
                .first()
                .map(|version| version.name.clone())
                .ok_or(MergeError::MissingVersions)?;
            merge_crds(group, &storage)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        CustomResourceDefinitionSpec, CustomResourceDefinitionVersion,
    };
    use kube::core::ObjectMeta;

    fn single_version(name: &str, version: &str) -> CustomResourceDefinition {
        CustomResourceDefinition {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: CustomResourceDefinitionSpec {
                group: "example.com".into(),
                scope: "Namespaced".into(),
                versions: vec![CustomResourceDefinitionVersion {
                    name: version.into(),
                    served: true,
                    storage: true,
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn versions_of_one_kind_merge_with_the_first_as_storage() {
        let merged = merge_versions(vec![
            single_version("widgets.example.com", "v2"),
            single_version("gadgets.example.com", "v1"),
            single_version("widgets.example.com", "v1"),
        ])
        .unwrap();

        let summary: Vec<(String, Vec<(String, bool)>)> = merged
            .iter()
            .map(|crd| {
                let mut versions: Vec<_> = crd
                    .spec
                    .versions
                    .iter()
                    .map(|v| (v.name.clone(), v.storage))
                    .collect();
                versions.sort();
                (crd.metadata.name.clone().unwrap(), versions)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "widgets.example.com".to_string(),
                    vec![("v1".to_string(), false), ("v2".to_string(), true)]
                ),
                (
                    "gadgets.example.com".to_string(),
                    vec![("v1".to_string(), true)]
                ),
            ]
        );
    }

    #[test]
    fn registered_crds_are_unique_and_have_one_storage_version() {
        let crds = crds().unwrap();
        let mut names = Vec::new();
        for crd in &crds {
            let name = crd.metadata.name.clone().unwrap();
            assert_eq!(
                name,
                format!("{}.{}", crd.spec.names.plural, crd.spec.group)
            );
            let storage = crd.spec.versions.iter().filter(|v| v.storage).count();
            assert_eq!(storage, 1, "{name} must have exactly one storage version");
            assert!(!names.contains(&name), "{name} is registered twice");
            names.push(name);
        }
    }
}
