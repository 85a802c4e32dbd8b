#!/usr/bin/env python3
"""Tokenise+normalise throughput of CAMeL Tools and PyArabic on the same corpus as
`tawasul bench text`, printed next to tawasul's figures as ratios.

Usage: text_anchors.py CORPUS TAWASUL_JSON
  CORPUS        one text per line (the file `tawasul bench text --corpus` measured)
  TAWASUL_JSON  the JSON line `tawasul bench text --corpus CORPUS` printed

Each anchor does what tawasul's measured loop does: split a line into tokens, then normalise
every token for search. Throughput counts the corpus bytes, like tawasul's.
"""
import json
import sys
import time


def measure(name, lines, fn, nbytes):
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        acc = 0
        for line in lines:
            acc += fn(line)
        best = min(best, time.perf_counter() - t)
    return {"anchor": name, "mb_s": round(nbytes / 1e6 / best, 2), "checksum": acc}


def main():
    corpus, tawasul_json = sys.argv[1], sys.argv[2]
    with open(corpus, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    nbytes = sum(len(l.encode("utf-8")) + 1 for l in lines)
    with open(tawasul_json, encoding="utf-8") as f:
        ours = json.loads(f.read().strip().splitlines()[-1])

    results = []

    from camel_tools.tokenizers.word import simple_word_tokenize
    from camel_tools.utils.dediac import dediac_ar
    from camel_tools.utils.normalize import (
        normalize_alef_ar,
        normalize_alef_maksura_ar,
        normalize_teh_marbuta_ar,
    )

    def camel(line):
        n = 0
        for tok in simple_word_tokenize(line):
            tok = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(dediac_ar(tok))))
            n += len(tok)
        return n

    results.append(measure("camel-tools 1.6 simple_word_tokenize + dediac/alef/maksura/teh", lines, camel, nbytes))

    from pyarabic import araby
    from pyarabic.normalize import normalize_searchtext

    def pyarabic(line):
        n = 0
        for tok in araby.tokenize(line):
            n += len(normalize_searchtext(tok))
        return n

    results.append(measure("pyarabic 0.6.15 tokenize + normalize_searchtext", lines, pyarabic, nbytes))

    tawasul_mb_s = ours["tokenize_normalize_mb_s"]
    for r in results:
        r["tawasul_speedup"] = round(tawasul_mb_s / r["mb_s"], 1)
    print(json.dumps({
        "bench": "text-anchors",
        "corpus_bytes": nbytes,
        "tawasul_tokenize_normalize_mb_s": tawasul_mb_s,
        "anchors": results,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
