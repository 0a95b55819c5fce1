"""Chinese, in the seed's own terms (互联网协议入门): 帧 (frame), 数据包 (packet), 网卡 (NIC),
MAC 地址, 广播 (broadcast), 子网掩码 (subnet mask), 子网络 (subnetwork), 网关 (gateway),
路由 (routing), 端口 (port), 套接字 (socket), 标头 (header), 链接层/网络层/传输层/应用层.

Phrases are matched on the stack's English sentences, most specific first; addresses, numbers
and protocol names pass through as they are, as the seed writes them.
"""

from __future__ import annotations

from workbench.i18n import phrases

A = r"([\w.:*/-]+)"  # an address, a port, a name
N = r"([\d,.]+)"

_phrases = phrases([
    # --- link layer: frames on the bus ------------------------------------------------------
    (rf"(\w+) sends #(\d+) on {A} \({N} bytes with FCS\): ", r"\1 在 \3 上发送帧 #\2（含 FCS 共 \4 字节）："),
    (r"(\w+) accepts #(\d+): broadcast", r"\1 接收帧 #\2：广播"),
    (r"(\w+) accepts #(\d+): addressed to me", r"\1 接收帧 #\2：发给我的"),
    (rf"(\w+) drops #(\d+): not for me \(destination {A} is not {A}\)", r"\1 丢弃帧 #\2：不是发给我的（目标 MAC 地址 \3 不是本网卡的 \4）"),
    (r"(\w+) drops #(\d+): not for me", r"\1 丢弃帧 #\2：不是发给我的"),
    (r"(\w+) drops #(\d+): bad FCS, frame damaged on the wire", r"\1 丢弃帧 #\2：FCS 校验错误，帧在线路上损坏"),
    (r"Who has ([\d.]+)\? Tell ([\d.]+)", r"谁是 \1？请告诉 \2"),
    (r"Broadcast", "广播"),
    # --- ARP -----------------------------------------------------------------------------------
    (rf"who has {A}\? asks the whole segment on (\w+) by broadcast", r"谁是 \1？在 \2 上向整个网段广播询问"),
    (rf"ignores ARP from {A}: it asks for {A}, not my address {A}", r"忽略来自 \1 的 ARP：它问的是 \2，不是我的地址 \3"),
    (rf"ARP cache: {A} is at {A}", r"ARP 缓存：\1 的 MAC 地址是 \2"),
    (r"\[reachable\]", "[可达]"),
    (r"\[stale\]", "[过期]"),
    (r"\(learned from the request for my address\)", "（从询问我的地址的请求中得知）"),
    (r"\(learned from reply\)", "（从 ARP 回应中得知）"),
    (rf"ARP cache has no {A}: ARP asks the segment on (\w+) by broadcast", r"ARP 缓存里没有 \1：ARP 在 \2 上向网段广播询问"),
    (r"no ARP request needed", "无需 ARP 请求"),
    (r"\(learned for the DNS query\)", "（发 DNS 查询时已得知）"),
    (r"CHANGED", "已改变"),
    # --- network layer: routing with the subnet mask ------------------------------------------
    (rf"route to {A}: ", r"到 \1 的路由："),
    (r"different subnets", "不在同一个子网络"),
    (r"same subnet", "在同一个子网络"),
    (r"no longer prefix matches: default route", "没有更长的前缀匹配：默认路由"),
    (rf"send to default gateway {A} on (\w+)", r"发给默认网关 \1（经 \2）"),
    (rf"send to gateway {A} on (\w+)", r"发给网关 \1（经 \2）"),
    (rf"deliver directly on (\w+) \(ARP for {A} itself\)", r"在 \1 上直接交付（用 ARP 找 \2 本身）"),
    (r"deliver directly on (\w+)", r"在 \1 上直接交付"),
    (rf"forwards {A} → {A} from (\w+) to (\w+) via {A}, TTL (\d+) → (\d+)", r"转发 \1 → \2：从 \3 到 \4，经网关 \5，TTL \6 → \7"),
    (rf"IP packet of {N} bytes \(id (\w+)\) is over the MTU of {N}: cut into (\d+) fragments of ([\d, ]+) bytes",
     r"IP 数据包共 \1 字节（标识 \2），超过 MTU \3：分割成 \4 个片段，分别为 \5 字节"),
    (rf"reassembled (\d+) fragments from {A} \(id (\w+)\) into one IP packet of {N} bytes", r"把来自 \2 的 \1 个片段（标识 \3）重组为一个 \4 字节的 IP 数据包"),
    (r"Fragmented IP protocol", "IP 分片"),
    # --- transport layer: ports and sockets -----------------------------------------------------
    (r"UDP socket \*:(\d+) bound to an ephemeral port", r"UDP 套接字 *:\1 绑定到一个临时端口"),
    (r"UDP socket \*:(\d+) closed", r"UDP 套接字 *:\1 已关闭"),
    (r"active open: SYN sent", "主动打开：已发送 SYN"),
    (r"SYN received on a listening port; SYN-ACK sent", "监听端口收到 SYN；已发送 SYN-ACK"),
    (r"SYN-ACK received; our ACK completes the handshake", "收到 SYN-ACK；我方的 ACK 完成握手"),
    (r"handshake complete: our SYN-ACK was acknowledged", "握手完成：我方的 SYN-ACK 已被确认"),
    (r"application closed; FIN queued after the data", "应用已关闭；数据之后排队发送 FIN"),
    (r"the peer sent FIN: it has finished sending", "对方发送了 FIN：它已发送完毕"),
    (rf"sends segments of at most {N} bytes", r"发送的数据段最多 \1 字节"),
    (rf"sends {N} bytes as ONE segment of {N} bytes, ignoring the MSS of {N} — the seed's demonstration, not what real TCP does; IP will have to fragment it",
     r"把 \1 字节作为一个 \2 字节的数据段发送，不理会 MSS \3——这是原文的演示，真实的 TCP 不会这样做；IP 将不得不对它分片"),
    # --- application layer: DNS, HTTP, ping -----------------------------------------------------
    (rf"{N}-byte request sent as ONE {N}-byte TCP segment \(--one-segment, as in the seed\): the {N}-byte IP packet is over the MTU of {N}, so IP cuts it into ([\d,+ ]+) bytes",
     r"\1 字节的请求作为一个 \2 字节的 TCP 数据段发送（--one-segment，和原文一样）：\3 字节的 IP 数据包超过 MTU \4，所以 IP 把它分割成 \5 字节"),
    (rf"\(ours {N} = MTU {N} − 40, peer's MSS {N}; window scale: we shift by (\d+), the peer by (\d+)\)",
     r"（我方 \1 = MTU \2 − 40，对方的 MSS \3；窗口缩放：我方左移 \4 位，对方 \5 位）"),
    (r"body of Content-Length (\d+)", r"正文长度 Content-Length \1"),
    (r"(\d+) bytes of content of Content-Length (\d+)", r"正文 \1 字节，Content-Length \2"),
    (rf"DNS query id (\w+): A {A}\? asks {A} from {A}", r"DNS 查询（标识 \1）：\2 的 A 记录？向 \3 询问，来自 \4"),
    (rf"DNS server answers {A}, ", r"DNS 服务器回答 \1，"),
    (rf"DNS authoritative answer id (\w+) from {A} for {A}: ", r"来自 \2 的权威 DNS 回答（标识 \1），关于 \3："),
    (r"\(cached for (\d+) s\)", r"（缓存 \1 秒）"),
    (r"Standard query", "标准查询"),
    (rf"Resolving {A}: DNS query to {A}, UDP port (\d+)", r"解析 \1：向 \2 发送 DNS 查询，UDP 端口 \3"),
    (rf"{A} is {A} \(answered by {A}, TTL (\d+) s\)", r"\1 是 \2（由 \3 回答，TTL \4 秒）"),
    (rf"HTTP server {A} receives from {A}: ", r"HTTP 服务器 \1 收到来自 \2 的请求："),
    (rf"HTTP server {A} → {A}: ", r"HTTP 服务器 \1 → \2："),
    (r"connection kept open", "连接保持打开"),
    (rf"Connected to {A} \({A}\) port (\d+) from {A}", r"已连接到 \1（\2）端口 \3，本端 \4"),
    (rf"(\d+) bytes from {A}: icmp_seq=(\d+) ttl=(\d+) time=([\d.]+) ms", r"来自 \2 的 \1 字节：icmp_seq=\3 ttl=\4 时间=\5 毫秒"),
    (r"ping statistics", "ping 统计"),
    (r"(\d+) packets transmitted, (\d+) received, (\d+)% packet loss", r"已发送 \1 个数据包，收到 \2 个，丢失 \3%"),
    (r"Echo \(ping\) request", "回显（ping）请求"),
    (r"Echo \(ping\) reply", "回显（ping）应答"),
    (r" bytes\b", " 字节"),
])

# The app's own words: help, prompts, the map.
UI = {
    "Keys": "按键",
    "Play/pause": "播放/暂停",
    "Step: the next event": "单步：下一个事件",
    "Step an instant: all the events of the next moment": "走一个瞬间：下一时刻的全部事件",
    "Faster": "加快",
    "Slower": "减慢",
    "Ping…": "Ping…",
    "Traceroute…": "路由跟踪…",
    "DHCP…": "DHCP…",
    "Resolve a name…": "解析域名…",
    "Browse (the seed's story)…": "浏览网页（原文的故事）…",
    "Clear the host's ARP cache": "清空主机的 ARP 缓存",
    "Craft a poisoning ARP reply": "伪造一个投毒的 ARP 回应",
    "Save capture…": "保存抓包…",
    "Open lab…": "打开实验…",
    "Filter packets": "过滤数据包",
    "All keys": "全部按键",
    "Map of the network": "网络地图",
    "Packets": "数据包",
    "Hosts and ARP": "主机与 ARP",
    "Routing": "路由",
    "Events": "事件",
    "Dissector": "协议解析",
    "Language: English / 中文": "语言：English / 中文",
    "Focus Next": "下一个窗格",
    "Focus Previous": "上一个窗格",
    "Quit the app and return to the command prompt.": "退出，回到命令行。",
    "Open the command palette": "打开命令面板",
    "Copy selected text": "复制所选文字",
    "In a pane: ↑ ↓ PgUp PgDn Home End move, Enter opens, Tab goes to the next pane.\n"
    "The same actions are in the command palette (ctrl+p). Esc closes this.":
        "在窗格中：↑ ↓ PgUp PgDn Home End 移动，Enter 打开，Tab 到下一个窗格。\n"
        "同样的操作也在命令面板里（ctrl+p）。Esc 关闭本页。",
    "kept it": "已接收",
    "dropped it": "已丢弃",
    "nobody has it yet": "还没有人收到",
    "on": "在",
    "from": "来自",
}


def translate(text: str) -> str:
    """The app's own words from `UI`, else the stack's sentence phrase by phrase."""
    return UI.get(text) or _phrases(text)
