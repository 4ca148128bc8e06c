#!/usr/bin/env python3
"""Benchmark Python looplet 0.3's own eval runner (`python -m looplet eval`) on N traces.

Mirrors bench/evals.bench.mjs: N trace directories, 10 steps each (9 `lookup` calls, then `done`),
made from 20 recorded variants; five evals; the runner timed end to end in a fresh process. The
traces are Python-format (`trajectory.json`, steps/, call files, manifest.jsonl, artifacts.json,
expected.json), written by the Python library itself, so looplet-eval can score the very same
directories. This file only *uses* the Python library (stdlib otherwise).

  LOOPLET_PY_SRC=/work/pyorig python3 python_eval_bench.py --count 1000 --count 4000 --runs 3
  python3 python_eval_bench.py --check              # exit 0: available; 3: not (skip)
  python3 python_eval_bench.py --generate DIR --count 1000   # traces only, for both runners
  python3 python_eval_bench.py --traces DIR --runs 3 --json  # score existing traces

LOOPLET_PY_SRC: a Python looplet checkout (its root or its src/); unset = the installed package.
LOOPLET_PYTHON is not read here: run this file with the interpreter you want to measure.
Exit codes: 0 ok, 1 failure, 3 Python looplet unavailable (callers skip).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNAVAILABLE = 3
VARIANTS = 20
STEPS = 10

# The five evals of bench/evals.bench.mjs, in Python looplet's eval API.
EVALS = '''
def eval_completed(ctx):
    return ctx.stop_reason == "done"

def eval_total_matches(ctx):
    return ctx.final_output.get("total") == ctx.task.get("expected", {}).get("total")

def eval_ten_steps(ctx):
    return ctx.step_count == 10

def eval_lookups(ctx):
    return {"lookups": sum(1 for name in ctx.tool_sequence if name == "lookup")}

def eval_artifact(ctx):
    return 1 if ctx.artifacts.get("total") == ctx.final_output.get("total") else 0
'''


def python_path() -> str | None:
    """The directory to put on sys.path / PYTHONPATH, from LOOPLET_PY_SRC (None: use the installed package)."""
    src = os.environ.get("LOOPLET_PY_SRC")
    if not src:
        return None
    root = Path(src).resolve()
    return str(root / "src" if (root / "src" / "looplet").is_dir() else root)


def load_looplet():
    """Imports Python looplet or exits with UNAVAILABLE and the reason."""
    path = python_path()
    if path is not None:
        if not (Path(path) / "looplet" / "__init__.py").is_file():
            sys.exit(_unavailable(f"LOOPLET_PY_SRC={os.environ['LOOPLET_PY_SRC']} holds no looplet package"))
        sys.path.insert(0, path)
    try:
        import looplet  # noqa: PLC0415
    except ImportError as exc:
        sys.exit(_unavailable(f"cannot import looplet ({exc}); set LOOPLET_PY_SRC to a checkout"))
    return looplet


def _unavailable(reason: str) -> int:
    print(f"skip: Python looplet unavailable: {reason}", file=sys.stderr)
    return UNAVAILABLE


def record_variant(directory: Path, variant: int) -> None:
    """One 10-step run through the Python loop, recorded by ProvenanceSink, plus its sidecars."""
    import warnings  # noqa: PLC0415

    from looplet import DefaultState, LoopConfig, ProvenanceSink, composable_loop  # noqa: PLC0415
    from looplet.testing import MockLLMBackend  # noqa: PLC0415
    from looplet.tools import BaseToolRegistry, ToolSpec  # noqa: PLC0415

    tools = BaseToolRegistry()
    tools.register(ToolSpec(name="lookup", description="Look a key up", parameters={"key": "str"},
                            execute=lambda *, key: {"key": key, "value": len(key)}))
    tools.register(ToolSpec(name="done", description="Finish", parameters={"summary": "str", "total": "int"},
                            execute=lambda *, summary, total: {"summary": summary, "total": total}))
    turns = [json.dumps({"tool": "lookup", "args": {"key": f"k{variant}-{i}"}}) for i in range(STEPS - 1)]
    turns.append(json.dumps({"tool": "done", "args": {"summary": f"variant {variant}", "total": variant % 3}}))
    sink = ProvenanceSink(dir=directory)
    llm = sink.wrap_llm(MockLLMBackend(responses=turns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in composable_loop(llm=llm, tools=tools, task={"goal": f"bench {variant}"},
                                 state=DefaultState(max_steps=STEPS), hooks=[sink.trajectory_hook()],
                                 config=LoopConfig(max_steps=STEPS)):
            pass
    sink.flush()
    (directory / "artifacts.json").write_text(json.dumps({"total": variant % 3}))
    (directory / "expected.json").write_text(json.dumps({"total": 1 if variant % 5 == 0 else variant % 3}))


def generate(root: Path, count: int) -> None:
    """root/t00000 … : copies of the 20 variants, as bench/evals.bench.mjs lays them out."""
    with tempfile.TemporaryDirectory(prefix="looplet-py-variants-") as scratch:
        for variant in range(VARIANTS):
            record_variant(Path(scratch) / str(variant), variant)
        root.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shutil.copytree(Path(scratch) / str(i % VARIANTS), root / f"t{i:05d}")


def score_once(traces: Path, eval_file: Path, cache: Path) -> tuple[float, float, float, int]:
    """Runs `python -m looplet eval` once; returns (wall s, CPU s, peak RSS MiB, traces scored)."""
    # Bytecode is cached (outside the checkout), as for an installed package; without it every run
    # would recompile looplet (~0.35 s), e.g. under PYTHONDONTWRITEBYTECODE=1.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if python_path() is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [python_path(), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "looplet", "eval", str(traces), "--evals", str(eval_file)]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        # wait4 gives this child's own rusage: the "Maximum resident set size" of /usr/bin/time -v.
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    found = next((line for line in text.splitlines() if line.startswith("Found ")), "")
    # Exit 1 is expected: eval_total_matches fails on some variants (as in the TypeScript bench).
    if child.returncode not in (0, 1) or " evals, " not in found:
        raise RuntimeError(f"{' '.join(command)} exited {child.returncode}:\n{text[-2000:]}")
    scored = int(found.split(" evals, ")[1].split()[0])
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, usage.ru_utime + usage.ru_stime, peak, scored


def bench(traces: Path, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="looplet-py-evals-") as scratch:
        eval_file = Path(scratch) / "eval_bench.py"
        eval_file.write_text(EVALS)
        score_once(traces, eval_file, Path(scratch) / "pycache")  # warm-up: bytecode, page cache
        results = [score_once(traces, eval_file, Path(scratch) / "pycache") for _ in range(runs)]
    walls = [result[0] for result in results]
    return {
        "traces": results[0][3], "steps_per_trace": STEPS, "evals": 5, "runs": runs,
        "wall_s": [round(wall, 3) for wall in walls], "median_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(result[1] for result in results), 3),
        "peak_rss_mib": round(statistics.median(result[2] for result in results), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, action="append", help="traces to generate (repeatable; default 1000 and 4000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per count; the median is reported (default 3)")
    parser.add_argument("--traces", type=Path, help="score these existing traces instead of generating")
    parser.add_argument("--generate", type=Path, metavar="DIR", help="only write --count traces into DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object per figure")
    parser.add_argument("--check", action="store_true", help="exit 0 when Python looplet can be imported, 3 when not")
    args = parser.parse_args()
    looplet = load_looplet()
    info = {"looplet": getattr(looplet, "__version__", "?"), "python": sys.version.split()[0]}
    if args.check:
        print(json.dumps({**info, "path": str(Path(looplet.__file__).parent)}))
        return 0
    if args.generate is not None:
        generate(args.generate, (args.count or [1000])[0])
        return 0
    figures = []
    if args.traces is not None:
        figures.append(bench(args.traces, args.runs))
    for count in [] if args.traces is not None else (args.count or [1000, 4000]):
        with tempfile.TemporaryDirectory(prefix=f"looplet-py-bench-{count}-") as scratch:
            generate(Path(scratch) / "traces", count)
            figures.append(bench(Path(scratch) / "traces", args.runs))
    for figure in figures:
        figure.update(info)
        print(json.dumps(figure) if args.json else
              f"Python looplet {info['looplet']} eval, {figure['traces']} traces x {STEPS} steps x 5 evals: "
              f"median {figure['median_s']} s of {figure['wall_s']} (CPU {figure['cpu_s']} s), "
              f"peak RSS {figure['peak_rss_mib']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
