"""How the report writes numbers, money, instants and tables, in Markdown and HTML (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

# Currencies written with their sign before the amount; any other unit follows it.
_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def one_line(text: str) -> str:
    """Free text on one line: a newline would break a heading or a table row."""
    return " ".join(text.split())


def score(value: float | None) -> str:
    """A score with two decimals, or a dash."""
    return "-" if value is None else f"{value:.2f}"


def number(value: float | None) -> str:
    """A value as people write it: 1,200,000 rather than 1.2e+06."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"


def amount(value: float | None, kind: str | None, unit: str | None) -> str:
    """A value with its unit: €1,600,000 for money, 40% for a percentage, 3 guides."""
    text = number(value)
    if value is None or (not unit and kind != "percentage"):
        return text
    sign = _SIGNS.get((unit or "").upper()) if kind == "currency" else None
    if sign is not None:
        return f"-{sign}{text[1:]}" if text.startswith("-") else f"{sign}{text}"
    if kind == "percentage" and unit in ("", "%", None):
        return f"{text}%"
    return f"{text} {unit}"


def instant(at: datetime | None) -> str:
    """An instant in UTC to the minute: 2026-11-10 09:00Z."""
    return "-" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table."""
    cells = [head, ["---"] * len(head), *rows]
    return ["| " + " | ".join(one_line(c).replace("|", "\\|") for c in r) + " |" for r in cells]


def html_table(head: list[str], rows: list[list[str]], css: str = "") -> str:
    """An HTML table; a table ending in ``flags`` shades its flagged rows."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    flagged = head[-1] == "flags"
    body = "".join(
        ("<tr class='flagged'>" if flagged and row[-1] else "<tr>")
        + "".join(f"<td>{escape(c)}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table class='{css}'><tr>{th}</tr>{body}</table>"
