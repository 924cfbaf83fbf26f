"""Block Kit validation with Slack-style ``[ERROR] … [json-pointer:…]`` messages."""

from __future__ import annotations

import json
from typing import Any

from ._errors import SlackError

MESSAGE_BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "image",
        "rich_text",
        "markdown",
        "file",
        "video",
    }
)
VIEW_ONLY_BLOCK_TYPES = frozenset({"input"})
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
ELEMENT_TYPES = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "image",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "url_text_input",
        "workflow_button",
        "file_input",
    }
)
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


class _Checker:
    """Collects validation messages while walking a block list."""

    def __init__(self, *, in_view: bool) -> None:
        self.in_view = in_view
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def err(self, text: str, pointer: str) -> None:
        self.errors.append(f"[ERROR] {text} [json-pointer:{pointer}]")

    def max_len(self, value: Any, limit: int, pointer: str, *, required: bool = True) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str):
            self.err("must be a string", pointer)
        elif not value and required:
            self.err("must be more than 0 characters", pointer)
        elif len(value) > limit:
            self.err(f"must be less than {limit + 1} characters", pointer)

    def text_obj(self, obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            self.err("must be an object", pointer)
            return
        kind = obj.get("type")
        allowed = {"plain_text"} if plain_only else TEXT_TYPES
        if kind not in allowed:
            self.err(
                f"must be a valid enum value ({', '.join(sorted(allowed))})", f"{pointer}/type"
            )
            return
        self.max_len(obj.get("text"), limit, f"{pointer}/text")

    def unique(self, seen: set[str], value: Any, what: str, pointer: str) -> None:
        if not isinstance(value, str):
            return
        if value in seen:
            self.err(f"{what} must be unique ({value!r} is repeated)", pointer)
        seen.add(value)

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.err("must be an object", pointer)
            return
        kind = el.get("type")
        if kind not in ELEMENT_TYPES:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        if "action_id" in el:
            self.max_len(el["action_id"], 255, f"{pointer}/action_id")
            self.unique(self.action_ids, el["action_id"], "action_id", f"{pointer}/action_id")
        if kind == "button":
            self.text_obj(el.get("text"), f"{pointer}/text", 75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{pointer}/value", required=False)
            self.max_len(el.get("url"), 3000, f"{pointer}/url", required=False)
            if el.get("style") not in (None, "primary", "danger"):
                self.err("must be a valid enum value (danger, primary)", f"{pointer}/style")
        elif kind in (
            "static_select",
            "multi_static_select",
            "overflow",
            "radio_buttons",
            "checkboxes",
        ) and not (el.get("options") or el.get("option_groups")):
            self.err("must provide options or option_groups", pointer)

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.err("must be an object", pointer)
            return
        kind = block.get("type")
        known = MESSAGE_BLOCK_TYPES | (VIEW_ONLY_BLOCK_TYPES if self.in_view else frozenset())
        if kind not in known:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        if "block_id" in block:
            self.max_len(block["block_id"], 255, f"{pointer}/block_id")
            self.unique(self.block_ids, block["block_id"], "block_id", f"{pointer}/block_id")
        getattr(self, f"b_{kind}", self.b_other)(block, pointer)

    def b_section(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.err("must provide either text or fields", pointer)
        if "text" in block:
            self.text_obj(block["text"], f"{pointer}/text", 3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.err("must be an array of no more than 10 items", f"{pointer}/fields")
            else:
                for i, fld in enumerate(fields):
                    self.text_obj(fld, f"{pointer}/fields/{i}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")

    def b_header(self, block: dict[str, Any], pointer: str) -> None:
        self.text_obj(block.get("text"), f"{pointer}/text", 150, plain_only=True)

    def b_context(self, block: dict[str, Any], pointer: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            self.err("must be an array of 1 to 10 items", f"{pointer}/elements")
            return
        for i, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") == "image":
                self.max_len(el.get("alt_text"), 2000, f"{pointer}/elements/{i}/alt_text")
            else:
                self.text_obj(el, f"{pointer}/elements/{i}", 3000)

    def b_actions(self, block: dict[str, Any], pointer: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            self.err("must be an array of 1 to 25 items", f"{pointer}/elements")
            return
        for i, el in enumerate(elements):
            self.element(el, f"{pointer}/elements/{i}")

    def b_input(self, block: dict[str, Any], pointer: str) -> None:
        self.text_obj(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
        if "element" not in block:
            self.err("missing required field: element", pointer)
        else:
            self.element(block["element"], f"{pointer}/element")

    def b_image(self, block: dict[str, Any], pointer: str) -> None:
        if "image_url" not in block and "slack_file" not in block:
            self.err("must provide either image_url or slack_file", pointer)
        self.max_len(block.get("alt_text"), 2000, f"{pointer}/alt_text")

    def b_markdown(self, block: dict[str, Any], pointer: str) -> None:
        self.max_len(block.get("text"), 12000, f"{pointer}/text")

    def b_rich_text(self, block: dict[str, Any], pointer: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.err("must be an array", f"{pointer}/elements")

    def b_other(self, block: dict[str, Any], pointer: str) -> None:
        """Divider, file, video: nothing more to check."""


def parse_json_list(value: Any, *, error: str) -> list[Any] | None:
    """``blocks``/``attachments`` arrive as a JSON string or a list; ``None`` when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError(error, "[ERROR] must be a valid JSON array") from None
    if not isinstance(value, list):
        raise SlackError(error, "[ERROR] must be a JSON array")
    return value


def check_blocks(
    blocks: list[Any], *, in_view: bool = False, pointer: str = "/blocks"
) -> list[str]:
    """Validation messages for a block list (empty when valid)."""
    checker = _Checker(in_view=in_view)
    limit = MAX_VIEW_BLOCKS if in_view else MAX_MESSAGE_BLOCKS
    if len(blocks) > limit:
        checker.err(f"no more than {limit} items allowed", pointer)
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
    return checker.errors


def validate_message_blocks(value: Any) -> list[dict[str, Any]] | None:
    """Parse and validate message blocks, raising ``invalid_blocks(_format)``."""
    blocks = parse_json_list(value, error="invalid_blocks_format")
    if blocks is None:
        return None
    problems = check_blocks(blocks)
    if problems:
        raise SlackError("invalid_blocks", *problems)
    return blocks


def check_view(view: Any, *, home: bool = False) -> list[str]:
    """Validation messages for a view object (modal, or home when ``home``)."""
    if not isinstance(view, dict):
        return ["[ERROR] must be an object [json-pointer:/view]"]
    checker = _Checker(in_view=True)
    expected = "home" if home else "modal"
    if view.get("type") != expected:
        checker.err(f"must be a valid enum value ({expected})", "/view/type")
    if not home or "title" in view:
        checker.text_obj(view.get("title"), "/view/title", 24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            checker.text_obj(view[key], f"/view/{key}", 24, plain_only=True)
    checker.max_len(view.get("callback_id"), 255, "/view/callback_id", required=False)
    checker.max_len(view.get("private_metadata"), 3000, "/view/private_metadata", required=False)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        checker.err("must be an array", "/view/blocks")
        return checker.errors
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not home and "submit" not in view:
        checker.err("must provide submit when using input blocks", "/view/submit")
    return checker.errors + check_blocks(blocks, in_view=True, pointer="/view/blocks")
