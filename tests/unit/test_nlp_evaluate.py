"""`lotse nlp evaluate`'s report: language accuracy and figures per language when rows carry one."""

from __future__ import annotations

from nlp.training import Sample, evaluate
from nlp.types import Classification


class _StandIn:
    """Answers from a table: text → (category, confident, language)."""

    def __init__(self, answers: dict[str, tuple[str, bool, str]]) -> None:
        self.answers = answers

    def classify(self, text: str) -> Classification:
        category, confident, language = self.answers[text]
        scores = {category: 1.0, "other": 0.0}
        top = tuple(sorted(scores.items(), key=lambda kv: -kv[1]))
        return Classification(category, 1.0, scores, top, confident, language)


ANSWERS = {
    "Laterne aus": ("street_lighting", True, "de"),
    "lamp out": ("street_lighting", True, "de"),  # language wrong
    "sokak lambası yanmıyor": ("street_lighting", False, "tr"),
    "çöp var": ("street_cleaning", True, "tr"),  # category wrong
}


def test_language_accuracy_and_figures_per_language() -> None:
    samples = [
        Sample("Laterne aus", "street_lighting", "de"),
        Sample("lamp out", "street_lighting", "en"),
        Sample("sokak lambası yanmıyor", "street_lighting", "tr"),
        Sample("çöp var", "illegal_dumping", "tr"),
    ]
    report = evaluate(_StandIn(ANSWERS), samples)  # type: ignore[arg-type]
    assert report.language_accuracy == 0.75
    assert report.per_language["tr"] == {
        "n": 2.0,
        "accuracy": 0.5,
        "sure_share": 0.5,
        "sure_accuracy": 0.0,
        "language_accuracy": 1.0,
    }
    assert report.per_language["en"]["language_accuracy"] == 0.0
    assert any(line.startswith("language_accuracy: 0.750") for line in report.lines())


def test_rows_without_a_language_give_no_language_figures() -> None:
    report = evaluate(_StandIn(ANSWERS), [Sample("Laterne aus", "street_lighting")])  # type: ignore[arg-type]
    assert report.language_accuracy is None and report.per_language == {}
    assert not any("language" in line for line in report.lines())


def test_evaluate_on_the_corpus_reports_intent_accuracy_beside_the_categories(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import json

    from typer.testing import CliRunner

    import nlp
    import nlp.intents
    import nlp.training
    from nlp.cli import app

    monkeypatch.setattr(
        nlp.training, "corpus_split", lambda split: [Sample("Laterne aus", "street_lighting", "de")]
    )
    monkeypatch.setattr(nlp, "load_classifier", lambda model_dir=None: _StandIn(ANSWERS))
    monkeypatch.setattr(nlp.intents, "evaluate", lambda: {"all/all": {"accuracy": 0.5, "n": 2}})
    result = CliRunner().invoke(app, ["evaluate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["intent_accuracy"]["all/all"] == {"accuracy": 0.5, "n": 2}
    text = CliRunner().invoke(app, ["evaluate"]).output
    assert "intent accuracy (held-out intent rows): 0.500 (n=2)" in text


def test_evaluate_on_a_relabelled_real_file_reports_both_label_sets(
    monkeypatch,  # type: ignore[no-untyped-def]
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    import json

    from typer.testing import CliRunner

    import nlp
    from nlp.cli import app
    from nlp.real_labels import label_files

    labels = next(f for f in label_files() if f.source.startswith("konstanz"))
    changed = next(r for r in labels.rows if r.category == "street_cleaning")
    rows = [
        {"id": changed.id, "text": "çöp var", "category": "road_damage"},
        {"id": "kn-0", "text": "Laterne aus", "category": "street_lighting"},
    ]
    path = tmp_path / labels.source
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    monkeypatch.setattr(nlp, "load_classifier", lambda model_dir=None: _StandIn(ANSWERS))
    result = CliRunner().invoke(app, ["evaluate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    # The stand-in answers street_cleaning: right by our taxonomy, wrong by the platform's.
    assert figures["labels"] == "ours" and figures["accuracy"] == 1.0
    assert figures["platform_labels"]["accuracy"] == 0.5
    text = CliRunner().invoke(app, ["evaluate", str(path)]).output
    assert "labels by our taxonomy" in text
    assert "labels as the export maps the platform's categories:" in text
