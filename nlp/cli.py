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
