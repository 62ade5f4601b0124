//! Kubebuilder's `--plugins`: the plugin keys its scripts pass, read once for every command.
//!
//! Kubebuilder names a plugin `<name>/<version>`, where the name is either the whole one
//! (`grafana.kubebuilder.io`) or its first label (`grafana`). Here some plugins change what a
//! command does (`grafana`, `helm` and `autoupdate` on `edit`), some name the one layout cargo-operator has
//! anyway (`go/v4` and the two plugins it bundles) and are ignored with a note; any other key,
//! or a plugin on a command where Kubebuilder gives it nothing to do, is refused.

use anyhow::{Result, bail};

/// A Kubebuilder plugin cargo-operator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plugin {
    /// `go.kubebuilder.io/v4`: Kubebuilder's Go project, the default layout.
    Go,
    /// `base.go.kubebuilder.io/v4`: the Go code of `go/v4`.
    GoBase,
    /// `kustomize.common.kubebuilder.io/v2`: the `config/` of `go/v4`.
    Kustomize,
    /// `deploy-image.go.kubebuilder.io/v1-alpha`: an API whose controller deploys an image.
    DeployImage,
    /// `grafana.kubebuilder.io/v1-alpha`: dashboards of the manager's metrics.
    Grafana,
    /// `helm.kubebuilder.io/v1-alpha` (and `v2-alpha`): a Helm chart in `dist/chart`.
    Helm,
    /// `autoupdate.kubebuilder.io/v1-alpha`: a scheduled workflow that runs
    /// `cargo operator update` and proposes the result as a pull request.
    AutoUpdate,
}

/// The commands that take `--plugins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginCommand {
    Init,
    CreateApi,
    CreateWebhook,
    Edit,
}

impl PluginCommand {
    fn name(self) -> &'static str {
        match self {
            PluginCommand::Init => "init",
            PluginCommand::CreateApi => "create api",
            PluginCommand::CreateWebhook => "create webhook",
            PluginCommand::Edit => "edit",
        }
    }
}

/// One plugin key Kubebuilder accepts: its whole name and version.
struct Key {
    plugin: Plugin,
    name: &'static str,
    version: &'static str,
}

/// Every key accepted, in the order the refusals list them.
const KEYS: &[Key] = &[
    Key {
        plugin: Plugin::Go,
        name: "go.kubebuilder.io",
        version: "v4",
    },
    Key {
        plugin: Plugin::GoBase,
        name: "base.go.kubebuilder.io",
        version: "v4",
    },
    Key {
        plugin: Plugin::Kustomize,
        name: "kustomize.common.kubebuilder.io",
        version: "v2",
    },
    Key {
        plugin: Plugin::DeployImage,
        name: "deploy-image.go.kubebuilder.io",
        version: "v1-alpha",
    },
    Key {
        plugin: Plugin::Grafana,
        name: "grafana.kubebuilder.io",
        version: "v1-alpha",
    },
    Key {
        plugin: Plugin::Helm,
        name: "helm.kubebuilder.io",
        version: "v1-alpha",
    },
    Key {
        plugin: Plugin::Helm,
        name: "helm.kubebuilder.io",
        version: "v2-alpha",
    },
    Key {
        plugin: Plugin::AutoUpdate,
        name: "autoupdate.kubebuilder.io",
        version: "v1-alpha",
    },
];

impl Key {
    /// `grafana/v1-alpha`: the first label of the name, and the version.
    fn short(&self) -> String {
        let first = self.name.split('.').next().unwrap_or(self.name);
        format!("{first}/{}", self.version)
    }

    fn long(&self) -> String {
        format!("{}/{}", self.name, self.version)
    }

    fn matches(&self, given: &str) -> bool {
        given == self.long() || given == self.short()
    }
}

impl Plugin {
    /// The commands Kubebuilder runs this plugin on.
    fn commands(self) -> &'static [PluginCommand] {
        use PluginCommand::*;
        match self {
            Plugin::Go | Plugin::GoBase | Plugin::Kustomize => {
                &[Init, CreateApi, CreateWebhook, Edit]
            }
            Plugin::DeployImage => &[CreateApi],
            Plugin::Grafana => &[Init, Edit],
            Plugin::Helm | Plugin::AutoUpdate => &[Edit],
        }
    }

    /// Names the layout cargo-operator always has, so it changes nothing.
    fn is_layout(self) -> bool {
        matches!(self, Plugin::Go | Plugin::GoBase | Plugin::Kustomize)
    }
}

/// The plugins a command was given, each once, as the user spelt it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plugins {
    given: Vec<(Plugin, String)>,
}

impl Plugins {
    /// Reads `--plugins` (comma-separated keys) for `command`: an unknown key, or a plugin that
    /// means nothing on `command`, is refused with the keys `command` accepts.
    pub fn parse(value: Option<&str>, command: PluginCommand) -> Result<Plugins> {
        let mut plugins = Plugins::default();
        let Some(value) = value else {
            return Ok(plugins);
        };
        for given in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            let Some(key) = KEYS.iter().find(|key| key.matches(given)) else {
                bail!(
                    "`--plugins`: `{given}` is not a Kubebuilder plugin cargo-operator knows; `{}` accepts {}",
                    command.name(),
                    accepted(command)
                );
            };
            if !key.plugin.commands().contains(&command) {
                bail!(
                    "`--plugins`: Kubebuilder's `{given}` does nothing on `{}`; it accepts {}",
                    command.name(),
                    accepted(command)
                );
            }
            if !plugins.contains(key.plugin) {
                plugins.given.push((key.plugin, given.to_string()));
            }
        }
        Ok(plugins)
    }

    pub fn contains(&self, plugin: Plugin) -> bool {
        self.given.iter().any(|(p, _)| *p == plugin)
    }

    /// One note for the plugins that name the layout cargo-operator always has.
    pub fn notes(&self) -> Vec<String> {
        let layout: Vec<String> = self
            .given
            .iter()
            .filter(|(plugin, _)| plugin.is_layout())
            .map(|(_, given)| format!("`{given}`"))
            .collect();
        if layout.is_empty() {
            return Vec::new();
        }
        vec![format!(
            "{} in `--plugins` {} Kubebuilder's Go layout; cargo-operator has one layout (Rust on kube-rs), so {} ignored",
            layout.join(", "),
            if layout.len() == 1 { "is" } else { "are" },
            if layout.len() == 1 {
                "it is"
            } else {
                "they are"
            },
        )]
    }
}

/// The keys `command` accepts, short and long, for a refusal.
fn accepted(command: PluginCommand) -> String {
    let keys: Vec<String> = KEYS
        .iter()
        .filter(|key| key.plugin.commands().contains(&command))
        .map(|key| format!("`{}` (`{}`)", key.short(), key.long()))
        .collect();
    keys.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str, command: PluginCommand) -> Result<Plugins> {
        Plugins::parse(Some(value), command)
    }

    #[test]
    fn short_and_long_keys_name_the_same_plugin() {
        for (short, long, plugin) in [
            ("go/v4", "go.kubebuilder.io/v4", Plugin::Go),
            ("base/v4", "base.go.kubebuilder.io/v4", Plugin::GoBase),
            (
                "kustomize/v2",
                "kustomize.common.kubebuilder.io/v2",
                Plugin::Kustomize,
            ),
            (
                "grafana/v1-alpha",
                "grafana.kubebuilder.io/v1-alpha",
                Plugin::Grafana,
            ),
            (
                "helm/v1-alpha",
                "helm.kubebuilder.io/v1-alpha",
                Plugin::Helm,
            ),
            (
                "helm/v2-alpha",
                "helm.kubebuilder.io/v2-alpha",
                Plugin::Helm,
            ),
            (
                "autoupdate/v1-alpha",
                "autoupdate.kubebuilder.io/v1-alpha",
                Plugin::AutoUpdate,
            ),
        ] {
            assert!(parse(short, PluginCommand::Edit).unwrap().contains(plugin));
            assert!(parse(long, PluginCommand::Edit).unwrap().contains(plugin));
        }
        let deploy = parse(
            "go/v4,deploy-image.go.kubebuilder.io/v1-alpha",
            PluginCommand::CreateApi,
        )
        .unwrap();
        assert!(deploy.contains(Plugin::DeployImage) && deploy.contains(Plugin::Go));
        assert!(
            parse("deploy-image/v1-alpha", PluginCommand::CreateApi)
                .unwrap()
                .contains(Plugin::DeployImage)
        );
    }

    #[test]
    fn unknown_keys_and_plugins_out_of_place_are_refused_with_what_is_accepted() {
        let unknown = parse("go/v4,grafana/v2", PluginCommand::Init).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "`--plugins`: `grafana/v2` is not a Kubebuilder plugin cargo-operator knows; `init` accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `grafana/v1-alpha` (`grafana.kubebuilder.io/v1-alpha`)"
        );
        let misplaced = parse("helm/v1-alpha", PluginCommand::CreateApi).unwrap_err();
        assert!(
            misplaced
                .to_string()
                .starts_with("`--plugins`: Kubebuilder's `helm/v1-alpha` does nothing on `create api`; it accepts `go/v4`"),
            "{misplaced}"
        );
        assert!(parse("grafana/v1-alpha", PluginCommand::CreateWebhook).is_err());
        assert!(parse("deploy-image/v1-alpha", PluginCommand::Edit).is_err());
        assert!(parse("autoupdate/v1-alpha", PluginCommand::Init).is_err());
    }

    #[test]
    fn only_layout_plugins_get_a_note() {
        assert!(
            Plugins::parse(None, PluginCommand::Edit)
                .unwrap()
                .notes()
                .is_empty()
        );
        assert!(
            parse("grafana/v1-alpha", PluginCommand::Edit)
                .unwrap()
                .notes()
                .is_empty()
        );
        assert_eq!(
            parse("go/v4, grafana/v1-alpha", PluginCommand::Init)
                .unwrap()
                .notes(),
            [
                "`go/v4` in `--plugins` is Kubebuilder's Go layout; cargo-operator has one layout (Rust on kube-rs), so it is ignored"
            ]
        );
    }
}
