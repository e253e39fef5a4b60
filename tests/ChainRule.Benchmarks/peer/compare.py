#!/usr/bin/env python3
"""ChainRule's W1-W4 and PyTorch's, one after the other on this machine, in one table.

1. `dotnet run -c Release --project tests/ChainRule.Benchmarks -- --machine`: the cache blocks the kernels derived
   here and the width of the peak reference.
2. The BenchmarkDotNet workloads (`--filter '*WorkloadBenchmarks*'`, default job; `--quick` for `--job short`):
   W1-W4 and the same-run FMA peak at 1 and 2 threads, medians read from BenchmarkDotNet's JSON report.
3. peer/torch_workloads.py (same models, batches, optimizers and FLOP formula, OpenBLAS's OpenMP build on the library
   path, torch.set_num_threads(1 and 2)), if `/usr/bin/python3 -c "import torch"` works; otherwise the PyTorch
   columns say why they are empty.

Prints a Markdown section (machine, versions, load, the table), and with --update-docs replaces the section between
the `<!-- compare.py -->` markers of docs/performance.md with it. The 1-minute load average (/proc/loadavg) is read
as each benchmark starts and printed beside its numbers: the machine may be shared, and a loaded machine moves
memory-bound medians first.

Run from anywhere (about 10-15 minutes):
    /usr/bin/python3 tests/ChainRule.Benchmarks/peer/compare.py [--quick] [--update-docs]
Re-render from saved results without running anything:
    compare.py --chainrule-json REPORT.json --torch-json TORCH.json --loads LOADS.json
"""
import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PROJECT = os.path.join(REPO, "tests", "ChainRule.Benchmarks")
DOCS = os.path.join(REPO, "docs", "performance.md")
BEGIN, END = "<!-- compare.py begin -->", "<!-- compare.py end -->"
PYTHON = "/usr/bin/python3"

sys.path.insert(0, HERE)
from torch_workloads import FLOPS  # noqa: E402  (WorkloadFlops' formula, written once for both scripts; no torch import)

WORKLOADS = [
    ("Peak", "PeakFmaWidest", None),
    ("W1 step", "W1_Step", "W1"),
    ("W2 step", "W2_Step", "W2"),
    ("W3 Predict", "W3_Predict", "W3"),
    ("W4 step", "W4_Step", "W4"),
    ("L1 LSTM step", "L1_LstmStep", "L1"),
]


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run_text(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, check=True, **kwargs).stdout


def machine():
    info = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    try:
        lscpu = run_text(["lscpu"])
        for key in ("CPU family", "Model", "Hypervisor vendor"):
            match = re.search(rf"^{key}:\s*(.+)$", lscpu, re.MULTILINE)
            if match:
                info[key] = match.group(1).strip()
        flags = re.search(r"^Flags:\s*(.+)$", lscpu, re.MULTILINE)
        info["avx512f"] = bool(flags and "avx512f" in flags.group(1).split())
    except (OSError, subprocess.CalledProcessError):
        pass
    # Per core, as the kernels read them (lscpu sums the instances).
    for folder in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            level, kind, size = (open(os.path.join(folder, name)).read().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        if kind != "Instruction":
            info[f"L{level}{'d' if kind == 'Data' else ''}"] = size
    info["cores"] = os.cpu_count()
    info["kernel"] = os.uname().release
    try:
        info["commit"] = run_text(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).strip()
        info["dirty"] = bool(run_text(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]).strip())
    except (OSError, subprocess.CalledProcessError):
        info["commit"], info["dirty"] = "unknown", False
    return info


def build():
    subprocess.run(["dotnet", "build", "-c", "Release", PROJECT, "-v", "quiet", "-nologo"], check=True, stdout=sys.stderr)


def kernels_info():
    text = run_text(["dotnet", "run", "-c", "Release", "--no-build", "--project", PROJECT, "--", "--machine"])
    return dict(line.split(": ", 1) for line in text.strip().splitlines() if ": " in line)


def run_chainrule(quick):
    """Runs the workloads; returns BenchmarkDotNet's JSON report and the load as each benchmark started."""
    artifacts = tempfile.mkdtemp(prefix="chainrule-bdn-")
    command = ["dotnet", "run", "-c", "Release", "--no-build", "--project", PROJECT, "--",
               "--filter", "*WorkloadBenchmarks*", "--exporters", "json", "--artifacts", artifacts]
    if quick:
        command += ["--job", "short"]
    loads = {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            sys.stderr.write(line)
            # "// Benchmark: WorkloadBenchmarks.W1_Step: DefaultJob [Threads=1]"
            match = re.match(r"// Benchmark: \w+\.(\w+): .*\[Threads=(\d+)\]", line)
            if match:
                loads[f"{match.group(1)}/{match.group(2)}"] = load_average()
    if process.returncode != 0:
        sys.exit(f"compare.py: the benchmarks failed (exit code {process.returncode})")
    reports = glob.glob(os.path.join(artifacts, "results", "*WorkloadBenchmarks*-report-full*.json"))
    if not reports:
        sys.exit(f"compare.py: no JSON report under {artifacts}/results")
    with open(reports[0]) as f:
        return json.load(f), loads


def run_torch(quick):
    """PyTorch's medians, or a reason why there are none."""
    try:
        subprocess.run([PYTHON, "-c", "import torch"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None, f"`{PYTHON} -c \"import torch\"` failed: no PyTorch peer (Debian: apt-get install python3-torch)"
    command = [PYTHON, os.path.join(HERE, "torch_workloads.py"), "--threads", "1,2", "--seconds", "1" if quick else "5"]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        return None, f"torch_workloads.py failed (exit code {result.returncode}; its message is above)"
    return json.loads(result.stdout), None


def chainrule_rows(report):
    rows = {}
    for benchmark in report["Benchmarks"]:
        threads = int(re.search(r"Threads=(\d+)", benchmark["Parameters"]).group(1))
        rows[(benchmark["Method"], threads)] = {
            "median_ns": benchmark["Statistics"]["Median"],
            "allocated": (benchmark.get("Memory") or {}).get("BytesAllocatedPerOperation"),
        }
    return rows


def time_text(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    return f"{ns / 1e3:.2f} µs"


def render(info, kernels, report, loads, torch, torch_problem, peak_bits):
    crows = chainrule_rows(report)
    host = report["HostEnvironmentInfo"]
    peaks = {}
    for threads in (1, 2):
        peak = crows.get(("PeakFmaWidest", threads))
        if peak:
            # PeakFma.Flops per thread: 2^20 iterations × 12 registers × lanes × 2; FLOPs per ns = GFLOP/s.
            peaks[threads] = (1 << 20) * 12 * (peak_bits // 32) * 2 * threads / peak["median_ns"]
    trows = {}
    if torch:
        for r in torch["results"]:
            trows.setdefault((r["workload"], r["threads"]), []).append(r)

    commit = info["commit"] + (" (uncommitted changes)" if info.get("dirty") else "")
    lines = [BEGIN, ""]
    lines.append(f"Generated by `tests/ChainRule.Benchmarks/peer/compare.py` on {info['time']} UTC, commit {commit}.")
    lines.append("")
    lines.append(f"- **Machine**: {info.get('cpu', 'unknown CPU')} (family {info.get('CPU family', '?')}, model {info.get('Model', '?')}), "
                 f"{info['cores']} logical CPUs, L1d {info.get('L1d', '?')}, L2 {info.get('L2', '?')} per core, L3 {info.get('L3', '?')}, "
                 f"{'AVX-512' if info.get('avx512f') else 'no AVX-512'}"
                 + (f", under {info['Hypervisor vendor']}" if "Hypervisor vendor" in info else "") + f"; Linux {info['kernel']}.")
    lines.append(f"- **ChainRule**: {host['RuntimeVersion']}, BenchmarkDotNet {host['BenchmarkDotNetVersion']}"
                 f"{' (--job short)' if report.get('quick') else ' (default job)'}; kernels' {kernels.get('blocking', '?')}.")
    lines.append(f"- **Peak**: 12 independent {peak_bits}-bit FMA chains per thread (the widest hardware-accelerated width), same run.")
    if torch:
        lines.append(f"- **PyTorch**: {torch['torch']} on Python {torch['python']}, {torch['openblas_config']} "
                     f"(loaded: `{os.path.basename(torch['blas_loaded'][0]) if torch['blas_loaded'] else '?'}` from "
                     f"`{os.path.dirname(torch['blas_loaded'][0]) if torch['blas_loaded'] else '?'}`); W3 is the faster of eager and TorchScript.")
    else:
        lines.append(f"- **PyTorch**: not measured: {torch_problem}.")
    lines.append("")
    lines.append(f"| workload | threads | ChainRule median | PyTorch median | PyTorch ÷ ChainRule | ChainRule % of {peak_bits}-bit peak | PyTorch % of peak | ChainRule allocated | load (1 min) ChainRule / PyTorch |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for threads in (1, 2):
        for label, method, workload in WORKLOADS:
            c = crows.get((method, threads))
            if c is None:
                continue
            cload = loads.get(f"{method}/{threads}")
            if workload is None:
                gflops = peaks.get(threads)
                lines.append(f"| {label} | {threads} | {time_text(c['median_ns'])} ({gflops:.1f} GFLOP/s) | | | 100% | | | {cload if cload is not None else '–'} |")
                continue
            candidates = trows.get((workload, threads), [])
            best = min(candidates, key=lambda r: r["median_ns"]) if candidates else None
            tns = best["median_ns"] if best else None
            variant = f" ({best['variant']})" if best and workload == "W3" else ""
            ratio = f"{tns / c['median_ns']:.2f}" if tns else "–"
            peak = peaks.get(threads)
            cpct = f"{100 * FLOPS[workload] / c['median_ns'] / peak:.1f}%" if peak else "–"
            tpct = f"{100 * FLOPS[workload] / tns / peak:.1f}%" if peak and tns else "–"
            allocated = c["allocated"]
            lines.append(f"| {label} | {threads} | {time_text(c['median_ns'])} | {time_text(tns)}{variant} | {ratio} | {cpct} | {tpct} | "
                         f"{'–' if allocated is None else f'{allocated} B'} | {cload if cload is not None else '–'} / {best['load'] if best and 'load' in best else '–'} |")
    lines.append("")
    lines.append("PyTorch ÷ ChainRule above 1 means ChainRule is faster. % of peak divides each workload's FLOPs (2·M·N·K per matrix product, "
                 "`WorkloadFlops`) by its median and by the same run's peak at the same thread count, for both columns.")
    lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="BenchmarkDotNet --job short and 1 s per PyTorch case")
    parser.add_argument("--update-docs", action="store_true", help=f"replace the generated section of {os.path.relpath(DOCS, REPO)}")
    parser.add_argument("--chainrule-json", help="render from this BenchmarkDotNet JSON report instead of running")
    parser.add_argument("--torch-json", help="render from this torch_workloads.py output instead of running")
    parser.add_argument("--loads", help="JSON file of the ChainRule loads saved by an earlier run")
    parser.add_argument("--save", help="folder to save the raw results in (report, torch, loads, kernels)")
    args = parser.parse_args()

    info = machine()
    info["time"] = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"
    if args.chainrule_json:
        # The commit and time of the run that produced the results, when it saved them.
        saved = os.path.join(os.path.dirname(args.chainrule_json), "machine.json")
        if os.path.exists(saved):
            with open(saved) as f:
                info = json.load(f)
        with open(args.chainrule_json) as f:
            report = json.load(f)
        loads = json.load(open(args.loads)) if args.loads else {}
        kernels = json.load(open(os.path.join(os.path.dirname(args.chainrule_json), "kernels.json"))) \
            if os.path.exists(os.path.join(os.path.dirname(args.chainrule_json), "kernels.json")) else {}
    else:
        build()
        kernels = kernels_info()
        print(f"load before ChainRule: {load_average()}", file=sys.stderr)
        report, loads = run_chainrule(args.quick)
        report["quick"] = args.quick
    if args.torch_json:
        with open(args.torch_json) as f:
            torch, problem = json.load(f), None
    else:
        print(f"load before PyTorch: {load_average()}", file=sys.stderr)
        torch, problem = run_torch(args.quick)
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        for name, value in (("report.json", report), ("torch.json", torch), ("loads.json", loads), ("kernels.json", kernels), ("machine.json", info)):
            with open(os.path.join(args.save, name), "w") as f:
                json.dump(value, f, indent=1)

    peak_bits = int(re.match(r"(\d+)", kernels.get("peak", "256")).group(1))
    section = render(info, kernels, report, loads, torch, problem, peak_bits)
    print(section)
    if args.update_docs:
        with open(DOCS) as f:
            text = f.read()
        if BEGIN not in text or END not in text:
            sys.exit(f"compare.py: {DOCS} has no {BEGIN} ... {END} section to replace")
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
        with open(DOCS, "w") as f:
            f.write(text)
        print(f"updated {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    main()
