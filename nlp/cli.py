"""`lotse classify` and `lotse nlp …`: try, train and evaluate the classifier."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


def classify_command(
    text: Annotated[str, typer.Argument(help="The resident's message.")],
    model_dir: Annotated[str | None, typer.Option(help="A trained pipeline directory.")] = None,
) -> None:
    from nlp import load_classifier

    result = load_classifier(model_dir).classify(text)
    sure = "sure" if result.confident else "unsure"
    typer.echo(f"category: {result.category}  score: {result.score:.2f}  ({sure})")
    typer.echo("top 3:    " + ", ".join(f"{c} {s:.2f}" for c, s in result.top))
    typer.echo(f"language: {result.language}")
    for place in result.places:
        street = " ".join(p for p in (place.street, place.house_number) if p) or "-"
        typer.echo(f"place:    {street}  quarter: {place.quarter or '-'}  ({place.text!r})")


@app.command("train")
def train_command(
    out: Annotated[
        str | None, typer.Option(help="Where to write the pipeline (default: the shipped one).")
    ] = None,
    extra: Annotated[
        list[str] | None,
        typer.Option(
            help=(
                "Extra labelled JSONL files (text, category, lang); 3 of 5 rows are trained "
                "on, one in five is tuned on with the dev split, one in five is held out for "
                "`evaluate --holdout`. Repeatable."
            )
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    labels: Annotated[
        str,
        typer.Option(
            help=(
                "Labels of the extra files: ours (rows relabelled by our taxonomy, "
                "nlp/data/real_labels) or platform (the export's mapping as it is)."
            )
        ),
    ] = "ours",
) -> None:
    """Train the classifier from the committed corpus (and extra files), tune it on dev."""
    from pathlib import Path

    from nlp.classifier import shipped_model_dir
    from nlp.real_labels import LABEL_SETS
    from nlp.training import train

    if labels not in LABEL_SETS:
        typer.echo(f"--labels must be one of {', '.join(LABEL_SETS)}", err=True)
        raise typer.Exit(2)
    target = Path(out) if out else shipped_model_dir()
    train(target, extra=[Path(p) for p in extra or []], seed=seed, labels=labels, log=typer.echo)
    typer.echo(f"pipeline written to {target}")


@app.command("tune")
def tune_command(
    model_dir: Annotated[
        str | None, typer.Option(help="The trained pipeline to tune (default: the shipped one).")
    ] = None,
    extra: Annotated[
        list[str] | None,
        typer.Option(
            help=(
                "The real JSONL files the pipeline was trained with (as for `train`): their "
                "tuning fifth is tuned on, never their holdout. Repeatable."
            )
        ),
    ] = None,
    refit_char_model: Annotated[
        bool,
        typer.Option(
            help="Train the character n-gram model again first (the spaCy model stays as it is)."
        ),
    ] = False,
) -> None:
    """Tune the mixing and the sure/unsure thresholds of a trained pipeline again, without
    training its spaCy model (about a minute instead of ~20): rewrites its lotse.json."""
    from pathlib import Path

    from nlp.classifier import shipped_model_dir
    from nlp.training import retune

    target = Path(model_dir) if model_dir else shipped_model_dir()
    try:
        retune(
            target,
            extra=[Path(p) for p in extra or []],
            refit_char_model=refit_char_model,
            log=typer.echo,
        )
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot tune {target}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"tuning written to {target / 'lotse.json'}")


@app.command("evaluate")
def evaluate_command(
    data: Annotated[
        str | None,
        typer.Argument(help="A labelled JSONL file (text, category); default: the test split."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    model_dir: Annotated[str | None, typer.Option(help="A trained pipeline directory.")] = None,
    split: Annotated[str, typer.Option(help="Corpus split when no FILE: test or dev.")] = "test",
    holdout: Annotated[
        bool, typer.Option(help="Only the held-out fifth of FILE (the part train never uses).")
    ] = False,
) -> None:
    """Accuracy, macro-F1, per-category P/R/F1, confusions, confident share, latency.

    A real FILE with rows relabelled by our taxonomy (nlp/data/real_labels) is measured on both
    label sets: by our taxonomy (what training uses) and as the export maps the platform's
    categories."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from nlp import load_classifier
    from nlp.real_labels import relabelled
    from nlp.training import corpus_split, evaluate, read_jsonl

    part = "holdout" if holdout else "all"
    try:
        samples = read_jsonl(Path(data), part=part) if data else corpus_split(split)
        platform = (
            read_jsonl(Path(data), part=part, labels="platform")
            if data and relabelled(Path(data).name)
            else None
        )
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot read {data}: {exc}", err=True)
        raise typer.Exit(2) from None
    if not samples:
        typer.echo("no labelled messages found", err=True)
        raise typer.Exit(2)
    classifier = load_classifier(model_dir)
    report = evaluate(classifier, samples)
    platform_report = evaluate(classifier, platform) if platform else None
    # What a message does (greeting, thanks, status question, …) is scored beside its category:
    # on the held-out intent rows, whenever the corpus is evaluated (not for a given FILE).
    intents = None
    if not data:
        from nlp import intents as intent_model

        intents = intent_model.evaluate()
    if as_json:
        extra: dict[str, object] = {"intent_accuracy": intents} if intents is not None else {}
        if platform_report is not None:
            extra["labels"] = "ours"
            extra["platform_labels"] = asdict(platform_report) | platform_report.aliases()
        typer.echo(json.dumps(asdict(report) | report.aliases() | extra, indent=2))
    else:
        if platform_report is not None and data:
            changed = relabelled(Path(data).name)
            typer.echo(
                f"labels by our taxonomy ({len(changed)} rows of the file relabelled, "
                "nlp/data/real_labels):"
            )
        for line in report.lines():
            typer.echo(line)
        if platform_report is not None:
            typer.echo("")
            typer.echo("labels as the export maps the platform's categories:")
            for line in platform_report.lines():
                typer.echo(line)
        if intents is not None:
            overall = intents.get("all/all", {})
            typer.echo("")
            typer.echo(
                f"intent accuracy (held-out intent rows): {overall.get('accuracy', 0):.3f} "
                f"(n={overall.get('n', 0)})"
            )
            typer.echo(intent_model.format_report(intents))
