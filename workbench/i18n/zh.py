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

_phrases = phrases(
    [
        # --- link layer: frames on the bus ------------------------------------------------------
        (
            rf"(\w+) sends #(\d+) on {A} \({N} bytes with FCS\): ",
            r"\1 在 \3 上发送帧 #\2（含 FCS 共 \4 字节）：",
        ),
        (r"(\w+) accepts #(\d+): broadcast", r"\1 接收帧 #\2：广播"),
        (r"(\w+) accepts #(\d+): addressed to me", r"\1 接收帧 #\2：发给我的"),
        (
            rf"(\w+) drops #(\d+): not for me \(destination {A} is not {A}\)",
            r"\1 丢弃帧 #\2：不是发给我的（目标 MAC 地址 \3 不是本网卡的 \4）",
        ),
        (r"(\w+) drops #(\d+): not for me", r"\1 丢弃帧 #\2：不是发给我的"),
        (
            r"(\w+) drops #(\d+): bad FCS, frame damaged on the wire",
            r"\1 丢弃帧 #\2：FCS 校验错误，帧在线路上损坏",
        ),
        (r"Who has ([\d.]+)\? Tell ([\d.]+)", r"谁是 \1？请告诉 \2"),
        (r"Broadcast", "广播"),
        # --- live: TAP devices ---------------------------------------------------------------------
        (
            rf"; the lab runs on without it and reattaches when a TAP device named {A} appears",
            r"；实验在没有它的情况下继续运行，名为 \1 的 TAP 设备出现时重新连接",
        ),
        (
            rf"attached to the existing TAP device {A} \({A}, MTU (\d+)\), bridged to segment (\w+)",
            r"已连接到现有的 TAP 设备 \1（\2，MTU \3），桥接到网段 \4",
        ),
        (
            rf"created TAP device {A} \({A}, MTU (\d+)\), bridged to segment (\w+)",
            r"已创建 TAP 设备 \1（\2，MTU \3），桥接到网段 \4",
        ),
        (
            r"; TCP segmentation offload on: a bulk transfer to a host on this segment comes merged, up to 64 KB a frame, as to a virtual machine; to anywhere else it is cut to the MTU",
            "；TCP 分段卸载已开启：发往本网段主机的批量传输合并到达（每帧最多 64 KB，与发往虚拟机一样）；发往别处的按 MTU 切分",
        ),
        (rf"^TAP device {A}: ", r"TAP 设备 \1："),
        (
            rf"^Reattaching {A} \(creating it if it is missing\)…",
            r"正在重新连接 \1（如不存在则创建）…",
        ),
        (
            r"^No TAP device is lost: there is nothing to reattach\.",
            "没有丢失的 TAP 设备：无需重新连接。",
        ),
        (r"read failed \((.+?)\)", r"读取失败（\1）"),
        # --- ARP -----------------------------------------------------------------------------------
        (
            rf"who has {A}\? asks the whole segment on (\w+) by broadcast",
            r"谁是 \1？在 \2 上向整个网段广播询问",
        ),
        (
            rf"ignores ARP from {A}: it asks for {A}, not my address \(none yet\)",
            r"忽略来自 \1 的 ARP：它问的是 \2，而我还没有地址",
        ),
        (
            rf"ignores ARP from {A}: it asks for {A}, not my address {A}",
            r"忽略来自 \1 的 ARP：它问的是 \2，不是我的地址 \3",
        ),
        (rf"ARP cache: {A} is at {A}", r"ARP 缓存：\1 的 MAC 地址是 \2"),
        (r"\[reachable\]", "[可达]"),
        (r"\[stale\]", "[过期]"),
        (r"\(learned from the request for my address\)", "（从询问我的地址的请求中得知）"),
        (r"\(learned from reply\)", "（从 ARP 回应中得知）"),
        (
            rf"ARP cache has no {A}: ARP asks the segment on (\w+) by broadcast",
            r"ARP 缓存里没有 \1：ARP 在 \2 上向网段广播询问",
        ),
        (r"no ARP request needed", "无需 ARP 请求"),
        (r"\(learned for the DNS query\)", "（发 DNS 查询时已得知）"),
        (r"CHANGED", "已改变"),
        # --- network layer: routing with the subnet mask ------------------------------------------
        (rf"route to {A}: ", r"到 \1 的路由："),
        (rf"{A} is in 127\.0\.0\.0/8, the loopback network", r"\1 属于 127.0.0.0/8，即环回网络"),
        (rf"{A} is an address of this host", r"\1 是本机自己的地址"),
        (
            r"deliver locally over lo \(no frame on any segment\)",
            "经 lo 在本机交付（不发出任何帧到网段上）",
        ),
        (r"different subnets", "不在同一个子网络"),
        (r"same subnet", "在同一个子网络"),
        (r"no longer prefix matches: default route", "没有更长的前缀匹配：默认路由"),
        (rf"send to default gateway {A} on (\w+)", r"发给默认网关 \1（经 \2）"),
        (rf"send to gateway for {A} {A} on (\w+)", r"发给通往 \1 的网关 \2（经 \3）"),
        (rf"send to gateway {A} on (\w+)", r"发给网关 \1（经 \2）"),
        (r"no route: network unreachable", "没有路由：网络不可达"),
        (
            rf"deliver directly on (\w+) \(ARP for {A} itself\)",
            r"在 \1 上直接交付（用 ARP 找 \2 本身）",
        ),
        (r"deliver directly on (\w+)", r"在 \1 上直接交付"),
        (
            rf"forwards {A} → {A} from (\w+) to (\w+) via {A}, TTL (\d+) → (\d+)",
            r"转发 \1 → \2：从 \3 到 \4，经网关 \5，TTL \6 → \7",
        ),
        (
            rf"IP packet of {N} bytes \(id (\w+)\) is over the MTU of {N}: cut into (\d+) fragments of ([\d, ]+) bytes",
            r"IP 数据包共 \1 字节（标识 \2），超过 MTU \3：分割成 \4 个片段，分别为 \5 字节",
        ),
        (
            rf"reassembled (\d+) fragments from {A} \(id (\w+)\) into one IP packet of {N} bytes",
            r"把来自 \2 的 \1 个片段（标识 \3）重组为一个 \4 字节的 IP 数据包",
        ),
        (r"Fragmented IP protocol", "IP 分片"),
        (rf"gave up reassembling id (\w+) from {A}: ", r"放弃重组来自 \2 的数据包（标识 \1）："),
        (
            rf"{N} datagrams were waiting for fragments: the oldest gave way to a new one",
            r"已有 \1 个数据包在等待分片：最早的一个让位给新的",
        ),
        (
            rf"reassembly memory passed {N} bytes: the oldest datagram gave way",
            r"重组内存超过 \1 字节：最早的数据包让位",
        ),
        (r"timed out after (\d+) s with fragments missing", r"\1 秒后超时，仍缺分片"),
        (
            r"fragments overlap at bytes (\d+)–(\d+) with different data",
            r"分片在第 \1–\2 字节重叠且数据不同",
        ),
        (
            rf"drops packet {A} → {A}: TTL (\d+) would reach 0",
            r"丢弃数据包 \1 → \2：TTL \3 将减到 0",
        ),
        (
            rf"drops packet {A} → {A}: no route to the network",
            r"丢弃数据包 \1 → \2：没有到该网络的路由",
        ),
        (
            rf"drops packet {A} → {A}: addressed to another host and this host does not forward",
            r"丢弃数据包 \1 → \2：发给别的主机，而本机不转发",
        ),
        (rf"drops packet {A} → {A}: ", r"丢弃数据包 \1 → \2："),
        (
            rf"sends ICMP time exceeded \(TTL exceeded in transit\) to {A}: TTL exceeded in transit",
            r"向 \1 发送 ICMP 超时报文：传输中 TTL 减到 0",
        ),
        (
            rf"sends ICMP destination unreachable \(network unreachable\) to {A}: network unreachable",
            r"向 \1 发送 ICMP 目标不可达报文：网络不可达",
        ),
        (
            rf"sends ICMP destination unreachable \(host unreachable\) to {A}: host unreachable",
            r"向 \1 发送 ICMP 目标不可达报文：主机不可达",
        ),
        (
            rf"sends ICMP destination unreachable \(port unreachable\) to {A}: port unreachable",
            r"向 \1 发送 ICMP 目标不可达报文：端口不可达",
        ),
        (
            rf"sends ICMP destination unreachable \(protocol unreachable\) to {A}: protocol unreachable",
            r"向 \1 发送 ICMP 目标不可达报文：协议不可达",
        ),
        (rf"sends ICMP (.+?) to {A}: ", r"向 \2 发送 ICMP \1 报文："),
        (
            r"Time-to-live exceeded \(Time to live exceeded in transit\)",
            "TTL 超时（传输中 TTL 减到 0）",
        ),
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
        (
            r"application closed after the peer's FIN; FIN queued after the data",
            "对方发送 FIN 后应用已关闭；数据之后排队发送 FIN",
        ),
        (r"our FIN was acknowledged after simultaneous close", "同时关闭后，我方的 FIN 已被确认"),
        (r"our FIN was acknowledged", "我方的 FIN 已被确认"),
        (
            r"the peer's FIN arrived after ours was acknowledged",
            "我方的 FIN 被确认后，对方的 FIN 到达",
        ),
        (
            r"simultaneous close: the peer's FIN came before the ACK of ours",
            "同时关闭：对方的 FIN 先于对我方 FIN 的确认到达",
        ),
        (
            r"simultaneous open: a SYN crossed ours; SYN-ACK sent",
            "同时打开：对方的 SYN 与我方的交叉；已发送 SYN-ACK",
        ),
        (
            r"the application had closed during the handshake; FIN queued",
            "握手期间应用已关闭；已排队发送 FIN",
        ),
        (rf"2·MSL = {N} s of TIME-WAIT have passed", r"TIME-WAIT 已过 2·MSL = \1 秒"),
        (rf"waiting 2·MSL = {N} s for stray segments", r"等待 2·MSL = \1 秒，以接收迟到的数据段"),
        (
            r"connection refused \(RST in answer to our SYN\)",
            "连接被拒绝（对方用 RST 回应我方的 SYN）",
        ),
        (r"reset by peer", "被对方重置"),
        (
            rf"sends {N} bytes as ONE segment of {N} bytes, ignoring the MSS of {N} — the seed's demonstration, not what real TCP does; IP will have to fragment it",
            r"把 \1 字节作为一个 \2 字节的数据段发送，不理会 MSS \3——这是原文的演示，真实的 TCP 不会这样做；IP 将不得不对它分片",
        ),
        (r"UDP socket \*:(\d+) bound", r"UDP 套接字 *:\1 已绑定"),
        (
            rf"UDP from {A} to {A}: nothing listens on that port → dropped quietly \(broadcast: no ICMP error\)",
            r"从 \1 到 \2 的 UDP：该端口没有程序监听 → 悄悄丢弃（广播：不回 ICMP 差错）",
        ),
        (
            rf"UDP from {A} to {A}: nothing listens on that port",
            r"从 \1 到 \2 的 UDP：该端口没有程序监听",
        ),
        (r"cannot connect: destination unreachable", "无法连接：目标不可达"),
        (r"\(network unreachable\)", "（网络不可达）"),
        (r"\(host unreachable\)", "（主机不可达）"),
        (r"\(port unreachable\)", "（端口不可达）"),
        (rf"Destination Host Unreachable \(from {A}\)", r"目标主机不可达（来自 \1）"),
        (
            rf"no answer for {A} after (\d+) requests on (\w+): (\d+) waiting packet\(s\) dropped, host unreachable",
            r"在 \3 上询问 \2 次后 \1 仍无应答：丢弃 \4 个等待中的数据包，主机不可达",
        ),
        (r"\(try (\d+)\)", r"（第 \1 次）"),
        (r"not my address \(none yet\)", "不是我的地址（我还没有地址）"),
        # --- DHCP: the client and the server ----------------------------------------------------------
        (rf"\(xid (\w+)\) from {A}: ", r"(xid \1) 来自 \2："),
        (r"DHCP client on (\w+): ", r"\1 上的 DHCP 客户端："),
        (r"DHCP client sends (\w+) ", r"DHCP 客户端发送 \1 "),
        (r"DHCP client receives (\w+) ", r"DHCP 客户端收到 \1 "),
        (r"DHCP server sends (\w+) ", r"DHCP 服务器发送 \1 "),
        (r"DHCP server receives (\w+) ", r"DHCP 服务器收到 \1 "),
        (r"\(looking for a DHCP server\)", "（寻找 DHCP 服务器）"),
        (rf"\(first offer taken: {A} from {A}\)", r"（接受第一个提供：\1，来自 \2）"),
        (rf"\(lease of {A} for {N} s\)", r"（\1 的租约，\2 秒）"),
        (rf"\(T(\d): {N} s of the lease gone\)", r"（T\1：租期已过 \2 秒）"),
        (
            rf"from MAC {A} to {A}, who can give me an address\?",
            r"从 MAC \1 发往 \2，谁能给我一个地址？",
        ),
        (
            rf"asks to keep {A} \(unicast to the server that leased it\)",
            r"请求继续使用 \1（单播给租出它的服务器）",
        ),
        (
            rf"takes {A} from server {A} \(broadcast, so other servers hear the choice\)",
            r"接受服务器 \2 的 \1（广播，让其他服务器也知道这个选择）",
        ),
        (
            rf"your address {A}, mask {A}, router {A}, DNS {A}, lease {N} s",
            r"你的地址 \1，子网掩码 \2，路由器 \3，DNS \4，租期 \5 秒",
        ),
        (rf"client {A}, asks for {A}", r"客户端 \1，请求 \2"),
        (rf"client {A}, has {A}", r"客户端 \1，已有 \2"),
        (rf"client {A}", r"客户端 \1"),
        (rf"\(to MAC {A}\)", r"（发往 MAC \1）"),
        (r"\(unicast\)", "（单播）"),
        (
            rf": {A} for {A}; mask {A}, router {A}, DNS {A}, lease {N} s, server id {A}",
            r"：把 \1 给 \2；子网掩码 \3，路由器 \4，DNS \5，租期 \6 秒，服务器标识 \7",
        ),
        (
            rf"DHCP server: leases {A} to {A} for {N} s \(accepted its offer\)",
            r"DHCP 服务器：把 \1 租给 \2，\3 秒（对方接受了提供）",
        ),
        (
            rf"DHCP server: leases {A} to {A} for {N} s \(renewed\)",
            r"DHCP 服务器：把 \1 租给 \2，\3 秒（已续租）",
        ),
        (
            rf"DHCP server: nobody answered a ping for {A} within {N} s: it is free",
            r"DHCP 服务器：\2 秒内没有人回应对 \1 的 ping：它是空闲的",
        ),
        (
            rf"DHCP server: offers {A} to {A}: first free address in the pool {A}",
            r"DHCP 服务器：向 \2 提供 \1：地址池 \3 中第一个空闲地址",
        ),
        (
            rf"DHCP server: pings {A} before offering it to {A}: is it already in use\?",
            r"DHCP 服务器：向 \2 提供 \1 之前先 ping 它：是否已被占用？",
        ),
        (
            rf"installs on (\w+): address {A}, mask {A}, gateway {A}, DNS {A} — lease {N} s from {A}, renew at T1 = {N} s, rebind at T2 = {N} s",
            r"在 \1 上配置：地址 \2，子网掩码 \3，网关 \4，DNS \5——租期 \6 秒，来自 \7，T1 = \8 秒时续租，T2 = \9 秒时重新绑定",
        ),
        # --- application layer: DNS, HTTP, ping -----------------------------------------------------
        (
            rf"{N}-byte request sent as ONE {N}-byte TCP segment \(--one-segment, as in the seed\): the {N}-byte IP packet is over the MTU of {N}, so IP cuts it into ([\d,+ ]+) bytes",
            r"\1 字节的请求作为一个 \2 字节的 TCP 数据段发送（--one-segment，和原文一样）：\3 字节的 IP 数据包超过 MTU \4，所以 IP 把它分割成 \5 字节",
        ),
        (
            rf"\(ours {N} = MTU {N} − 40, peer's MSS {N}; window scale: we shift by (\d+), the peer by (\d+)\)",
            r"（我方 \1 = MTU \2 − 40，对方的 MSS \3；窗口缩放：我方左移 \4 位，对方 \5 位）",
        ),
        (r"body of Content-Length (\d+)", r"正文长度 Content-Length \1"),
        (r"(\d+) bytes of content of Content-Length (\d+)", r"正文 \1 字节，Content-Length \2"),
        (
            rf"DNS query id (\w+): A {A}\? asks {A} from {A}",
            r"DNS 查询（标识 \1）：\2 的 A 记录？向 \3 询问，来自 \4",
        ),
        (rf"DNS server answers {A}, ", r"DNS 服务器回答 \1，"),
        (
            rf"DNS authoritative answer id (\w+) from {A} for {A}: ",
            r"来自 \2 的权威 DNS 回答（标识 \1），关于 \3：",
        ),
        (r"\(cached for (\d+) s\)", r"（缓存 \1 秒）"),
        (r"Standard query response", "标准查询应答"),
        (r"Standard query", "标准查询"),
        (
            rf"Resolving {A}: DNS query to {A}, UDP port (\d+)",
            r"解析 \1：向 \2 发送 DNS 查询，UDP 端口 \3",
        ),
        (rf"{A} is {A} \(answered by {A}, TTL (\d+) s\)", r"\1 是 \2（由 \3 回答，TTL \4 秒）"),
        (rf"HTTP server {A} receives from {A}: ", r"HTTP 服务器 \1 收到来自 \2 的请求："),
        (rf"HTTP server {A} → {A}: ", r"HTTP 服务器 \1 → \2："),
        (r"connection kept open", "连接保持打开"),
        (rf"Connected to {A} \({A}\) port (\d+) from {A}", r"已连接到 \1（\2）端口 \3，本端 \4"),
        (
            rf"(\d+) bytes from {A}: icmp_seq=(\d+) ttl=(\d+) time=([\d.]+) ms",
            r"来自 \2 的 \1 字节：icmp_seq=\3 ttl=\4 时间=\5 毫秒",
        ),
        (r"ping statistics", "ping 统计"),
        (
            r"(\d+) packets transmitted, (\d+) received, (\d+)% packet loss",
            r"已发送 \1 个数据包，收到 \2 个，丢失 \3%",
        ),
        (r"Echo \(ping\) request", "回显（ping）请求"),
        (r"Echo \(ping\) reply", "回显（ping）应答"),
        (r" bytes\b", " 字节"),
    ]
)

# The app's own words: help, prompts, the map.
UI = {
    "Keys": "按键",
    "Play/pause": "播放/暂停",
    "Step: the next event": "单步：下一个事件",
    "Step an instant: all the events of the next moment": "走一个瞬间：下一时刻的全部事件",
    "Step back: one event earlier (the lab replayed from its start)": "后退：回到上一个事件（从头重放实验）",
    "Save a snapshot…": "保存快照…",
    "Faster": "加快",
    "Slower": "减慢",
    "Ping…": "Ping…",
    "Traceroute…": "路由跟踪…",
    "DHCP…": "DHCP…",
    "Resolve a name…": "解析域名…",
    "Browse (the seed's story)…": "浏览网页（原文的故事）…",
    "Clear the host's ARP cache": "清空主机的 ARP 缓存",
    "Reattach lost TAP devices now": "立即重新连接丢失的 TAP 设备",
    "Craft and send a frame (templates, or edit the selected one)…": "构造并发送一个帧（从模板开始，或编辑选中的帧）…",
    "Save capture (the frames shown)…": "保存抓包（当前显示的帧）…",
    "Open lab or capture…": "打开实验或抓包文件…",
    "Trace: the newest frames stay in memory (10,000; --trace-window N sets it); older ones "
    "go to a temporary pcapng named in the status bar (--spill FILE keeps it).": "记录：最新的帧留在内存中（10,000 个；用 --trace-window N 设置）；更早的帧写入状态栏里"
    "显示的临时 pcapng 文件（用 --spill FILE 保留它）。",
    "Filter packets": "过滤数据包",
    # the capture screen's keys (workbench open FILE, or o): a capture has no lab behind it
    "Open a lab or capture…": "打开实验或抓包文件…",
    "Save the frames shown…": "保存当前显示的帧…",
    "Play/pause (needs a lab)": "播放/暂停（需要实验）",
    "Step (needs a lab)": "单步（需要实验）",
    "Map (needs a lab)": "网络地图（需要实验）",
    "Speed (needs a lab)": "速度（需要实验）",
    "Ping (needs a lab)": "Ping（需要实验）",
    "Traceroute (needs a lab)": "路由跟踪（需要实验）",
    "DHCP (needs a lab)": "DHCP（需要实验）",
    "Resolve (needs a lab)": "解析域名（需要实验）",
    "Browse (needs a lab)": "浏览网页（需要实验）",
    "Clear ARP (needs a lab)": "清空 ARP 缓存（需要实验）",
    "Craft (needs a lab)": "伪造帧（需要实验）",
    "Statistics: conversations, endpoints, protocol hierarchy": "统计：会话、端点、协议分级",
    "Follow the selected frame's TCP stream": "跟踪所选帧的 TCP 流",
    "Apply as filter: the tree's selected field (field == value)": "作为过滤器应用：协议树中所选的字段（字段 == 值）",
    "Prepare a filter: the tree's selected field, to edit first": "准备过滤器：协议树中所选的字段，先编辑再应用",
    "Select a frame and a field of its tree first: Apply as Filter takes the field under the tree's cursor.": "请先选择一个帧及其协议树中的一个字段：作为过滤器应用取的是协议树光标所在的字段。",
    "This line is scapy's dissection, outside the protocol model: it has no filter name.": "这一行是 scapy 的解析，不在协议模型之内：它没有过滤器名称。",
    "This line groups the fields under it and has no filter name of its own: choose one of them.": "这一行只是把下面的字段归在一起，本身没有过滤器名称：请选择其中一个字段。",
    # the capture screen's status line, tabs and panes (workbench open FILE)
    "Hosts · ARP": "主机 · ARP",
    "no lab (o opens one)": "没有实验（按 o 打开一个）",
    "cut short: the frames before the cut are shown": "文件被截断：显示截断之前的帧",
    "Hosts and ARP tables belong to a running lab; {name} is a capture file, which records frames but not the hosts that sent them. o opens a lab.": "主机和 ARP 表属于运行中的实验；{name} 是抓包文件，只记录帧，不记录发送它们的主机。按 o 打开一个实验。",
    "Routing tables and decisions belong to a running lab; {name} is a capture file, which holds no routing decisions. o opens a lab.": "路由表和路由决策属于运行中的实验；{name} 是抓包文件，其中没有路由决策。按 o 打开一个实验。",
    "The event log is a running lab's explanations; {name} is a capture file, which holds only frames. o opens a lab.": "事件日志是运行中实验的解释；{name} 是抓包文件，其中只有帧。按 o 打开一个实验。",
    # the statistics screen (z)
    "Statistics": "统计",
    "Conversations": "会话",
    "Endpoints": "端点",
    "Protocol Hierarchy": "协议分级",
    "all frames": "全部帧",
    "frames matching": "匹配过滤器的帧",
    "Address A": "地址 A",
    "Port A": "端口 A",
    "Address B": "地址 B",
    "Port B": "端口 B",
    "Packets A → B": "数据包 A → B",
    "Bytes A → B": "字节 A → B",
    "Packets B → A": "数据包 B → A",
    "Bytes B → A": "字节 B → A",
    "Rel Start": "相对开始",
    "Duration": "持续时间",
    "Address": "地址",
    "Port": "端口",
    "Bytes": "字节",
    "Tx Packets": "发送数据包",
    "Tx Bytes": "发送字节",
    "Rx Packets": "接收数据包",
    "Rx Bytes": "接收字节",
    "Protocol": "协议",
    "Percent Packets": "数据包百分比",
    "Percent Bytes": "字节百分比",
    "Back": "返回",
    "Back to the packet list": "返回数据包列表",
    "Hierarchy": "分级",
    "Protocol hierarchy": "协议分级",
    "Previous kind": "上一类",
    "Next kind": "下一类",
    "None yet.": "还没有。",
    "None in these frames.": "这些帧里没有。",
    "All keys": "全部按键",
    "Map of the network": "网络地图",
    "Packets": "数据包",
    "Hosts and ARP": "主机与 ARP",
    "Routing": "路由",
    "Events": "事件",
    "Dissector": "协议解析",
    "Frame": "帧",
    "Reassembled TCP": "重组的 TCP",
    "Language: English / 中文": "语言：English / 中文",
    "Focus Next": "下一个窗格",
    "Focus Previous": "上一个窗格",
    "Quit the app and return to the command prompt.": "退出，回到命令行。",
    "Open the command palette": "打开命令面板",
    "Copy selected text": "复制所选文字",
    "In a pane: ↑ ↓ PgUp PgDn Home End move, Enter opens, Tab goes to the next pane.\n"
    "The same actions are in the command palette (ctrl+p). Esc closes this.": "在窗格中：↑ ↓ PgUp PgDn Home End 移动，Enter 打开，Tab 到下一个窗格。\n"
    "同样的操作也在命令面板里（ctrl+p）。Esc 关闭本页。",
    "kept it": "已接收",
    "dropped it": "已丢弃",
    "nobody has it yet": "还没有人收到",
    "on": "在",
    "from": "来自",
}


# The capture screen's counts and progress, each a whole piece of its status line or title.
_capture_phrases = phrases(
    [
        (rf"^{N} frames?$", r"\1 帧"),
        (rf"^{N} frames?, {N} bytes$", r"\1 帧，\2 字节"),
        (rf"^{N} bytes$", r"\1 字节"),
        (rf"^{N} (KiB|MiB|GiB)$", r"\1 \2"),
        (r"^reading the file (\d+)%$", r"正在读取文件 \1%"),
        (r"^reading (\d+)%$", r"读取中 \1%"),
        (rf"^following the conversations up to frame {N}…$", r"正在跟踪会话，直到帧 \1…"),
        (rf"^{N} shown$", r"显示 \1 帧"),
        (rf"^The {N} busiest of {N} shown\.$", r"显示 \2 个中最繁忙的 \1 个。"),
    ]
)


def translate(text: str) -> str:
    """The app's own words from `UI`, else the stack's sentence phrase by phrase."""
    found = UI.get(text)
    if found:
        return found
    counted = _capture_phrases(text)
    return counted if counted != text else _phrases(text)
