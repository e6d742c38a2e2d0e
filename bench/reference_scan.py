#!/usr/bin/env python3
"""Runs the reference scanners (picklescan, modelscan, fickling) through their Python APIs, in one
process per tool, for the benchmark's detection table and in-process timings.

  reference_scan.py detect TOOL LIST.json   -> JSON lines {"path", "flagged", "error"}
  reference_scan.py time TOOL PATH REPEATS [WARMUP [WARMUP_SECONDS]]   -> JSON {"seconds": [...]}
"""
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")


def picklescan(path):
    from picklescan.scanner import scan_directory_path, scan_file_path
    r = scan_directory_path(path) if os.path.isdir(path) else scan_file_path(path)
    return r.infected_files > 0 or r.issues_count > 0, ("scan error" if r.scan_err else None)


def modelscan(path):
    from modelscan.modelscan import ModelScan
    r = ModelScan().scan(path)
    issues = r.get("issues")
    n = len(issues) if isinstance(issues, list) else int(issues or 0)
    errs = r.get("errors") or []
    return n > 0, (errs[0].get("description") if errs else None)


def fickling_one(p):
    import zipfile
    import fickling
    from fickling.analysis import Severity
    if zipfile.is_zipfile(p):
        results = fickling.scan_zip_archive(p, graceful=True).values()
    else:
        results = [fickling.scan_file(p, graceful=True)]
    worst = max((r.severity for r in results), default=Severity.LIKELY_SAFE)
    errors = [e for r in results for e in r.errors]
    return worst > Severity.LIKELY_SAFE, (errors[0] if errors else None)


def fickling(path):
    if not os.path.isdir(path):
        return fickling_one(path)
    flagged, err = False, None
    for d, _, fs in os.walk(path):
        for f in fs:
            a, b = fickling_one(os.path.join(d, f))
            flagged = flagged or a
            err = err or b
    return flagged, err


TOOLS = {"picklescan": picklescan, "modelscan": modelscan, "fickling": fickling}

if __name__ == "__main__":
    mode, tool = sys.argv[1], TOOLS[sys.argv[2]]
    if mode == "detect":
        for p in json.load(open(sys.argv[3])):
            try:
                flagged, err = tool(p)
            except Exception as e:  # a crash of the tool on a sample is an error, not a detection
                flagged, err = False, f"{type(e).__name__}: {e}"
            print(json.dumps({"path": p, "flagged": bool(flagged), "error": None if err is None else str(err)[:200]}), flush=True)
    elif mode == "time":
        secs = []
        # warm-up: imports and caches, like the JS side's JIT warm-up; at least WARMUP calls and
        # WARMUP_SECONDS of calls, the same rule as for Hallmark
        warm_n = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        warm_s = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
        t_end, i = time.perf_counter() + warm_s, 0
        while i < warm_n or time.perf_counter() < t_end:
            tool(sys.argv[3])
            i += 1
        for _ in range(int(sys.argv[4])):
            t0 = time.perf_counter()
            tool(sys.argv[3])
            secs.append(time.perf_counter() - t0)
        print(json.dumps({"seconds": secs}))
