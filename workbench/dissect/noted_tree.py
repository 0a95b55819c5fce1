"""A frame's field tree with what the frames before it add, as `tshark -V` shows it.

`noted_dissection(record, notes)` is the tree of the frame as the capture's pass dissects it
(`capture_state.frame_for`: a reassembled datagram, an HTTP message on its last segment,
nothing above TCP on a retransmission) with the pass's fields (`FrameNotes.fields`) put in
tshark's words: relative `tcp.seq`/`tcp.ack` beside the raw ones, `[Stream index: N]`, the
scaled window and its factor, the analysis flags under `[SEQ/ACK analysis]`, the times since
the first and the previous frame, `[Request In: N]` … Each such line's filter is the value
the display filter gives that field over the same pass, so Apply as Filter on any line picks
the frame it came from.
"""

from __future__ import annotations

import time
from decimal import Decimal

from stack.proto.frame import ENCAPSULATIONS, LINK_TYPE
from stack.proto.model import LABEL_BYTES, escaped, fit_label, quoted, shown_bytes
from workbench.dissect.capture import CapturedFrame
from workbench.dissect.capture_state import (
    ANALYSIS_TIMES,
    ANALYSIS_VALUES,
    FrameNotes,
    frame_for,
)
from workbench.dissect.facts import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN
from workbench.dissect.nodes import LAYER, NOTE, Dissection, FieldNode
from workbench.dissect.tcp_analysis import completeness_text
from workbench.dissect.tree import REASSEMBLED, dissect_record


def _seconds(value) -> str:
    return f"{Decimal(repr(value)) if isinstance(value, float) else value:.9f}"


def _scale_text(value) -> str:
    return {-1: "-1 (unknown)", -2: "-2 (no window scaling used)"}.get(value, str(value))


def _of_total(value) -> str:
    return f"{int(value)}/{value.total}"  # http_links.Numbered


# filter name → (label with {} for the value, how the value is written); tshark 4.0's words
LABELS = {
    "frame.time_epoch": ("Epoch Time: {} seconds", _seconds),
    "frame.time_delta": ("[Time delta from previous captured frame: {} seconds]", _seconds),
    "frame.time_relative": ("[Time since reference or first frame: {} seconds]", _seconds),
    "tcp.stream": ("[Stream index: {}]", str),
    "tcp.completeness": ("[Conversation completeness: {}]", completeness_text),
    "tcp.len": ("[TCP Segment Len: {}]", str),
    "tcp.seq": ("Sequence Number: {}    (relative sequence number)", str),
    "tcp.seq_raw": ("Sequence Number (raw): {}", str),
    "tcp.nxtseq": ("[Next Sequence Number: {}    (relative sequence number)]", str),
    "tcp.ack": ("Acknowledgment Number: {}    (relative ack number)", str),
    "tcp.ack_raw": ("Acknowledgment number (raw): {}", str),
    "tcp.window_size": ("[Calculated window size: {}]", str),
    "tcp.window_size_scalefactor": ("[Window size scaling factor: {}]", _scale_text),
    "tcp.analysis.duplicate_ack_num": ("[Duplicate ACK #: {}]", str),
    "tcp.options.sack_le": ("left edge = {} (relative)", str),
    "tcp.options.sack_re": ("right edge = {} (relative)", str),
    "tcp.options.sack.count": ("[TCP SACK Count: {}]", str),
    "tcp.options.sack.dsack_le": ("[D-SACK Left Edge = {} (relative)]", str),
    "tcp.options.sack.dsack_re": ("[D-SACK Right Edge = {} (relative)]", str),
    "udp.stream": ("[Stream index: {}]", str),
    "udp.time_relative": ("[Time since first frame: {} seconds]", _seconds),
    "udp.time_delta": ("[Time since previous frame: {} seconds]", _seconds),
    "tcp.time_relative": ("[Time since first frame in this TCP stream: {} seconds]", _seconds),
    "tcp.time_delta": ("[Time since previous frame in this TCP stream: {} seconds]", _seconds),
    "tcp.analysis.rto": ("[The RTO for this segment was: {} seconds]", _seconds),
    "tcp.analysis.rto_frame": ("[RTO based on delta from frame: {}]", str),
    "tcp.analysis.acks_frame": ("[This is an ACK to the segment in frame: {}]", str),
    "tcp.analysis.ack_rtt": ("[The RTT to ACK the segment was: {} seconds]", _seconds),
    "tcp.analysis.initial_rtt": ("[iRTT: {} seconds]", _seconds),
    "tcp.analysis.bytes_in_flight": ("[Bytes in flight: {}]", str),
    "tcp.analysis.push_bytes_sent": ("[Bytes sent since last PSH flag: {}]", str),
    "tcp.analysis.duplicate_ack_frame": ("[Duplicate to the ACK in frame: {}]", str),
    "icmp.resp_to": ("[Request frame: {}]", str),
    "icmp.resptime": ("[Response time: {:.3f} ms]", float),
    "icmpv6.resp_to": ("[Response To: {}]", str),
    "icmpv6.resptime": ("[Response Time: {:.3f} ms]", float),
    "frame.time_delta_displayed": (
        "[Time delta from previous displayed frame: {} seconds]",
        _seconds,
    ),
    "dns.response_to": ("[Request In: {}]", str),
    "dns.time": ("[Time: {} seconds]", _seconds),
    "dns.unsolicited": ("[Unsolicited: {}]", lambda value: "True" if value else "False"),
    "dns.retransmit_request_in": ("[Retransmitted request. Original request in: {}]", str),
    "dns.retransmit_response_in": ("[Retransmitted response. Original response in: {}]", str),
    "dns.retransmission": ("[Retransmission: {}]", lambda value: "True" if value else "False"),
    "ip.fragment": ("[Frame: {}]", str),
    "ip.fragment.count": ("[Fragment count: {}]", str),
    "ip.reassembled.length": ("[Reassembled IPv4 length: {}]", str),
    "ipv6.fragment": ("[Frame: {}]", str),
    "ipv6.fragment.count": ("[Fragment count: {}]", str),
    "ipv6.reassembled.length": ("[Reassembled IPv6 length: {}]", str),
    "frame.comment": ("Comment: {}", str),
    "http.request.full_uri": ("[Full request URI: {}]", escaped),
    "http.request_number": ("[HTTP request {}]", _of_total),
    "http.response_number": ("[HTTP response {}]", _of_total),
    "http.time": ("[Time since request: {} seconds]", _seconds),
    "http.prev_request_in": ("[Prev request in frame: {}]", str),
    "http.prev_response_in": ("[Prev response in frame: {}]", str),
    "http.request_in": ("[Request in frame: {}]", str),
    "http.response_for.uri": ("[Request URI: {}]", str),
    "frame.len": ("Frame Length: {}", lambda v: f"{v} bytes ({v * 8} bits)"),
    "frame.cap_len": ("Capture Length: {}", lambda v: f"{v} bytes ({v * 8} bits)"),
}
# tshark's expert messages for the analysis flags (tcp.analysis.*)
EXPERT = {
    "retransmission": "This frame is a (suspected) retransmission",
    "fast_retransmission": "This frame is a (suspected) fast retransmission",
    "spurious_retransmission": "This frame is a (suspected) spurious retransmission",
    "out_of_order": "This frame is a (suspected) out-of-order segment",
    "lost_segment": "Previous segment(s) not captured (common at capture start)",
    "ack_lost_segment": "ACKed segment that wasn't captured (common at capture start)",
    "window_update": "TCP window update",
    "window_full": "TCP window specified by the receiver is now completely full",
    "keep_alive": "TCP keep-alive segment",
    "keep_alive_ack": "ACK to a TCP keep-alive segment",
    "duplicate_ack": "Duplicate ACK",
    "zero_window_probe": "TCP Zero Window Probe",
    "zero_window_probe_ack": "ACK to a TCP Zero Window Probe",
    "zero_window": "TCP Zero Window segment",
    "reused_ports": "A new tcp session is started with the same ports as an earlier session in this trace",
}
# each flag's expert severity in tshark 4.0 (the rest are Notes)
SEVERITY = {
    "out_of_order": "Warning",
    "lost_segment": "Warning",
    "ack_lost_segment": "Warning",
    "window_full": "Warning",
    "zero_window": "Warning",
    "window_update": "Chat",
}
# Where a line the model does not have goes: after the line with this name (else at the end)
AFTER = {
    "dns.retransmission": "dns.retransmit_request_in",
    "tcp.stream": "tcp.dstport",
    "tcp.completeness": "tcp.stream",
    "tcp.window_size_scalefactor": "tcp.window_size",
    "frame.time_epoch": "frame.number",
    "frame.time_delta": "frame.time_epoch",
    # an echo reply's link comes before the send time read from its data, as tshark's
    "icmp.resp_to": "icmp.seq_le",
    "icmp.resptime": "icmp.resp_to",
}
# Where a line goes when not after another: before the line with this name, if it is there
BEFORE = {name: "http.file_data" for name in LABELS if name.startswith("http.")}
BEFORE["udp.stream"] = "udp.payload"
BEFORE.update(dict.fromkeys((n for n in LABELS if n.startswith("dns.")), "dns.extraneous"))


def noted_dissection(record, notes: FrameNotes) -> Dissection:
    """The tree of `record` once the frames before it are taken into account (see above)."""
    result = dissect_record(record, frame_for(record, notes))
    fields = dict(notes.fields)
    size = len(record.data)
    fields["frame.len"] = (getattr(record, "wire_length", 0) or size,)
    fields["frame.cap_len"] = (size,)
    layers = {node.name: node for node in result.nodes if node.kind == LAYER}
    if not layers or "frame" not in layers:
        return result  # a dissector error: its one line says so
    flags = [
        name
        for name in fields
        if name.startswith("tcp.analysis.") and name not in ANALYSIS_VALUES + ANALYSIS_TIMES
    ]
    # lines placed after another new line come after it
    order = sorted(fields, key=lambda name: name in AFTER and AFTER[name] in fields)
    for name in order:
        values = fields[name]
        if name.startswith(("tcp.analysis.", "tcp.time_", "udp.time_", "tcp.options.sack.")):
            continue
        if notes.fragments and name in _FRAGMENT_LINES:  # in their own tree (`_fragments`)
            continue
        if not values:
            continue
        layer = layers.get(_protocol_of(name, layers))
        if layer is None:
            continue
        found = [node for node, _path in layer.walk() if node.name == name]
        if len(found) == len(values):
            for node, value in zip(found, values, strict=True):
                _set(node, name, value)
        elif name in LABELS:
            for node in found:
                _remove(layer, node)
            for value in values:
                _insert(layer, _line(name, value), AFTER.get(name), BEFORE.get(name))
    if "tcp" in layers and "tcp.options.sack.count" in fields:
        _sack(layers["tcp"], fields)
    if "tcp" in layers and "tcp.time_relative" in fields:
        _timestamps(layers["tcp"], fields, "tcp")
    if "udp" in layers and "udp.time_relative" in fields:
        _timestamps(layers["udp"], fields, "udp")
    if "tcp" in layers and (
        flags or any(name in fields for name in ANALYSIS_VALUES + ANALYSIS_TIMES)
    ):
        _analysis(layers["tcp"], fields, flags)
    _summary(layers.get("tcp"), fields)
    if notes.tcp is not None and "tcp" in layers:
        _experts(layers["tcp"], notes.tcp, notes.facts)
        _segment_data(layers["tcp"], notes, "dns" in layers or "mdns" in layers)
    if notes.tcp is not None and notes.tcp.ack is None and "tcp" in layers:
        for node, _path in layers["tcp"].walk():  # no ACK flag: the wire's number, not relative
            if node.name == "tcp.ack":
                node.label = f"Acknowledgment Number: {fields['tcp.ack'][0]}"
    if notes.fragments and notes.frame_bytes is not None:
        _fragments(layers, notes)
    _nest_icmp_data(result, layers)
    _http_first_lines(result)
    _dns_retransmission(layers, fields)
    if isinstance(record, CapturedFrame):
        _capture_frame(result, layers["frame"], record, fields)
    message = notes.message
    if message is not None and message.segments and "tcp" in layers:
        result.nodes.insert(result.nodes.index(layers["tcp"]) + 1, _segments(message))
    return result


_FRAGMENT_LINES = frozenset(
    f"{ip}.{name}"
    for ip in ("ip", "ipv6")
    for name in ("fragment", "fragment.count", "reassembled.length")
)


def _fragments(layers: dict, notes: FrameNotes) -> None:
    """`[3 IPv4 Fragments (4008 bytes): #1(1480), …]` with each fragment's part of the
    datagram, last in the IP layer, as tshark shows the frame that completes one."""
    six = notes.facts.ip_version == 6
    ip = layers.get("ipv6" if six else "ip")
    if ip is None:
        return
    prefix, version = ("ipv6", "IPv6") if six else ("ip", "IPv4")
    parts = notes.fragments
    whole = notes.fields.get(f"{prefix}.reassembled.length", (0,))[0]
    listed = ", ".join(f"#{number}({size})" for number, _at, size in parts)
    node = FieldNode(
        f"[{len(parts)} {version} Fragments ({whole} bytes): {listed}]",
        0,
        0,
        NOTE,
        f"{prefix}.fragments",
        filter=f"{prefix}.fragments",
    )
    for number, at, size in parts:
        label = f"[Frame: {number}, payload: {at}-{at + size - 1} ({size} bytes)]"
        node.children.append(
            FieldNode(
                label, 0, 0, NOTE, f"{prefix}.fragment", filter=f"{prefix}.fragment == {number}"
            )
        )
    for name, value, label in (
        (f"{prefix}.fragment.count", len(parts), "[Fragment count: {}]"),
        (f"{prefix}.reassembled.length", whole, f"[Reassembled {version} length: {{}}]"),
    ):
        node.children.append(
            FieldNode(label.format(value), 0, 0, NOTE, name, filter=f"{name} == {value}")
        )
    data = notes.frame_bytes[-whole:] if whole else b""  # the rebuilt frame ends with it
    node.children.append(
        FieldNode(
            f"[Reassembled {version} data: {shown_bytes(data)}]",
            0,
            0,
            NOTE,
            f"{prefix}.reassembled.data",
        )
    )
    ip.children.append(node)


_FIRST_LINE_PARTS = frozenset(("http.request.method", "http.response.version"))


def _http_first_lines(result: Dissection) -> None:
    """tshark's note under each HTTP message's request or status line (Chat: the line)."""
    for layer in result.nodes:
        if layer.name != "http" or layer.kind != LAYER:
            continue
        for line in layer.children:
            if any(child.name in _FIRST_LINE_PARTS for child in line.children):
                line.children.insert(0, _expert(line.label, "Chat", "http.chat"))
                break


def _dns_retransmission(layers: dict, fields: dict) -> None:
    """tshark's warning under a retransmitted query's or response's Transaction ID."""
    for name, words, expert in (
        ("dns.retransmit_request_in", "query retransmission. Original request", "request"),
        ("dns.retransmit_response_in", "response retransmission. Original response", "response"),
    ):
        if name not in fields:
            continue
        layer = layers.get("mdns") or layers.get("dns")
        for node, _path in layer.walk() if layer is not None else ():
            if node.name == "dns.id":
                text = f"DNS {words} in frame {fields[name][0]}"
                warning = _expert(text, "Warning", f"dns.retransmit_{expert}", group="Protocol")
                node.children.insert(0, warning)
                break


def _nest_icmp_data(result: Dissection, layers: dict) -> None:
    """An echo's (or any ICMP message's) data under ICMP, where Wireshark's ICMP dissector
    puts it, not a layer of its own."""
    nodes = result.nodes
    for name in ("icmp", "icmpv6"):
        icmp = layers.get(name)
        if icmp is None or icmp not in nodes:
            continue
        at = nodes.index(icmp) + 1
        if at < len(nodes) and nodes[at].name == "data":
            icmp.children.append(nodes.pop(at))


def _segments(message) -> FieldNode:
    """`[2 Reassembled TCP Segments (227 bytes): #6(185), #8(42)]`, each segment below it with
    the part of the message it carried, as tshark shows a message's last segment."""
    pdu, segments = message.pdu, message.segments
    listed = ", ".join(f"#{number}({size})" for number, size in segments)
    node = FieldNode(
        f"[{len(segments)} Reassembled TCP Segments ({len(pdu)} bytes): {listed}]",
        0,
        len(pdu) * 8,
        LAYER,
        "tcp.segments",
        filter="tcp.segments",
        source=REASSEMBLED,
    )
    at = 0
    for number, size in segments:
        label = f"[Frame: {number}, payload: {at}-{at + size - 1} ({size} bytes)]"
        if not size:  # a FIN that ended a message read to the close
            label = f"[Frame: {number} (no data)]"
        node.children.append(
            FieldNode(
                label,
                at * 8,
                (at + size) * 8,
                NOTE,
                "tcp.segment",
                filter=f"tcp.segment == {number}",
                source=REASSEMBLED,
            )
        )
        at += size
    for name, value, label in (
        ("tcp.segment.count", len(segments), "[Segment count: {}]"),
        ("tcp.reassembled.length", len(pdu), "[Reassembled TCP length: {}]"),
    ):
        node.children.append(
            FieldNode(
                label.format(value),
                0,
                0,
                NOTE,
                name,
                filter=f"{name} == {value}",
                source=REASSEMBLED,
            )
        )
    node.children.append(
        FieldNode(
            f"[Reassembled TCP Data: {shown_bytes(pdu)}]",
            0,
            len(pdu) * 8,
            NOTE,
            "tcp.reassembled.data",
            filter=None,
            source=REASSEMBLED,
        )
    )
    return node


# tshark's order of a captured frame's lines; those not named here keep their place after these
_FRAME_ORDER = (
    "frame.section_number",
    "frame.interface_id",
    "frame.encap_type",
    "frame.time",
    "frame.offset_shift",
    "frame.time_epoch",
    "frame.time_delta",
    "frame.time_delta_displayed",
    "frame.time_relative",
    "frame.number",
    "frame.len",
    "frame.cap_len",
    "frame.truncated",
    "frame.marked",
    "frame.ignored",
    "frame.protocols",
)


def _capture_frame(result: Dissection, frame: FieldNode, record, fields: dict) -> None:
    """The Frame section of a frame read from a file as tshark 4.0 shows it: the pcapng
    section and interface, the encapsulation, the arrival time in local time, the time
    lines, marked/ignored; a packet's comments in their own tree above it."""
    picks = f"frame.number == {record.id}"  # these lines' own fields are not in our filter

    def line(label: str, name: str, children=()) -> FieldNode:
        return FieldNode(label, 0, 0, NOTE, name, filter=picks, children=list(children))

    size, wire = len(record.data), record.wire_length or len(record.data)
    label = f"Frame {record.id}: {wire} bytes on wire ({wire * 8} bits), {size} bytes captured ({size * 8} bits)"
    interface = record.interface
    added = []
    if interface is not None:
        name = interface.name or "unknown"
        label += f" on interface {name}, id {interface.number}"
        about = [line(f"Interface name: {name}", "frame.interface_name")]
        if interface.description:
            about.append(
                line(
                    f"Interface description: {interface.description}", "frame.interface_description"
                )
            )
        added += [
            line(f"Section number: {interface.section}", "frame.section_number"),
            line(f"Interface id: {interface.number} ({name})", "frame.interface_id", about),
        ]
    frame.label = label
    encap = ENCAPSULATIONS.get(record.link_type, -1)
    added += [
        line(f"Encapsulation type: {LINK_TYPE.value_text(encap)}", "frame.encap_type"),
        line(f"Arrival Time: {arrival_time(record.ns)}", "frame.time"),
        line("[Time shift for this packet: 0.000000000 seconds]", "frame.offset_shift"),
        line("[Frame is marked: False]", "frame.marked"),
        line("[Frame is ignored: False]", "frame.ignored"),
    ]
    if "frame.time_delta_displayed" not in fields and "frame.time_delta" in fields:
        # no filter in front of this tree (the app): the frame shown before is the one before
        label = LABELS["frame.time_delta_displayed"][0]
        added.append(
            line(
                label.format(_seconds(fields["frame.time_delta"][0])), "frame.time_delta_displayed"
            )
        )
    kept = [
        child
        for child in frame.children
        if child.name not in ("frame.comment", "frame.interface_name", "frame.encap_type")
    ]
    for child in kept:
        if child.name == "frame.time_delta_displayed":
            child.filter = picks  # a value of this pass only (the frame shown before)
    rank = {name: i for i, name in enumerate(_FRAME_ORDER)}
    frame.children = sorted(added + kept, key=lambda node: rank.get(node.name, len(rank)))
    comments = getattr(record, "comments", ())
    if comments:
        result.nodes.insert(result.nodes.index(frame), _comments(comments))


def _comments(comments) -> FieldNode:
    """tshark's "Packet comments" tree: each comment (its label cut as Wireshark cuts one over
    239 bytes), and the expert note it makes."""
    top = FieldNode("Packet comments", 0, 0, LAYER, "pkt_comment", filter="frame.comment")
    for text in comments:
        expert = _expert(text, "Comment", "frame.comment.expert", group="Comment")
        top.children.append(
            FieldNode(
                fit_label(text, 0),
                0,
                0,
                NOTE,
                "frame.comment",
                filter=_filter("frame.comment", text),
                children=[expert],
            )
        )
    return top


def arrival_time(ns: int) -> str:
    """`frame.time` as tshark writes it: local time, nanoseconds, the zone's name."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    local = time.localtime(seconds)
    return (
        f"{time.strftime('%b %e, %Y %H:%M:%S', local)}.{fraction:09d} {time.strftime('%Z', local)}"
    )


def _protocol_of(name: str, layers: dict) -> str:
    head = name.split(".", 1)[0]
    if head in layers:
        return head
    if head == "dns" and "mdns" in layers:  # mDNS is DNS's dissector with DNS's field names
        return "mdns"
    return name.rsplit(".", 1)[0]


def _value_text(name: str, value) -> str:
    spec = LABELS.get(name)
    return spec[1](value) if spec else str(value)


def _filter(name: str, value) -> str:
    if isinstance(value, bool):
        return name
    if isinstance(value, str):
        return f"{name} == {quoted(value)}"
    if isinstance(value, (float, Decimal)):
        return f"{name} == {_seconds(value)}"
    return f"{name} == {value}"


def _line(name: str, value) -> FieldNode:
    label = LABELS[name][0].format(_value_text(name, value))
    return FieldNode(label, 0, 0, NOTE, name, filter=_filter(name, value))


def _set(node: FieldNode, name: str, value) -> None:
    """A line the model shows with the frame's own value, given the pass's value instead."""
    if name in LABELS:
        keep = node.label.split(" = ", 1)[0] + " = " if " = " in node.label else ""
        node.label = keep + LABELS[name][0].format(_value_text(name, value))
    elif ": " in node.label:
        head = node.label.split(": ", 1)[0]
        node.label = f"{head}: {value}" + ("]" if node.label.endswith("]") else "")
    node.filter = _filter(name, value)


def _remove(layer: FieldNode, target: FieldNode) -> None:
    for node, _path in layer.walk():
        if target in node.children:
            node.children.remove(target)
            return


def _insert(layer: FieldNode, line: FieldNode, after: str | None, before: str | None) -> None:
    children = layer.children
    for i, child in enumerate(children):
        if after is not None and child.name == after:
            children.insert(i + 1, line)
            return
        if before is not None and child.name == before:
            children.insert(i, line)
            return
    children.append(line)


def _expert(
    text: str, severity: str, name: str, filter: str | None = None, group: str = "Sequence"
) -> FieldNode:
    """An expert note as tshark shows one in the tree: `[Expert Info (Chat/Sequence): …]`,
    its label cut as Wireshark cuts one over 239 bytes and its message at 239; `filter` where
    our filter knows a field that picks it (an analysis flag)."""
    message = text.encode()[:LABEL_BYTES].decode("utf-8", "ignore")
    return FieldNode(
        f"[{fit_label(f'Expert Info ({severity}/{group}): {text}', 0)}]",
        0,
        0,
        NOTE,
        name,
        filter=filter,
        children=[
            FieldNode(f"[{message}]", 0, 0, NOTE, "", filter=None),
            FieldNode(f"[Severity level: {severity}]", 0, 0, NOTE, "", filter=None),
            FieldNode(f"[Group: {group}]", 0, 0, NOTE, "", filter=None),
        ],
    )


def _experts(tcp: FieldNode, note, f) -> None:
    """What tshark says under a SYN, FIN or RST flag and under the flags' summary."""
    flags = f.flags
    add: dict[str, list] = {}
    if flags & TCP_SYN:
        if flags & TCP_ACK:
            text = f"Connection establish acknowledge (SYN+ACK): server port {f.sport}"
            add["tcp.flags.syn"] = [_expert(text, "Chat", "tcp.connection.synack")]
        else:
            text = f"Connection establish request (SYN): server port {f.dport}"
            add["tcp.flags.syn"] = [_expert(text, "Chat", "tcp.connection.syn")]
    if flags & TCP_FIN:
        add["tcp.flags.fin"] = [_expert("Connection finish (FIN)", "Chat", "tcp.connection.fin")]
        if note.closing:
            text = f"This frame {note.closing} the connection closing"
            name = (
                "tcp.connection.fin_active"
                if note.closing == "initiates"
                else "tcp.connection.fin_passive"
            )
            add["tcp.flags.str"] = [_expert(text, "Note", name)]
    if flags & TCP_RST:
        add["tcp.flags.reset"] = [
            _expert("Connection reset (RST)", "Warning", "tcp.connection.rst")
        ]
    if flags & TCP_SYN and not any(node.name == "tcp.options.mss_val" for node, _ in tcp.walk()):
        text = "The SYN packet does not contain a MSS option"
        add["tcp.options"] = [_expert(text, "Note", "tcp.options.mss.absent", group="Protocol")]
    if not add:
        return
    for node, _path in tcp.walk():
        if node.name in add:
            node.children.extend(add.pop(node.name))


def _sack(tcp: FieldNode, fields: dict) -> None:
    """The SACK option with the other side's relative numbers in its label, its block count,
    and a D-SACK's edges and warning, as tshark shows them."""
    for node, _path in tcp.walk():
        if any(child.name == "tcp.options.sack_le" for child in node.children):
            break
    else:
        return
    edges = zip(fields["tcp.options.sack_le"], fields["tcp.options.sack_re"], strict=False)
    node.label = "TCP Option - SACK " + " ".join(f"{left}-{right}" for left, right in edges)
    node.children.append(_line("tcp.options.sack.count", fields["tcp.options.sack.count"][0]))
    if "tcp.options.sack.dsack" in fields:
        node.children += [
            _line("tcp.options.sack.dsack_le", fields["tcp.options.sack.dsack_le"][0]),
            _line("tcp.options.sack.dsack_re", fields["tcp.options.sack.dsack_re"][0]),
            FieldNode(
                "D-SACK Sequence",
                0,
                0,
                NOTE,
                "tcp.options.sack.dsack",
                filter="tcp.options.sack.dsack",
                children=[
                    _expert(
                        "D-SACK Sequence",
                        "Warning",
                        "tcp.options.sack.dsack",
                        "tcp.options.sack.dsack",
                    )
                ],
            ),
        ]


def _timestamps(layer: FieldNode, fields: dict, protocol: str) -> None:
    """`[Timestamps]`: the times since the stream's first frame and its frame before, before
    the payload (and TCP's analysis), as tshark puts them."""
    names = (f"{protocol}.time_relative", f"{protocol}.time_delta")
    node = FieldNode(
        "[Timestamps]", 0, 0, NOTE, "", children=[_line(name, fields[name][0]) for name in names]
    )
    _insert(layer, node, None, f"{protocol}.payload")


def _analysis(tcp: FieldNode, fields: dict, flags: list[str]) -> None:
    """`[SEQ/ACK analysis]`: the segment an ACK acknowledges and its RTT, the handshake's RTT,
    bytes in flight and since the last PSH, then `[TCP Analysis Flags]` › one line per flag,
    as tshark groups them."""
    values = [
        _line(name, fields[name][0])
        for name in ("tcp.analysis.acks_frame", "tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt")
        + ANALYSIS_VALUES[1:]
        if name in fields
    ]
    analysis = FieldNode("[SEQ/ACK analysis]", 0, 0, NOTE, "", children=values)
    _insert(tcp, analysis, None, "tcp.payload")
    if not flags:
        return
    group = FieldNode(
        "[TCP Analysis Flags]", 0, 0, NOTE, "tcp.analysis.flags", filter="tcp.analysis.flags"
    )
    after = []  # a duplicate ACK's number and frame come after the group, as tshark's
    for name in flags:
        short = name.removeprefix("tcp.analysis.")
        if short == "duplicate_ack":
            group.children.append(
                FieldNode("[This is a TCP duplicate ack]", 0, 0, NOTE, name, filter=name)
            )
            count = fields.get("tcp.analysis.duplicate_ack_num", ("?",))[0]
            after.append(_line("tcp.analysis.duplicate_ack_num", count))
            if "tcp.analysis.duplicate_ack_frame" in fields:
                line = _line(
                    "tcp.analysis.duplicate_ack_frame",
                    fields["tcp.analysis.duplicate_ack_frame"][0],
                )
                line.children.append(_expert(f"{EXPERT[short]} (#{count})", "Note", name, name))
                after.append(line)
        elif short in EXPERT:
            group.children.append(_expert(EXPERT[short], SEVERITY.get(short, "Note"), name, name))
            if short == "retransmission" and "tcp.analysis.rto" in fields:
                group.children.append(_line("tcp.analysis.rto", fields["tcp.analysis.rto"][0]))
                group.children.append(
                    _line("tcp.analysis.rto_frame", fields["tcp.analysis.rto_frame"][0])
                )
    analysis.children.append(group)
    analysis.children.extend(after)


def _segment_data(tcp: FieldNode, notes: FrameNotes, dns: bool) -> None:
    """What tshark's reassembly says below the payload: `TCP segment data (N bytes)` on each
    segment of a message over several, `[PDU Size: N]` for each DNS message over TCP that
    ends here, `Retransmitted TCP segment data` on a retransmission (a fast or spurious one
    aside), whose bytes go to no one above TCP."""
    note, message = notes.tcp, notes.message
    size = note.length
    if not size:
        return
    plural = "s" if size != 1 else ""
    lines: list[FieldNode] = []
    flags = note.flags
    if "retransmission" in flags and not (
        "fast_retransmission" in flags or "spurious_retransmission" in flags
    ):
        label = f"Retransmitted TCP segment data ({size} byte{plural})"
        lines.append(FieldNode(label, 0, 0, NOTE, "tcp.segment_data", filter=None))
    elif message is not None and (
        message.segments or (message.protocol == "TCP" and not message.pdu and message.suffix)
    ):
        if message.protocol == "DNS" and message.pdu:
            lines.append(_pdu_size(len(message.pdu)))
        label = f"TCP segment data ({size} byte{plural})"
        lines.append(FieldNode(label, 0, 0, NOTE, "tcp.segment_data", filter=None))
    elif message is None and dns:
        payload, at, sizes = notes.facts.payload, 0, []
        while at + 2 <= len(payload):  # each message its two-byte length first (RFC 1035 4.2.2)
            sizes.append(2 + int.from_bytes(payload[at : at + 2], "big"))
            at += sizes[-1]
        if at == len(payload):
            lines += [_pdu_size(pdu) for pdu in sizes]
    tcp.children += lines


def _pdu_size(size: int) -> FieldNode:
    return FieldNode(f"[PDU Size: {size}]", 0, 0, NOTE, "tcp.pdu.size", filter=None)


def _summary(tcp: FieldNode | None, fields: dict) -> None:
    """The TCP line's summary says the relative numbers, as tshark's."""
    if tcp is None or "tcp.seq" not in fields:
        return
    label = tcp.label
    raw_seq, seq = fields["tcp.seq_raw"][0], fields["tcp.seq"][0]
    label = label.replace(f"Seq: {raw_seq}", f"Seq: {seq}", 1)
    if "tcp.ack_raw" in fields:
        label = label.replace(f"Ack: {fields['tcp.ack_raw'][0]}", f"Ack: {fields['tcp.ack'][0]}", 1)
    tcp.label = label


__all__ = ["noted_dissection", "LABELS"]
