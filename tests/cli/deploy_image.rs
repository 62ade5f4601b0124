//! The deploy-image plugin: `create api --image`, as Kubebuilder's documentation types it.

use std::fs;

use predicates::prelude::*;

use crate::common::cargo_operator;
use crate::{fails_cleanly, init, project_dir, words};

/// Kubebuilder's deploy-image commands, as its documentation gives them (after the shell took
/// the quotes off).
const CREATE_MEMCACHED: &[&str] = &[
    "create",
    "api",
    "--group",
    "example.com",
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

#[test]
fn kubebuilder_deploy_image_commands_paste_unchanged() {
    for multigroup in [false, true] {
        let (_tmp, dir) = project_dir();
        let mut init = vec![
            "init",
            "--domain",
            "testproject.org",
            "--license",
            "apache2",
            "--owner",
            "The Kubernetes authors",
        ];
        if multigroup {
            init.push("--multigroup");
        }
        cargo_operator(&dir).args(&init).assert().success();
        cargo_operator(&dir)
            .args(CREATE_MEMCACHED)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "updated config/manager/manager.yaml",
            ))
            // The plugin list is honoured, not ignored.
            .stderr(predicate::str::contains("--plugins").not());
        cargo_operator(&dir)
            .args(words(
                "create api --group example.com --version v1alpha1 --kind Busybox --image=busybox:1.36.1 --plugins=deploy-image.go.kubebuilder.io/v1-alpha --make=false",
            ))
            .assert()
            .success();
        let manager = fs::read_to_string(dir.join("config/manager/manager.yaml")).unwrap();
        assert!(
            manager.contains(
                "        - name: MEMCACHED_IMAGE\n          value: \"memcached:1.6.26-alpine3.19\"\n        - name: BUSYBOX_IMAGE\n          value: \"busybox:1.36.1\"\n        # +operator:scaffold:manager-env\n"
            ),
            "{manager}"
        );
        let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
        assert!(
            project.contains(
                "[resources.example.deploy-image]\nimage = \"memcached:1.6.26-alpine3.19\"\ncommand = [\"memcached\", \"--memory-limit=64\", \"-o\", \"modern\", \"-v\"]\ncontainer-port = 11211\nrun-as-user = 1001\n"
            ),
            "{project}"
        );
        // `--image` alone means deploy-image too.
        cargo_operator(&dir)
            .args(words(
                "create api --group example.com --version v1 --kind Nginx --image=nginx:1.29",
            ))
            .assert()
            .success()
            .stdout(predicate::str::contains("created src/controllers/"));
    }
}

#[test]
fn deploy_image_refuses_what_makes_no_sense() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let create = |flags: &str| -> Vec<String> {
        words(&format!(
            "create api --group tutorial --version v1 --kind Memcached {flags}"
        ))
        .into_iter()
        .map(String::from)
        .collect()
    };
    let cases = [
        (
            "--plugins=deploy-image/v1-alpha",
            "the deploy-image plugin needs the image to deploy; pass `--image`, such as `--image=memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image-container-port=11211",
            "`--image-container-port` configures the container of the image that `--image` deploys; pass `--image` too, or leave `--image-container-port` out",
        ),
        (
            "--run-as-user=1001",
            "`--run-as-user` configures the container of the image that `--image` deploys; pass `--image` too, or leave `--run-as-user` out",
        ),
        (
            "--image=memcached:1.6 --resource=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--resource=false` (no type); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --controller=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--controller=false` (no controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --skeleton",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--skeleton` (another controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --controller-name memcached-audit",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--controller-name` (a second controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --namespaced=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--namespaced=false` (a cluster-scoped kind, with no namespace for the Deployment); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --external-api-crd crd.yaml",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--external-api-crd` (a kind another project owns); drop one of the two",
        ),
        (
            "--image=memcached:",
            "`--image`: `memcached:` is not an image reference; use letters, digits, `.`, `_`, `-`, `/`, `:` and `@`, starting and ending with a letter or digit, such as `memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image=",
            "`--image`: the image is empty; pass one such as `--image=memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image=memcached:1.6 --image-container-port=0",
            "`--image-container-port`: `0` is not a container port; pass a number from 1 to 65535, such as `--image-container-port=11211`",
        ),
        (
            "--image=memcached:1.6 --image-container-port=65536",
            "`--image-container-port`: `65536` is not a container port; pass a number from 1 to 65535, such as `--image-container-port=11211`",
        ),
        (
            "--image=memcached:1.6 --run-as-user=-5",
            "`--run-as-user`: `-5` is not a user ID; pass a positive integer, such as `--run-as-user=1001`",
        ),
        (
            "--image=memcached:1.6 --run-as-user=0",
            "`--run-as-user`: UID 0 is root, which the container's restricted security context (`runAsNonRoot`) refuses to start; pass another, such as `--run-as-user=1001`",
        ),
        (
            "--image=memcached:1.6 --image-container-command=memcached,,-v",
            "`--image-container-command`: `memcached,,-v` has an empty item (number 2); separate the command and each argument with one comma, such as `--image-container-command=memcached,--memory-limit=64,-v`",
        ),
    ];
    for (flags, message) in cases {
        let args = create(flags);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_cleanly(&dir, &args, message);
    }
    // Whitespace is no part of an image.
    fails_cleanly(
        &dir,
        &[
            "create",
            "api",
            "--group",
            "tutorial",
            "--version",
            "v1",
            "--kind",
            "Memcached",
            "--image",
            "memcached 1.6",
        ],
        "`--image`: `memcached 1.6` is not an image reference; use letters, digits, `.`, `_`, `-`, `/`, `:` and `@`, starting and ending with a letter or digit, such as `memcached:1.6.26-alpine3.19`",
    );
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deployment --image=nginx:1.29"),
        "`apps/v1, Kind=Deployment` is built into Kubernetes, but `--image` makes a kind of this project whose controller deploys the image; pick a group of your own",
    );
}

#[test]
fn deploy_image_kinds_of_one_name_need_one_image_variable() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --multigroup"))
        .assert()
        .success();
    cargo_operator(&dir)
        .args(words(
            "create api --group cache --version v1 --kind Memcached --image=memcached:1.6",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create api --group store --version v1 --kind Memcached --image=memcached:1.5"),
        "`MEMCACHED_IMAGE` already sets the image of `cache/v1, Kind=Memcached`, a kind of the same name; pick another kind",
    );
}

#[test]
fn a_project_from_before_deploy_image_is_told_where_the_marker_goes() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let manager = dir.join("config/manager/manager.yaml");
    let without_marker = fs::read_to_string(&manager)
        .unwrap()
        .replace("        # +operator:scaffold:manager-env\n", "");
    fs::write(&manager, without_marker).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Memcached --image=memcached:1.6"),
        "cannot add to `config/manager/manager.yaml`: marker line `# +operator:scaffold:manager-env` is missing; put it back as the last line of the manager container's `env:` list",
    );
}
