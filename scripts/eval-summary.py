#!/usr/bin/env python3
"""Prints the verdict table of an `evaluate --out DIR` (comparison.tsv) as Markdown: the model
against the paper's baseline of each outcome (the ensemble for in-distribution outcomes,
the correlated-outcome ensemble for zero-shot ones), full test split and balanced protocol.

    scripts/eval-summary.py /work/runs/eval-nonlinear/evaluate
"""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1] + "/comparison.tsv"), delimiter="\t"))
get = {(r["outcome"], r["method"], r["protocol"]): r for r in rows}
outcomes = list(dict.fromkeys(r["outcome"] for r in rows))


def ci(r):
    return f'{float(r["auc"]):.3f} ({float(r["auc_lo"]):.3f}–{float(r["auc_hi"]):.3f})'


def verdict(m, b):
    p = float(b["p_vs_model"])
    if p >= 0.05:
        return "no difference"
    return "**model better**" if float(m["auc"]) > float(b["auc"]) else "model worse"


print("| outcome | baseline | model AUROC (full) | baseline AUROC (full) | p | verdict | model (balanced) | baseline (balanced) | median p | verdict |")
print("|---|---|---|---|---|---|---|---|---|---|")
for o in outcomes:
    dist = get[(o, "model", "full")]["distribution"]
    base = "ensemble" if dist == "in" else "correlated_outcome"
    cells = [o + ("" if dist == "in" else " (zero-shot)"), base]
    for protocol in ["full", "balanced"]:
        m, b = get[(o, "model", protocol)], get[(o, base, protocol)]
        p = float(b["p_vs_model"])
        cells += [ci(m) if protocol == "full" else f'{float(m["auc"]):.3f} ± {float(m["auc_sd"]):.3f}',
                  ci(b) if protocol == "full" else f'{float(b["auc"]):.3f} ± {float(b["auc_sd"]):.3f}',
                  f"{p:.2g}", verdict(m, b)]
    print("| " + " | ".join(cells) + " |")
