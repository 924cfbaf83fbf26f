"""A tiny LangGraph graph for opsbot's tests and demo; it needs no model.

``prepare`` → ``work`` (raises ``RuntimeError`` when ``fail`` is true) → ``approve`` (asks a
human through ``interrupt`` when ``need_approval`` is true) → ``finish``. Each node appends its
name to ``steps``. Resume the interrupt with ``{"approved": bool, "by": str, "comment": str}``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    task: str
    fail: bool
    need_approval: bool
    steps: Annotated[list[str], operator.add]
    result: str


def prepare(state: State) -> dict[str, Any]:
    return {"steps": ["prepare"]}


def work(state: State) -> dict[str, Any]:
    task = state.get("task", "")
    if state.get("fail"):
        raise RuntimeError(f"work failed on purpose for task={task!r}")
    return {"steps": ["work"], "result": task.upper()}


def approve(state: State) -> dict[str, Any]:
    answer = interrupt({"question": f"Deploy the fix for {state.get('task', '')}?"})
    approved = isinstance(answer, dict) and bool(answer.get("approved"))
    by = answer.get("by", "") if isinstance(answer, dict) else ""
    result = state.get("result", "") if approved else f"rejected by {by}".strip()
    return {"steps": ["approve"], "result": result}


def finish(state: State) -> dict[str, Any]:
    return {"steps": ["finish"]}


def _after_work(state: State) -> str:
    return "approve" if state.get("need_approval") else "finish"


builder = StateGraph(State)
builder.add_node("prepare", prepare)
builder.add_node("work", work)
builder.add_node("approve", approve)
builder.add_node("finish", finish)
builder.add_edge(START, "prepare")
builder.add_edge("prepare", "work")
builder.add_conditional_edges("work", _after_work, ["approve", "finish"])
builder.add_edge("approve", "finish")
builder.add_edge("finish", END)
graph = builder.compile()
