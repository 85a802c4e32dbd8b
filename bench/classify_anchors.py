"""Side-by-side classifier anchors on exactly tawasul's cross-validation folds.

For each recipe: `tawasul eval --write-folds` gives tawasul's macro-F1 and the items it selected
from the recipe's data, each with its fold (so the anchors see exactly the same items);
scikit-learn (TF-IDF character n-grams + logistic regression, balanced) and fastText
supervised (word + char n-grams via subwords) are trained and scored on the same folds.
Prediction throughput (texts/s) of each is measured on the same texts, best of three rounds
each, tawasul through `tawasul classify` as a user runs it.

usage: classify_anchors.py TAWASUL_BINARY SHARED_DATA_DIR [--trained DIR] [--min-margin M] RECIPE...
prints one JSON object per recipe. With --trained, DIR holds what `tawasul train --write-folds
DIR/<task>.folds.jsonl > DIR/<task>.train.json` wrote for each recipe, and the
cross-validation is not run a second time. With --min-margin, exits 1 naming every task whose
macro-F1 falls more than M below the best anchor's (issue 4's bar is "at least the best
anchor's"; all three tools are seeded on fixed folds, so M only absorbs fastText's threads).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib

import fasttext
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline


def fold_predictions(make, texts, labels, folds, k):
    train = [i for i, f in enumerate(folds) if f != k]
    test = [i for i, f in enumerate(folds) if f == k]
    model = make([texts[i] for i in train], [labels[i] for i in train])
    return test, model([texts[i] for i in test])


def cross_validate(make, texts, labels, folds, final=None):
    """Macro-F1 over the folds, and with `final` (a job fitting on all items, for the
    throughput measurement, which runs on its own afterwards) also that job's result. The
    fits run two at a time, one per core: only their results are wanted here."""
    predicted = [None] * len(texts)
    # Fold -1 holds train_only items (weak labels): trained on in every fold, never scored.
    jobs = [delayed(fold_predictions)(make, texts, labels, folds, k) for k in sorted(set(folds)) if k >= 0]
    if final is not None:
        jobs.append(final)
    runs = Parallel(n_jobs=2)(jobs)
    for test, predictions in runs[:len(runs) - (final is not None)]:
        for i, p in zip(test, predictions):
            predicted[i] = p
    scored = [i for i, f in enumerate(folds) if f >= 0]
    f1 = f1_score([labels[i] for i in scored], [predicted[i] for i in scored], average="macro")
    return f1, (runs[-1] if final is not None else None)


def sklearn_model(texts, labels):
    pipe = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=2000, C=10, class_weight="balanced"),
    )
    pipe.fit(texts, labels)
    return pipe.predict


def fasttext_fit(texts, labels):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for t, l in zip(texts, labels):
            f.write(f"__label__{l} {' '.join(t.split())}\n")
        path = f.name
    model = fasttext.train_supervised(path, epoch=25, lr=0.5, wordNgrams=2, minn=2, maxn=5,
                                      dim=100, seed=1, thread=1, verbose=0)
    os.unlink(path)
    return model


def fasttext_predictor(model):
    return lambda batch: [model.predict(" ".join(t.split()))[0][0][len("__label__"):] for t in batch]


def fasttext_model(texts, labels):
    return fasttext_predictor(fasttext_fit(texts, labels))


def fasttext_saved(texts, labels, path):
    """Fits on all items and saves the model to `path`: a fastText model does not cross
    process boundaries, its file does (loading it gives the same model)."""
    fasttext_fit(texts, labels).save_model(path)
    return path


# Every classifier's throughput is measured on the items repeated this many times: enough for
# seconds of work per run, few enough that the slowest anchor does not dominate CI.
REPEAT = 5


# Every throughput is the best of this many rounds, for each tool alike: one noisy moment on a
# shared 2-core machine should not decide the comparison.
ROUNDS = 3


def best_rate(items, run):
    """Items per second of the fastest of ROUNDS calls of run()."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return items / best


def throughput(predict, texts, repeat=REPEAT):
    batch = texts * repeat
    return best_rate(len(batch), lambda: predict(batch))


def main():
    tawasul, shared, recipes = sys.argv[1], sys.argv[2], sys.argv[3:]
    trained, min_margin = None, None
    while recipes[:1] in (["--trained"], ["--min-margin"]):
        if recipes[0] == "--trained":
            trained = recipes[1]
        else:
            min_margin = float(recipes[1])
        recipes = recipes[2:]
    behind = []
    for recipe_path in recipes:
        with open(recipe_path, "rb") as f:
            recipe = tomllib.load(f)
        with tempfile.TemporaryDirectory() as scratch:
            if trained:
                folds_path = os.path.join(trained, recipe["task"] + ".folds.jsonl")
                with open(os.path.join(trained, recipe["task"] + ".train.json")) as f:
                    ours_f1 = json.load(f)["cross_validation_macro_f1"]
            else:
                folds_path = os.path.join(scratch, "folds.jsonl")
                out = subprocess.run([tawasul, "eval", "--recipe", recipe_path, "--write-folds", folds_path],
                                     check=True, capture_output=True, text=True,
                                     env={**os.environ, "TAWASUL_SHARED_DATA": shared}).stdout
                ours_f1 = json.loads(out)["cross_validation"]["macro_f1"]
            with open(folds_path, encoding="utf-8") as f:
                items = [json.loads(line) for line in f]
            texts = [i["text"] for i in items]
            labels = [i["label"] for i in items]
            folds = [i["fold"] for i in items]
            lines = os.path.join(scratch, "lines.jsonl")
            with open(lines, "w", encoding="utf-8") as f:
                for i, t in enumerate(texts * REPEAT):
                    f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
            def classify_all():
                with open(lines, "rb") as f:
                    subprocess.run([tawasul, "classify", "--task", recipe["task"]], stdin=f,
                                   stdout=subprocess.DEVNULL, check=True)
            ours_tps = best_rate(len(texts) * REPEAT, classify_all)
        sklearn_f1, sklearn_predict = cross_validate(sklearn_model, texts, labels, folds,
                                                     final=delayed(sklearn_model)(texts, labels))
        with tempfile.TemporaryDirectory() as scratch:
            fasttext_f1, saved = cross_validate(
                fasttext_model, texts, labels, folds,
                final=delayed(fasttext_saved)(texts, labels, os.path.join(scratch, "all.bin")))
            fasttext_all = fasttext.load_model(saved)
        report = {
            "task": recipe["task"],
            "items": len(texts),
            "macro_f1": {
                "tawasul": ours_f1,
                "sklearn_char_lr": sklearn_f1,
                "fasttext": fasttext_f1,
            },
            "texts_per_s": {
                "tawasul_classify_cli": ours_tps,
                "sklearn_char_lr": throughput(sklearn_predict, texts),
                "fasttext": throughput(fasttext_predictor(fasttext_all), texts),
            },
        }
        print(json.dumps(report), flush=True)
        best_anchor = max(sklearn_f1, fasttext_f1)
        if min_margin is not None and ours_f1 < best_anchor - min_margin:
            behind.append(f"{recipe['task']}: macro-F1 {ours_f1:.4f} against the best anchor's {best_anchor:.4f}")
    if behind:
        print("tawasul falls behind an anchor by more than the margin: " + "; ".join(behind), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
