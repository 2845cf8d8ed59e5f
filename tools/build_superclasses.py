"""Derive errorscope's superclass definitions (``src/errorscope/taxonomy/superclasses.toml``).

The superclasses of Peychev et al. (``artefacts/superclasses.json``) are not public. This tool writes our own
reconstruction, a readable TOML file of WordNet lemma predicates that is then reviewed and committed like
code. It is run by hand (``PYTHONPATH=src python tools/build_superclasses.py``), never at import time.

Method (constrained agglomerative clustering of the 1,000 classes on the WordNet hierarchy):

1. Constraints from the published outputs (``eth_error_analysis``):
   * must-link: every (label, prediction) of ``most_common_fg.txt`` (for a multi-label image, at least one
     label of M must share a superclass with the prediction);
   * cannot-link: the 1,019 ``common_cooccurrence_pairs.csv`` pairs (disjoint superclasses by construction) and
     every (c in M, prediction) of the fg-OOV, spurious, non-proto and model-failure listings (the fine-grained
     step comes first in the decision order, so none of those can share a superclass).
2. Start from singletons; merge the clusters of each must-link pair (deepest WordNet common ancestor first)
   unless a cannot-link or the 31-class size cap forbids it. A class whose lemma set is contained in another
   class's (501 cloak in 735 poncho, 744 projectile in 657 missile) is merged with it first: no lemma
   predicate can hold for one and not the other.
3. Then merge clusters whose lowest common WordNet ancestor has at most ``--max-lca`` classes, smallest
   ancestor first; pairs of classes that co-occur in ReaL label sets of at least two images (outside the
   listed files) and are not among the 1,019 pairs are merged first, since the authors' filter removed them
   for sharing a superclass.
4. Write each cluster of two or more classes as a superclass: a greedy cover of the cluster by WordNet nodes
   whose class set lies inside it, each node written as the shortest lemma predicate that selects exactly that
   node's classes among the 1,000. Classes left alone get the singleton fallback at run time.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from errorscope.datasets._real import real_label_sets
from errorscope.datasets._index import val_index
from errorscope.resources import resource_path  # noqa: E402
from errorscope.taxonomy.listing import parse_listing  # noqa: E402
from errorscope.taxonomy.wordnet import wordnet  # noqa: E402

CAP = 31


def constraints():
    lst = {k: parse_listing(resource_path(f"eth_error_analysis/common_error_samples/most_common_{k}.txt"))
           for k in ("fg", "fg-OOV", "model_failure", "spurious_correlation", "non-proto", "multi_label",
                     "overlapping_classes")}
    listed = {e.file_name for v in lst.values() for e in v}
    pairs_path = Path(resource_path("eth_error_analysis/models_summary.csv")).parent / "common_cooccurrence_pairs.csv"
    published = {tuple(r) for r in pd.read_csv(pairs_path)[["class_a", "class_b"]].to_numpy().tolist()}
    cannot = set(published)
    for k in ("fg-OOV", "model_failure", "spurious_correlation", "non-proto"):
        for e in lst[k]:
            for c in e.multi_labels:
                if c != e.pred:
                    cannot.add(tuple(sorted((c, e.pred))))
    must, must_any = [], []
    for e in lst["fg"]:
        if len(e.multi_labels) == 1:
            must.append(tuple(sorted((e.multi_labels[0], e.pred))))
        else:
            must_any.append((e.multi_labels, e.pred))
    real, sizes = real_label_sets()
    t = val_index().labels
    cnt: collections.Counter = collections.Counter()
    for i in range(len(sizes)):
        name = f"ILSVRC2012_val_{i + 1:08d}.JPEG"
        if sizes[i] == 0 or name in listed:
            continue
        labels = set(int(x) for x in real[i, : sizes[i]]) | {int(t[i])}
        for a, b in itertools.combinations(sorted(labels), 2):
            cnt[(a, b)] += 1
    soft = [p for p, n in cnt.items() if n >= 2 and p not in published and p not in cannot]
    return sorted(set(must)), must_any, cannot, soft


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-lca", type=int, default=12, help="merge clusters whose common ancestor has <= this many classes")
    ap.add_argument("--max-lca-organism", type=int, default=30, help="the same for clusters of organisms")
    ap.add_argument("--soft-lca", type=int, default=40, help="merge co-occurring pairs whose common ancestor has <= this many")
    ap.add_argument("--out", default=str(ROOT / "src/errorscope/taxonomy/superclasses.toml"))
    args = ap.parse_args(argv)

    wn = wordnet()
    wnids = wn.class_wnids
    anc = [wn.ancestors(w) for w in wnids]
    desc: dict[str, set[int]] = collections.defaultdict(set)
    for i, a in enumerate(anc):
        for node in a:
            desc[node].add(i)
    must, must_any, cannot, soft = constraints()
    cl = np.zeros((1000, 1000), dtype=bool)
    for a, b in cannot:
        cl[a, b] = cl[b, a] = True

    def lca_size(members) -> int:
        common = frozenset.intersection(*(anc[i] for i in members))
        return min(len(desc[n]) for n in common)

    cluster = list(range(1000))
    members: dict[int, set[int]] = {i: {i} for i in range(1000)}

    def merge(a: int, b: int, cap: int = CAP) -> bool:
        ca, cb = cluster[a], cluster[b]
        if ca == cb:
            return True
        A, B = members[ca], members[cb]
        if len(A) + len(B) > cap or cl[np.ix_(sorted(A), sorted(B))].any():
            return False
        for i in B:
            cluster[i] = ca
        A |= B
        del members[cb]
        return True

    # a class whose lemma set is inside another's goes wherever that one goes (501 cloak -> 735 poncho)
    class_lemmas = wn.class_lemma_sets()
    for i, j in itertools.permutations(range(1000), 2):
        if class_lemmas[i] <= class_lemmas[j] and not merge(i, j):
            raise SystemExit(f"classes {i} and {j} cannot be separated by lemma predicates but must be")
    failed = [p for p in sorted(must, key=lambda p: lca_size(p)) if not merge(*p)]
    for labels, p in must_any:
        if any(cluster[c] == cluster[p] for c in labels):
            continue
        for c in sorted(labels, key=lambda c: lca_size((c, p))):
            if merge(c, p):
                break
        else:
            failed.append(tuple(sorted(((c, p) for c in labels), key=lambda q: lca_size(q))))
    for a, b in sorted(soft, key=lambda p: lca_size(p)):
        if lca_size((a, b)) <= args.soft_lca:
            merge(a, b)
    # agglomerate on the hierarchy, smallest common ancestor first
    organism = [n for n in desc if wn.lemmas.get(n, ())[:1] == ("organism",)][0]
    limit = lambda n: args.max_lca_organism if desc[n] <= desc[organism] else args.max_lca  # noqa: E731
    nodes = sorted((n for n in desc if 2 <= len(desc[n]) <= limit(n)), key=lambda n: (len(desc[n]), n))
    for node in nodes:
        ds = sorted(desc[node])
        for a, b in itertools.combinations(ds, 2):
            merge(a, b)

    clusters = [sorted(m) for m in members.values() if len(m) > 1]
    # must-links the partition could not honour get small overlapping superclasses of their own
    extra: list[set[int]] = []
    def closed(group: set[int]) -> set[int]:
        return group | {j for i in group for j in range(1000) if class_lemmas[i] <= class_lemmas[j]}

    for item in dict.fromkeys(failed):
        options = item if isinstance(item[0], tuple) else (item,)  # any one pair of a multi-label entry will do
        pair = next((closed(set(q)) for q in options
                     if not cl[np.ix_(sorted(closed(set(q))), sorted(closed(set(q))))].any()), None)
        if pair is None:
            continue
        for group in extra:
            grown = group | pair
            if len(grown) <= 6 and not cl[np.ix_(sorted(grown), sorted(grown))].any() and lca_size(grown) <= 130:
                group |= pair
                break
        else:
            extra.append(pair)
    clusters = sorted(clusters + [sorted(g) for g in extra], key=lambda m: (m[0], len(m)))
    lines = write_toml(wn, clusters, desc, anc)
    Path(args.out).write_text(lines, encoding="utf-8")
    same = np.eye(1000, dtype=bool)
    for m in clusters:
        same[np.ix_(m, m)] = True
    n_pairs = int(np.triu(same, 1).sum())
    covered = set(i for m in clusters for i in m)
    singles = 1000 - len(covered)
    from errorscope.taxonomy.wordnet import class_groups
    g = class_groups()
    for k in ("organism", "artifact", "other"):
        ns = sum(any(g[k][i] for i in m) for m in clusters)
        ss = sum(1 for i in range(1000) if g[k][i] and i not in covered)
        print(f"{k}: {ns + ss} = {ss} + {ns}", file=sys.stderr)
    sizes = [len(m) for m in clusters]
    print(f"sizes {min(sizes)}..{max(sizes)} median {np.median(sizes)} mean {np.mean(sizes):.3f}", file=sys.stderr)
    print(f"{len(clusters)} superclasses + {singles} singletons; {n_pairs} same-superclass pairs; "
          f"{len(failed)} must-links not satisfiable: {failed}", file=sys.stderr)
    return 0


def predicate_for(wn, node: str, own: set[int], target: set[int], class_lemmas):
    """Shortest lemma predicate of ``node`` that holds for all of ``own`` and nothing outside ``target``."""
    lemmas = wn.lemmas.get(node, ())
    combos = [(lem,) for lem in lemmas] + list(itertools.combinations(lemmas, 2))
    # a lemma of the node disambiguated by a lemma of one of its ancestors (crane the bird vs crane the machine)
    combos += [(lem, up) for up_node in sorted(wn.ancestors(node) - {node}) for up in wn.lemmas.get(up_node, ())
               for lem in lemmas]
    for combo in combos:
        hit = {i for i, s in enumerate(class_lemmas) if all(c in s for c in combo)}
        if own <= hit <= target:
            return list(combo), hit
    return None


def write_toml(wn, clusters, desc, anc) -> str:
    class_lemmas = wn.class_lemma_sets()
    used: collections.Counter = collections.Counter()
    out = [
        "# errorscope superclasses: our own reconstruction, NOT the unpublished superclasses.json of Peychev et al.",
        "# Generated by tools/build_superclasses.py, then reviewed and committed like code.",
        "# A class is in superclass X if ANY predicate of X holds; a predicate (a list of WordNet lemma names,",
        "# NLTK spelling: words joined by '_', case kept) holds if EVERY name is a lemma of some node on any",
        "# hypernym path of the class (the class synset itself included). Classes in no superclass get a",
        "# singleton superclass named by their wnid at run time. The comment after each predicate names the",
        "# classes it selects.",
        "",
        "[superclasses]",
    ]
    for m in clusters:
        target = set(m)
        common = frozenset.intersection(*(anc[i] for i in m))
        lca = min(common, key=lambda n: (len(desc[n]), n))
        if len(desc[lca]) <= 60:
            base = wn.lemmas.get(lca, (lca,))[0]
        else:  # no meaningful common ancestor: name it after its first two members
            base = "_".join(wn.lemmas[wn.class_wnids[i]][0] for i in m[:2])
        base = base.lower().replace("-", "_").replace("'", "").replace(".", "")
        used[base] += 1
        name = base if used[base] == 1 else f"{base}_{used[base]}"
        remaining = set(m)
        preds: list[tuple[list[str], list[int]]] = []
        candidates = sorted({n for i in m for n in anc[i] if desc[n] <= target},
                            key=lambda n: (-len(desc[n]), n))
        for node in candidates:
            sel = desc[node]
            if not sel & remaining:
                continue
            found = predicate_for(wn, node, sel, target, class_lemmas)
            if found is None:
                continue
            pred, sel = found
            preds.append((pred, sorted(sel)))
            remaining -= sel
            if not remaining:
                break
        if remaining:
            raise SystemExit(f"cannot express classes {sorted(remaining)} of cluster {name} as lemma predicates")
        out.append(f"{name} = [")
        for pred, sel in preds:
            names = ", ".join(f"{i} {wn.name(wn.class_wnids[i])}" for i in sel)
            out.append(f"    {json.dumps(pred, ensure_ascii=False)},  # {names}")
        out.append("]")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
