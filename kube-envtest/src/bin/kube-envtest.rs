//! `kube-envtest use [VERSION] [-p path|env] [-i] [--use-env] [--index URL]`: prints the folder
//! holding etcd, kube-apiserver and kubectl, downloading them first if needed, like
//! `setup-envtest use`. Install with `cargo install kube-envtest --features cli` (or `--path` to a
//! copy).

use std::process::ExitCode;

use kube_envtest::assets::{DEFAULT_VERSION, Download, INDEX_URL_VAR, VERSION_VAR};

const USAGE: &str = "usage: kube-envtest use [VERSION] [-p path|env] [-i|--installed-only] \
[--use-env] [--index URL]";

struct Args {
    version: Option<String>,
    print_env: bool,
    installed_only: bool,
    use_env: bool,
    index: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    if args.next().as_deref() != Some("use") {
        return Err(format!("the only command is `use`; {USAGE}"));
    }
    let mut parsed = Args {
        version: None,
        print_env: false,
        installed_only: false,
        use_env: false,
        index: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with('-') => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "-p" | "--print" => match value("-p")?.as_str() {
                "path" => parsed.print_env = false,
                "env" => parsed.print_env = true,
                other => return Err(format!("-p takes `path` or `env`, not `{other}`; {USAGE}")),
            },
            "-i" | "--installed-only" => parsed.installed_only = true,
            "--use-env" => parsed.use_env = true,
            "--index" => parsed.index = Some(value("--index")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if !arg.starts_with('-') && parsed.version.is_none() => parsed.version = Some(arg),
            _ => return Err(format!("unexpected argument `{arg}`; {USAGE}")),
        }
    }
    Ok(parsed)
}

fn run(args: Args) -> Result<std::path::PathBuf, String> {
    if args.use_env
        && let Some(dir) = std::env::var_os("KUBEBUILDER_ASSETS").filter(|v| !v.is_empty())
    {
        return Ok(dir.into());
    }
    let mut download = Download::from_env().map_err(|e| e.to_string())?;
    if let Some(version) = &args.version {
        download = download.version(version).map_err(|e| e.to_string())?;
    }
    if let Some(index) = args.index {
        download = download.index_url(index);
    }
    if let Some(found) = download.installed() {
        return Ok(found);
    }
    if args.installed_only {
        let version = args
            .version
            .or_else(|| std::env::var(VERSION_VAR).ok())
            .unwrap_or_else(|| DEFAULT_VERSION.to_string());
        return Err(format!(
            "no Kubernetes {version} binaries in the store; run without -i to download them \
             (from {INDEX_URL_VAR} or the default index)"
        ));
    }
    kube_envtest::assets::fetch_or_build(&download).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let print_env = args.print_env;
    match run(args) {
        Ok(dir) if print_env => println!("export KUBEBUILDER_ASSETS='{}'", dir.display()),
        Ok(dir) => println!("{}", dir.display()),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
