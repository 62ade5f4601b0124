//! `PROJECT.toml` checked as a whole, once each value has parsed on its own: what only the whole
//! file shows (an API listed twice, two webhooks at one path, a conversion through a version that
//! is not there, a webhook name the API server would refuse). `Project::parse` reports a problem
//! with the line of the entry it is about; a command checks the project it is about to write, so
//! flags can never make a project that does not build or that panics at its first run.

use std::collections::BTreeMap;

use super::names::{ControllerNames, WebhookNames};
use super::project::{Project, Resource, Source};
use crate::values::rules;

/// One thing wrong with a project: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: Entry,
    /// What is wrong, and what to change, in words that fit both a hand edit and a flag.
    pub message: String,
}

/// Where in `PROJECT.toml` a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A top-level key, such as `project-name`.
    Key(&'static str),
    /// The `[[resources]]` entry of this index.
    Resource(usize),
}

/// A DNS label's limit, which the first part of a webhook's name must keep.
const MAX_LABEL: usize = 63;
/// A DNS subdomain's limit, which a webhook's whole name must keep.
const MAX_NAME: usize = 253;

impl Project {
    /// The first problem of the project as a whole, if any.
    pub fn check(&self) -> Result<(), Problem> {
        let top = |key: &'static str, result: anyhow::Result<()>| {
            result.map_err(|err| Problem {
                at: Entry::Key(key),
                message: err.to_string(),
            })
        };
        top("domain", rules::domain(&self.domain))?;
        top("project-name", rules::project_name(&self.project_name))?;
        if self
            .repo
            .as_deref()
            .is_some_and(|repo| repo.trim().is_empty())
        {
            top(
                "repo",
                Err(anyhow::anyhow!(
                    "`repo` is empty; remove the line, or name the project's module path, such as `my.domain/tutorial`"
                )),
            )?;
        }
        for (index, resource) in self.resources.iter().enumerate() {
            let problem = |message: String| Problem {
                at: Entry::Resource(index),
                message,
            };
            if resource.source.is_project() {
                rules::group(&resource.group, &self.domain)
                    .map_err(|err| problem(err.to_string()))?;
            }
            if let Some(options) = resource.example.deploy_image() {
                options
                    .validate()
                    .map_err(|err| problem(format!("API `{}`: {err}", resource.gvk())))?;
            }
            if let Some(first) = self.resources[..index]
                .iter()
                .position(|other| other.same_gvk(resource))
            {
                return Err(problem(format!(
                    "API `{}` is listed twice (entry {} and entry {}); keep one of the two",
                    resource.gvk(),
                    first + 1,
                    index + 1
                )));
            }
            if let Some(name) = &resource.own_controller_name
                && !is_controller_name(name)
            {
                return Err(problem(format!(
                    "`{}` has own-controller-name `{name}`, which is no controller name (lower-case letters, digits, `-` and `_`, starting with a letter, such as `fiz-bar`); remove the line to use the kind's own",
                    resource.gvk()
                )));
            }
            self.check_kind_agrees(index, resource).map_err(problem)?;
            self.check_conversion(resource).map_err(problem)?;
        }
        self.check_controllers()?;
        self.check_webhooks()
    }

    /// The versions of one kind share a CRD: one plural and one scope.
    fn check_kind_agrees(&self, index: usize, resource: &Resource) -> Result<(), String> {
        let earlier = self.resources[..index].iter().find(|other| {
            other.group == resource.group
                && (other.kind == resource.kind || other.plural == resource.plural)
        });
        let Some(other) = earlier else { return Ok(()) };
        if other.kind != resource.kind {
            return Err(format!(
                "kinds `{}` and `{}` of group `{}` both have plural `{}`, and a group's plurals name its resources; give one another plural",
                other.kind, resource.kind, resource.group, resource.plural
            ));
        }
        if other.plural != resource.plural || other.namespaced != resource.namespaced {
            return Err(format!(
                "`{}` and `{}` are versions of one kind, so they need the same plural and scope (`plural`, `namespaced`); make them agree",
                other.gvk(),
                resource.gvk()
            ));
        }
        Ok(())
    }

    /// A conversion's spokes are other versions of the same kind, none of them a hub itself.
    fn check_conversion(&self, hub: &Resource) -> Result<(), String> {
        let hooks = &hub.webhooks;
        if !hooks.conversion {
            if !hooks.spoke.is_empty() {
                return Err(format!(
                    "`{}` lists spokes but no conversion; add `conversion = true` or remove `spoke`",
                    hub.gvk()
                ));
            }
            return Ok(());
        }
        if hub.source != Source::Project {
            return Err(format!(
                "`{}` has a conversion webhook, but only kinds this project owns can; remove `conversion` and `spoke`",
                hub.gvk()
            ));
        }
        for spoke in &hooks.spoke {
            let found = self
                .resources
                .iter()
                .find(|r| r.group == hub.group && r.kind == hub.kind && r.version == *spoke);
            match found {
                _ if *spoke == hub.version => {
                    return Err(format!(
                        "`{}` lists its own version `{spoke}` as a spoke; a hub converts to the other versions",
                        hub.gvk()
                    ));
                }
                None => {
                    return Err(format!(
                        "`{}` converts to version `{spoke}`, which the project does not have; add that version with `create api` or remove it from `spoke`",
                        hub.gvk()
                    ));
                }
                Some(other) if other.webhooks.conversion => {
                    return Err(format!(
                        "`{}` and `{}` are both conversion hubs of one kind, which has one hub; keep `conversion` on one of them",
                        hub.gvk(),
                        other.gvk()
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Controllers register under their names: no two may share one.
    fn check_controllers(&self) -> Result<(), Problem> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (index, resource) in self.resources.iter().enumerate() {
            for controller in ControllerNames::of(resource, self) {
                if let Some(first) = seen.insert(controller.name.clone(), index)
                    && first != index
                {
                    return Err(Problem {
                        at: Entry::Resource(index),
                        message: format!(
                            "two controllers are named `{}` (of `{}` and of `{}`), and the manager runs one per name; rename one",
                            controller.name,
                            self.resources[first].gvk(),
                            resource.gvk()
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every admission webhook has a path of its own, and a name the API server accepts, as
    /// the runtime names it (`m<kind>-<version>.kb.io`, with the group when two would clash).
    fn check_webhooks(&self) -> Result<(), Problem> {
        struct Hook {
            resource: usize,
            mutating: bool,
            path: String,
            kind_lower: String,
            api_group: String,
        }
        let mut hooks = Vec::new();
        for (index, resource) in self.resources.iter().enumerate() {
            let Some(names) = WebhookNames::of(resource, self) else {
                continue;
            };
            if names.defaulting {
                hooks.push(Hook {
                    resource: index,
                    mutating: true,
                    path: names.defaulting_path.clone(),
                    kind_lower: names.resource.kind_lower.clone(),
                    api_group: names.resource.api_group.clone(),
                });
            }
            if names.validation {
                hooks.push(Hook {
                    resource: index,
                    mutating: false,
                    path: names.validation_path.clone(),
                    kind_lower: names.resource.kind_lower.clone(),
                    api_group: names.resource.api_group.clone(),
                });
            }
        }
        let what = |hook: &Hook| {
            format!(
                "the {} webhook of `{}`",
                if hook.mutating {
                    "defaulting"
                } else {
                    "validating"
                },
                self.resources[hook.resource].gvk()
            )
        };
        for (at, hook) in hooks.iter().enumerate() {
            if let Some(other) = hooks[..at].iter().find(|other| other.path == hook.path) {
                return Err(Problem {
                    at: Entry::Resource(hook.resource),
                    message: format!(
                        "{} and {} are both at path `{}`, and the webhook server serves one webhook per path; give one of them another path",
                        what(other),
                        what(hook),
                        hook.path
                    ),
                });
            }
            let resource = &self.resources[hook.resource];
            let letter = if hook.mutating { 'm' } else { 'v' };
            let label = format!("{letter}{}-{}", hook.kind_lower, resource.version);
            let clashes = hooks.iter().any(|other| {
                other.mutating == hook.mutating
                    && other.resource != hook.resource
                    && other.kind_lower == hook.kind_lower
                    && self.resources[other.resource].version == resource.version
            });
            let name = match (clashes, hook.api_group.as_str()) {
                (false, _) => format!("{label}.kb.io"),
                (true, "") => format!("{label}.core.kb.io"),
                (true, group) if !group.contains('.') => format!("{label}.{group}.kb.io"),
                (true, group) => format!("{label}.{group}"),
            };
            if label.len() > MAX_LABEL || name.len() > MAX_NAME {
                return Err(Problem {
                    at: Entry::Resource(hook.resource),
                    message: format!(
                        "{} would be named `{name}`, longer than the API server allows ({} characters before the first `.`, {MAX_NAME} in all); pick a shorter kind{}",
                        what(hook),
                        MAX_LABEL,
                        if clashes { " or group" } else { "" }
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A name the runtime registers a controller under, as the CLI writes them (`foo`, `cron_job`,
/// `fiz-bar`): it ends up in a Rust string, in metric labels and in `/readyz`.
fn is_controller_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The 1-based line of `entry` in `text`.
pub fn line_of(text: &str, entry: Entry) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    let found = match entry {
        Entry::Key(key) => lines.find(|(_, line)| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        }),
        Entry::Resource(index) => lines
            .filter(|(_, line)| line.trim() == "[[resources]]")
            .nth(index),
    };
    found.map(|(number, _)| number + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::project::Webhooks;
    use crate::model::project::tests::sample;

    /// The sample project's Foo at `version`, with `webhooks`.
    fn foo(project: &Project, version: &str, webhooks: Webhooks) -> Resource {
        // A kind has one controller, on the version that came first.
        Resource {
            version: version.parse().unwrap(),
            webhooks,
            controller: false,
            ..project.resources[0].clone()
        }
    }

    fn problem(project: &Project) -> String {
        project.check().unwrap_err().message
    }

    #[test]
    fn an_api_listed_twice_is_named_with_both_entries() {
        let mut project = sample();
        assert_eq!(project.check(), Ok(()));
        project.resources.push(project.resources[0].clone());
        let problem = project.check().unwrap_err();
        assert_eq!(problem.at, Entry::Resource(1));
        assert_eq!(
            problem.message,
            "API `tutorial/v1, Kind=Foo` is listed twice (entry 1 and entry 2); keep one of the two"
        );
        let text = project.to_toml();
        let err = Project::parse(&text).unwrap_err().to_string();
        let line = line_of(&text, Entry::Resource(1)).unwrap();
        assert!(
            err.starts_with(&format!("`PROJECT.toml` line {line}: API")),
            "{err}"
        );
    }

    #[test]
    fn versions_of_one_kind_share_plural_and_scope_and_plurals_are_unique() {
        let mut project = sample();
        let mut v2 = foo(&project, "v2", Webhooks::default());
        v2.namespaced = false;
        project.resources.push(v2);
        assert!(problem(&project).contains("need the same plural and scope"));
        let mut project = sample();
        let mut bar = project.resources[0].clone();
        bar.kind = "Bar".parse().unwrap();
        project.resources.push(bar);
        assert!(problem(&project).contains("both have plural `foos`"));
    }

    #[test]
    fn a_conversion_names_versions_that_exist_and_one_hub() {
        let mut project = sample();
        let hub = Webhooks {
            conversion: true,
            spoke: vec!["v2".parse().unwrap()],
            ..Webhooks::default()
        };
        project.resources[0].webhooks = hub.clone();
        assert!(
            problem(&project).contains("converts to version `v2`, which the project does not have")
        );
        project
            .resources
            .push(foo(&project, "v2", Webhooks::default()));
        assert_eq!(project.check(), Ok(()));
        project.resources[1].webhooks = Webhooks {
            conversion: true,
            spoke: vec!["v1".parse().unwrap()],
            ..Webhooks::default()
        };
        assert!(problem(&project).contains("both conversion hubs"));
        project.resources[1].webhooks = Webhooks {
            spoke: vec!["v1".parse().unwrap()],
            ..Webhooks::default()
        };
        assert!(problem(&project).contains("lists spokes but no conversion"));
        project.resources[1].webhooks = Webhooks::default();
        project.resources[0].webhooks.spoke = vec!["v1".parse().unwrap()];
        assert!(problem(&project).contains("its own version"));
    }

    #[test]
    fn two_webhooks_at_one_path_are_refused_whoever_has_them() {
        let mut project = sample();
        project.resources[0].webhooks = Webhooks {
            defaulting: true,
            validation: true,
            defaulting_path: Some("/hooks".parse().unwrap()),
            validation_path: Some("/hooks".parse().unwrap()),
            ..Webhooks::default()
        };
        assert_eq!(
            problem(&project),
            "the defaulting webhook of `tutorial/v1, Kind=Foo` and the validating webhook of `tutorial/v1, Kind=Foo` are both at path `/hooks`, and the webhook server serves one webhook per path; give one of them another path"
        );
        // Another kind's default path is taken too.
        let mut project = sample();
        let mut bar = project.resources[0].clone();
        bar.kind = "Bar".parse().unwrap();
        bar.plural = "bars".parse().unwrap();
        bar.webhooks = Webhooks {
            defaulting: true,
            ..Webhooks::default()
        };
        project.resources[0].webhooks = Webhooks {
            validation: true,
            validation_path: Some("/mutate-tutorial-my-domain-v1-bar".parse().unwrap()),
            ..Webhooks::default()
        };
        project.resources.push(bar);
        assert!(problem(&project).contains("both at path `/mutate-tutorial-my-domain-v1-bar`"));
    }

    #[test]
    fn webhook_names_keep_the_api_servers_limits() {
        let mut project = sample();
        let kind = format!("A{}", "b".repeat(59));
        project.resources[0].kind = kind.parse().unwrap();
        project.resources[0].webhooks = Webhooks {
            defaulting: true,
            ..Webhooks::default()
        };
        // `m` + 60 + `-v1` = 64 characters before the first dot.
        assert!(
            problem(&project).contains("longer than the API server allows"),
            "{}",
            problem(&project)
        );
        project.resources[0].kind = format!("A{}", "b".repeat(58)).parse().unwrap();
        assert_eq!(project.check(), Ok(()));
    }

    #[test]
    fn the_projects_own_values_are_checked_too() {
        let mut project = sample();
        project.project_name = String::new();
        assert_eq!(project.check().unwrap_err().at, Entry::Key("project-name"));
        let text = project.to_toml();
        let err = Project::parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("`PROJECT.toml` line 6: project name"),
            "{err}"
        );
        let mut project = sample();
        project.repo = Some(" ".into());
        assert!(problem(&project).contains("`repo` is empty"));
        let mut project = sample();
        project.domain = "My.Domain".into();
        assert_eq!(project.check().unwrap_err().at, Entry::Key("domain"));
    }

    #[test]
    fn controllers_have_names_of_their_own() {
        let mut project = sample();
        let mut bar = project.resources[0].clone();
        bar.kind = "Bar".parse().unwrap();
        bar.plural = "bars".parse().unwrap();
        bar.named_controllers = vec!["foo".parse().unwrap()];
        project.resources.push(bar);
        assert!(problem(&project).contains("two controllers are named `foo`"));
        let mut project = sample();
        project.resources[0].own_controller_name = Some("foo\")".into());
        assert!(problem(&project).contains("is no controller name"));
        project.resources[0].own_controller_name = Some("tutorial-foo".into());
        assert_eq!(project.check(), Ok(()));
    }
}
