"""Playbook files: the builtins shipped in ``bot/playbooks/`` and the operator's own files.

A service's ``playbook`` in the policy file is ``None``/``"default"`` (the builtin
``default``), a builtin's bare name (``api``, ``db``, ``langgraph``, ``n8n``, ``default``), or a
path (relative to ``base_dir``, usually the policy file's folder, or absolute) to a ``.md``,
``.markdown``, ``.yml`` or ``.yaml`` file. Parsing is in ``bot.domain.playbooks``; this module
only finds and reads the file, and every failure is a ``PlaybookError`` naming the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain.playbooks import Playbook, PlaybookError, parse_markdown, parse_yaml

__all__ = ["BUILTIN_DIR", "DEFAULT", "builtin_names", "load_playbook"]

BUILTIN_DIR = Path(__file__).resolve().parent / "playbooks"
DEFAULT = "default"
_MARKDOWN = (".md", ".markdown")
_YAML = (".yml", ".yaml")


def builtin_names() -> list[str]:
    """The shipped playbooks' names, sorted (``api``, ``db``, ``default``, …)."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.md"))


def load_playbook(ref: str | None, *, base_dir: Path) -> Playbook:
    """The playbook ``ref`` names (see the module docstring); raises ``PlaybookError``."""
    ref = (ref or "").strip() or DEFAULT
    builtins = builtin_names()
    if ref in builtins:
        return _read(BUILTIN_DIR / f"{ref}.md", name=ref)
    if ref.startswith(("http://", "https://")):
        raise PlaybookError(ref, "a URL cannot be loaded as a checklist; use a file or a builtin")
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if not path.suffix and "/" not in ref and "\\" not in ref:
        raise PlaybookError(
            ref,
            f"no builtin playbook has this name ({', '.join(builtins)}), "
            "and a file needs a .md or .yml suffix",
        )
    return _read(path, name=ref)


def _read(path: Path, *, name: str) -> Playbook:
    suffix = path.suffix.lower()
    if suffix not in _MARKDOWN + _YAML:
        known = ", ".join(_MARKDOWN + _YAML)
        raise PlaybookError(
            name, f"unknown file type {path.suffix!r} (use {known})", file=str(path)
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PlaybookError(name, f"cannot read the file: {reason}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise PlaybookError(name, "the file is not UTF-8 text", file=str(path)) from exc
    try:
        if suffix in _MARKDOWN:
            return parse_markdown(text, name=name)
        return parse_yaml(_load_yaml(text, name=name), name=name)
    except PlaybookError as exc:
        raise exc.in_file(str(path)) from exc


def _load_yaml(text: str, *, name: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookError(name, f"not valid YAML: {problem}", where=where) from exc
