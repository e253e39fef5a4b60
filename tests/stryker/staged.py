#!/usr/bin/env python3
"""The generator's mutation score in two stages, so a full run fits in an afternoon on two cores.

Stage 1 tests every mutant of Lowering/ and Emitting/ against the generator tests that run in milliseconds (snapshots,
diagnostics, sizes, naming, pipeline...). Stage 2 re-tests only the mutants stage 1 left alive against the whole
suite, including the slow tests that compile and train generated models. A mutant the fast tests kill is killed by
the whole suite too, so the merged result is the score of one full run; only the time differs.

    python3 tests/stryker/staged.py fast > tests/stryker/generator-fast.json
    cd tests/ChainRule.Generators.Tests && dotnet dotnet-stryker --config-file ../stryker/generator-fast.json
    python3 tests/stryker/staged.py survivors StrykerOutput/<stage 1>/reports/mutation-report.json \\
        > tests/stryker/generator-survivors.json
    cd tests/ChainRule.Generators.Tests && dotnet dotnet-stryker --config-file ../stryker/generator-survivors.json
    python3 tests/stryker/staged.py merge <stage 1 report> <stage 2 report>

For a sample instead of every mutant, stage 1's configuration comes from `sample.py --fast`; stage 2 is the same.

`survivors` also reads a kernels or training report (it picks the configuration from the report's paths): run on the
same source with new tests, it re-tests exactly the mutants they were written to kill. The spans are character
offsets, so the mutated files must be as they were in the first run.

Stage 2 selects mutants by character span ({start..end}, Stryker.NET's mutate syntax), so a span may also pick up
mutants stage 1 already killed at the same place; the merge keeps stage 2's verdict for the mutants stage 1 left
alive and stage 1's for the rest.
"""
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The classes that compile, load and train generated models (tens of seconds each); stage 1 leaves them out.
SLOW_CLASSES = ["GradientFlowEstimateTests", "StabilityLintTests", "CodeFixTests", "GeneratedModelGradientTests",
                "RenamingTests"]
ALIVE = {"Survived", "NoCoverage"}
DETECTED = {"Killed", "Timeout"}


def base_config(target="generator"):
    with open(os.path.join(HERE, target + ".json"), encoding="utf-8") as file:
        return json.load(file)


def target_of(path):
    """The configuration a report's file belongs to: generator, or the runtime's kernels or training."""
    parts = os.path.normpath(path).split(os.sep)
    if "ChainRule.Generators" in parts:
        return "generator"
    return "kernels" if "Kernels" in parts else "training"


PROJECTS = {"generator": os.path.join("generators", "ChainRule.Generators"), "kernels": os.path.join("src", "ChainRule"),
            "training": os.path.join("src", "ChainRule")}


def fast():
    config = base_config()
    options = config["stryker-config"]
    options["test-case-filter"] += "".join("&FullyQualifiedName!~" + name for name in SLOW_CLASSES)
    return config


def mutants(report_path):
    with open(report_path, encoding="utf-8") as file:
        report = json.load(file)
    for path, entry in report["files"].items():
        for mutant in entry["mutants"]:
            location = mutant["location"]
            key = (os.path.basename(path), mutant["mutatorName"], mutant.get("replacement", ""),
                   location["start"]["line"], location["start"]["column"],
                   location["end"]["line"], location["end"]["column"])
            yield path, key, mutant


def line_offsets(path):
    with open(path, encoding="utf-8-sig") as file:
        text = file.read()
    offsets = [0]
    for line in text.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


def span(path, mutant):
    offsets = line_offsets(path)
    start, end = mutant["location"]["start"], mutant["location"]["end"]
    # Report lines and columns are 1-based; the end column is one past the last character.
    return offsets[start["line"] - 1] + start["column"] - 1, offsets[end["line"] - 1] + end["column"] - 1


def config_for(chosen, config, target="generator"):
    """The configuration that mutates exactly the spans of the chosen (path, mutant) pairs."""
    spans = collections.defaultdict(set)
    for path, mutant in chosen:
        spans[path].add(span(path, mutant))
    root = os.path.join(HERE, "..", "..", PROJECTS[target])
    config["stryker-config"]["mutate"] = [
        "**/" + os.path.relpath(path, root).replace(os.sep, "/") + "".join("{%d..%d}" % s for s in sorted(file_spans))
        for path, file_spans in sorted(spans.items())]
    return config


def survivors(report_path):
    chosen = [(path, mutant) for path, _, mutant in mutants(report_path) if mutant["status"] in ALIVE]
    target = target_of(chosen[0][0]) if chosen else "generator"
    return config_for(chosen, base_config(target), target)


def merge(first_path, second_path):
    second = {key: mutant["status"] for _, key, mutant in mutants(second_path)}
    table = collections.defaultdict(collections.Counter)
    alive = []
    for path, key, mutant in mutants(first_path):
        status = mutant["status"]
        if status in ALIVE:
            status = second.get(key, "Missing from stage 2")
        if status in ALIVE or status == "Missing from stage 2":
            alive.append((key, status))
        table[key[0]][status] += 1
    columns = ["Killed", "Timeout", "Survived", "NoCoverage", "Missing from stage 2"]
    print("| file | killed | timeout | survived | no coverage | missing |")
    print("| --- | --- | --- | --- | --- | --- |")
    total = collections.Counter()
    for name in sorted(table):
        counts = table[name]
        if not any(counts[column] for column in columns):
            continue
        total.update(counts)
        print("| " + name + " | " + " | ".join(str(counts[column]) for column in columns) + " |")
    print("| **all** | " + " | ".join(f"**{total[column]}**" for column in columns) + " |")
    detected = sum(total[status] for status in DETECTED)
    scored = detected + sum(total[status] for status in ALIVE) + total["Missing from stage 2"]
    print(f"\nscore (killed + timeout) / scored = {detected} / {scored} = {100 * detected / scored:.2f}%;"
          f" without timeouts {100 * total['Killed'] / scored:.2f}%;"
          f" compile errors {total['CompileError']}, ignored {total['Ignored']} (not scored)")
    print("\nalive:")
    for key, status in sorted(alive):
        print(f"  {key[0]}:{key[3]}:{key[4]} {key[1]} -> {key[2]!r} ({status})")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "fast":
        print(json.dumps(fast(), indent=2))
    elif command == "survivors" and len(sys.argv) == 3:
        print(json.dumps(survivors(sys.argv[2]), indent=2))
    elif command == "merge" and len(sys.argv) == 4:
        merge(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
