"""Turns one bench/run.sh results folder into benchmarks.md and benchmarks.png.

Usage: report.py RESULTS_DIR OUT_DIR

The report shows whichever labels the folder holds, in the order of LABELS.
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Callable, NamedTuple

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

RUST, BEST, FLOOR = "rust", "go-best", "floor"
# Every label a run may carry, in the order the report shows them: the operator under test, the
# Go operators strongest first, then the floor, which is the driver making the writes itself.
LABELS = [RUST, BEST, "go-best-1", "go-article", FLOOR]
COLORS = {RUST: "tab:orange", BEST: "tab:blue", "go-best-1": "tab:cyan", "go-article": "tab:gray", FLOOR: "black"}
DESCRIPTIONS = {
    RUST: "`examples/tutorial`, the project `cargo operator init` + `create api` generate, built "
    "at run time with the profile its Dockerfile uses (`cargo build --profile image`). "
    "kube-runtime's controller (at most 16 reconciles at once) through kube-operator-runtime: "
    "first lists streamed where the API server can (WatchList), a metadata-only Pod watch with "
    "an index of Pod names that the reconcile reads, Pod events mapped to Foos through an index "
    "on `spec.name`, status written by JSON merge patch only when it differs (the CRD's schema "
    "defaults a missing status to `happy: false`, so a new Foo without a friend needs no write), "
    "an Event queued when a Foo becomes happy or sad and published in the background.",
    BEST: "`bench/go-best`, Kubebuilder's scaffold with controller-runtime's usual remedies: field "
    "indexes on Foo `spec.name` and Pod name, metadata-only Pod watch, Pod updates ignored, "
    "`GenerationChangedPredicate` on Foos, status patched only when it changes. 16 reconcile "
    "workers (`MaxConcurrentReconciles: 16`, as many as the Rust operator) and the same Events as "
    "the Rust operator (events.k8s.io, through controller-runtime's recorder): the strongest Go "
    "operator here, the one the targets compare against.",
    "go-best-1": "the same go-best binary with one reconcile worker, controller-runtime's default: "
    "what the 16 workers buy.",
    "go-article": "`bench/go-article`, Kubebuilder's scaffold with the article's types and "
    "controller: every reconcile lists all Pods (from the cache, deep-copied) and updates the "
    "status, every Pod event lists all Foos. controller-runtime defaults: one reconcile worker, "
    "no client-side rate limit.",
    FLOOR: "not an operator. The driver itself makes exactly the writes an operator must make (the "
    "status patches and the Events), at its best concurrency, as the operator's user, on the same "
    "fresh API server, timed the same way: the cost of the writes alone, which no operator can "
    "avoid. No operator process, so no operator CPU or RSS.",
}
# The sizes the targets speak of; the others are measured but not judged.
TARGET_SIZES = (1_000, 10_000, 30_000)


def phase_converge(phase):
    return lambda run: run[phase]["converge_seconds"]


def phase_last_request(phase):
    return lambda run: run[phase]["last_request_seconds"]


def operator_usage(field, phase="churn", scale=1.0):
    """A figure of the operator process (cumulative: the churn's is the whole run's); None for the
    floor, which has no operator process."""

    def get(run):
        usage = run[phase]["usage"]
        return None if usage is None or usage.get(field) is None else usage[field] / scale

    return get


def apiserver_cpu(*phases):
    """kube-apiserver CPU summed over the phases (each is measured from its own start)."""

    def get(run):
        values = [(run[phase].get("apiserver") or {}).get("cpu_seconds") for phase in phases]
        return None if None in values else sum(values)

    return get


def apiserver_rss_after(phase):
    return lambda run: mib((run[phase].get("apiserver") or {}).get("rss_kib_after"))


CONVERGE = phase_converge("initial")
CPU_WHOLE_RUN = operator_usage("cpu_seconds")
PEAK_RSS_MIB = operator_usage("peak_rss_kib", scale=1024)
APISERVER_CPU_WHOLE_RUN = apiserver_cpu("initial", "churn")


class Target(NamedTuple):
    """Rust's median over `against`'s median must be at most `limit`, at each of `sizes` present."""

    what: str
    get: Callable
    limit: float
    against: str
    unit: str
    digits: int = 2
    sizes: tuple = TARGET_SIZES


TARGETS = [
    Target("Initial convergence", CONVERGE, 0.7, BEST, "s"),
    Target("Last request, initial phase", phase_last_request("initial"), 0.8, BEST, "s"),
    Target("CPU, whole run", CPU_WHOLE_RUN, 0.6, BEST, "s"),
    Target("Peak RSS", PEAK_RSS_MIB, 0.5, BEST, "MiB", 1),
    Target("API server CPU, whole run", APISERVER_CPU_WHOLE_RUN, 1.0, BEST, "s"),
    Target("Initial convergence", CONVERGE, 1.5, FLOOR, "s", sizes=(10_000, 30_000)),
]


def load_runs(results):
    """Results by (label, size): a list of run documents, failed runs apart. Each document
    remembers its folder (`folder`), where its logs are."""
    runs, failed = defaultdict(list), []
    for path in sorted(results.glob("runs/*/result.json")):
        run = json.loads(path.read_text())
        key = (run["label"], run["foos"])
        if run.get("failed"):
            failed.append(key)
        else:
            run["folder"] = path.parent
            runs[key].append(run)
    return runs, failed


def present_labels(results, runs, failed):
    """The labels of the folder's runs, failed ones included, in the report's order."""
    found = {label for label, _ in runs} | {label for label, _ in failed}
    unknown = sorted(found - set(LABELS))
    if unknown:
        sys.exit(
            f"report.py: unknown label(s) {', '.join(unknown)} in {results}/runs; "
            f"known: {', '.join(LABELS)}"
        )
    return [label for label in LABELS if label in found]


def display(label):
    return "Rust" if label == RUST else label


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
        self.runs, failed = load_runs(results)
        self.labels = present_labels(results, self.runs, failed)
        # A label failing at several reps of a size is listed once.
        self.failed = sorted(set(failed), key=lambda key: (LABELS.index(key[0]), key[1]))
        self.operators = [label for label in self.labels if label != FLOOR]
        self.sizes = sorted({size for _, size in self.runs} | {size for _, size in self.failed})
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

    def cell(self, op, size, value, digits=2, unit=""):
        """A median, or why there is none."""
        if value is not None:
            return fmt(value, digits) + unit
        if self.runs.get((op, size)):
            return "n/a"
        return "failed" if (op, size) in self.failed else "not run"

    def out(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.out("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.out("| " + " | ".join(str(c) for c in row) + " |")
        self.out("")

    def per_size_table(self, title, get, digits=2, operators_only=False):
        """One row per size: each label's median and run count, then Rust's ratio to every other
        operator and every operator's ratio to the floor. `operators_only` leaves the floor out,
        for figures of the operator process, which the floor does not have."""
        shown = self.operators if operators_only else self.labels
        if not shown:
            return
        self.out(f"**{title}**", "")
        rivals = [op for op in shown if op not in (RUST, FLOOR)] if RUST in shown else []
        floored = [op for op in shown if op != FLOOR] if FLOOR in shown else []
        header = (
            ["N = M", f"runs ({'/'.join(shown)})"]
            + [display(op) for op in shown]
            + [f"Rust/{op}" for op in rivals]
            + [f"{display(op)}/floor" for op in floored]
        )
        rows = []
        for size in self.sizes:
            medians = {op: self.metric(op, size, get) for op in shown}
            counts = "/".join(str(len(self.runs.get((op, size), []))) for op in shown)
            rows.append(
                [f"{size:,}", counts]
                + [self.cell(op, size, medians[op], digits) for op in shown]
                + [ratio(medians[RUST], medians[op]) for op in rivals]
                + [ratio(medians[op], medians[FLOOR]) for op in floored]
            )
        self.table(header, rows)

    def requests_tables(self):
        for size in self.sizes:
            self.out(f"**Operator requests at N = M = {size:,}** (audit log, median over runs)", "")
            rows = []
            for op in self.labels:
                if not self.runs.get((op, size)):
                    continue
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
            "**Operator requests in flight at the API server** (audit log of the first successful run "
            "at each size: the most non-watch requests received and not yet answered at one moment, "
            "and the latency of its status writes)",
            "",
        )
        rows = []
        for size in self.sizes:
            for op in self.labels:
                runs = self.runs.get((op, size))
                path = runs[0]["folder"] / "audit.log" if runs else None
                if path is None or not path.exists():
                    continue
                most, p50, p90 = in_flight(path)
                rows.append([f"{size:,}", op, most, fmt(p50, 3), fmt(p90, 3)])
        self.table(["N = M", "operator", "max in flight", "status write p50 (s)", "p90 (s)"], rows)

    def apiserver_table(self):
        if not self.sizes:
            return
        size = self.sizes[-1]
        self.out(
            f"**`apiserver_request_total` increase at N = M = {size:,}** (first run; includes the "
            "driver's own creates, deletes and patches in the churn, but not its setup)",
            "",
        )
        rows = []
        for op in self.labels:
            runs = self.runs.get((op, size))
            if not runs:
                continue
            for phase in ("initial", "churn"):
                counts = runs[0][phase]["apiserver_requests"]
                rows.append([op, phase, ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()))])
        self.table(["operator", "phase", "requests by verb and resource"], rows)

    def scaffold_medians(self):
        """Median milliseconds of cargo-operator's and kubebuilder's scaffolding, and their counts."""
        times = read_tsv(self.results / "scaffold.tsv")
        rust, go = times.get(("cargo-operator",), []), times.get(("kubebuilder",), [])
        return (median(rust), len(rust)), (median(go), len(go))

    def scaffold_table(self):
        (rust, rust_runs), (go, go_runs) = self.scaffold_medians()
        self.table(
            ["tool", "runs", "median wall time (ms)"],
            [
                ["cargo-operator init + create api", rust_runs, fmt(rust, 0)],
                ["kubebuilder init + create api", go_runs, fmt(go, 0)],
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

    def test_table(self):
        build = read_tsv(self.results / "build.tsv")

        def seconds(op, key):
            v = median(build.get((op, key), []))
            return None if v is None else v / 1000

        rows = []
        for what, key in (("cold (s)", "cold_test_ms"), ("after a one-line change (s)", "edited_test_ms")):
            rust, go = seconds("rust", key), seconds("go-best", key)
            rows.append([what, fmt(rust, 1), fmt(go, 1), ratio(rust, go)])
        self.table(["tests", "Rust, `cargo test`", "Go, `go test` (go-best)", "Rust / Go"], rows)
        rust, go = seconds("rust", "edited_test_ms"), seconds("go-best", "edited_test_ms")
        if rust is not None and go:
            verdict = "met" if round(rust / go, 2) <= 0.5 else "**missed**"
            self.out(f"Target, after a one-line change: Rust ≤ 0.5 × Go: {verdict} ({ratio(rust, go)}).", "")

    def target_row(self, target, size):
        """One target at one size: met or missed with both medians, or not measured."""
        rust, other = self.metric(RUST, size, target.get), self.metric(target.against, size, target.get)
        measured = rust is not None and bool(other)
        if not measured:
            verdict = "not measured"
        # Judged on the ratio as the table shows it, so a 1.50 never reads as a miss of ≤ 1.5.
        elif round(rust / other, 2) <= target.limit:
            verdict = "met"
        else:
            verdict = "**missed**"
        unit = " " + target.unit
        return [
            f"{target.what}: Rust ≤ {target.limit} × {target.against}",
            f"{size:,}",
            verdict,
            ratio(rust, other) if measured else "",
            self.cell(RUST, size, rust, target.digits, unit),
            self.cell(target.against, size, other, target.digits, unit),
        ]

    def targets(self):
        self.out(
            "## Targets",
            "",
            f"Rust against {BEST} (16 workers and the same Events) and against the floor, medians, "
            "at each of 1,000, 10,000 and 30,000 that this run measured.",
            "",
        )
        rows = [
            self.target_row(target, size)
            for target in TARGETS
            for size in target.sizes
            if size in self.sizes
        ]
        if not rows:
            self.out("No run at 1,000, 10,000 or 30,000: no target measured.", "")
            return
        self.table(["target", "N = M", "result", "ratio", "Rust", "against"], rows)

    def rust_checks(self):
        """What the Rust operator must do whatever the timings: its requests and Events."""
        verdicts = []
        rust_runs = [run for size in self.sizes for run in self.runs.get((RUST, size), [])]
        lists = [
            run["churn"]["operator_requests"].get("list foos", 0)
            + run["churn"]["operator_requests"].get("list pods", 0)
            for run in rust_runs
        ]
        verdicts.append(
            ("Rust: no LIST after the initial sync", bool(lists) and not any(lists), f"LISTs in churn: {sum(lists)}")
        )
        for phase, note in (
            ("initial", "a Foo without a friend reads happy: false by the schema default, so writing false to it is extra"),
            ("churn", "statuses flipped by the churn"),
        ):
            exact, extra = [], 0
            for run in rust_runs:
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
        for run in rust_runs:
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
        (rust, _), (go, _) = self.scaffold_medians()
        verdicts.append(
            (
                "Scaffolding ≥ 20× faster than kubebuilder init + create api",
                rust is not None and go is not None and go / rust >= 20,
                f"{ratio(go, rust)}×",
            )
        )
        self.out("## Checks", "")
        self.table(
            ["check", "met", "measured"],
            [[check, "yes" if ok else "**no**", detail] for check, ok, detail in verdicts],
        )

    def summary(self):
        """The README's benchmark table: per size, Rust's medians and its ratios to go-best and
        to the floor. The columns stay the same whatever ran, as the README quotes them."""
        columns = [  # (heading, metric, digits, ratios against)
            ("initial convergence, Rust (s)", CONVERGE, 2, [BEST, FLOOR]),
            ("last request, Rust (s)", phase_last_request("initial"), 2, [BEST]),
            ("CPU, Rust (s)", CPU_WHOLE_RUN, 2, [BEST]),
            ("peak RSS, Rust (MiB)", PEAK_RSS_MIB, 1, [BEST]),
            ("API server CPU, Rust (s)", APISERVER_CPU_WHOLE_RUN, 2, [BEST, FLOOR]),
        ]
        header = ["N Foos = M Pods"]
        for heading, _, _, against in columns:
            header += [heading] + [f"Rust / {op}" for op in against]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for size in self.sizes:
            cells = [f"{size:,}"]
            for _, get, digits, against in columns:
                rust = self.metric(RUST, size, get)
                cells.append(fmt(rust, digits))
                cells += [ratio(rust, self.metric(op, size, get)) for op in against]
            lines.append("| " + " | ".join(cells) + " |")
        # The results folder is named after the run's start, YYYYMMDD-HHMMSS.
        stamp = self.results.name
        when = f" of {stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if stamp[:8].isdigit() else ""
        lines += [
            "",
            f"Medians of one interleaved `{self.machine['command']}` run{when} on "
            f"{self.machine['nproc']} CPUs. go-best: controller-runtime with field indexes, 16 workers "
            "and the same Events; floor: the benchmark's driver making the same writes itself, no "
            "operator. Last request: the operator's last write of the initial phase (its Events "
            "included). CPU, peak RSS and API server CPU cover the whole run; n/a where one did not "
            "run or finish (see the report).",
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

    def plot_line(self, axis, op, get):
        points = [(s, self.metric(op, s, get)) for s in self.sizes]
        points = [(s, v) for s, v in points if v is not None]
        if points:
            sizes, values = zip(*points)
            style = "o--" if op == FLOOR else "o-"
            axis.plot(sizes, values, style, color=COLORS[op], label=op)

    def plot(self, out):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        for op in self.labels:
            self.plot_line(left, op, CONVERGE)
        # The floor has no process of its own, so no RSS.
        for op in self.operators:
            self.plot_line(right, op, PEAK_RSS_MIB)
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
            if axis.lines:
                axis.legend()
        fig.tight_layout()
        fig.savefig(out / "benchmarks.png", dpi=110)

    def operators_section(self):
        self.out("## The operators", "")
        for label in self.labels:
            self.out(f"- **{label}**: {DESCRIPTIONS[label]}")
        self.out("")

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
        )
        self.operators_section()
        self.out(
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
            "for 3 s before reading anything, so a phase's counts hold all of its work. An operator "
            "that publishes its Events after the statuses converges before its last request.",
            "- **Peak RSS**: VmHWM, **steady RSS**: VmRSS after the churn settled, **CPU**: utime + "
            "stime of the operator process over the whole run (/proc/PID).",
            "- **Operator requests**: counted per request from the API server's audit log (policy: "
            "level Metadata for `bench-operator`, nothing else). **`apiserver_request_total`**: the "
            "API server's own counter from `/metrics`, increase over the phase; it also counts the "
            "driver's requests.",
            "- **API server cost**: CPU (utime + stime) of the kube-apiserver process from the start of a "
            "phase until the operator went quiet, and its RSS at that moment (/proc/PID); over the "
            "whole run, the sum of both phases. The driver's own watch and churn requests are in it "
            "too, the same for every operator; etcd is not counted.",
            "",
        )
        if self.failed:
            self.out("**Failed runs** (not in the medians), with the last error logged:", "")
            for op, size in self.failed:
                self.out(f"- {op} at N = M = {size:,}: {self.failure_reason(op, size)}")
            self.out("")
        self.out("## Convergence", "")
        self.per_size_table("Initial convergence (s)", CONVERGE)
        self.per_size_table("Initial phase, last operator request (s)", phase_last_request("initial"))
        self.per_size_table("Churn settle (s)", phase_converge("churn"))
        self.per_size_table("Churn, last operator request (s)", phase_last_request("churn"))
        self.out("## Memory and CPU of the operator process", "")
        self.per_size_table("Peak RSS (MiB)", PEAK_RSS_MIB, 1, operators_only=True)
        self.per_size_table(
            "Steady RSS after the churn (MiB)", operator_usage("rss_kib", scale=1024), 1, operators_only=True
        )
        self.per_size_table("CPU, whole run (s)", CPU_WHOLE_RUN, operators_only=True)
        self.out("## What each operator costs the API server", "")
        self.per_size_table("API server CPU, whole run (s)", APISERVER_CPU_WHOLE_RUN)
        for phase, title in (("initial", "initial phase"), ("churn", "churn")):
            self.per_size_table(f"API server CPU, {title} (s)", apiserver_cpu(phase))
        self.per_size_table("API server RSS after the initial phase (MiB)", apiserver_rss_after("initial"), 1)
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
        self.out(
            "## Tests",
            "",
            "What a developer waits for after changing the controller: the generated project's `make test` "
            "(`cargo test`: unit tests and the one integration test binary, tests/integration/, against kube-envtest) against the test step "
            "of Kubebuilder's `make test` (`go test $(go list ./... | grep -v /e2e) -coverprofile cover.out`, "
            "its scaffolded envtest suite; `make test` also runs controller-gen, `go fmt` and `go vet` "
            "first), on the same envtest binaries. Cold: empty target folder or GOCACHE; edited: median of "
            "three runs, each after a one-line change in the controller (Go's test cache cannot answer "
            "those). Skipped by `--quick` and `--no-build-times`.",
            "",
        )
        self.test_table()
        self.targets()
        self.rust_checks()
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
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS_DIR OUT_DIR")
    results, out = Path(sys.argv[1]), Path(sys.argv[2])
    Report(results).write(out)


if __name__ == "__main__":
    main()
