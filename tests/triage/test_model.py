from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from insyn.triage import MODEL_VERSION, triage
from insyn.triage.model import LinearModel, load_default, quantise
from insyn.triage.training import COLUMNS, train


def test_shipped_model_loads_without_pickle():
    model = load_default()
    assert model is not None
    assert re.fullmatch(r"\d{8}-[0-9a-f]{10}", model.version)
    assert model.columns == COLUMNS
    assert MODEL_VERSION == model.version
    assert triage("hej").model_version == model.version


def test_quantisation_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(50, len(COLUMNS))).astype(np.float32)
    meta = {"format": "insyn-triage-linear/1", "version": "t", "columns": COLUMNS,
            "features": [f"W:{i}" for i in range(50)], "thresholds": {}}  # fmt: skip
    m = LinearModel(meta, w, np.zeros(len(COLUMNS), dtype=np.float32))
    path = m.save(tmp_path)
    loaded = LinearModel.load(path)
    assert np.abs(loaded.weights - w).max() <= np.abs(w).max(axis=0).max() / 127
    assert quantise(w)["dtype"] == "int8"


def test_train_on_a_small_set_writes_a_new_version(tmp_path):
    examples = tmp_path / "examples"
    examples.mkdir()
    rows = []
    texts = [("När töms soporna?", True, "avfall_atervinning"), ("Tack för hämtningen!", False, "avfall_atervinning"),
             ("När öppnar badhuset?", True, "kultur_fritid"), ("Fin konsert igår", False, "kultur_fritid")]  # fmt: skip
    for i in range(40):
        text, na, topic = texts[i % 4]
        rows.append({"id": f"t-{i}", "text": f"{text} {i}", "kind": "comment", "needs_answer": na, "topic": topic,
                     "moderation": [], "sensitive": [], "wrong_authority": None})  # fmt: skip
    (examples / "a.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    )
    decision = {
        **rows[0],
        "id": "mod-decision-1",
        "text": "din jävla idiot",
        "moderation": ["personangrepp_fortal"],
    }
    out = tmp_path / "model"
    result = train([decision], out, examples_dir=examples)
    assert result.n_extra == 1 and result.n_dev > 0
    model = LinearModel.load(out)
    assert model.version == result.version
    assert model.meta["n_dev_held_out"] == result.n_dev


def test_word_by_word_scoring_equals_the_training_representation():
    from insyn.triage import default_triager
    from insyn.triage.rules import analyse, apply_rules

    model = default_triager().model
    texts = ["Hej! När töms soporna på Storgatan 5? Ring 070-123 45 67", "din jävla h0ra 😡😡",
             "Tack för en fin konsert 👏", "inga fler invandrarjävlar", "x", "Polisen? Pass! Pass!"]  # fmt: skip
    for text in texts:
        a = analyse(text)
        r = apply_rules(a)
        fast = model.score_analysis(a, r)
        raw = model.raw_scores(*model.space.vector(a, r))
        assert np.allclose(
            list(fast.probs.values()), list(model.probabilities(raw).values()), atol=1e-5
        )


def test_explained_contributions_add_up_to_the_score():
    from insyn.triage import default_triager
    from insyn.triage.rules import analyse, apply_rules

    model = default_triager().model
    a = analyse("Din jävla idiot, jag vet var du bor på Storgatan 5 😡")
    r = apply_rules(a)
    scores = model.score_analysis(a, r)
    raw = model.raw_scores(*model.space.vector(a, r))
    for column in ("moderation:olaga_hot", "topic:ovrigt", "needs_answer"):
        j = model.col_index[column]
        assert abs(float(scores.contrib[:, j].sum()) + model.bias[j] - raw[j]) < 1e-3
    top = model.top_features(scores, "moderation:olaga_hot")
    assert top and all(value > 0 for _, value in top)
    assert [v for _, v in top] == sorted((v for _, v in top), reverse=True)


def test_evaluate_reports_threads_alone_and_with_the_post():
    import io

    from insyn.triage.evaluate import main

    out = io.StringIO()
    assert main(["--threads"], out=out) == 0
    rows = [line for line in out.getvalue().splitlines() if line.startswith(("| tuning", "| report"))]
    assert len(rows) == 2
    for row in rows:
        alone, joined = (float(x) for x in row.strip("| ").split(" | ")[-2:])
        assert 0.0 < alone < joined <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcåäöhjr0*ei")), max_size=30) | st.text(max_size=80))
def test_a_words_known_ngrams_as_named_features(word):
    """FeatureSpace.word looks n-grams up without their "C:" names: the same ids, in order."""
    from insyn.triage import default_triager
    from insyn.triage.features import word_char_features

    space = default_triager().model.space
    padded = f" {word} "  # the definition: 3-, 4- and 5-grams of the word between spaces
    grams = tuple("C:" + padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))
    assert word_char_features(word) == grams
    expected = (
        space.index.get("W:" + word, -1),
        tuple(i for i in map(space.index.get, grams) if i is not None),
        len(grams),
    )
    space._word_cache.pop(word, None)
    assert space.word(word) == expected
