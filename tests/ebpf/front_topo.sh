# front_topo.sh - the namespaces of the front's end-to-end tests, sourced by e2e_front.sh and
# e2e_front_control.sh (which define NS_C NS_F NS_1 NS_2, TAG, VIP, in_ns and log first):
#
#   client (NS_C, c0 CNET.0.2) -- f0 [front NS_F, forwarding] f1 -- e0 backend 1 (BNET.1.2)
#                                                             f2 -- e0 backend 2 (BNET.2.2)
#
# The backends own VIP on lo (direct server return) and route back through the front.
#   front_topo_up CNET BNET      e.g. front_topo_up 10.201 10.202

front_topo_up() {
    local cnet=$1 bnet=$2 ns i k d
    for ns in "$NS_C" "$NS_F" "$NS_1" "$NS_2"; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
    ip link add c0 netns "$NS_C" type veth peer name f0 netns "$NS_F"
    ip link add e0 netns "$NS_1" type veth peer name f1 netns "$NS_F"
    ip link add e0 netns "$NS_2" type veth peer name f2 netns "$NS_F"

    in_ns "$NS_C" ip addr add "$cnet.0.2/24" dev c0
    in_ns "$NS_C" ip link set c0 up
    in_ns "$NS_C" ip route add "$VIP/32" via "$cnet.0.1"
    # The front rewrites the UDP port and fixes the checksum incrementally: that needs complete
    # checksums, as NICs deliver. veth would hand over partial ones (TX offload), which the
    # backend then trusts unchecked; with offload off, the backend's stack verifies every
    # checksum the front rewrote.
    if command -v ethtool >/dev/null; then
        in_ns "$NS_C" ethtool -K c0 tx off tso off gso off >/dev/null
    else
        log "ethtool not installed: UDP checksums are not verified end to end"
    fi

    in_ns "$NS_F" ip addr add "$cnet.0.1/24" dev f0
    in_ns "$NS_F" ip addr add "$bnet.1.1/24" dev f1
    in_ns "$NS_F" ip addr add "$bnet.2.1/24" dev f2
    for d in f0 f1 f2; do in_ns "$NS_F" ip link set "$d" up; done
    in_ns "$NS_F" sysctl -qw net.ipv4.ip_forward=1
    for k in all default f0 f1 f2; do in_ns "$NS_F" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"; done

    for i in 1 2; do
        ns=$TAG-b$i
        in_ns "$ns" ip addr add "$bnet.$i.2/24" dev e0
        in_ns "$ns" ip link set e0 up
        in_ns "$ns" ip addr add "$VIP/32" dev lo
        in_ns "$ns" ip route add default via "$bnet.$i.1"
        in_ns "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1
        for k in all default e0; do in_ns "$ns" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"; done
    done
}
