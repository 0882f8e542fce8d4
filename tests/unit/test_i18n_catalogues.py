"""The message catalogues (docs/ui.md): every key in both languages with the same
placeholders, every key the UI uses exists, every code the domain knows has a name, and
the UI's files hold no user-visible words outside the catalogues."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

from accounts.model import Role
from api.map_index import STATUS_NAMES
from domain.alarm_lifecycle import AlarmState
from domain.alarms import AlarmType
from domain.codes import DoorState, EventCode, FaultCode, ServiceMode
from domain.districts import DISTRICTS
from domain.fleet import BuildingType
from i18n import catalogue as server_catalogue
from public.model import CATEGORIES, PublicStatus, ReportKind
from rescue.lifecycle import CaseState

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"
UI_CATALOGUES = STATIC / "i18n"
SERVER_CATALOGUES = ROOT / "i18n" / "messages"
LANGS = ("zh-CN", "en")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def load_dir(folder: Path, lang: str) -> dict[str, dict[str, str]]:
    """area -> messages of one language."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted((folder / lang).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        out[path.stem] = data
    return out


def merged(folder: Path, lang: str) -> dict[str, str]:
    return {k: v for area in load_dir(folder, lang).values() for k, v in area.items()}


@pytest.mark.parametrize("folder", [UI_CATALOGUES, SERVER_CATALOGUES], ids=["ui", "server"])
def test_every_key_in_both_languages_with_the_same_placeholders(folder: Path) -> None:
    zh, en = load_dir(folder, "zh-CN"), load_dir(folder, "en")
    assert zh, f"no catalogues in {folder}"
    assert sorted(zh) == sorted(en), "the same area files in every language"
    for area in zh:
        missing_en = sorted(set(zh[area]) - set(en[area]))
        missing_zh = sorted(set(en[area]) - set(zh[area]))
        assert not missing_en, f"{area}: missing in en: {missing_en}"
        assert not missing_zh, f"{area}: missing in zh-CN: {missing_zh}"
        for key, text in zh[area].items():
            assert key.startswith(f"{area}."), f"{key} is not prefixed by its area {area}"
            assert isinstance(text, str), key
            assert isinstance(en[area][key], str), key
            assert text.strip(), f"zh-CN {key} is empty"
            assert en[area][key].strip(), f"en {key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(en[area][key])), (
                f"{key}: placeholders differ: {text!r} / {en[area][key]!r}"
            )


def test_a_key_lives_in_one_area_only() -> None:
    seen: dict[str, str] = {}
    for area, messages in load_dir(UI_CATALOGUES, "zh-CN").items():
        for key in messages:
            assert key not in seen, f"{key} in {area} and {seen[key]}"
            seen[key] = area


def test_the_chinese_catalogue_is_chinese_and_the_english_one_english() -> None:
    # Same-in-both entries (a language's own name, "{v} / 100") are rare and short; a
    # copied-over English text in the zh-CN file is the mistake this catches.
    for folder in (UI_CATALOGUES, SERVER_CATALOGUES):
        zh, en = merged(folder, "zh-CN"), merged(folder, "en")
        untranslated = [
            k
            for k, text in zh.items()
            if re.search(r"[A-Za-z]{4,}\s+[A-Za-z]{3,}", PLACEHOLDER.sub("", text))
            and not CJK.search(text)
            and k != "common.language.en"
        ]
        assert not untranslated, f"English in the zh-CN catalogue: {untranslated}"
        chinese = [k for k, text in en.items() if CJK.search(text) and k != "common.language.zh-CN"]
        assert not chinese, f"Chinese in the en catalogue: {chinese}"


def test_every_code_of_the_domain_has_a_name() -> None:
    zh = merged(UI_CATALOGUES, "zh-CN")
    wanted = (
        [f"codes.status.{s}" for s in STATUS_NAMES]
        + [f"codes.alarm.{t.value}" for t in AlarmType]
        + [f"codes.fault.{int(c)}" for c in FaultCode]
        + [f"codes.event.{int(c)}" for c in EventCode]
        + [f"codes.alarm_state.{s.value}" for s in AlarmState]
        + [f"codes.case_state.{s.value}" for s in CaseState]
        + [f"codes.role.{r.value}" for r in Role]
        + [f"codes.district.{d.name}" for d in DISTRICTS]
        + [f"codes.door.{d.value}" for d in DoorState]
        + [f"codes.mode.{m.value}" for m in ServiceMode]
        + [f"codes.building.{b.value}" for b in BuildingType]
        + [f"codes.report_kind.{k.value}" for k in ReportKind]
        + [f"codes.category.{c}" for cats in CATEGORIES.values() for c in cats]
        + [f"public.status.{s.value}" for s in PublicStatus]
    )
    missing = [k for k in wanted if k not in zh]
    assert not missing, f"codes without a name: {missing}"
    # The standard Chinese names of the alarms the desk cares most about.
    assert zh["codes.alarm.entrapment"] == "困人"
    assert zh["codes.alarm.door_open_while_running"] == "开门走车"
    assert zh["codes.alarm.overtravel_top"] == "冲顶"
    assert zh["codes.alarm.overtravel_bottom"] == "蹲底"
    assert zh["codes.alarm.stopped_outside_door_zone"] == "非平层停梯"
    assert zh["codes.district.Tianhe"] == "天河区"


def test_the_server_loader_reads_the_packaged_catalogues() -> None:
    for lang in LANGS:
        assert server_catalogue(lang) == merged(SERVER_CATALOGUES, lang)


# ---- the keys the UI uses ---------------------------------------------------------------
# Pages of other parts (their own areas) are checked as far as they use the convention.
KEY_CALL = re.compile(r"""\b(?:t|T|LW\.t)\(\s*["']([a-z][\w-]*\.[\w.-]+)["']""")
KEY_ATTR = re.compile(r"""data-i18n(?:-[a-z-]+)?=["']([^"']+)["']""")
CODE_CALL = re.compile(r"""LW\.code\(\s*["']([a-z_]+)["']""")


def ui_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in STATIC.iterdir() if p.suffix in suffixes and p.is_file())


def test_every_key_the_ui_uses_exists() -> None:
    known = merged(UI_CATALOGUES, "zh-CN")
    missing: list[str] = []
    for path in ui_files(".js", ".html"):
        text = path.read_text(encoding="utf-8")
        for key in KEY_CALL.findall(text) + KEY_ATTR.findall(text):
            if key not in known and not key.endswith("."):  # "area.group." + value
                missing.append(f"{path.name}: {key}")
        for group in CODE_CALL.findall(text):
            if not any(k.startswith(f"codes.{group}.") for k in known):
                missing.append(f"{path.name}: codes.{group}.*")
    assert not missing, f"keys not in the catalogues: {missing}"


# ---- no user-visible literal outside the catalogues -----------------------------------
# Words that are the same in every language: the product's name, the hotline, symbols.
ALLOWED_TEXT = {"liftwatch", "96333", "×", "●", "#", "·", "—", "🔈"}
TEXT_ATTRS = ("placeholder", "title", "aria-label", "alt")
WORD = re.compile(r"[A-Za-z]{2,}|[\u3400-\u9fff]")


def has_words(text: str) -> bool:
    rest = text
    for token in sorted(ALLOWED_TEXT, key=len, reverse=True):
        rest = rest.replace(token, " ")
    return bool(WORD.search(rest))


class HtmlScan(HTMLParser):
    """User-visible text in HTML: text nodes and text attributes without data-i18n."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "link",
        "input",
        "br",
        "img",
        "hr",
        "source",
        "area",
        "base",
        "col",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, text comes from a catalogue)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for attr in TEXT_ATTRS:
            value = names.get(attr)
            if value and has_words(value) and f"data-i18n-{attr}" not in names:
                self.problems.append(f"line {self.getpos()[0]}: <{tag} {attr}={value!r}>")
        if tag not in self.VOID:
            translated = "data-i18n" in names or (bool(self.stack) and self.stack[-1][1])
            self.stack.append((tag, translated))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        inside = self.stack[-1] if self.stack else ("", False)
        if inside[0] in ("script", "style") or inside[1]:
            return
        if data.strip() and has_words(data):
            self.problems.append(f"line {self.getpos()[0]}: text {data.strip()!r}")


def html_problems(text: str) -> list[str]:
    scan = HtmlScan()
    scan.feed(text)
    scan.close()
    return scan.problems


# JavaScript: literals (quotes and template literals, comments stripped) in the places
# where text reaches the screen, and any Chinese at all (it belongs in the catalogues).
STRING = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", re.S)
COMMENT = re.compile(r"""(?m)(^|[^:\\])//[^\n]*|/\*.*?\*/""", re.S)
SINK_ASSIGN = re.compile(
    r"""\.(?:textContent|innerText|innerHTML|title|placeholder|ariaLabel)\s*\+?="""
    r"""\s*(?:[^;=]*(?:\?|:|\|\||\?\?|\+)\s*)?$"""
)
SINK_CALL = re.compile(
    r"""(?:\balert|\bconfirm|\bnew Error|\bshow|\bel)\(\s*(?:[^()]*(?:,|\?|:|\|\||\+)\s*)?$"""
)
ATTR_SINK = re.compile(r"""["']?(?:title|placeholder|aria-label|alt)["']?\s*:\s*$""")
MARKUP_TEXT = re.compile(r""">([^<>]*)<""")
MARKUP_ATTR = re.compile(r"""\b(?:title|placeholder|aria-label|alt)="([^"$]*)\"""")
# Literals that look like words but are not for people: class lists, CSS, protocol words.
# (the first argument of el() is a tag name: one lower-case word).
TECHNICAL = re.compile(r"""^[a-z][a-z0-9]*$""")
TAG_ARG = re.compile(r"""\bel\(\s*$""")
OBJECT_VALUE = re.compile(r"""[{,]\s*["']?[\w-]+["']?\s*:\s*$""")
CLASS_VALUE = re.compile(r"""\bclass(?:Name)?["']?\s*[:=][^,{};]*$""")
CATALOGUE_KEY = re.compile(r"""^[a-z][\w-]*(?:\.[\w-]+)+$""")


def js_literals(source: str) -> list[tuple[int, str, str]]:
    """(offset, literal text without quotes, code just before it) of every literal but
    object keys."""

    def blank(m: re.Match[str]) -> str:
        keep = m.group(1) or ""
        return keep + re.sub(r"[^\n]", " ", m.group(0)[len(keep) :])

    code = COMMENT.sub(blank, source)
    out = []
    for m in STRING.finditer(code):
        body = m.group(0)[1:-1]
        if m.group(0).startswith("`"):
            body = re.sub(r"\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", " ", body)
        before = code[max(0, m.start() - 80) : m.start()]
        key = re.match(r"\s*:", code[m.end() : m.end() + 8]) and re.search(r"[{,]\s*$", before)
        if key and not m.group(0).startswith("`"):
            continue  # an object key ("data-case": ...)
        out.append((m.start(), body, before))
    return out


def js_problems(source: str) -> list[str]:
    problems = []
    for offset, body, before in js_literals(source):
        line = source.count("\n", 0, offset) + 1
        if CJK.search(body):
            problems.append(f"line {line}: Chinese literal {body!r}")
            continue
        for text in MARKUP_TEXT.findall(body) + MARKUP_ATTR.findall(body):
            if has_words(text):
                problems.append(f"line {line}: markup text {text.strip()!r}")
        if "<" in body:
            continue
        in_sink = SINK_ASSIGN.search(before) or ATTR_SINK.search(before)
        in_call = SINK_CALL.search(before)
        if not (in_sink or in_call) or not has_words(body):
            continue
        if TAG_ARG.search(before) and TECHNICAL.match(body.strip()):
            continue  # the tag name of el("td", ...)
        if OBJECT_VALUE.search(before) and not ATTR_SINK.search(before):
            continue  # an attribute of el(): { class: "muted", type: "button" }
        if CLASS_VALUE.search(before):
            continue  # { class: late ? "overdue" : "" }
        if CATALOGUE_KEY.match(body):
            continue  # t(ok ? "desk.call.opened" : "desk.call.joined")
        problems.append(f"line {line}: literal {body!r}")
    return problems


def test_the_scanners_catch_forgotten_words() -> None:
    assert html_problems("<p>Save</p>")
    assert html_problems('<input placeholder="elevator code">')
    assert html_problems('<button title="保存" data-i18n="x.save"></button>')
    assert not html_problems('<button data-i18n="x.save">Save</button>')
    assert not html_problems('<input data-i18n-placeholder="x.code" placeholder="code">')
    assert not html_problems("<span>liftwatch</span> · 96333")
    assert js_problems('node.textContent = "no cases";')
    assert js_problems('LW.el("p", { class: "muted" }, "no cases")')
    assert js_problems('LW.el("p", {}, `trapped since ${x}`)')
    assert js_problems('alert("case actions are not available")')
    assert js_problems('LW.el("td", {}, "none")')
    assert js_problems('LW.el("td", {}, ok ? "yes" : "no")')
    assert js_problems('node.textContent = ok ? "yes" : "no";')
    assert js_problems('show("Unknown link")')
    assert js_problems('throw new Error("wrong username or password")')
    assert js_problems('html: `<div title="elevator ${id}">x</div>`')
    assert js_problems('const label = "困人";')
    assert js_problems('LW.el("input", { placeholder: "answer" })')
    assert not js_problems('node.textContent = LW.t("desk.no_cases");')
    assert not js_problems('LW.el("div", { class: "case open" }, LW.t("x.y"))')
    assert not js_problems('headers: { "Content-Type": "application/json" }')
    assert not js_problems('// a comment with words: "no cases"\nx = 1;')


@pytest.mark.parametrize("path", ui_files(".html"), ids=lambda p: p.name)
def test_html_has_no_word_outside_the_catalogues(path: Path) -> None:
    problems = html_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.name}: words outside the catalogues: {problems}"


@pytest.mark.parametrize("path", ui_files(".js"), ids=lambda p: p.name)
def test_javascript_has_no_word_outside_the_catalogues(path: Path) -> None:
    problems = js_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.name}: words outside the catalogues: {problems}"
