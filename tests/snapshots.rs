//! Snapshots of what each variant of the scaffold generates.
//!
//! The default project (`init` + `create api` for Foo) is committed whole as `examples/tutorial`
//! and checked by `scripts/test.sh`; here each variant is stored as its diff against that default,
//! so a snapshot shows exactly what a flag changes and no generated file is committed twice.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use similar::TextDiff;

mod common;
use common::{cargo_operator, certificate_crd, issuer_crd, tree};

const INIT: &[&str] = &[
    "init",
    "--domain",
    "my.domain",
    "--repo",
    "my.domain/tutorial",
];
/// A second kind in the project's group, from the skeleton.
const CREATE_BAR: &[&str] = &[
    "create",
    "api",
    "--group",
    "tutorial",
    "--version",
    "v1",
    "--kind",
    "Bar",
    "--skeleton",
];
/// A second version of Foo, without a controller.
const CREATE_FOO_V2: &[&str] = &[
    "create",
    "api",
    "--group",
    "tutorial",
    "--version",
    "v2",
    "--kind",
    "Foo",
    "--controller=false",
];
const CREATE_FOO: &[&str] = &[
    "create",
    "api",
    "--group",
    "tutorial",
    "--version",
    "v1",
    "--kind",
    "Foo",
];

/// Runs each command in a new project folder named `tutorial` and returns every file written.
fn scaffold(commands: &[&[&str]]) -> BTreeMap<String, String> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tutorial");
    fs::create_dir(&dir).unwrap();
    for args in commands {
        cargo_operator(&dir).args(*args).assert().success();
    }
    tree(&dir)
        .into_iter()
        .filter_map(|(path, content)| {
            let path = path.to_string_lossy().replace('\\', "/");
            Some((path, String::from_utf8(content?).unwrap()))
        })
        .collect()
}

/// `text` with each `sha256:<hex>` of `PROJECT.toml` shortened to `sha256:…`: which files are
/// fingerprinted matters in a snapshot, their digests only churn with every template edit.
fn redact_hashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        let (before, after) = rest.split_at(at + "sha256:".len());
        out.push_str(before);
        out.push('…');
        rest = after.trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

/// A readable diff of two scaffolds: unified hunks for changed files, whole new files.
fn diff(base: &BTreeMap<String, String>, variant: &BTreeMap<String, String>) -> String {
    let redacted = |files: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(path, text)| (path.clone(), redact_hashes(text)))
            .collect()
    };
    let (base, variant) = (&redacted(base), &redacted(variant));
    let paths: BTreeSet<&String> = base.keys().chain(variant.keys()).collect();
    let mut out = String::new();
    for path in paths {
        match (base.get(path), variant.get(path)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let diff = TextDiff::from_lines(a, b);
                out.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(2)
                        .header(path, path)
                        .to_string(),
                );
            }
            (None, Some(b)) => out.push_str(&format!("=== new file {path}\n{b}")),
            (Some(_), None) => out.push_str(&format!("=== not generated {path}\n")),
            (None, None) => unreachable!("the path came from one of the maps"),
        }
    }
    out
}

fn default_project() -> BTreeMap<String, String> {
    scaffold(&[INIT, CREATE_FOO])
}

#[test]
fn cluster_scoped_kind() {
    let variant = scaffold(&[INIT, &[CREATE_FOO, &["--namespaced=false"]].concat()]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn skeleton_controller() {
    let variant = scaffold(&[INIT, &[CREATE_FOO, &["--skeleton"]].concat()]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn second_kind_inserted() {
    let variant = scaffold(&[INIT, CREATE_FOO, CREATE_BAR]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn second_version_inserted() {
    let variant = scaffold(&[INIT, CREATE_FOO, CREATE_FOO_V2]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn namespace_scoped_project() {
    let variant = scaffold(&[&[INIT, &["--namespaced"]].concat(), CREATE_FOO]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn no_license_and_an_owner() {
    let variant = scaffold(&[
        &[INIT, &["--license", "none", "--owner", "Jane Doe"]].concat(),
        CREATE_FOO,
    ]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn helm_chart() {
    let variant = scaffold(&[INIT, CREATE_FOO, &["edit", "--helm"]]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn grafana_dashboards() {
    let edit = &["edit", "--plugins=grafana.kubebuilder.io/v1-alpha"];
    let variant = scaffold(&[INIT, CREATE_FOO, edit]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
    // Kubebuilder's plugin does the same at `init`.
    let at_init = scaffold(&[
        &[INIT, &["--plugins=go/v4,grafana/v1-alpha"]].concat(),
        CREATE_FOO,
    ]);
    assert_eq!(variant, at_init);
}

#[test]
fn autoupdate_workflow() {
    let edit = &["edit", "--plugins=autoupdate.kubebuilder.io/v1-alpha"];
    let variant = scaffold(&[INIT, CREATE_FOO, edit]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

/// Defaulting and validation webhooks for Foo.
const CREATE_FOO_WEBHOOK: &[&str] = &[
    "create",
    "webhook",
    "--group",
    "tutorial",
    "--version",
    "v1",
    "--kind",
    "Foo",
    "--defaulting",
    "--programmatic-validation",
];

/// The chart's files of a scaffold.
fn chart(files: BTreeMap<String, String>) -> BTreeMap<String, String> {
    files
        .into_iter()
        .filter(|(path, _)| path.starts_with("dist/chart/"))
        .collect()
}

#[test]
fn helm_chart_with_webhooks() {
    let helm = scaffold(&[INIT, CREATE_FOO, &["edit", "--helm"]]);
    let webhooks = scaffold(&[INIT, CREATE_FOO, &["edit", "--helm"], CREATE_FOO_WEBHOOK]);
    insta::assert_snapshot!(diff(&chart(helm), &chart(webhooks.clone())));
    // The chart comes out the same whichever comes first.
    let chart_last = scaffold(&[INIT, CREATE_FOO, CREATE_FOO_WEBHOOK, &["edit", "--helm"]]);
    assert_eq!(webhooks, chart_last);
}

#[test]
fn init_alone() {
    let variant = scaffold(&[INIT]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn rerunning_create_api_with_force_is_a_no_op() {
    let forced = [CREATE_FOO, &["--force"]].concat();
    assert_eq!(scaffold(&[INIT, CREATE_FOO, &forced]), default_project());
}

const DEPLOYMENT_CONTROLLER: &[&str] = &[
    "create",
    "api",
    "--group",
    "apps",
    "--version",
    "v1",
    "--kind",
    "Deployment",
    "--resource=false",
    "--controller",
];

#[test]
fn core_kind_controller() {
    let variant = scaffold(&[INIT, CREATE_FOO, DEPLOYMENT_CONTROLLER]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn named_second_controller() {
    let audit = [
        CREATE_FOO,
        &["--resource=false", "--controller-name", "foo-audit"],
    ]
    .concat();
    let variant = scaffold(&[INIT, CREATE_FOO, &audit]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn multigroup_project() {
    let frigate = &[
        "create",
        "api",
        "--group",
        "ship",
        "--version",
        "v1beta1",
        "--kind",
        "Frigate",
        "--namespaced=false",
        "--skeleton",
    ];
    let variant = scaffold(&[
        &[INIT, &["--multigroup"]].concat(),
        CREATE_FOO,
        frigate,
        DEPLOYMENT_CONTROLLER,
    ]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn edit_multigroup_moves_the_files() {
    let variant = scaffold(&[INIT, CREATE_FOO, &["edit", "--multigroup"]]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn init_multigroup_then_create_equals_edit_multigroup() {
    let moved = scaffold(&[INIT, CREATE_FOO, &["edit", "--multigroup"]]);
    let fresh = scaffold(&[&[INIT, &["--multigroup"]].concat(), CREATE_FOO]);
    assert_eq!(moved, fresh);
    // The webhooks of built-in and external kinds move too, and their tests follow.
    let issuer = issuer_crd();
    let pod: &[&str] = &[
        "create",
        "webhook",
        "--group",
        "core",
        "--version",
        "v1",
        "--kind",
        "Pod",
        "--defaulting",
        "--programmatic-validation",
    ];
    let issuer: &[&str] = &[
        "create",
        "webhook",
        "--group",
        "cert-manager.io",
        "--version",
        "v1",
        "--kind",
        "Issuer",
        "--defaulting",
        "--external-api-crd",
        &issuer,
    ];
    let moved = scaffold(&[INIT, CREATE_FOO, pod, issuer, &["edit", "--multigroup"]]);
    let fresh = scaffold(&[&[INIT, &["--multigroup"]].concat(), CREATE_FOO, pod, issuer]);
    assert_eq!(moved, fresh);
}

#[test]
fn an_api_added_then_deleted_leaves_no_trace() {
    let delete = |group: &'static str, version: &'static str, kind: &'static str| {
        vec![
            "delete",
            "api",
            "--group",
            group,
            "--version",
            version,
            "--kind",
            kind,
        ]
    };
    let audit = [
        CREATE_FOO,
        &["--resource=false", "--controller-name", "foo-audit"],
    ]
    .concat();
    let variant = scaffold(&[
        INIT,
        CREATE_FOO,
        CREATE_BAR,
        CREATE_FOO_V2,
        DEPLOYMENT_CONTROLLER,
        &audit,
        &delete("tutorial", "v2", "Foo"),
        &delete("tutorial", "v1", "Bar"),
        &delete("apps", "v1", "Deployment"),
    ]);
    // The named controller goes with its kind's entry only when the kind goes; it stays here.
    let expected = scaffold(&[INIT, CREATE_FOO, &audit]);
    assert_eq!(variant, expected);
    let without_foo = scaffold(&[INIT, CREATE_FOO, &delete("tutorial", "v1", "Foo")]);
    assert_eq!(without_foo, scaffold(&[INIT]));
}

#[test]
fn external_kind_controller() {
    let crd = certificate_crd();
    let variant = scaffold(&[
        INIT,
        CREATE_FOO,
        &[
            "create",
            "api",
            "--kind",
            "Certificate",
            "--external-api-crd",
            &crd,
        ],
    ]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn webhooks_for_built_in_and_external_kinds() {
    let issuer = issuer_crd();
    let with_foo_webhook = scaffold(&[INIT, CREATE_FOO, CREATE_FOO_WEBHOOK]);
    let variant = scaffold(&[
        INIT,
        CREATE_FOO,
        CREATE_FOO_WEBHOOK,
        &[
            "create",
            "webhook",
            "--group",
            "core",
            "--version",
            "v1",
            "--kind",
            "Pod",
            "--defaulting",
            "--programmatic-validation",
        ],
        &[
            "create",
            "webhook",
            "--group",
            "apps",
            "--version",
            "v1",
            "--kind",
            "Deployment",
            "--defaulting",
        ],
        &[
            "create",
            "webhook",
            "--group",
            "cert-manager",
            "--version",
            "v1",
            "--kind",
            "Issuer",
            "--programmatic-validation",
            "--external-api-crd",
            &issuer,
            "--external-api-domain=io",
        ],
    ]);
    insta::assert_snapshot!(diff(&with_foo_webhook, &variant));
}

/// Kubebuilder's deploy-image plugin, as its documentation creates Memcached (with every
/// option), in this project's group.
const CREATE_MEMCACHED: &[&str] = &[
    "create",
    "api",
    "--group",
    "tutorial",
    "--version",
    "v1alpha1",
    "--kind",
    "Memcached",
    "--image=memcached:1.6.26-alpine3.19",
    "--image-container-command=memcached,--memory-limit=64,-o,modern,-v",
    "--image-container-port=11211",
    "--run-as-user=1001",
    "--plugins=deploy-image/v1-alpha",
    "--make=false",
];
/// The deploy-image plugin with the image alone.
const CREATE_BUSYBOX: &[&str] = &[
    "create",
    "api",
    "--group",
    "tutorial",
    "--version",
    "v1alpha1",
    "--kind",
    "Busybox",
    "--image=busybox:1.36.1",
    "--plugins=deploy-image/v1-alpha",
    "--make=false",
];

fn delete(group: &'static str, version: &'static str, kind: &'static str) -> Vec<&'static str> {
    vec![
        "delete",
        "api",
        "--group",
        group,
        "--version",
        version,
        "--kind",
        kind,
    ]
}

#[test]
fn deploy_image_kinds() {
    let variant = scaffold(&[INIT, CREATE_FOO, CREATE_MEMCACHED, CREATE_BUSYBOX]);
    insta::assert_snapshot!(diff(&default_project(), &variant));
}

#[test]
fn deploy_image_in_the_helm_chart() {
    let helm = scaffold(&[INIT, CREATE_FOO, &["edit", "--helm"]]);
    let with_images = scaffold(&[
        INIT,
        CREATE_FOO,
        &["edit", "--helm"],
        CREATE_MEMCACHED,
        CREATE_BUSYBOX,
    ]);
    insta::assert_snapshot!(diff(&chart(helm.clone()), &chart(with_images.clone())));
    // The chart comes out the same whichever comes first.
    let chart_last = scaffold(&[
        INIT,
        CREATE_FOO,
        CREATE_MEMCACHED,
        CREATE_BUSYBOX,
        &["edit", "--helm"],
    ]);
    assert_eq!(with_images, chart_last);
    // And `delete api` takes the images out of it again.
    let deleted = scaffold(&[
        INIT,
        CREATE_FOO,
        &["edit", "--helm"],
        CREATE_MEMCACHED,
        CREATE_BUSYBOX,
        &delete("tutorial", "v1alpha1", "Busybox"),
        &delete("tutorial", "v1alpha1", "Memcached"),
    ]);
    assert_eq!(deleted, helm);
}

#[test]
fn a_deploy_image_kind_added_then_deleted_leaves_no_trace() {
    let variant = scaffold(&[
        INIT,
        CREATE_FOO,
        CREATE_MEMCACHED,
        CREATE_BUSYBOX,
        &delete("tutorial", "v1alpha1", "Memcached"),
    ]);
    assert_eq!(variant, scaffold(&[INIT, CREATE_FOO, CREATE_BUSYBOX]));
    let variant = scaffold(&[
        INIT,
        CREATE_MEMCACHED,
        &delete("tutorial", "v1alpha1", "Memcached"),
    ]);
    assert_eq!(variant, scaffold(&[INIT]));
}

#[test]
fn regenerating_a_deploy_image_kind_replaces_its_image() {
    let forced = [CREATE_MEMCACHED, &["--force"]].concat();
    let once = scaffold(&[INIT, CREATE_FOO, CREATE_MEMCACHED]);
    assert_eq!(
        scaffold(&[INIT, CREATE_FOO, CREATE_MEMCACHED, &forced]),
        once
    );
    // Made again as the skeleton, it no longer sets an image for the manager.
    let skeleton = &[
        "create",
        "api",
        "--group",
        "tutorial",
        "--version",
        "v1alpha1",
        "--kind",
        "Memcached",
        "--skeleton",
    ];
    let forced_skeleton = [&skeleton[..], &["--force"]].concat();
    assert_eq!(
        scaffold(&[INIT, CREATE_FOO, CREATE_MEMCACHED, &forced_skeleton]),
        scaffold(&[INIT, CREATE_FOO, skeleton])
    );
}
