//! The command line, as cargo hands it over: `cargo-operator operator <command> …`.
//!
//! These types hold raw flag values only; each command resolves and validates them.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::model::project::License;
use crate::plugins::{PluginCommand, Plugins};

#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::plain())]
pub enum Cargo {
    /// Scaffold and grow Kubernetes operators written in Rust
    #[command(version, about, long_about = None)]
    Operator(Operator),
}

#[derive(Debug, Args)]
pub struct Operator {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a new operator project in the current directory
    Init(InitArgs),
    /// Add a piece to the project (`create api`, `create webhook`)
    #[command(subcommand)]
    Create(Create),
    /// Take a piece out of the project (`delete api`)
    #[command(subcommand)]
    Delete(Delete),
    /// Change the project: `--helm` (a Helm chart), `--multigroup` (a layout by API group), `--namespaced[=false]`, `--plugins=grafana/v1-alpha` (Grafana dashboards), `--plugins=autoupdate/v1-alpha` (a weekly `cargo operator update` pull request)
    Edit(EditArgs),
    /// Write the CRDs and roles (config/, and the Helm chart if any) from the project's Rust code
    Manifests(ManifestsArgs),
    /// Bring a project made by an older cargo-operator to this version, keeping your edits
    Update(UpdateArgs),
    /// Print the version of cargo-operator and of the crates it generates for
    Version,
    /// Print a shell completion script
    Completion {
        /// The shell to complete for
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum Create {
    /// Add a custom resource type and its controller
    Api(CreateApiArgs),
    /// Add admission (defaulting, validating) webhooks to a kind, or conversion webhooks to a
    /// kind the project owns
    Webhook(CreateWebhookArgs),
}

#[derive(Debug, Subcommand)]
pub enum Delete {
    /// Remove an API: its type, controllers, manifests, samples, tests and registry entries
    Api(DeleteApiArgs),
}

#[derive(Debug, Args)]
pub struct DeleteApiArgs {
    /// API group, as given to `create api` (`tutorial`, `apps`, `cert-manager.io`)
    #[arg(long)]
    pub group: String,
    /// API version, such as `v1`
    #[arg(long)]
    pub version: String,
    /// Kind, such as `Foo`
    #[arg(long)]
    pub kind: String,
    /// Delete files you changed since they were generated, too
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Domain of the project's API groups (`<group>.<domain>`)
    #[arg(long, default_value = "my.domain")]
    pub domain: String,
    /// Where the project lives, such as `github.com/me/tutorial` (recorded in PROJECT.toml)
    #[arg(long)]
    pub repo: Option<String>,
    /// Name of the project and its crate [default: the directory's name]
    #[arg(long)]
    pub project_name: Option<String>,
    /// Copyright owner named in the license header of generated Rust files
    #[arg(long)]
    pub owner: Option<String>,
    /// License of the generated files
    #[arg(long, value_enum, default_value = "apache2")]
    pub license: License,
    /// Make the manager watch only its own namespace (Role instead of ClusterRole)
    #[arg(long)]
    pub namespaced: bool,
    /// Lay APIs out by group (`src/api/<group>/<version>/`), so the project can hold several
    #[arg(long)]
    pub multigroup: bool,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub kubebuilder: KubebuilderInitFlags,
}

#[derive(Debug, Args)]
pub struct CreateApiArgs {
    /// API group, such as `tutorial` (the full group is `<group>.<domain>`) [default: the
    /// project's group, or its name; asked on a terminal]
    #[arg(long)]
    pub group: Option<String>,
    /// API version, such as `v1` or `v1alpha1` [default: v1; asked on a terminal]
    #[arg(long)]
    pub version: Option<String>,
    /// Kind, in PascalCase, such as `Foo`
    #[arg(long)]
    pub kind: String,
    /// Resource name [default: the kind, lower-cased and pluralised]
    #[arg(long)]
    pub plural: Option<String>,
    /// Whether objects of this kind live in a namespace
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub namespaced: Option<bool>,
    /// Generate the type [asked on a terminal; default true]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub resource: Option<bool>,
    /// Generate the controller [asked on a terminal; default true]
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub controller: Option<bool>,
    /// Start from a minimal reconcile loop instead of the Pod-friend example
    #[arg(long)]
    pub skeleton: bool,
    /// Add a second controller for the kind, named this (such as `foo-backup`)
    #[arg(long, value_name = "NAME")]
    pub controller_name: Option<String>,
    /// A kind another project owns: the path of its CRD's YAML file, from which its Rust types
    /// are generated
    #[arg(long, value_name = "FILE")]
    pub external_api_crd: Option<std::path::PathBuf>,
    /// Kubebuilder's Go import path of an external API; refused with a hint
    #[arg(long, hide = true, value_name = "PATH")]
    pub external_api_path: Option<String>,
    /// With `--external-api-crd`: the rest of the external kind's group after `--group`, as
    /// Kubebuilder takes it (`--group cert-manager --external-api-domain=io` is `cert-manager.io`)
    #[arg(long, value_name = "DOMAIN")]
    pub external_api_domain: Option<String>,
    /// Regenerate the API's files even if it exists (your edits to them are lost)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub deploy_image: DeployImageFlags,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub kubebuilder: KubebuilderCreateApiFlags,
}

/// Kubebuilder's deploy-image plugin (`--plugins=deploy-image/v1-alpha`): a kind whose
/// controller runs an image in a Deployment. Raw values; `create_api::resolve_deploy_image`
/// checks them.
#[derive(Debug, Default, Args)]
pub struct DeployImageFlags {
    /// Make the kind's controller run this image in a Deployment sized by `spec.size`, as
    /// Kubebuilder's deploy-image plugin does (such as `memcached:1.6.26-alpine3.19`)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// With `--image`: the container's command and its arguments, separated by commas
    /// (such as `memcached,--memory-limit=64,-v`)
    #[arg(long, value_name = "COMMAND")]
    pub image_container_command: Option<String>,
    /// With `--image`: the port the container listens on, the default of `spec.containerPort`
    #[arg(long, value_name = "PORT")]
    pub image_container_port: Option<String>,
    /// With `--image`: the UID the container runs as (not 0: it runs as non-root)
    #[arg(long, value_name = "UID")]
    pub run_as_user: Option<String>,
}

impl DeployImageFlags {
    /// The options given that only `--image` gives a meaning to, as their flags.
    pub fn image_options_given(&self) -> Vec<&'static str> {
        [
            (
                self.image_container_command.is_some(),
                "--image-container-command",
            ),
            (
                self.image_container_port.is_some(),
                "--image-container-port",
            ),
            (self.run_as_user.is_some(), "--run-as-user"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }
}

#[derive(Debug, Args)]
pub struct CreateWebhookArgs {
    /// API group of the kind: the project's (`tutorial`), a built-in one (`core`, `apps`) or
    /// another project's (`cert-manager.io`)
    #[arg(long)]
    pub group: String,
    /// API version the webhooks are for, such as `v1`; with `--conversion`, the hub
    #[arg(long)]
    pub version: String,
    /// Kind, such as `Foo`, `Pod` or `Issuer`
    #[arg(long)]
    pub kind: String,
    /// The kind's resource name; must be the one the project records (or Kubernetes serves)
    #[arg(long)]
    pub plural: Option<String>,
    /// A kind another project owns, not yet in the project: the path of its CRD's YAML file
    #[arg(long, value_name = "FILE")]
    pub external_api_crd: Option<std::path::PathBuf>,
    /// The rest of an external kind's group after `--group`, as Kubebuilder takes it
    /// (`--group cert-manager --external-api-domain=io` is `cert-manager.io`)
    #[arg(long, value_name = "DOMAIN")]
    pub external_api_domain: Option<String>,
    /// Kubebuilder's Go import path of an external API; refused with a hint
    #[arg(long, hide = true, value_name = "PATH")]
    pub external_api_path: Option<String>,
    /// A mutating webhook that fills in defaults (`impl Defaulter`, or `CustomDefaulter` for a
    /// kind the project does not own)
    #[arg(long)]
    pub defaulting: bool,
    /// A validating webhook that accepts or refuses creates, updates and deletes (`impl
    /// Validator`, or `CustomValidator` for a kind the project does not own)
    #[arg(long)]
    pub programmatic_validation: bool,
    /// A conversion webhook between `--version` (the hub) and each `--spoke` version (every
    /// other version of the kind without `--spoke`)
    #[arg(long)]
    pub conversion: bool,
    /// A version converted to and from the hub (repeat it, or separate versions with commas)
    #[arg(long, value_name = "VERSION", value_delimiter = ',')]
    pub spoke: Vec<String>,
    /// The defaulting webhook's path [default: /mutate-<group>-<version>-<kind>]
    #[arg(long, value_name = "PATH")]
    pub defaulting_path: Option<String>,
    /// The validating webhook's path [default: /validate-<group>-<version>-<kind>]
    #[arg(long, value_name = "PATH")]
    pub validation_path: Option<String>,
    /// Regenerate webhook files that exist (your edits to them are lost)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub kubebuilder: KubebuilderCreateApiFlags,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Add a Helm chart in dist/chart, or refresh the one there (values.yaml and Chart.yaml are kept)
    #[arg(long)]
    pub helm: bool,
    /// Move the APIs to a layout by group (`src/api/<group>/<version>/`), keeping your edits
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub multigroup: Option<bool>,
    /// Make the manager watch only its own namespace (Role), or with `=false` every namespace
    /// (ClusterRole)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub namespaced: Option<bool>,
    /// Overwrite chart templates (or, with `--namespaced`, the role binding and README) you have
    /// edited (values.yaml and Chart.yaml are still kept)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub kubebuilder: KubebuilderPluginsFlag,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The cargo-operator that made the project [default: the version `PROJECT.toml` names,
    /// installed with `cargo install` into a temporary folder]
    #[arg(long, value_name = "PATH")]
    pub from_binary: Option<std::path::PathBuf>,
    /// When files conflict, apply everything else and leave those files as they are (the new
    /// version's changes to them are dropped)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct ManifestsArgs {
    #[command(flatten)]
    pub write: WriteArgs,
}

/// What every command that writes files takes.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Print a unified diff of what would change, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Kubebuilder's `--plugins`, read by each command for itself (see `crate::plugins`).
#[derive(Debug, Args)]
pub struct KubebuilderPluginsFlag {
    /// Kubebuilder's plugin keys, such as `go/v4` or `grafana.kubebuilder.io/v1-alpha`
    #[arg(long, hide = true, value_name = "PLUGINS")]
    pub plugins: Option<String>,
}

impl KubebuilderPluginsFlag {
    /// The plugins given, checked against what `command` accepts.
    pub fn parse(&self, command: PluginCommand) -> anyhow::Result<Plugins> {
        Plugins::parse(self.plugins.as_deref(), command)
    }
}

/// Kubebuilder's `init` flags that mean nothing here.
#[derive(Debug, Args)]
pub struct KubebuilderInitFlags {
    #[command(flatten)]
    pub plugins: KubebuilderPluginsFlag,
    /// Kubebuilder's PROJECT file version; ignored, with a note
    #[arg(long, hide = true, value_name = "VERSION")]
    pub project_version: Option<String>,
    /// Kubebuilder's Go version check; ignored, with a note
    #[arg(long, hide = true)]
    pub skip_go_version_check: bool,
    /// Kubebuilder's `go mod tidy` switch; ignored, with a note
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub fetch_deps: Option<bool>,
}

/// Kubebuilder's `create api` flags that mean nothing here.
#[derive(Debug, Args)]
pub struct KubebuilderCreateApiFlags {
    #[command(flatten)]
    pub plugins: KubebuilderPluginsFlag,
    /// Kubebuilder's `make generate` after scaffolding; ignored, with a note
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub make: Option<bool>,
    /// Kubebuilder's server-side-apply scaffold; ignored, with a note
    #[arg(long, hide = true)]
    pub ssa: bool,
    /// Kubebuilder's deploy-image `make manifests` after scaffolding; ignored, with a note
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub manifests: Option<bool>,
}

impl KubebuilderInitFlags {
    /// One line per Kubebuilder flag given, saying why it changes nothing.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(version) = &self.project_version {
            notes.push(format!(
                "`--project-version={version}` is Kubebuilder's PROJECT file version; `PROJECT.toml` has its own `layout`, so it is ignored"
            ));
        }
        if self.skip_go_version_check {
            notes.push("`--skip-go-version-check` is ignored: there is no Go to check".into());
        }
        if self.fetch_deps.is_some() {
            notes.push(
                "`--fetch-deps` is ignored: cargo fetches dependencies at the first build".into(),
            );
        }
        notes
    }
}

impl KubebuilderCreateApiFlags {
    /// One line per Kubebuilder flag given, saying why it changes nothing.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.manifests.is_some() {
            notes.push(
                "`--manifests` is ignored: cargo-operator never runs make; run `make manifests` when you are ready".into(),
            );
        }
        if self.make.is_some() {
            notes.push(
                "`--make` is ignored: cargo-operator never runs make; run `make manifests` when you are ready".into(),
            );
        }
        if self.ssa {
            notes.push(
                "`--ssa` is ignored: generated controllers already patch only the status fields they own".into(),
            );
        }
        notes
    }
}

/// Lets `cargo-operator init …` work as well as `cargo operator init …`: cargo passes the
/// subcommand's name first, a person calling the binary directly does not.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_none_or(|arg| arg != "operator") {
        args.insert(1, "operator".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cargo::command().debug_assert();
    }

    #[test]
    fn direct_and_cargo_invocations_parse_alike() {
        let direct = normalize_args(vec!["cargo-operator".into(), "version".into()]);
        let via_cargo = normalize_args(vec![
            "cargo-operator".into(),
            "operator".into(),
            "version".into(),
        ]);
        assert_eq!(direct, via_cargo);
    }

    #[test]
    fn bool_flags_take_an_optional_value() {
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "cargo",
                "operator",
                "create",
                "api",
                "--group",
                "g",
                "--version",
                "v1",
                "--kind",
                "K",
            ];
            args.extend_from_slice(extra);
            match Cargo::try_parse_from(args).unwrap() {
                Cargo::Operator(Operator {
                    command: Command::Create(Create::Api(api)),
                }) => api,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(parse(&[]).resource, None);
        assert_eq!(parse(&["--resource"]).resource, Some(true));
        assert_eq!(parse(&["--resource=false"]).resource, Some(false));
        assert_eq!(
            parse(&["--controller=true", "--namespaced=false"]).controller,
            Some(true)
        );
        assert_eq!(parse(&["--namespaced=false"]).namespaced, Some(false));
    }
}
