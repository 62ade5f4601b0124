"""Turns one bench/run.sh results folder into benchmarks.md and benchmarks.png.

Usage: report.py RESULTS_DIR OUT_DIR
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

OPERATORS = ["rust", "go-article", "go-best"]
NAMES = {
    "rust": "Rust (examples/tutorial)",
    "go-article": "Go, the article's controller",
    "go-best": "Go, best practice",
}


def load_runs(results):
    """Results by (operator, size): a list of run documents, failed runs apart."""
    runs, failed = defaultdict(list), []
    for path in sorted(results.glob("runs/*/result.json")):
        run = json.loads(path.read_text())
        key = (run["label"], run["foos"])
        (failed.append(key) if run.get("failed") else runs[key].append(run))
    return runs, failed


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}"


def mib(kib):
    return None if kib is None else kib / 1024


def in_flight(audit_log):
    """Most operator requests (watches aside) open at the API server at once, and the median
    and 90th percentile latency of its status writes, over the whole run."""
    from datetime import datetime

    def seconds(stamp):
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    spans, writes = {}, []
    with open(audit_log) as lines:
        for line in lines:
            event = json.loads(line)
            if event["stage"] != "ResponseComplete" or event["verb"] == "watch":
                continue
            start, end = seconds(event["requestReceivedTimestamp"]), seconds(event["stageTimestamp"])
            spans[event["auditID"]] = (start, end)
            ref = event.get("objectRef") or {}
            if ref.get("subresource") == "status" and event["verb"] in ("patch", "update"):
                writes.append(end - start)
    edges = sorted([(start, 1) for start, _ in spans.values()] + [(end, -1) for _, end in spans.values()])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    writes.sort()
    pick = lambda q: writes[int(q * (len(writes) - 1))] if writes else None  # noqa: E731
    return most, pick(0.5), pick(0.9)


def read_tsv(path):
    rows = defaultdict(list)
    if path.exists():
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            rows[tuple(fields[:-1])].append(float(fields[-1]))
    return rows


class Report:
    def __init__(self, results):
        self.results = results
        self.runs, self.failed = load_runs(results)
        self.sizes = sorted({size for _, size in self.runs})
        self.machine = json.loads((results / "machine.json").read_text())
        seconds = results / "seconds"
        # Absent when the run was stopped before the end and reported by hand.
        self.seconds = int(seconds.read_text()) if seconds.exists() else None
        self.lines = []

    def failure_reason(self, op, size):
        """The driver's error, then the operator's last logged error."""
        reasons = []
        # The driver's own error line ("Error: ..."), not its backtrace; any error the operator logged.
        for name, wanted in (
            ("driver.log", lambda line: line.startswith("Error:")),
            ("operator.log", lambda line: "error" in line.lower()),
        ):
            lines = []
            for log in sorted(self.results.glob(f"runs/{op}-{size}-*/{name}")):
                text = log.read_text(errors="replace").splitlines()
                lines += [line for line in text if wanted(line)]
            if lines:
                reasons.append(f"{name}: `{lines[-1].strip()[:240]}`")
        return "; ".join(reasons) or "see its logs"

    def metric(self, op, size, get):
        return median(get(run) for run in self.runs.get((op, size), []))

    def out(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.out("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.out("| " + " | ".join(str(c) for c in row) + " |")
        self.out("")

    def per_size_table(self, title, get, digits=2, unit=""):
        """One row per size: the three medians, then Rust/go-article and Rust/go-best."""
        self.out(f"**{title}**", "")
        rows = []
        for size in self.sizes:
            rust, article, best = (self.metric(op, size, get) for op in OPERATORS)
            counts = "/".join(str(len(self.runs.get((op, size), []))) for op in OPERATORS)
            cells = [
                "failed" if v is None and (op, size) in self.failed else fmt(v, digits) + unit
                for op, v in zip(OPERATORS, (rust, article, best))
            ]
            rows.append([f"{size:,}", counts] + cells + [ratio(rust, article), ratio(rust, best)])
        self.table(
            ["N = M", "runs (R/A/B)", "Rust", "go-article", "go-best", "Rust/go-article", "Rust/go-best"],
            rows,
        )

    def requests_tables(self):
        for size in self.sizes:
            self.out(f"**Operator requests at N = M = {size:,}** (audit log, median over runs)", "")
            rows = []
            for op in OPERATORS:
                for phase in ("initial", "churn"):
                    def count(run, verbs, target=None):
                        reqs = run[phase]["operator_requests"]
                        return sum(
                            n
                            for key, n in reqs.items()
                            if key.split(" ")[0] in verbs
                            and (target is None or key.split(" ")[1] == target)
                        )

                    def writes(field):
                        return self.metric(op, size, lambda r: r[phase]["status_writes"][field])

                    rows.append(
                        [
                            op,
                            phase,
                            fmt(self.metric(op, size, lambda r: count(r, {"list"})), 0),
                            fmt(self.metric(op, size, lambda r: count(r, {"get"}, "foos")), 0),
                            fmt(writes("total"), 0),
                            f"{fmt(writes('foos_to_change_written'), 0)} / {fmt(writes('foos_to_change'), 0)}",
                            fmt(writes("writes_to_others"), 0),
                            fmt(writes("foos_written_twice_or_more"), 0),
                            fmt(self.metric(op, size, lambda r: count(r, {"create"}, "events")), 0),
                            fmt(self.metric(op, size, lambda r: sum(r[phase]["operator_requests"].values())), 0),
                        ]
                    )
            self.table(
                [
                    "operator",
                    "phase",
                    "LIST",
                    "GET foos",
                    "status writes",
                    "Foos to change written / to change",
                    "writes to other Foos",
                    "Foos written 2+ times",
                    "Events created",
                    "all requests",
                ],
                rows,
            )

    def concurrency_table(self):
        self.out(
            "**Operator requests in flight at the API server** (audit log of the first run at each "
            "size: the most non-watch requests received and not yet answered at one moment, and the "
            "latency of its status writes)",
            "",
        )
        rows = []
        for size in self.sizes:
            for op in OPERATORS:
                path = self.results / "runs" / f"{op}-{size}-1" / "audit.log"
                if not path.exists() or not self.runs.get((op, size)):
                    continue
                most, p50, p90 = in_flight(path)
                rows.append([f"{size:,}", op, most, fmt(p50, 3), fmt(p90, 3)])
        self.table(["N = M", "operator", "max in flight", "status write p50 (s)", "p90 (s)"], rows)

    def apiserver_table(self):
        size = self.sizes[-1]
        self.out(
            f"**`apiserver_request_total` increase at N = M = {size:,}** (first run; includes the "
            "driver's own creates, deletes and patches in the churn, but not its setup)",
            "",
        )
        rows = []
        for op in OPERATORS:
            runs = self.runs.get((op, size))
            if not runs:
                continue
            for phase in ("initial", "churn"):
                counts = runs[0][phase]["apiserver_requests"]
                rows.append([op, phase, ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()))])
        self.table(["operator", "phase", "requests by verb and resource"], rows)

    def scaffold_table(self):
        times = read_tsv(self.results / "scaffold.tsv")
        rust, go = median(times.get(("cargo-operator",), [])), median(times.get(("kubebuilder",), []))
        self.scaffold = (rust, go)
        self.table(
            ["tool", "runs", "median wall time (ms)"],
            [
                ["cargo-operator init + create api", len(times.get(("cargo-operator",), [])), fmt(rust, 0)],
                ["kubebuilder init + create api", len(times.get(("kubebuilder",), [])), fmt(go, 0)],
                ["kubebuilder / cargo-operator", "", ratio(go, rust)],
            ],
        )

    def build_table(self):
        build = read_tsv(self.results / "build.tsv")

        def value(op, key, scale=1.0, digits=1):
            v = median(build.get((op, key), []))
            return fmt(None if v is None else v / scale, digits)

        go_cold = value("go-article", "cold_build_ms", 1000)
        go_incremental = value("go-article", "incremental_build_ms", 1000)
        self.table(
            ["", "Rust manager", "Go manager (go-article, `go build`)"],
            [
                ["cold debug build, `cargo build` (s)", value("rust", "cold_debug_build_ms", 1000), go_cold],
                [
                    "debug build after a one-line change (s)",
                    value("rust", "incremental_debug_build_ms", 1000),
                    go_incremental,
                ],
                ["cold release build, `make build` (s)", value("rust", "cold_build_ms", 1000), go_cold],
                [
                    "release build after a one-line change, `make build` (s)",
                    value("rust", "incremental_build_ms", 1000),
                    go_incremental,
                ],
                [
                    "binary size (MiB)",
                    value("rust", "binary_bytes", 2**20) + " (the image's profile: thin LTO, stripped)",
                    value("go-article", "binary_bytes", 2**20)
                    + f" ({value('go-article', 'binary_bytes_stripped', 2**20)} with -ldflags='-s -w')",
                ],
            ],
        )

    def ratio_verdicts(self, what, get, target, against):
        """One verdict: Rust/`against` ≤ `target` at every size both measured."""
        ratios, missing = [], []
        for size in self.sizes:
            rust, other = self.metric("rust", size, get), self.metric(against, size, get)
            if rust is None or not other:
                missing.append(f"{size:,}")
            else:
                ratios.append((size, rust / other))
        worst = max(ratios, key=lambda pair: pair[1], default=None)
        detail = ", ".join(f"{size:,}: {r:.2f}" for size, r in ratios) or "no sizes with both"
        if missing:
            detail += f"; no {against} result at {', '.join(missing)}"
        return (
            f"{what}: Rust ≤ {target}× {against} at every size",
            worst is not None and worst[1] <= target,
            detail,
        )

    def targets(self):
        self.out("## Targets", "")
        converge = lambda x: x["initial"]["converge_seconds"]  # noqa: E731
        cpu = lambda x: x["churn"]["usage"]["cpu_seconds"]  # noqa: E731
        peak = lambda x: x["churn"]["usage"]["peak_rss_kib"]  # noqa: E731
        verdicts = [
            self.ratio_verdicts("Initial convergence", converge, 0.7, "go-best"),
            self.ratio_verdicts("CPU, whole run", cpu, 0.7, "go-best"),
            self.ratio_verdicts("Peak RSS", peak, 0.5, "go-best"),
            self.ratio_verdicts("Peak RSS", peak, 0.33, "go-article"),
        ]
        lists = [
            run["churn"]["operator_requests"].get("list foos", 0)
            + run["churn"]["operator_requests"].get("list pods", 0)
            for size in self.sizes
            for run in self.runs.get(("rust", size), [])
        ]
        verdicts.append(("Rust: no LIST after the initial sync", not any(lists), f"LISTs in churn: {sum(lists)}"))
        for phase, note in (
            ("initial", "a Foo without a friend reads happy: false by the schema default, so writing false to it is extra"),
            ("churn", "statuses flipped by the churn"),
        ):
            exact, extra = [], 0
            for size in self.sizes:
                for run in self.runs.get(("rust", size), []):
                    w = run[phase]["status_writes"]
                    extra += w["writes_to_others"]
                    exact.append(
                        w["foos_to_change_written"] == w["foos_to_change"]
                        and w["writes_to_others"] == 0
                        and w["foos_written_twice_or_more"] == 0
                    )
            verdicts.append(
                (
                    f"Rust, {phase}: exactly one status write per Foo whose status changes, none for the others",
                    bool(exact) and all(exact),
                    f"{note}; writes to other Foos over all runs: {extra:,}",
                )
            )
        # Every Foo that turns happy (initial) announces it; the churn also loses friends.
        kept, events, changed = [], 0, 0
        for size in self.sizes:
            for run in self.runs.get(("rust", size), []):
                created = run["initial"]["operator_requests"].get("create events", 0)
                to_change = run["initial"]["status_writes"]["foos_to_change"]
                kept.append(created == to_change)
                events, changed = events + created, changed + to_change
        verdicts.append(
            (
                "Rust keeps its Events: one per Foo that became happy at start (published off the reconcile)",
                bool(kept) and all(kept),
                f"Events created {events:,} for {changed:,} Foos made happy, over all runs",
            )
        )
        rust, go = self.scaffold
        verdicts.append(
            (
                "Scaffolding ≥ 20× faster than kubebuilder init + create api",
                rust is not None and go is not None and go / rust >= 20,
                f"{ratio(go, rust)}×",
            )
        )
        self.table(
            ["target", "met", "measured"],
            [[t, "yes" if ok else "**no**", detail] for t, ok, detail in verdicts],
        )

    def summary(self):
        """The README's benchmark table: per size, Rust's medians and its ratios to the Go anchors."""
        converge = lambda x: x["initial"]["converge_seconds"]  # noqa: E731
        cpu = lambda x: x["churn"]["usage"]["cpu_seconds"]  # noqa: E731
        peak = lambda x: mib(x["churn"]["usage"]["peak_rss_kib"])  # noqa: E731
        lines = [
            "| N Foos = M Pods | initial convergence, Rust (s) | Rust / go-best | CPU, Rust (s) | Rust / go-best "
            "| peak RSS, Rust (MiB) | Rust / go-best | Rust / go-article |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for size in self.sizes:
            cells = [f"{size:,}"]
            for get, digits, against in ((converge, 2, ["go-best"]), (cpu, 2, ["go-best"]), (peak, 1, ["go-best", "go-article"])):
                rust = self.metric("rust", size, get)
                cells.append(fmt(rust, digits))
                cells += [ratio(rust, self.metric(op, size, get)) for op in against]
            lines.append("| " + " | ".join(cells) + " |")
        # The results folder is named after the run's start, YYYYMMDD-HHMMSS.
        stamp = self.results.name
        when = f" of {stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if stamp[:8].isdigit() else ""
        lines += [
            "",
            f"Medians of one interleaved `{self.machine['command']}` run{when} on "
            f"{self.machine['nproc']} CPUs; n/a where the Go operator did not finish (see the report).",
        ]
        return lines

    def update_readme(self, readme):
        """Replaces the README's summary between its markers, if it has them."""
        start, end = "<!-- benchmark-summary:start -->", "<!-- benchmark-summary:end -->"
        if not readme.exists():
            return
        text = readme.read_text()
        if start not in text or end not in text:
            return
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(head + start + "\n" + "\n".join(self.summary()) + "\n" + end + tail)

    def plot(self, out):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        for op in OPERATORS:
            sizes = [s for s in self.sizes if self.runs.get((op, s))]
            left.plot(sizes, [self.metric(op, s, lambda r: r["initial"]["converge_seconds"]) for s in sizes], "o-", label=op)
            right.plot(sizes, [mib(self.metric(op, s, lambda r: r["churn"]["usage"]["peak_rss_kib"])) for s in sizes], "o-", label=op)
        for axis, title, unit in (
            (left, "Initial convergence (median)", "seconds"),
            (right, "Peak RSS of the operator (median)", "MiB"),
        ):
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlabel("N Foos = M Pods")
            axis.set_ylabel(unit)
            axis.set_title(title)
            axis.grid(True, which="both", alpha=0.3)
            axis.legend()
        fig.tight_layout()
        fig.savefig(out / "benchmarks.png", dpi=110)

    def write(self, out):
        m = self.machine
        self.out(
            "# Benchmarks: the generated Rust operator against Kubebuilder",
            "",
            "Generated by `bench/run.sh` from its results folder; do not edit by hand. Reproduce with:",
            "",
            "```sh",
            m["command"],
            "```",
            "",
            f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
            f"{m['rustc']}, {m['go']}, Kubebuilder {m['kubebuilder']}, envtest {m['envtest']}. "
            + (f"The whole run took {self.seconds // 60} min. " if self.seconds else "")
            + "The machine was shared with other builds, "
            "so compare the ratios (all measured in this one run, operators interleaved) rather than "
            "absolute times.",
            "",
            "![convergence time and peak RSS against N](benchmarks.png)",
            "",
            "## The three operators",
            "",
            "- **rust**: `examples/tutorial`, the project `cargo operator init` + `create api` generate, built "
            "at run time with the profile its Dockerfile uses (`cargo build --profile image`). "
            "kube-runtime's controller (at most 16 reconciles at once) through kube-operator-runtime: "
            "first lists streamed where the API server can (WatchList), a metadata-only Pod watch with "
            "an index of Pod names that the reconcile reads, Pod events mapped to Foos through an index "
            "on `spec.name`, status written by JSON merge patch only when it differs (the CRD's schema "
            "defaults a missing status to `happy: false`, so a new Foo without a friend needs no write), "
            "an Event queued when a Foo becomes happy or sad and published in the background.",
            "- **go-article**: `bench/go-article`, Kubebuilder's scaffold with the article's types and "
            "controller: every reconcile lists all Pods (from the cache, deep-copied) and updates the "
            "status, every Pod event lists all Foos. controller-runtime defaults: one reconcile worker, "
            "no client-side rate limit.",
            "- **go-best**: `bench/go-best`, the same scaffold with controller-runtime's usual remedies: "
            "field indexes on Foo `spec.name` and Pod name, metadata-only Pod watch, Pod updates ignored, "
            "`GenerationChangedPredicate` on Foos, status patched only when it changes. Also one worker.",
            "",
            "## Workload and what each number includes",
            "",
            "Each run starts a fresh etcd and kube-apiserver (kube-envtest), installs the operator's own "
            "CRD, creates N Foos and M Pods in 4 namespaces (Pods never run: no kubelet; a Foo's friend is "
            "usually in another namespace), then starts the operator with its own client certificate "
            "(user `bench-operator`, group `system:masters`) and "
            "`--metrics-bind-address`/`--health-probe-bind-address` on loopback, with "
            "`--metrics-secure=false` for both. Half of the Foos look for an existing Pod.",
            "",
            "- **Initial convergence**: from starting the operator process to the watch event that made "
            "the last Foo's `status.happy` right, as seen by the driver's own Foo watch (a missing "
            "`happy` reads as false, as Go omits it). It includes process start, cache sync and all "
            "status writes needed.",
            "- **Churn**: 10% of the Pods deleted (half of them friends), 10% new Pods that unhappy Foos "
            "look for, 10% of the Foos' `spec.name` changed (half to another existing Pod, which keeps the "
            "status, half to an existing Pod, which makes them happy); 20% of the statuses flip. Timed "
            "from the first churn request to the last Foo right.",
            "- **Last request**: from the same start to the operator's last non-watch request of the "
            "phase (audit log); after convergence the driver waits until the operator made no request "
            "for 3 s before reading anything, so a phase's counts hold all of its work.",
            "- **Peak RSS**: VmHWM, **steady RSS**: VmRSS after the churn settled, **CPU**: utime + "
            "stime of the operator process over the whole run (/proc/PID).",
            "- **Operator requests**: counted per request from the API server's audit log (policy: "
            "level Metadata for `bench-operator`, nothing else). **`apiserver_request_total`**: the "
            "API server's own counter from `/metrics`, increase over the phase; it also counts the "
            "driver's requests.",
            "- **API server cost**: CPU (utime + stime) of the kube-apiserver process from the start of a "
            "phase until the operator went quiet, and its RSS at that moment (/proc/PID). The driver's "
            "own watch and churn requests are in it too, the same for every operator; etcd is not "
            "counted.",
            "",
        )
        if self.failed:
            self.out("**Failed runs** (not in the medians), with the last error logged:", "")
            for op, size in self.failed:
                self.out(f"- {op} at N = M = {size:,}: {self.failure_reason(op, size)}")
            self.out("")
        self.out("## Convergence", "")
        self.per_size_table("Initial convergence (s)", lambda r: r["initial"]["converge_seconds"])
        self.per_size_table("Initial phase, last operator request (s)", lambda r: r["initial"]["last_request_seconds"])
        self.per_size_table("Churn settle (s)", lambda r: r["churn"]["converge_seconds"])
        self.out("## Memory and CPU", "")
        self.per_size_table("Peak RSS (MiB)", lambda r: mib(r["churn"]["usage"]["peak_rss_kib"]), 1)
        self.per_size_table("Steady RSS after the churn (MiB)", lambda r: mib(r["churn"]["usage"]["rss_kib"]), 1)
        self.per_size_table("CPU, whole run (s)", lambda r: r["churn"]["usage"]["cpu_seconds"])
        self.out("## What each operator costs the API server", "")
        for phase, title in (("initial", "initial phase"), ("churn", "churn")):
            self.per_size_table(
                f"API server CPU, {title} (s)",
                lambda r, phase=phase: r[phase].get("apiserver", {}).get("cpu_seconds"),
            )
        self.per_size_table(
            "API server RSS after the initial phase (MiB)",
            lambda r: mib(r["initial"].get("apiserver", {}).get("rss_kib_after")),
            1,
        )
        self.out("## API requests", "")
        self.requests_tables()
        self.concurrency_table()
        self.apiserver_table()
        self.out(
            "## Scaffolding",
            "",
            "`cargo-operator operator init --domain my.domain --repo my.domain/tutorial` + `operator create "
            "api --group tutorial --version v1 --kind Foo` (renders templates, runs rustfmt; no cargo, no "
            "network) against `kubebuilder init` + `create api --resource --controller`, which runs `go mod "
            "tidy` and `make generate` (installing controller-gen into the project's bin/ and running it), "
            "with a warm Go module and build cache. Neither compiles the project.",
            "",
        )
        self.scaffold_table()
        self.out(
            "## Builds",
            "",
            "Cold: the Rust example copied to a temp folder with an empty target folder (crates already "
            "downloaded); Go: `go build ./cmd` with an empty GOCACHE (modules already downloaded). "
            "After a one-line change: after changing one log message in the controller. Go has one "
            "build, shown against both of Rust's. Skipped by `--quick`.",
            "",
        )
        self.build_table()
        self.targets()
        analysis = Path(__file__).with_name("analysis.md")
        if analysis.exists():
            # Written by a person after looking at a run: it is not regenerated.
            self.out(analysis.read_text().rstrip(), "")
        out.mkdir(parents=True, exist_ok=True)
        (out / "benchmarks.md").write_text("\n".join(self.lines) + "\n")
        self.plot(out)
        # Only when writing the committed report (docs/): the README quotes its summary.
        if out.name == "docs":
            self.update_readme(out.parent / "README.md")


def main():
    results, out = Path(sys.argv[1]), Path(sys.argv[2])
    Report(results).write(out)


if __name__ == "__main__":
    main()
