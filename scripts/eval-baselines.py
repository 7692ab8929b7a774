#!/usr/bin/env python3
"""Prints, from an `evaluate --out DIR`, the model against every baseline on the full test
split (AUROC, paired DeLong p, verdict) and, when DIR/headroom.tsv exists, the captured
fraction: one Markdown table per question.

    scripts/eval-baselines.py /work/runs/eval-nonlinear/evaluate
"""
import csv
import os
import sys

d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "comparison.tsv")), delimiter="\t"))
get = {(r["outcome"], r["method"]): r for r in rows if r["protocol"] == "full"}
outcomes = list(dict.fromkeys(r["outcome"] for r in rows))
trained = [o for o in outcomes if get[(o, "model")]["distribution"] == "in"]
methods = ["ensemble", "ensemble_interactions", "gbdt", "oracle_form"]


def cell(o, m):
    r = get.get((o, m))
    if r is None:
        return "—"
    p = float(r["p_vs_model"])
    mark = ""
    if p < 0.05:
        mark = " (model better)" if float(get[(o, "model")]["auc"]) > float(r["auc"]) else " (model worse)"
    return f'{float(r["auc"]):.3f}, p {p:.2g}{mark}'


print("| outcome | model | " + " | ".join(methods) + " |")
print("|---|---|" + "---|" * len(methods))
wins = {m: [0, 0, 0] for m in methods}
for o in trained:
    print(f'| {o} | {float(get[(o, "model")]["auc"]):.3f} | ' + " | ".join(cell(o, m) for m in methods) + " |")
    for m in methods:
        r = get.get((o, m))
        if r is None:
            continue
        p = float(r["p_vs_model"])
        better = float(get[(o, "model")]["auc"]) > float(r["auc"])
        wins[m][0 if p < 0.05 and better else (2 if p < 0.05 else 1)] += 1
print()
for m in methods:
    b, n, w = wins[m]
    if b + n + w:
        print(f"- against {m}: model better on {b}, no difference on {n}, worse on {w}")

h = os.path.join(d, "headroom.tsv")
if os.path.exists(h):
    print()
    print("| outcome | model | ensemble | oracle_form | captured fraction (95% CI) |")
    print("|---|---|---|---|---|")
    fr = []
    for r in csv.DictReader(open(h), delimiter="\t"):
        f = r["captured_fraction"]
        if f == "NA":
            c = "no headroom"
        else:
            fr.append(float(f))
            lo, hi = r["captured_lo"], r["captured_hi"]
            c = f"{float(f):.2f} ({float(lo):.2f} to {float(hi):.2f})" if lo != "NA" else f"{float(f):.2f}"
        print(f'| {r["outcome"]} | {float(r["auc_model"]):.3f} | {float(r["auc_ensemble"]):.3f} | {float(r["auc_oracle_form"]):.3f} | {c} |')
    if fr:
        print(f"\nMean captured fraction over {len(fr)} outcomes with headroom: {sum(fr) / len(fr):.2f}")
