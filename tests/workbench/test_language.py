"""--lang zh and the L key: explanations, help and the map in Chinese, in the seed's terms
(子网掩码 arithmetic, 网关, 广播, 端口 …); English stays the default."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from snapshot_app import NARROW, WIDE, make_app, run_command, settle, steps

from stack.labs import load_lab
from workbench import i18n
from workbench.session import Session


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


def story_sentences(lang: str) -> list[str]:
    i18n.set_language(lang)
    session = Session.open(load_lab("default"))
    session.run("pc: browse www.google.com --seed --one-segment")
    while session.step_moment():
        pass
    return [i18n.explain(e) for e in session.log]


def test_the_seed_story_in_the_seed_terms():
    english = story_sentences("en")
    chinese = story_sentences("zh")
    assert len(english) == len(chinese)
    text = "\n".join(chinese)
    # the seed's words for what the story shows
    for term in ("子网络", "默认网关", "广播", "端口", "套接字", "帧", "分片", "重组", "ARP 缓存"):
        assert term in text, term
    route = next(s for s in chinese if s.startswith("到 172.194.72.105 的路由"))
    assert (
        "192.168.1.100 AND 255.255.255.0 = 192.168.1.0" in route
        and "发给默认网关 192.168.1.1" in route
    )
    assert any("分割成 4 个片段，分别为 1,500, 1,500, 1,500, 560 字节" in s for s in chinese)
    # English is untouched, and is the default
    assert any("different subnets → send to default gateway 192.168.1.1" in s for s in english)
    i18n.set_language("en")
    assert i18n.say("different subnets") == "different subnets"


# What stays as the wire and the RFCs spell it, in Chinese text as in the seed.
_TOKENS = re.compile(
    r"\b(?:0x[0-9a-f]+|[A-Z][A-Z0-9_-]+|[a-z]+\d+|Content-Length|icmp_seq|ttl|id|xid|ping|www|google|com|ms|MSL)\b"
)


@pytest.mark.parametrize(
    "lab_name, commands",
    [
        ("default", ["pc: browse www.google.com --seed --one-segment", "pc: traceroute 8.8.8.8"]),
        (
            "default",
            ["pc: ping -c 1 192.168.1.77", "pc: browse http://10.9.9.9/"],
        ),  # nobody there; no route
        ("dhcp", ["pc: dhcp"]),
    ],
)
def test_no_english_prose_is_left_in_the_chinese_story(lab_name, commands):
    """The seed's story, a traceroute through both gateways, the unreachable cases and the DHCP
    lab's lease: every explanation in Chinese. A frame's own summary (Wireshark's Info, after
    "发送帧 …：") stays as the dissector writes it, and a program's output (curl's headers,
    traceroute's lines) as the real tool prints it."""
    i18n.set_language("zh")
    lab = load_lab(lab_name)
    names = set(lab.segments) | set(lab.hosts)
    session = Session.open(lab)
    for command in commands:
        session.run(command)
    for _ in range(5000):
        if not session.step_moment():
            break
    left = set()
    for sentence in (i18n.explain(e) for e in session.log if type(e).__name__ != "OutputLine"):
        for line in sentence.splitlines():
            if "发送帧" in line:
                line = line.split("：", 1)[0]
            words = set(re.findall(r"[A-Za-z]{3,}", _TOKENS.sub("", line))) - names
            if words:
                left.add(line)
    assert not left, "\n".join(sorted(left)[:20])


def test_the_stack_knows_no_language():
    """The catalogue lives in workbench; stack never imports it."""
    done = subprocess.run(
        ["grep", "-rlE", "i18n|import workbench|from workbench", "stack"],
        capture_output=True,
        text=True,
    )
    assert done.stdout == ""


def test_an_unknown_language_is_refused_in_one_sentence():
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "--lang", "fr"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


async def test_lang_zh_and_the_l_key():
    app = make_app(lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await run_command(pilot, "pc: ping 172.194.72.105 -c 1")
        await steps(pilot, 3)
        await settle(pilot)
        detail = str(app.screen.query_one("#event-detail").render())
        decisions = str(app.screen.query_one("#decisions-text").render())
        assert "不在同一个子网络" in decisions and "发给默认网关" in decisions
        assert any("\u4e00" <= ch <= "\u9fff" for ch in detail)
        await pilot.press("L")
        await settle(pilot)
        assert i18n.language() == "en"
        decisions = str(app.screen.query_one("#decisions-text").render())
        assert "different subnets" in decisions and "子网络" not in decisions
        await pilot.press("L", "question_mark")
        await settle(pilot)
        rows = dict((d, k) for k, d in app.screen.rows)
        assert rows["播放/暂停"] == "space" and rows["单步：下一个事件"] == "n"
        assert "在窗格中" in " ".join(str(w.render()) for w in app.screen.query("Static"))


async def test_every_key_in_the_help_is_explained_in_chinese():
    """Each key's description in the help (?) and the lines under it, in Chinese: a key added
    to the app without its Chinese words fails here. Names stay names (Ping…, DHCP…)."""
    app = make_app(lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        untranslated = [
            d
            for _k, d in app.screen.rows
            if not any("\u4e00" <= ch <= "\u9fff" for ch in d) and d not in ("Ping…", "DHCP…")
        ]
        assert not untranslated
        hint = str(app.screen.query_one(".hint").render())
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", hint), hint


def test_chinese_screen_narrow(snap_compare):
    """80×24, --lang zh, the Events tab after a ping to www stepped a few instants: the event
    log and the line below it in Chinese."""

    async def run_before(pilot):
        await settle(pilot)
        await run_command(pilot, "pc: ping 172.194.72.105 -c 1")
        await steps(pilot, 3)
        await pilot.press("4")
        await settle(pilot)

    assert snap_compare(make_app(lang="zh"), terminal_size=NARROW, run_before=run_before)


def test_chinese_routing_narrow(snap_compare):
    """80×24, --lang zh, the Routing tab: the mask arithmetic and the verdict in the seed's terms."""

    async def run_before(pilot):
        await settle(pilot)
        await run_command(pilot, "pc: ping 172.194.72.105 -c 1")
        await steps(pilot, 3)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(lang="zh"), terminal_size=NARROW, run_before=run_before)


def _english_words(text: str, *allowed: str) -> list[str]:
    """Words of English prose left in `text` (names of files, formats, units and protocols aside)."""
    for name in allowed:
        text = text.replace(name, "")
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ENGLISH_NAMES]


# Names that stay as they are in Chinese: formats, units, protocols, the o key's word-free hint.
ENGLISH_NAMES = {
    "pcap",
    "pcapng",
    "KiB",
    "MiB",
    "GiB",
    "ARP",
    "IPv4",
    "IPv6",
    "TCP",
    "UDP",
    "Ethernet",
}


async def test_the_capture_screen_in_chinese(small_capture):
    """workbench open FILE --lang zh: the status line (frames, size, reading, a filter's count,
    "no lab"), the tabs, the panes' titles and the sentences of the panes a capture has no data
    for, and the statistics screen's title, views and column headers are Chinese."""
    from capture_app import filtered, read_whole_file
    from textual.widgets import DataTable, Tabs

    from workbench.app import WorkbenchApp
    from workbench.capture_session import CaptureSession

    app = WorkbenchApp(
        None, cursor_blink=False, capture=CaptureSession.open(str(small_capture)), lang="zh"
    )
    async with app.run_test(size=WIDE) as pilot:
        await read_whole_file(pilot)
        await filtered(pilot, "dns")
        await read_whole_file(pilot)
        screen = app.screen
        status = str(screen.query_one("#capture-status").render())
        assert "1,500 帧" in status and "显示" in status and "没有实验" in status, status
        assert not _english_words(status, "small.pcap", "dns"), status
        tabs = " ".join(str(tab.label) for tab in screen.query_one(Tabs).query("Tab"))
        assert not _english_words(tabs), tabs
        titles = [
            str(screen.query_one(f"#{pane}-pane").border_title)
            for pane in ("packets", "dissector", "hosts", "routing", "events")
        ]
        assert not _english_words(" ".join(titles), "small.pcap", "dns"), titles
        await pilot.press("2")
        await pilot.pause()
        sentence = str(screen.query_one("#hosts-pane").render())
        assert not _english_words(sentence, "small.pcap"), sentence
        await pilot.press("1", "z")
        await read_whole_file(pilot)
        stats = app.screen
        title = str(stats.query_one("#stats-title").render())
        assert title.startswith("统计 · small.pcap · 匹配过滤器的帧 dns:"), title
        assert not _english_words(title, "small.pcap", "dns"), title
        views = " ".join(str(tab.label) for tab in stats.query_one("#stats-views").query("Tab"))
        assert not _english_words(views), views
        for view in ("c", "e", "h"):
            await pilot.press(view)
            await pilot.pause()
            headers = " ".join(str(c.label) for c in stats.query_one(DataTable).columns.values())
            assert headers and not _english_words(headers), headers
