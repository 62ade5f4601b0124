//! The templates, embedded in the binary, and their rendering.
//!
//! `templates/<set>/` mirrors the generated tree: a file's path inside its set is the path it is
//! written to, with `{{ … }}` placeholders filled from the same context as its body. The suffix
//! says what happens when the file exists:
//! - `name.jinja`: the file belongs to this command; an existing different file is an error
//!   (or, with `--force`, overwritten);
//! - `name.keep.jinja`: a file later commands add to (a module list, a kustomization), or one
//!   the user owns once written (the Helm chart's values); an existing one is kept as it is.
//!
//! Sets of Helm templates (see [`SQUARE_BRACKET_SETS`]) are themselves full of `{{ … }}`, so their
//! own placeholders are written `[[ … ]]`, `[% … %]` and `[# … #]`, and braces pass through.

use anyhow::{Context as _, Result, anyhow};
use include_dir::{Dir, File, include_dir};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::IfExists;
use crate::model::names::ControllerCode;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// A set of templates: a folder under `templates/`, named here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSet {
    /// `init`: the project.
    Init,
    /// `create api`: a type the project owns, its CRD pieces and sample.
    Resource,
    /// The Foo/Pod-friend controller and its test.
    ControllerPodFriend,
    /// The skeleton controller (`--skeleton`, and kinds after the first).
    ControllerSkeleton,
    /// Kubebuilder's deploy-image controller (`--image`).
    ControllerDeployImage,
    /// A controller of a kind the project does not own, or a named second controller.
    ControllerObserver,
    /// The registry files, rendered whole.
    Registry,
    /// A registry `mod.rs` that only lists modules.
    RegistryModule,
    /// Defaulting and validating webhooks of a kind the project owns.
    Webhook,
    /// `CustomDefaulter`/`CustomValidator` webhooks of a kind the project does not own.
    WebhookCustom,
    /// The webhook deploy config, once per project.
    WebhookConfig,
    /// A conversion's test, on the hub.
    WebhookConversion,
    /// One spoke of a conversion.
    WebhookSpoke,
    /// The Helm chart (`edit --helm`).
    Helm,
    /// The chart's webhook templates, once the project has webhooks.
    HelmWebhook,
    /// Kubebuilder's grafana plugin's dashboards.
    Grafana,
    /// Kubebuilder's autoupdate plugin's workflow.
    AutoUpdate,
}

impl TemplateSet {
    pub const ALL: &[TemplateSet] = &[
        TemplateSet::Init,
        TemplateSet::Resource,
        TemplateSet::ControllerPodFriend,
        TemplateSet::ControllerSkeleton,
        TemplateSet::ControllerDeployImage,
        TemplateSet::ControllerObserver,
        TemplateSet::Registry,
        TemplateSet::RegistryModule,
        TemplateSet::Webhook,
        TemplateSet::WebhookCustom,
        TemplateSet::WebhookConfig,
        TemplateSet::WebhookConversion,
        TemplateSet::WebhookSpoke,
        TemplateSet::Helm,
        TemplateSet::HelmWebhook,
        TemplateSet::Grafana,
        TemplateSet::AutoUpdate,
    ];

    /// Its folder under `templates/`.
    pub fn folder(self) -> &'static str {
        match self {
            TemplateSet::Init => "init",
            TemplateSet::Resource => "resource",
            TemplateSet::ControllerPodFriend => "controller-pod-friend",
            TemplateSet::ControllerSkeleton => "controller-skeleton",
            TemplateSet::ControllerDeployImage => "controller-deploy-image",
            TemplateSet::ControllerObserver => "controller-observer",
            TemplateSet::Registry => "registry",
            TemplateSet::RegistryModule => "registry-module",
            TemplateSet::Webhook => "webhook",
            TemplateSet::WebhookCustom => "webhook-custom",
            TemplateSet::WebhookConfig => "webhook-config",
            TemplateSet::WebhookConversion => "webhook-conversion",
            TemplateSet::WebhookSpoke => "webhook-spoke",
            TemplateSet::Helm => "helm",
            TemplateSet::HelmWebhook => "helm-webhook",
            TemplateSet::Grafana => "grafana",
            TemplateSet::AutoUpdate => "autoupdate",
        }
    }

    /// Rendered with square-bracket delimiters, because its output is full of `{{ … }}`: a Go
    /// template (Helm), Grafana's legend placeholders, or GitHub Actions' expressions.
    fn square_brackets(self) -> bool {
        matches!(
            self,
            TemplateSet::Helm
                | TemplateSet::HelmWebhook
                | TemplateSet::Grafana
                | TemplateSet::AutoUpdate
        )
    }
}

impl From<ControllerCode> for TemplateSet {
    fn from(code: ControllerCode) -> TemplateSet {
        match code {
            ControllerCode::PodFriend => TemplateSet::ControllerPodFriend,
            ControllerCode::Skeleton => TemplateSet::ControllerSkeleton,
            ControllerCode::DeployImage => TemplateSet::ControllerDeployImage,
            ControllerCode::Observer => TemplateSet::ControllerObserver,
        }
    }
}

/// The folder of the insertion fragments (`Insertion::fragment`), which is not a set.
const FRAGMENTS: &str = "fragments";

/// One rendered file, ready to be planned.
#[derive(Debug)]
pub struct Rendered {
    pub path: String,
    pub content: String,
    pub if_exists: IfExists,
}

impl Rendered {
    /// Plans this file's removal, if it exists; true when it was edited since rendered, which
    /// the caller refuses without `--force`.
    pub fn remove_from(&self, plan: &mut super::Plan) -> Result<bool> {
        let Some(on_disk) = plan.current(&self.path)? else {
            return Ok(false);
        };
        plan.remove_file(&self.path)?;
        Ok(on_disk != self.content)
    }
}

/// Renders every template of `set` with `context`.
pub fn render_set(set: TemplateSet, context: &impl Serialize) -> Result<Vec<Rendered>> {
    let folder = set.folder();
    let dir = TEMPLATES
        .get_dir(folder)
        .ok_or_else(|| anyhow!("template set `{folder}` is not embedded in this binary"))?;
    let env = environment(set.square_brackets());
    let mut files = Vec::new();
    collect(dir, &mut files);
    files
        .into_iter()
        .map(|file| {
            let template_path = file.path().to_str().expect("template paths are UTF-8");
            let relative = template_path
                .strip_prefix(folder)
                .and_then(|p| p.strip_prefix('/'))
                .expect("a set's files live under its folder");
            let (target, if_exists) = target_of(relative);
            let body = file
                .contents_utf8()
                .ok_or_else(|| anyhow!("template `{template_path}` is not UTF-8"))?;
            let path = env
                .render_str(target, Value::from(Serde(context)))
                .with_context(|| format!("cannot render the path of template `{template_path}`"))?;
            let content = env
                .render_named_str(template_path, body, Value::from(Serde(context)))
                .with_context(|| format!("cannot render template `{template_path}`"))?;
            Ok(Rendered {
                path,
                content,
                if_exists,
            })
        })
        .collect()
}

/// Renders one inline template (an insertion fragment) with `context`.
pub fn render_fragment(fragment: &str, context: &impl Serialize) -> Result<String> {
    environment(false)
        .render_str(fragment, Value::from(Serde(context)))
        .with_context(|| format!("cannot render fragment `{fragment}`"))
}

/// Renders the insertion fragment `templates/fragments/<name>.yaml.jinja` with `context`.
pub fn render_named_fragment(name: &str, context: &impl Serialize) -> Result<String> {
    let path = format!("{FRAGMENTS}/{name}.yaml.jinja");
    let body = TEMPLATES
        .get_file(&path)
        .and_then(File::contents_utf8)
        .ok_or_else(|| anyhow!("fragment `{path}` is not embedded in this binary"))?;
    environment(false)
        .render_named_str(&path, body, Value::from(Serde(context)))
        .with_context(|| format!("cannot render fragment `{path}`"))
}

/// Names of every embedded template, for the test that each one is used.
pub fn all_template_paths() -> Vec<String> {
    let mut files = Vec::new();
    collect(&TEMPLATES, &mut files);
    files
        .iter()
        .map(|f| f.path().display().to_string())
        .collect()
}

fn environment(square_brackets: bool) -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable must fail loudly, not render as an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut syntax = SyntaxConfig::builder();
    syntax
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true);
    if square_brackets {
        syntax
            .variable_delimiters("[[", "]]")
            .block_delimiters("[%", "%]")
            .comment_delimiters("[#", "#]");
    }
    env.set_syntax(syntax.build().expect("the delimiters are valid"));
    env
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a File<'a>>) {
    for file in dir.files() {
        out.push(file);
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// The output path pattern and policy encoded in a template's file name.
fn target_of(relative: &str) -> (&str, IfExists) {
    if let Some(path) = relative.strip_suffix(".keep.jinja") {
        (path, IfExists::Skip)
    } else {
        (
            relative.strip_suffix(".jinja").unwrap_or(relative),
            IfExists::Error,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_set_the_policy() {
        assert_eq!(
            target_of("src/lib.rs.jinja"),
            ("src/lib.rs", IfExists::Error)
        );
        assert_eq!(
            target_of("src/api/mod.rs.keep.jinja"),
            ("src/api/mod.rs", IfExists::Skip)
        );
    }

    #[test]
    fn every_template_ends_in_jinja() {
        for path in all_template_paths() {
            assert!(
                path.ends_with(".jinja"),
                "`{path}` under templates/ is not a template"
            );
        }
    }

    #[test]
    fn every_folder_is_a_set_or_the_fragments_and_every_set_is_embedded() {
        for dir in TEMPLATES.dirs() {
            let name = dir.path().to_str().unwrap();
            assert!(
                name == FRAGMENTS || TemplateSet::ALL.iter().any(|set| set.folder() == name),
                "`templates/{name}` is no TemplateSet"
            );
        }
        for set in TemplateSet::ALL {
            assert!(TEMPLATES.get_dir(set.folder()).is_some(), "{set:?}");
        }
    }

    #[test]
    fn the_envtest_script_renders_to_itself() {
        // kube-envtest embeds `hack/envtest-assets.sh` as its Go fallback, unrendered: the
        // template must hold no placeholder.
        let path = "init/hack/envtest-assets.sh.jinja";
        let body = TEMPLATES.get_file(path).unwrap().contents_utf8().unwrap();
        let rendered = environment(false)
            .render_named_str(path, body, Value::from(Serde(&serde_json_free_context())))
            .unwrap();
        assert_eq!(rendered, body, "`templates/{path}` must render to itself");
    }

    #[test]
    fn no_template_spells_a_marker_itself() {
        for path in all_template_paths() {
            let body = TEMPLATES.get_file(&path).unwrap().contents_utf8().unwrap();
            for (name, marker) in super::super::markers::ALL {
                assert!(
                    !body.lines().any(|line| line.trim() == *marker),
                    "`{path}` writes `{marker}`; write `{{{{ markers.{name} }}}}`"
                );
            }
        }
    }

    #[test]
    fn helm_sets_keep_braces_and_fill_square_brackets() {
        let env = environment(true);
        let context = serde_json_free_context();
        let rendered = env
            .render_str(
                "name: [[ yes ]]-{{ .Release.Name }}[% if yes %] {{- end }}[% endif %]",
                Value::from(Serde(&context)),
            )
            .unwrap();
        assert_eq!(rendered, "name: 1-{{ .Release.Name }} {{- end }}");
    }

    #[test]
    fn undefined_variables_are_errors() {
        let err = render_fragment("{{ nope }}", &serde_json_free_context()).unwrap_err();
        assert!(format!("{err:#}").contains("undefined"), "{err:#}");
    }

    fn serde_json_free_context() -> std::collections::BTreeMap<&'static str, &'static str> {
        std::collections::BTreeMap::from([("yes", "1")])
    }
}
