"""How much reading Chinese costs a process: the import and first use of what the knowledge-base search
(api/kb/analyzer.py), repeat detection (api/repeat_words.py) and the dispatch catalogue's Traditional fold
(api/dispatch_advice.py) load, as time and resident memory over a bare interpreter, beside one bare
`jieba.Tokenizer().initialize()` (one dictionary: the least any of them can load). Each reading is a fresh
process. Not part of the test suite.

    python -m bench.chinese_setup [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# Each child prints {"seconds": ..., "rss_mb": ...}: the time of the work, and VmRSS after it.
_CHILD = r"""
import json, logging, time
def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
start = time.perf_counter()
{imports}
imported, imported_mb = time.perf_counter(), rss_mb()
{use}
print(json.dumps({{"import_s": imported - start, "import_mb": imported_mb,
                  "seconds": time.perf_counter() - start, "rss_mb": rss_mb()}}))
"""

# (imports, first use) per kind of process.
WORK = {
    "bare interpreter": ("pass", "pass"),
    "one jieba dictionary (bare)": (
        "import jieba; jieba.setLogLevel(logging.WARNING)",
        "t = jieba.Tokenizer(); t.initialize()",
    ),
    "search + repeats + catalogue fold": (
        (
            "import jieba; jieba.setLogLevel(logging.WARNING)\n"
            "from api.kb.analyzer import cut, normalise\n"
            "from api.dispatch_advice import simplified\n"
            "try:\n"  # the repeats' words with the seeded synonym groups (before them: a module-wide set)
            "    from api.repeat_words import words_for\n"
            "    from domain.knowledge_words import SEED_SYNONYM_GROUPS\n"
            "    repeats = lambda: words_for(SEED_SYNONYM_GROUPS.values())\n"
            "except ImportError:\n"
            "    from api.repeat_words import repeat_words as repeats"
        ),
        "cut(normalise('路灯不亮了')); repeats().cut('新华南路的路灯不亮'); simplified('武江區')",
    ),
}


def reading(work: tuple[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(imports=work[0], use=work[1])],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    figures = {}
    for _ in range(runs):  # interleaved, so load on the machine falls on every kind alike
        for label, work in WORK.items():
            figures.setdefault(label, []).append(reading(work))
    bare_rss = statistics.median(r["rss_mb"] for r in figures["bare interpreter"])
    one = figures["one jieba dictionary (bare)"]
    one_s, one_mb = statistics.median(r["seconds"] for r in one), statistics.median(r["rss_mb"] for r in one)
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {runs} fresh processes")
    print(f"  {'':36s} {'import':>18s}   {'import + first use':>18s}")
    for label, rows in figures.items():
        imp_s = statistics.median(r["import_s"] for r in rows)
        imp_mb = statistics.median(r["import_mb"] for r in rows) - bare_rss
        seconds = statistics.median(r["seconds"] for r in rows)
        extra = statistics.median(r["rss_mb"] for r in rows) - bare_rss
        ratio = (
            f"  ({seconds / one_s:.2f}x time, {extra / (one_mb - bare_rss):.2f}x memory of one dictionary)"
        )
        print(
            f"  {label:36s} {imp_s:5.2f} s +{imp_mb:6.1f} MB   {seconds:5.2f} s +{extra:6.1f} MB"
            + (ratio if extra > 0 else "")
        )


if __name__ == "__main__":
    main()
