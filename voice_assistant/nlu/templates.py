"""Sentence templates, in the style of Home Assistant's hassil.

    "[peux tu] (note|enregistre) [ma] <glycemie> {glucose} [{context}]"

`(a|b)` alternatives, `[x]` optional, `{slot}` a slot value, `<rule>` a named expansion rule of the pack.
A template expands to the word sequences it can produce; slots stay as "{slot}" tokens.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable, Union

from voice_assistant.errors import LanguageDataError

#: A template producing more sequences than this is a pack-writing mistake (and would slow matching).
MAX_EXPANSIONS = 20000


class TemplateError(LanguageDataError):
    """A template does not parse; the message says where."""


@dataclass(frozen=True)
class Words:
    words: tuple[str, ...]


@dataclass(frozen=True)
class SlotRef:
    name: str


@dataclass(frozen=True)
class RuleRef:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Alt:
    options: tuple["Node", ...]


Node = Union[Words, SlotRef, RuleRef, Seq, Alt]

_TOKEN = re.compile(r"\s*(\(|\)|\[|\]|\||\{[^{}]*\}|<[^<>]*>|[^\s()\[\]|{}<>]+)")


def parse(text: str, normalise: Callable[[str], list[str]]) -> Node:
    """Parse one template; `normalise` turns literal text into matcher tokens (lowercase, no accents)."""
    tokens = _lex(text)
    node, pos = _parse_alt(tokens, 0, normalise, text)
    if pos != len(tokens):
        raise TemplateError(f"unexpected '{tokens[pos]}' in template: {text}")
    return node


def _lex(text: str) -> list[str]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TemplateError(f"cannot read template from position {pos}: {text}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _parse_alt(tokens: list[str], pos: int, norm, text: str) -> tuple[Node, int]:
    options = []
    node, pos = _parse_seq(tokens, pos, norm, text)
    options.append(node)
    while pos < len(tokens) and tokens[pos] == "|":
        node, pos = _parse_seq(tokens, pos + 1, norm, text)
        options.append(node)
    return (options[0] if len(options) == 1 else Alt(tuple(options))), pos


def _parse_seq(tokens: list[str], pos: int, norm, text: str) -> tuple[Node, int]:
    items: list[Node] = []
    literal: list[str] = []  # plain words are normalised together: "call nine one one" -> "call 9 1 1"

    def flush() -> None:
        if literal:
            words = tuple(norm(" ".join(literal)))
            if words:
                items.append(Words(words))
            literal.clear()

    while pos < len(tokens) and tokens[pos] not in ("|", ")", "]"):
        tok = tokens[pos]
        if tok in ("(", "["):
            flush()
            closing = ")" if tok == "(" else "]"
            inner, pos = _parse_alt(tokens, pos + 1, norm, text)
            if pos >= len(tokens) or tokens[pos] != closing:
                raise TemplateError(f"missing '{closing}' in template: {text}")
            pos += 1
            items.append(inner if tok == "(" else Alt((inner, Seq(()))))
        elif tok.startswith("{"):
            flush()
            name = tok[1:-1].strip()
            if not name:
                raise TemplateError(f"empty slot reference {{}} in template: {text}")
            items.append(SlotRef(name))
            pos += 1
        elif tok.startswith("<"):
            flush()
            name = tok[1:-1].strip()
            if not name:
                raise TemplateError(f"empty rule reference <> in template: {text}")
            items.append(RuleRef(name))
            pos += 1
        else:
            literal.append(tok)
            pos += 1
    flush()
    return (items[0] if len(items) == 1 else Seq(tuple(items))), pos


def references(node: Node) -> tuple[set[str], set[str]]:
    """(slot names, rule names) a template refers to."""
    slots: set[str] = set()
    rules: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, SlotRef):
            slots.add(n.name)
        elif isinstance(n, RuleRef):
            rules.add(n.name)
        elif isinstance(n, Seq):
            for item in n.items:
                walk(item)
        elif isinstance(n, Alt):
            for item in n.options:
                walk(item)

    walk(node)
    return slots, rules


Reduce = Callable[[tuple[str, ...]], tuple[str, ...]]


def expand(node: Node, rules: dict[str, Node], reduce: Reduce = lambda t: t,
           limit: int = MAX_EXPANSIONS) -> set[tuple[str, ...]]:
    """All token sequences the template produces; slots appear as "{name}" tokens.

    `reduce` maps each partial sequence to what the matcher will see (synonyms grouped, small words
    dropped), so that alternatives which read the same collapse before they multiply.
    """
    return set(_expand(node, rules, reduce, limit, ()))


def _expand(node: Node, rules: dict[str, Node], reduce: Reduce, limit: int,
            stack: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(node, Words):
        return [reduce(node.words)]
    if isinstance(node, SlotRef):
        return [("{" + node.name + "}",)]
    if isinstance(node, RuleRef):
        if node.name in stack:
            raise TemplateError(f"rule <{node.name}> refers to itself")
        return _expand(rules[node.name], rules, reduce, limit, stack + (node.name,))
    if isinstance(node, Alt):
        out: list[tuple[str, ...]] = []
        for option in node.options:
            out.extend(_expand(option, rules, reduce, limit, stack))
        return list(dict.fromkeys(out))
    parts = [_expand(item, rules, reduce, limit, stack) for item in node.items]
    total = 1
    for p in parts:
        total *= max(1, len(p))
    if total > limit:
        raise TemplateError(f"template expands to {total} sentences (more than {limit}): split it")
    combos = (reduce(tuple(itertools.chain.from_iterable(combo))) for combo in itertools.product(*parts))
    return list(dict.fromkeys(combos))


def flat_phrases(node: Node) -> list[tuple[str, ...]] | None:
    """The phrases of a rule that is only alternatives of plain words (a synonym group), else None."""
    if isinstance(node, Words):
        return [node.words]
    if isinstance(node, Alt):
        out = []
        for option in node.options:
            if isinstance(option, Words):
                out.append(option.words)
            elif isinstance(option, Seq) and all(isinstance(i, Words) for i in option.items) and option.items:
                out.append(tuple(w for i in option.items if isinstance(i, Words) for w in i.words))
            else:
                return None
        return out
    return None
