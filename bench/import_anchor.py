"""Side-by-side import benchmark: `tawasul import` against `twarc2 csv` (twarc-csv) on the
same synthetic twarc2 collection, in the same run.

Also a cross-format check: the CSV that the real twarc-csv writes is imported by tawasul and
must give the same post count as the rows twarc-csv wrote.

usage: import_anchor.py TAWASUL_BINARY [--mb 50] [--min-ratio 5]
prints one JSON object; exits 1 when tawasul's ingest (`--no-classify`, the like-for-like
comparison) is below --min-ratio times the anchor. The full import, labelling pass included, is
measured and printed beside it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run_measured(cmd, env=None):
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed with status {status}: {out[-2000:]!r}")
    return seconds, usage.ru_maxrss / 1024, out.decode("utf-8", "replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tawasul")
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--min-ratio", type=float, default=5.0)
    args = parser.parse_args()
    twarc2 = shutil.which("twarc2", path=os.path.dirname(sys.executable)) or shutil.which("twarc2")
    if not twarc2:
        sys.exit("twarc2 not found: pip install twarc-csv 'pandas<3'")
    with tempfile.TemporaryDirectory() as scratch:
        collection = os.path.join(scratch, "collection.jsonl")
        subprocess.run([args.tawasul, "bench", "import", "--generate-only", "--keep", collection,
                        "--mb", str(args.mb)], check=True, stdout=subprocess.DEVNULL)
        size = os.path.getsize(collection)

        # Like for like with `twarc2 csv` (parse and write): ingest without the labelling pass.
        t_seconds, t_rss, t_out = run_measured(
            [args.tawasul, "--data-dir", os.path.join(scratch, "a"), "import", "--quiet",
             "--no-classify", collection])
        summary = json.loads(t_out)
        # The product's import: ingest, then every new post labelled and indexed.
        l_seconds, l_rss, l_out = run_measured(
            [args.tawasul, "--data-dir", os.path.join(scratch, "c"), "import", "--quiet", collection])
        labelled = json.loads(l_out)

        csv_path = os.path.join(scratch, "collection.csv")
        env = dict(os.environ, BEARER_TOKEN="anchor-needs-no-network")
        a_seconds, a_rss, _ = run_measured([twarc2, "csv", "--hide-progress", collection, csv_path], env=env)

        # Cross-format: the real twarc-csv output, read back by tawasul.
        _, _, csv_out = run_measured(
            [args.tawasul, "--data-dir", os.path.join(scratch, "b"), "import", "--quiet", csv_path])
        csv_summary = json.loads(csv_out)
        with open(csv_path, newline="", encoding="utf-8") as f:
            import csv as csvmod
            rows = sum(1 for _ in csvmod.reader(f)) - 1

    ratio = a_seconds / t_seconds
    report = {
        "bytes": size,
        "tawasul_import": {"seconds": t_seconds, "mb_per_s": size / 1e6 / t_seconds,
                           "peak_rss_mb": t_rss, "posts_read": summary["posts"]},
        "twarc2_csv": {"seconds": a_seconds, "mb_per_s": size / 1e6 / a_seconds, "peak_rss_mb": a_rss},
        "ratio_vs_twarc_csv": ratio,
        "tawasul_import_with_labelling": {"seconds": l_seconds, "mb_per_s": size / 1e6 / l_seconds,
                                          "peak_rss_mb": l_rss, "labelling": labelled.get("labelling")},
        "ratio_with_labelling_vs_twarc_csv": a_seconds / l_seconds,
        "bar_ratio": 30.0,
        "twarc_csv_rows": rows,
        "tawasul_posts_from_twarc_csv": csv_summary["posts"],
        "tawasul_skipped_from_twarc_csv": csv_summary["skipped"],
    }
    print(json.dumps(report))
    if csv_summary["posts"] != rows or csv_summary["skipped"] != 0:
        sys.exit(f"twarc-csv conformance: {rows} rows written, tawasul read {csv_summary['posts']} "
                 f"posts and skipped {csv_summary['skipped']}")
    if ratio < args.min_ratio:
        sys.exit(f"tawasul import is {ratio:.1f}x twarc2 csv, below the {args.min_ratio}x floor")


if __name__ == "__main__":
    main()
