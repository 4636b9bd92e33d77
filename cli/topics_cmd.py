"""`threads classify`, `threads label`, `threads train`, `threads evaluate`: topic commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from cli.console import make_console
from cli.context import state
from cli.moderation_cmd import BY_HELP, _actor
from cli.safe_text import safe_json, safe_text, visible
from threads.db import session_scope
from threads.errors import InvalidInput
from threads.topics.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from threads.topics.evaluation import Agreement, Evaluation

# The classifier, evaluation and training modules (and NLTK behind them, half a second of
# start-up) are imported by the commands that use them: every other command, `threads ingest`
# of a small file first, starts without them.

TAXONOMY_HELP = "Codebook TOML file (default: $THREADS_TAXONOMY_PATH, else the packaged default)."
#: runs with more comments than this show a progress bar (on a terminal)
PROGRESS_FROM = 2000


def _taxonomy(ctx: typer.Context, given: Path | None) -> Taxonomy:
    return load_taxonomy(given or state(ctx).settings.taxonomy_path)


def classify(
    ctx: typer.Context,
    thread: int | None = typer.Option(None, "--thread", help="Only this thread's comments."),
    all_: bool = typer.Option(
        False,
        "--all",
        help="Every selected comment, not only those new, changed or classified under "
        "another codebook version or other learned models.",
    ),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    input_: str | None = typer.Option(
        None,
        "--input",
        help="Research mode, no database: classify the JSONL lines {id, body} of FILE "
        "('-' for stdin) and write one JSON line per input to stdout.",
        metavar="FILE",
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        min=1,
        help="Worker processes (default 1; with --dask, one per core); same results as one.",
    ),
    shards: Path | None = typer.Option(
        None,
        "--dask",
        help="Research mode with Dask (the extra `dask`): classify each NDJSON "
        "shard (.jsonl, .ndjson, .json, each optionally .zst) of DIR into --out.",
        metavar="DIR",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="With --dask: the folder for the output shards.", metavar="DIR"
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="With --dask: a Dask scheduler's address (tcp://host:8786); default: local "
        "processes (--jobs of them, else one per core).",
        metavar="ADDRESS",
    ),
    codebook_only: bool = typer.Option(
        False,
        "--codebook-only",
        help="Research mode: the codebook alone, without the learned layer trained on the "
        "shipped labelled comments.",
    ),
) -> None:
    """Classify comments by topic and store the labels (source 'auto'), incrementally."""
    codebook = _taxonomy(ctx, taxonomy)
    if shards is None and (out is not None or scheduler is not None):
        raise InvalidInput("--out and --scheduler go with --dask DIR", field="--dask")
    if input_ is not None and shards is not None:
        raise InvalidInput("give --input FILE or --dask DIR, not both", field="--input")
    for given, name, what in ((input_, "--input", "a file"), (shards, "--dask", "shards")):
        if given is not None and (thread is not None or all_):
            raise InvalidInput(
                f"{name} classifies {what}; --thread and --all apply to stored comments",
                field=name,
            )
    if input_ is not None:
        _classify_file(input_, codebook, jobs or 1, codebook_only=codebook_only)
        return
    if shards is not None:
        _classify_shards(shards, out, scheduler, codebook, jobs, codebook_only=codebook_only)
        return
    if codebook_only:
        raise InvalidInput(
            "--codebook-only applies to --input; stored comments are classified with the "
            "codebook and its learned models",
            field="--codebook-only",
        )
    from threads.topics.service import classify_stored

    engine = state(ctx).engine()
    err = make_console(stderr=True)
    with Progress(
        TextColumn("classifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("classify", total=None)

        def progress(done: int, total: int) -> None:
            if total >= PROGRESS_FROM:
                bar.update(task, completed=done, total=total)

        stats = classify_stored(
            engine, codebook, thread_id=thread, everything=all_, progress=progress, jobs=jobs or 1
        )
    layers = (
        f"codebook + learned models ({', '.join(stats.learned_topics)})"
        if stats.learned_topics
        else "codebook only"
    )
    typer.echo(
        visible(
            f"classified {_n(stats.classified, 'comment')} with {codebook.name} "
            f"(version {codebook.version}, {layers})"
            + (f"; {_n(stats.purged, 'purged comment')} skipped" if stats.purged else ""),
            one_line=True,
        )
    )
    if stats.classified:
        parts = [f"{t} {stats.by_topic.get(t, 0)}" for t in codebook.topic_ids]
        line = "  " + ", ".join(parts) + f", no topic {stats.unlabelled}"
        typer.echo(visible(line, one_line=True))
        mix = sorted(stats.languages.items(), key=lambda item: (-item[1], item[0]))
        line = "  languages: " + ", ".join(f"{lang} {n}" for lang, n in mix)
        na = sum(stats.sentiment_na.values())
        if na:
            line += f"; sentiment n/a for {_n(na, 'comment')} (languages: "
            line += ", ".join(sorted(stats.sentiment_na)) + ")"
        typer.echo(visible(line, one_line=True))
    elif not stats.considered:
        typer.echo("  nothing to do: every comment is classified under this codebook")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _research_models(codebook: Taxonomy, codebook_only: bool) -> dict[str, Any] | None:
    """The learned layer research mode uses: the one trained on the shipped labelled comments,
    unless --codebook-only."""
    from threads.topics.gold import shipped_models

    return None if codebook_only else shipped_models(codebook)


def _classify_file(source: str, codebook: Taxonomy, jobs: int, *, codebook_only: bool) -> None:
    from threads.topics.evaluation import read_items
    from threads.topics.parallel import write_research_lines

    models = _research_models(codebook, codebook_only)
    records = ((item.id, item.body) for item in read_items(source, gold=False))
    try:
        write_research_lines(records, codebook, sys.stdout, jobs=jobs, models=models)
    finally:
        sys.stdout.flush()


def _classify_shards(
    folder: Path,
    out: Path | None,
    scheduler: str | None,
    codebook: Taxonomy,
    jobs: int | None,
    *,
    codebook_only: bool,
) -> None:
    from threads.topics.shards import classify_shards

    if out is None:
        raise InvalidInput("--dask DIR needs --out DIR for the output shards", field="--out")
    if scheduler is not None and jobs is not None:
        raise InvalidInput(
            "--jobs: with --scheduler the cluster's workers do the work", field="--jobs"
        )
    models = _research_models(codebook, codebook_only)
    results = classify_shards(folder, out, codebook, scheduler=scheduler, jobs=jobs, models=models)
    total = sum(r.records for r in results)
    typer.echo(
        visible(
            f"classified {_n(total, 'record')} in {_n(len(results), 'shard')} with "
            f"{codebook.name} (version {codebook.version}, "
            f"{'codebook only' if not models else 'codebook and learned layer'}) into {out}",
            one_line=True,
        )
    )


def label(
    ctx: typer.Context,
    comment_id: int | None = typer.Argument(None, help="The comment to label."),
    add: list[str] = typer.Option([], "--add", help="A topic id to add (repeatable)."),
    remove: list[str] = typer.Option(
        [], "--remove", help="A topic id to remove: kept as 'not this topic' (repeatable)."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    next_: int | None = typer.Option(
        None,
        "--next",
        help="Instead of labelling: list the N comments whose automatic labels are least "
        "certain (scores nearest a threshold), with their scores and evidence.",
        metavar="N",
    ),
    format_: str = typer.Option("rich", "--format", help="rich or json (with --next)."),
) -> None:
    """Add or remove a moderator's topic labels on a comment (audited); --next N lists the
    comments a label would help most."""
    from threads.topics.labels import set_labels

    _check_format(format_)
    codebook = _taxonomy(ctx, taxonomy)
    if next_ is not None:
        if comment_id is not None or add or remove:
            raise InvalidInput(
                "--next lists comments to label; give it without COMMENT_ID, --add or --remove",
                field="--next",
            )
        _label_next(ctx, codebook, next_, format_)
        return
    if comment_id is None:
        raise InvalidInput("give COMMENT_ID with --add/--remove, or --next N", field="comment_id")
    actor = _actor(ctx, by)
    with session_scope(state(ctx).engine()) as session:
        topics = set_labels(
            session, comment_id, add=add, remove=remove, actor=actor, taxonomy=codebook
        )
    typer.echo(
        visible(
            f"comment {comment_id}: topics {', '.join(topics) if topics else '(none)'} "
            f"(labelled by {actor.name})",
            one_line=True,
        )
    )


def _label_next(ctx: typer.Context, codebook: Taxonomy, limit: int, format_: str) -> None:
    from threads.topics.uncertainty import next_to_label

    with session_scope(state(ctx).engine()) as session:
        found = next_to_label(session, codebook, limit=limit)
    if format_ == "json":
        rows = [f.as_dict() for f in found]
        typer.echo(safe_json(json.dumps(rows, indent=2, ensure_ascii=False)))
        return
    console = make_console()
    if not found:
        console.print(
            "nothing to suggest: no classified comment without a moderator's label "
            "(threads classify first)"
        )
        return
    table = Table(
        title=safe_text(f"least certain labels in {codebook.name}: label these next"),
        title_justify="left",
    )
    table.add_column("comment", justify="right")
    table.add_column("margin", justify="right")
    table.add_column("scores (* assigned)", overflow="fold")
    table.add_column("evidence", overflow="fold")
    table.add_column("text", overflow="fold", ratio=1)
    for f in found:
        scores = [f"{t} {s:.2f}{' *' if f.assigned[t] else ''}" for t, s in f.scores.items()]
        evidence = [
            f"{t}: "
            + ", ".join(
                repr(e["text"]) + (" (learned)" if e["layer"] == "learned" else "") for e in ev
            )
            for t, ev in f.evidence.items()
        ]
        table.add_row(
            str(f.comment_id),
            f"{f.margin:.2f}",
            _lines(scores),
            _lines(evidence or ["-"]),
            safe_text(f.text),
        )
    console.print(table)
    console.print(
        "margin: distance of the nearest score to its topic's threshold; label one with "
        "threads label COMMENT_ID --add TOPIC / --remove TOPIC, then threads train"
    )


def _lines(lines: list[str]) -> Text:
    """Lines of outside text as one table cell (each line escaped on its own)."""
    cell = Text()
    for i, line in enumerate(lines):
        if i:
            cell.append("\n")
        cell.append_text(safe_text(line))
    return cell


def codebooks(
    ctx: typer.Context,
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    format_: str = typer.Option("rich", "--format", help="rich or json."),
) -> None:
    """List the codebooks whose labels the database holds, with versions and label counts."""
    from threads.topics.service import list_codebooks

    _check_format(format_)
    configured = _taxonomy(ctx, taxonomy)
    with session_scope(state(ctx).engine()) as session:
        books = list_codebooks(session, configured)
    if format_ == "json":
        typer.echo(
            safe_json(json.dumps([b.as_dict() for b in books], indent=2, ensure_ascii=False))
        )
        return
    console = make_console()
    table = Table(title="codebooks", title_justify="left")
    for name, justify in [
        ("codebook", "left"),
        ("versions", "left"),
        ("auto", "right"),
        ("moderator", "right"),
        ("labelled", "right"),
        ("classified", "right"),
    ]:
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    configured_line = None
    for b in books:
        table.add_row(
            safe_text(b.name + (" *" if b.configured else "")),
            safe_text(", ".join(b.versions) or "-"),
            str(b.automatic_labels),
            str(b.moderator_labels),
            str(b.labelled_comments),
            str(b.classified_comments),
        )
        if b.configured:
            configured_line = f"* configured (version {b.configured_version}): classify, "
            configured_line += "label, train and every view of topics use it by default"
    console.print(table)
    if configured_line:
        console.print(safe_text(configured_line))


def train(
    ctx: typer.Context,
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    format_: str = typer.Option("rich", "--format", help="rich or json."),
    shipped: bool = typer.Option(
        True,
        "--shipped/--no-shipped",
        help="Train on the labelled comments shipped with the package as well (for the topics "
        "whose ids the default codebook shares).",
    ),
) -> None:
    """Fit the learned layer on the shipped labelled comments and moderator labels; report
    labels per topic (warns under 30)."""
    from threads.topics.service import train_models

    _check_format(format_)
    codebook = _taxonomy(ctx, taxonomy)
    with session_scope(state(ctx).engine()) as session:
        result = train_models(session, codebook, shipped=shipped)
    if format_ == "json":
        typer.echo(safe_json(json.dumps(result.as_dict(), indent=2)))
    else:
        console = make_console()
        table = Table(title=safe_text(f"Labels for {codebook.name} (version {codebook.version})"))
        for name in ("topic", "positive", "negative", "total", "model"):
            table.add_column(name, justify="left" if name == "topic" else "right")
        for t in result.labels:
            table.add_row(
                safe_text(t.topic_id),
                str(t.positives),
                str(t.negatives),
                str(t.total),
                "trained" if t.topic_id in result.trained else "—",
            )
        console.print(table)
        console.print(f"{result.reviewed_comments} comments labelled by moderators")
        if result.shipped_comments:
            console.print(
                safe_text(
                    f"{result.shipped_comments} labelled comments shipped with threads "
                    f"(topics {', '.join(result.shipped_topics)})"
                )
            )
    err = make_console(stderr=True)
    for warning in result.warnings:
        err.print(safe_text(f"warning: {warning}", style="yellow"))


def evaluate_cmd(
    ctx: typer.Context,
    gold: str | None = typer.Option(
        None,
        "--gold",
        help="Gold JSONL: lines {id, body, topics: [...]}; builtin:NAME for a set shipped with "
        "threads (labelled, train, holdout, paraphrase_holdout, seed).",
        metavar="FILE",
    ),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    format_: str = typer.Option("rich", "--format", help="rich or json."),
    learned: bool = typer.Option(
        False,
        "--learned",
        help="Use the learned models stored in the database (threads train) instead of those "
        "trained on the shipped labelled comments.",
    ),
    codebook_only: bool = typer.Option(
        False, "--codebook-only", help="The codebook alone, without the learned layer."
    ),
    folds: int | None = typer.Option(
        None,
        "--folds",
        help="Cross-validate the learned layer on the gold file itself (k folds).",
    ),
    agreement_: bool = typer.Option(
        False,
        "--agreement",
        help="Agreement between moderators who labelled the same comments (Cohen's kappa, "
        "Krippendorff's alpha); from --annotations FILE if given, else from the database.",
    ),
    annotations: Path | None = typer.Option(
        None,
        "--annotations",
        help="JSONL lines {id, coder, topics, body} for --agreement.",
        metavar="FILE",
    ),
    show: int = typer.Option(20, "--show", help="Disagreements shown (rich format)."),
) -> None:
    """Precision, recall and F1 per topic against a gold file (by default with the codebook and
    the learned layer trained on the shipped labelled comments), and where they disagree."""
    from threads.topics.classifier import Classifier
    from threads.topics.evaluation import agreement, cross_validate, evaluate_gold, read_items
    from threads.topics.gold import shipped_models
    from threads.topics.service import build_classifier, moderator_annotations

    _check_format(format_)
    codebook = _taxonomy(ctx, taxonomy)
    if gold is None and not agreement_ and annotations is None:
        raise InvalidInput("give --gold FILE, or --agreement", field="--gold")
    chosen = [n for n, on in (("--learned", learned), ("--codebook-only", codebook_only),
                              ("--folds", folds is not None)) if on]  # fmt: skip
    if len(chosen) > 1:
        raise InvalidInput(f"{' and '.join(chosen)}: give one of them", field=chosen[1])
    result: dict[str, Any] = {}
    evaluation: Evaluation | None = None
    if gold is not None:
        if folds is not None:
            items = list(read_items(gold, gold=True, taxonomy=codebook))
            if not items:
                raise InvalidInput(f"{gold}: no gold lines", field="--gold")
            evaluation = cross_validate(items, codebook, folds=folds)
        else:
            if learned:
                with session_scope(state(ctx).engine()) as session:
                    clf = build_classifier(session, codebook)
            elif codebook_only:
                clf = Classifier(codebook)
            else:
                clf = Classifier(codebook, shipped_models(codebook))
            evaluation = evaluate_gold(gold, clf)
        result = evaluation.as_dict()
    agreements: list[Agreement] | None = None
    if agreement_ or annotations is not None:
        if annotations is not None:
            coded = [
                (it.coder or "", it.id, it.topics or frozenset())
                for it in read_items(annotations, gold=True, taxonomy=codebook)
            ]
            if any(not c for c, _, _ in coded):
                raise InvalidInput(f"{annotations}: every line needs a coder", field="coder")
        else:
            with session_scope(state(ctx).engine()) as session:
                coded = moderator_annotations(session, codebook)
        agreements = agreement(coded, codebook.topic_ids)
        result["agreement"] = [a.as_dict() for a in agreements]
    if format_ == "json":
        typer.echo(safe_json(json.dumps(result, indent=2, ensure_ascii=False)))
        return
    console = make_console()
    if evaluation is not None:
        _render_evaluation(console, evaluation, codebook, show)
    if agreements is not None:
        _render_agreement(console, agreements)


def _check_format(value: str) -> None:
    if value not in ("rich", "json"):
        raise InvalidInput(f"--format: expected rich or json, not {value!r}", field="--format")


def _render_evaluation(console: Any, ev: Evaluation, codebook: Taxonomy, show: int) -> None:
    table = Table(
        title=safe_text(
            f"{ev.taxonomy} (version {ev.version}) on {ev.items} comments — {ev.method}"
        )
    )
    for name in ("topic", "precision", "recall", "F1", "support", "tp", "fp", "fn"):
        table.add_column(name, justify="left" if name == "topic" else "right")
    for t, m in ev.per_topic.items():
        table.add_row(
            safe_text(t), f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support),
            str(m.tp), str(m.fp), str(m.fn),
        )  # fmt: skip
    table.add_section()
    mi = ev.micro
    table.add_row(
        "micro", f"{mi.precision:.3f}", f"{mi.recall:.3f}", f"{mi.f1:.3f}", str(mi.support),
        str(mi.tp), str(mi.fp), str(mi.fn), style="bold",
    )  # fmt: skip
    ma = ev.macro
    table.add_row(
        "macro", f"{ma['precision']:.3f}", f"{ma['recall']:.3f}", f"{ma['f1']:.3f}",
        str(ma["support"]), "", "", "", style="bold",
    )  # fmt: skip
    console.print(table)
    console.print(
        f"exact match (all topics right): {ev.exact_match:.1%}; "
        f"{len(ev.disagreements)} comments where the classifier and the gold set disagree"
    )
    for note in ev.notes:
        console.print(safe_text(f"note: {note}", style="yellow"))
    for d in ev.disagreements[:show]:
        body = " ".join(d.body.split())
        if len(body) > 160:
            body = body[:157] + "…"
        console.print()
        console.print(Text.assemble(safe_text(d.id, style="bold"), ": ", safe_text(body)))
        if d.missed:
            console.print(safe_text(f"  missed: {', '.join(d.missed)}", style="red"))
            for t in d.missed:
                why = _why(d.evidence.get(t))
                console.print(safe_text(f"    {t} score {d.scores.get(t, 0):.2f}{why}"))
        if d.extra:
            console.print(safe_text(f"  extra:  {', '.join(d.extra)}", style="yellow"))
            for t in d.extra:
                why = _why(d.evidence.get(t))
                console.print(safe_text(f"    {t} score {d.scores.get(t, 0):.2f}{why}"))
    if len(ev.disagreements) > show:
        console.print(f"… {len(ev.disagreements) - show} more (--show N, or --format json)")


def _why(evidence: list[dict[str, Any]] | None) -> str:
    if not evidence:
        return ": no evidence"
    parts = [
        f"{e.get('text')!r}" + (" (learned)" if e.get("layer") == "learned" else "")
        for e in evidence[:6]
    ]
    return " from " + ", ".join(parts)


def _render_agreement(console: Any, agreements: list[Agreement]) -> None:
    table = Table(title="Agreement between moderators")
    for name in ("topic", "items", "coders", "pairs", "Cohen's kappa", "Krippendorff's alpha"):
        table.add_column(name, justify="left" if name == "topic" else "right")
    for a in agreements:
        table.add_row(
            safe_text("all topics" if a.topic_id == "*" else a.topic_id),
            str(a.items),
            str(a.coders),
            str(a.pairs),
            "—" if a.kappa is None else f"{a.kappa:.3f}",
            "—" if a.alpha is None else f"{a.alpha:.3f}",
        )
    console.print(table)
    notes = sorted({a.note for a in agreements if a.note})
    for note in notes:
        console.print(safe_text(f"note: {note}"))
