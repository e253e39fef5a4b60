#!/usr/bin/env python3
"""Writes a Stryker config that mutates a seeded random sample of lines: by default the generator's Kinds/, Lowering/
and Emitting/, with --target kernels the runtime's src/ChainRule/Kernels without Simd.cs (the SIMD-width dispatch).

A full run needs hours on two cores (each surviving mutant reruns the tests that reach it); a sample of line windows
gives an estimate of the score, with its sampling error, in a fraction of that. Stryker.NET's mutate spans are
character offsets ({start..end}), so each window of lines becomes the span of its characters.

    python3 tests/stryker/sample.py [--windows 28] [--lines 10] [--seed 20261201] > tests/stryker/generator-sample.json
    cd tests/ChainRule.Generators.Tests && dotnet dotnet-stryker --config-file ../stryker/generator-sample.json

    python3 tests/stryker/sample.py --target kernels --windows 200 --lines 1 > tests/stryker/kernels-sample.json
    cd tests/ChainRule.Tests && dotnet dotnet-stryker --config-file ../stryker/kernels-sample.json
"""
import argparse
import glob
import json
import os
import random

parser = argparse.ArgumentParser()
parser.add_argument("--windows", type=int, default=28)
parser.add_argument("--lines", type=int, default=10)
parser.add_argument("--seed", type=int, default=20261201)
parser.add_argument("--concurrency", type=int, default=2)
parser.add_argument("--fast", action="store_true", help="generator: test with the fast classes only (stage 1 of staged.py)")
parser.add_argument("--target", choices=["generator", "kernels"], default="generator")
options = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
if options.target == "generator":
    source = os.path.join(here, "..", "..", "generators", "ChainRule.Generators")
    # Kinds/ holds each layer kind's lowering and emission (moved there from Lowering/ and Emitting/).
    files = (sorted(glob.glob("Kinds/**/*.cs", root_dir=source, recursive=True))
             + sorted(glob.glob("Lowering/*.cs", root_dir=source)) + sorted(glob.glob("Emitting/*.cs", root_dir=source)))
else:
    source = os.path.join(here, "..", "..", "src", "ChainRule")
    # Simd.cs picks the vector width the CPU accelerates; its other branches cannot run here.
    files = [name for name in sorted(glob.glob("Kernels/*.cs", root_dir=source)) if name != "Kernels/Simd.cs"]

# Every line of every file with its character span, in one sequence, so windows are drawn uniformly over lines.
lines = []
for name in files:
    with open(os.path.join(source, name), encoding="utf-8-sig") as file:
        offset = 0
        for line in file.read().split("\n"):
            lines.append((name, offset, offset + len(line) + 1))
            offset += len(line) + 1

rng = random.Random(options.seed)
starts = set()
while len(starts) < options.windows:
    start = rng.randrange(0, len(lines) - options.lines)
    if all(abs(start - other) >= options.lines for other in starts):
        starts.add(start)

spans = {}
for start in sorted(starts):
    name = lines[start][0]
    window = [line for line in lines[start:start + options.lines] if line[0] == name]
    spans.setdefault(name, []).append((window[0][1], window[-1][2]))

if options.fast:
    import staged
    config = staged.fast()
else:
    with open(os.path.join(here, options.target + ".json"), encoding="utf-8") as file:
        config = json.load(file)
config["stryker-config"]["mutate"] = [
    "**/" + name + "".join("{%d..%d}" % span for span in name_spans) for name, name_spans in spans.items()]
config["stryker-config"]["concurrency"] = options.concurrency
print(json.dumps(config, indent=2))
