//! CRDs: the versions of each kind merged into one CRD, with its conversion webhook, and the
//! file each is written to.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::crd::merge_crds;

use super::Manifests;
use crate::error::Error;

/// Groups single-version CRDs (as `CustomResourceExt::crd()` gives them) by name and merges the
/// versions of each into one CRD, whose storage version is the one listed first. CRDs keep the
/// order in which they are first listed.
///
/// ```
/// # use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
/// # fn example(v1_foo: CustomResourceDefinition, v2_foo: CustomResourceDefinition) {
/// // v2 is stored; v1 is still served.
/// let crds = kube_operator_runtime::manifests::merge_versions(vec![v2_foo, v1_foo]).unwrap();
/// # }
/// ```
pub fn merge_versions(
    per_version: Vec<CustomResourceDefinition>,
) -> Result<Vec<CustomResourceDefinition>, Error> {
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
            let name = group[0].metadata.name.clone().unwrap_or_default();
            let merge_error = |source| Error::MergeCrds {
                name: name.clone(),
                source,
            };
            let storage = group[0]
                .spec
                .versions
                .first()
                .map(|version| version.name.clone())
                .ok_or(kube::core::crd::MergeError::MissingVersions)
                .map_err(merge_error)?;
            merge_crds(group, &storage).map_err(merge_error)
        })
        .collect()
}

impl Manifests {
    /// The CRDs, with their conversion webhooks.
    pub(super) fn crds_with_conversion(&self) -> Vec<CustomResourceDefinition> {
        self.webhooks.with_conversion(self.crds.clone())
    }
}

/// `<group>_<plural>.yaml`, as Kubebuilder names CRD files.
pub(super) fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::fixtures::single_version;

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
}
