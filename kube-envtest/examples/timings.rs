//! Measures start-to-ready, CRD install-to-served and stop times.
//!
//! `cargo run --example timings [starts]` (default 5 starts).

use std::time::{Duration, Instant};

use kube::{CustomResource, CustomResourceExt};
use kube_envtest::TestEnv;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "timing.example.com",
    version = "v1",
    kind = "Sample",
    namespaced
)]
struct SampleSpec {
    value: String,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let starts: usize = std::env::args().nth(1).map_or(Ok(5), |n| n.parse())?;
    let (mut start_times, mut crd_times, mut stop_times) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..starts {
        let t = Instant::now();
        let env = TestEnv::start().await?;
        let start = t.elapsed();

        // A fresh CRD name each round, so every install waits for a new discovery entry.
        let mut crd = Sample::crd();
        let plural = format!("samples{i}");
        crd.spec.names.plural = plural.clone();
        crd.spec.names.singular = Some(format!("sample{i}"));
        crd.spec.names.kind = format!("Sample{i}");
        crd.metadata.name = Some(format!("{plural}.timing.example.com"));
        let t = Instant::now();
        env.install_crds([crd]).await?;
        let crd_time = t.elapsed();

        let t = Instant::now();
        env.stop().await?;
        let stop = t.elapsed();
        println!(
            "run {i}: start-to-ready {start:?}, CRD install-to-served {crd_time:?}, stop {stop:?}"
        );
        start_times.push(start);
        crd_times.push(crd_time);
        stop_times.push(stop);
    }
    println!(
        "median over {starts}: start-to-ready {:?}, CRD install-to-served {:?}, stop {:?}",
        median(start_times),
        median(crd_times),
        median(stop_times)
    );
    Ok(())
}
