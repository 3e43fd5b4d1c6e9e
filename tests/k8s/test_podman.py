#!/usr/bin/python3
"""Runs the kernel overlay's pods for real with `podman kube play` (docs/kubernetes.md,
"Tests"; scripts/k8s-test.sh runs it whole, meson test k8s.podman in its --quick form).

Everything happens in a network namespace this test creates (with its own podman bridge
network, 10.213.0.0/24, that never touches the host's interfaces):

1. the images are built offline (k8s/image/build.sh) unless present;
2. tests/k8s/podman (the kernel overlay, one replica, static scrape target) is rendered with
   `kubectl kustomize` and turned into what podman plays: the StatefulSet into its pod dpcache-0
   and the PVC of its volume claim template; each Deployment into one pod named after the
   Service that selects it (so "prometheus", "alertmanager" resolve as in the cluster);
   ConfigMaps and PVCs as they are, Secrets as podman secrets (podman 4.3 reads them there);
   Services, Ingress and the PDB have no podman
   equivalent and are left out;
3. dpcache-0: /readyz answers 200; redis-cli reaches dpcache over the pod network and inside
   its pod; the containers run as uid 10001 with no capabilities (CapEff 0);
4. (not --quick) Prometheus's target for dpcache-0 is up; the queries of
   dashboards/dpcache.json's panels return data; the test fills dpcache to over 90 % of
   maxmemory, the rule RedisOutOfConfiguredMaxmemory (dashboards/alerts.yml, for: 2m) fires and
   Alertmanager delivers it to the test's webhook receiver;
5. the front DaemonSet's capabilities (NET_ADMIN, BPF, PERFMON) suffice to attach the XDP front
   and PERFMON is needed (a podman container on a veth of the namespace);
6. the keys' snapshot survives the pod: the data plane is stopped first (its final snapshot, as
   the control container's preStop hook orders it in Kubernetes; podman 4.3 runs no preStop
   hooks), the pod is deleted, played again on the same volume, and every key is back.

Usage (root): test_podman.py --build BUILD_DIR [--quick] [--rebuild-images]
"""
import argparse
import base64
import ctypes
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NET = "dpk8s-test"
SUBNET = "10.213.0.0/24"  # the test overlay's hostAliases name 10.213.0.1, the bridge
failures = []
t_start = time.time()


def log(msg):
    print(f"[{time.time() - t_start:6.1f}s] {msg}", flush=True)


def check(cond, msg):
    log(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)
    return cond


def sh(*cmd, check_rc=True, timeout=600, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def enter_netns(name):
    """Moves this process (and so every child) into network namespace @name."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)


# ---- rendered objects -> what podman kube play runs -------------------------------------

def podman_objects(objs):
    """{pod name: [objects to play, the pod last]} and the shared ConfigMaps/Secrets/PVCs."""
    shared = []
    pods = {}
    services = [o for o in objs if o["kind"] == "Service"]
    for o in objs:
        o["metadata"].pop("namespace", None)
        if o["kind"] in ("ConfigMap", "PersistentVolumeClaim"):
            shared.append(o)
    for o in objs:
        if o["kind"] == "StatefulSet":
            t = o["spec"]["template"]
            for i in range(o["spec"].get("replicas", 1)):
                name = f"{o['metadata']['name']}-{i}"
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name,
                                    "labels": dict(t["metadata"].get("labels", {}),
                                                   **{"statefulset.kubernetes.io/pod-name":
                                                      name}),
                                    "annotations": t["metadata"].get("annotations", {})},
                       "spec": json.loads(json.dumps(t["spec"]))}
                claims = []
                for c in o["spec"].get("volumeClaimTemplates", []):
                    cname = f"{c['metadata']['name']}-{name}"
                    claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                   "metadata": {"name": cname}, "spec": c["spec"]})
                    pod["spec"].setdefault("volumes", []).append(
                        {"name": c["metadata"]["name"],
                         "persistentVolumeClaim": {"claimName": cname}})
                pods[name] = claims + [pod]
        elif o["kind"] == "Deployment":
            t = o["spec"]["template"]
            labels = t["metadata"].get("labels", {})
            svc = [s["metadata"]["name"] for s in services
                   if s["spec"].get("selector") and
                   all(labels.get(k) == v for k, v in s["spec"]["selector"].items())]
            name = svc[0] if len(svc) == 1 else o["metadata"]["name"]
            pods[name] = [{"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "labels": labels},
                           "spec": json.loads(json.dumps(t["spec"]))}]
    return shared, pods


def pod_needs(pod_docs, shared):
    """The shared objects a pod's volumes and env refer to."""
    text = json.dumps(pod_docs)
    return [o for o in shared if f'"{o["metadata"]["name"]}"' in text]


# ---- podman -----------------------------------------------------------------------------

def play(path):
    r = sh("podman", "kube", "play", "--network", NET, path, check_rc=False, timeout=300)
    if r.returncode:
        raise RuntimeError(f"podman kube play {path}: {r.stdout}{r.stderr}")


def pod_ip(pod):
    infra = sh("podman", "pod", "inspect", pod, "--format", "{{.InfraContainerID}}").stdout.strip()
    out = sh("podman", "inspect", infra, "--format",
             "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}").stdout.strip()
    return out


def http_get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def wait_http(url, what, limit=120):
    end = time.time() + limit
    last = ""
    while time.time() < end:
        try:
            st, body = http_get(url)
            if st == 200:
                return True
            last = f"{st} {body}"
        except Exception as e:  # connection refused while starting, 503 while loading
            last = str(e)
        time.sleep(1)
    return check(False, f"{what}: {url} did not answer 200 within {limit} s ({last})")


def redis(ip, pw, *args, inside=None):
    cmd = ["redis-cli", "-h", ip, "-p", "6379", "--no-auth-warning", "-a", pw] + list(args)
    if inside:
        cmd = ["podman", "exec", inside] + cmd
    return sh(*cmd, timeout=60).stdout.strip()


def prom_query(ip, q):
    url = f"http://{ip}:9090/api/v1/query?query=" + urllib.parse.quote(q)
    st, body = http_get(url, timeout=10)
    return json.loads(body)["data"]["result"]


# ---- the webhook receiver -----------------------------------------------------------------

received = []
FILES = {}  # pod name -> the YAML file podman plays


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(n, 1 << 20))
        received.append((self.path, json.loads(body or b"{}")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


# ---- the run ------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="meson build directory (binaries)")
    ap.add_argument("--quick", action="store_true", help="dpcache-0 only: no monitoring")
    ap.add_argument("--rebuild-images", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("test_podman.py needs root (podman, network namespaces)")
    version = re.search(r"version: '([^']+)'", open(os.path.join(ROOT, "meson.build")).read())[1]

    # 1. images
    have = sh("podman", "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    need = [f"localhost/dpcache:{version}"] + ([] if args.quick else
                                               [f"localhost/dpcache-monitoring:{version}"])
    # the dpcache image must hold this build's binaries (its label, k8s/image/build.sh)
    stale = False
    if f"localhost/dpcache:{version}" in have:
        label = sh("podman", "image", "inspect", "--format",
                   '{{index .Labels "dpcache.binaries"}}', f"localhost/dpcache:{version}").stdout
        with tempfile.TemporaryDirectory() as d:
            for b in ("dataplane/dpcache", "control/dpcache-control", "control/dpcache-k8s",
                      "tools/dpcache-pmd", "tools/dpcache-load", "ebpf/dpcache-front"):
                sh("strip", "-o", os.path.join(d, os.path.basename(b)),
                   os.path.join(args.build, b))
            mine = sh("sh", "-c", "sha256sum -- * | sha256sum | cut -c1-64", cwd=d).stdout
        stale = label.strip() != mine.strip()
        if stale:
            log("the dpcache image holds other binaries than this build's: rebuilding it")
    if args.rebuild_images or stale or any(i not in have for i in need):
        log("building the images (k8s/image/build.sh)")
        only = ["--only", "dpcache"] if (args.quick or all(i in have for i in need)) and \
            not args.rebuild_images else []
        out = sh(os.path.join(ROOT, "k8s/image/build.sh"), "--binaries", args.build, *only,
                 timeout=1800)
        print(out.stdout, end="")
    for i in need:
        size = sh("podman", "image", "inspect", "--format", "{{.Size}}", i).stdout.strip()
        log(f"image {i}: {int(size) // 1000000} MB")

    # 2. render and convert
    rendered = sh("kubectl", "kustomize", os.path.join(ROOT, "tests/k8s/podman")).stdout
    objs = [o for o in yaml.safe_load_all(rendered) if o]
    shared, pods = podman_objects(objs)
    secret = [o for o in objs if o["kind"] == "Secret" and
              o["metadata"]["name"].startswith("dpcache-auth")][0]
    password = base64.b64decode(secret["data"]["password"]).decode()
    token = base64.b64decode(secret["data"]["admin-token"]).decode()
    tmp = tempfile.mkdtemp(prefix="dpcache-podman-")
    # podman 4.3 reads Secrets from podman secrets, in two formats: a Secret volume from one
    # holding the Secret object, an env secretKeyRef from one holding {key: base64 value}
    # (secret "<name>-env" here); and it needs secret volumes' "optional" set
    secrets = []
    for o in objs:
        if o["kind"] != "Secret":
            continue
        name = o["metadata"]["name"]
        for sname, content in ((name, o), (name + "-env", o["data"])):
            p = os.path.join(tmp, sname + ".json")
            with open(p, "w") as f:
                json.dump(content, f)
            sh("podman", "secret", "rm", sname, check_rc=False)
            sh("podman", "secret", "create", sname, p)
            secrets.append(sname)
    for docs in pods.values():
        for d in docs:
            if d["kind"] != "Pod":
                continue
            fsgroup = d["spec"].get("securityContext", {}).get("fsGroup", 0)
            for v in d["spec"].get("volumes", []):
                if "secret" not in v:
                    continue
                v["secret"].setdefault("optional", False)
                # podman 4.3 ignores a Secret volume's defaultMode (its files are 0644); the
                # kubelet writes them root:<fsGroup> with that mode, which dpcache-control's
                # token rule depends on (0440: docs/kubernetes.md, "Secrets"). So the test
                # writes the files as the kubelet would and mounts them as a hostPath.
                mode = v["secret"].get("defaultMode")
                if mode is not None:
                    sec = [o for o in objs if o["kind"] == "Secret" and
                           o["metadata"]["name"] == v["secret"]["secretName"]][0]
                    dirp = os.path.join(tmp, "secret-" + v["name"])
                    os.makedirs(dirp, exist_ok=True)
                    os.chmod(dirp, 0o755)
                    for it in v["secret"].get("items") or [{"key": k, "path": k}
                                                           for k in sec["data"]]:
                        fp = os.path.join(dirp, it["path"])
                        with open(fp, "wb") as f:
                            f.write(base64.b64decode(sec["data"][it["key"]]))
                        os.chown(fp, 0, fsgroup)
                        os.chmod(fp, it.get("mode", mode))
                    del v["secret"]
                    v["hostPath"] = {"path": dirp, "type": "Directory"}
            for c in d["spec"]["containers"]:
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        ref["name"] += "-env"
    files = {}
    for name, docs in pods.items():
        files[name] = os.path.join(tmp, f"{name}.yaml")
        with open(files[name], "w") as f:
            yaml.safe_dump_all(pod_needs(docs, shared) + docs, f)
    log(f"rendered tests/k8s/podman: {len(objs)} objects -> pods {', '.join(sorted(pods))}")

    ns = f"dpk8s{os.getpid()}"
    sh("ip", "netns", "add", ns)
    try:
        enter_netns(ns)
        sh("ip", "link", "set", "lo", "up")
        sh("podman", "network", "rm", "-f", NET, check_rc=False)
        sh("podman", "network", "create", "--subnet", SUBNET, NET)
        FILES.update(files)
        run(args, files, password, token)
        front_caps(f"localhost/dpcache:{version}")
    finally:
        for name in pods:
            sh("podman", "pod", "rm", "-f", name, check_rc=False)
        # podman keeps a volume per claim, and per ConfigMap and Secret it mounted
        for o in objs + [d for docs in pods.values() for d in docs]:
            if o["kind"] in ("PersistentVolumeClaim", "ConfigMap", "Secret"):
                sh("podman", "volume", "rm", "-f", o["metadata"]["name"], check_rc=False)
        sh("podman", "network", "rm", "-f", NET, check_rc=False)
        for sname in secrets:
            sh("podman", "secret", "rm", sname, check_rc=False)
        subprocess.run(["ip", "netns", "del", ns])
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


def run(args, files, pw, token):
    # 3. dpcache-0
    play(files["dpcache-0"])
    ip = pod_ip("dpcache-0")
    log(f"dpcache-0 is at {ip}")
    if not wait_http(f"http://{ip}:9121/readyz", "dpcache-0 ready"):
        for c in ("control", "dpcache"):  # what the containers said: the reason
            r = sh("podman", "logs", "--tail", "15", f"dpcache-0-{c}", check_rc=False)
            log(f"dpcache-0-{c} log:\n{r.stdout}{r.stderr}")
    check(redis(ip, pw, "ping") == "PONG", "redis-cli reaches dpcache-0 over the pod network")
    check(redis("127.0.0.1", pw, "ping", inside="dpcache-0-dpcache") == "PONG",
          "redis-cli reaches dpcache inside its pod (podman exec dpcache-0-dpcache redis-cli)")
    r = sh("redis-cli", "-h", ip, "--no-auth-warning", "-a", "wrong", "ping", check_rc=False)
    check("WRONGPASS" in r.stdout + r.stderr and "PONG" not in r.stdout,
          "the Secret's password is required (a wrong one is refused: WRONGPASS)")
    for c in ("dpcache", "control"):
        st = sh("podman", "exec", f"dpcache-0-{c}", "cat", "/proc/1/status").stdout
        uid = re.search(r"^Uid:\s+(\d+)", st, re.M)[1]
        cap = re.search(r"^CapEff:\s+(\w+)", st, re.M)[1]
        comm = re.search(r"^Name:\s+(\S+)", st, re.M)[1]
        check(uid == "10001" and int(cap, 16) == 0,
              f"container {c}: {comm} runs as uid {uid} with CapEff {cap}")
    logs = sh("podman", "logs", "dpcache-0-dpcache").stderr + \
        sh("podman", "logs", "dpcache-0-dpcache").stdout
    m = re.search(r"dpcache-k8s: (pod dpcache-0: .*)", logs)
    check(m is not None, f"dpcache-k8s derived the start: {m[1] if m else logs[-500:]}")
    st, body = http_get(f"http://{ip}:9121/metrics")
    check('redis_up 1' in body, "dpcache-control's /metrics: redis_up 1")

    # the keys the snapshot must bring back
    keys = {f"k8s:key:{i}": f"value-{i}-{'x' * (i % 50)}" for i in range(300)}
    pipe = "".join(f"SET {k} {v}\n" for k, v in keys.items())
    sh("redis-cli", "-h", ip, "--no-auth-warning", "-a", pw, input=pipe)
    check(redis(ip, pw, "dbsize") == str(len(keys)), f"{len(keys)} keys written")

    if not args.quick:
        monitoring(ip, pw)

    # 5. the pod goes, its volume stays, the keys come back
    before = int(redis(ip, pw, "dbsize"))
    sample = {k: redis(ip, pw, "get", k) for k in list(keys)[:20]}
    r = sh("podman", "stop", "-t", "60", "dpcache-0-dpcache", timeout=120)
    code = sh("podman", "inspect", "dpcache-0-dpcache", "--format",
              "{{.State.ExitCode}}").stdout.strip()
    clog = sh("podman", "logs", "dpcache-0-control").stderr + \
        sh("podman", "logs", "dpcache-0-control").stdout
    fin = re.search(r"taking the final snapshot[\s\S]*?(snapshot written: [^\n]*)", clog)
    check(code == "0" and fin is not None,
          f"dpcache exited {code} after the control plane's final snapshot "
          f"({fin[1] if fin else clog[-300:]})")
    sh("podman", "kube", "down", files["dpcache-0"])
    vols = sh("podman", "volume", "ls", "--format", "{{.Name}}").stdout.split()
    check("data-dpcache-0" in vols, "the volume data-dpcache-0 outlives the pod")
    # played again as the StatefulSet would recreate it: the claim and its volume exist
    again = files["dpcache-0"].replace(".yaml", "-again.yaml")
    with open(files["dpcache-0"]) as f, open(again, "w") as g:
        yaml.safe_dump_all([d for d in yaml.safe_load_all(f)
                            if d["kind"] != "PersistentVolumeClaim"], g)
    play(again)
    ip = pod_ip("dpcache-0")
    wait_http(f"http://{ip}:9121/readyz", "dpcache-0 ready again")
    after = int(redis(ip, pw, "dbsize"))
    got = {k: redis(ip, pw, "get", k) for k in sample}
    check(after == before and got == sample,
          f"the pod played again on the same volume restored {after} of {before} keys "
          f"(values of {len(sample)} checked)")
    dlog = sh("podman", "logs", "dpcache-0-dpcache").stderr
    m = re.search(r"DB loaded from \S+: (\d+) keys", dlog)
    check(m is not None and int(m[1]) == before, f"dpcache's log: {m[0] if m else dlog[-300:]}")


def front_caps(image):
    """The front DaemonSet's security context, run by podman: dpcache-control in front mode on a
    veth of the test's namespace (generic XDP), as uid 0 with NET_ADMIN, BPF and PERFMON only and
    no seccomp filter; then without PERFMON, which must be refused."""
    sh("ip", "link", "add", "dpkf0", "type", "veth", "peer", "name", "dpkf1")
    sh("ip", "link", "set", "dpkf0", "up")
    sh("ip", "link", "set", "dpkf1", "up")
    pin = f"/sys/fs/bpf/dpcache-k8s-test-{os.getpid()}"
    try:
        for caps, want in (("NET_ADMIN,BPF,PERFMON", True), ("NET_ADMIN,BPF", False)):
            name = f"dpk8s-front-{os.getpid()}"
            # "host": this process is in the test's namespace, so is the container
            sh("podman", "run", "-d", "--name", name, "--network", "host",
               "--user", "0", "--cap-drop", "ALL", "--cap-add", caps, "--security-opt",
               "seccomp=unconfined", "--security-opt", "no-new-privileges", "--read-only",
               "-v", "/sys/fs/bpf:/sys/fs/bpf", image, "dpcache-control", "--dataplane", "no",
               "--front-iface", "dpkf0", "--front-vip", "10.213.9.100", "--front-mode",
               "generic", "--front-pin-dir", f"{pin}/dpkf0", "--front-backend",
               "10.213.9.2,mac=02:00:00:00:00:02,base-port=7379,cores=2",
               "--listen", "127.0.0.1:9122")
            end = time.time() + 20
            attached = False
            while time.time() < end and not attached:
                attached = "xdpgeneric" in sh("ip", "link", "show", "dpkf0").stdout
                running = sh("podman", "inspect", name, "--format",
                             "{{.State.Running}}").stdout.strip() == "true"
                if not running:
                    break
                time.sleep(0.5)
            st = sh("podman", "exec", name, "grep", "CapEff", "/proc/1/status",
                    check_rc=False).stdout.split()
            logs = sh("podman", "logs", name).stderr
            sh("podman", "rm", "-f", name)
            if want:
                check(attached and st[-1:] == ["000000c000001000"],
                      f"front: XDP attached as uid 0 with {caps} only (CapEff {st[-1:]}, "
                      f"seccomp unconfined)")
            else:
                check(not attached and "FATAL: front mode" in logs,
                      f"front: with {caps} (no PERFMON) the load is refused")
            time.sleep(1)  # the link's detach after the process ends
    finally:
        subprocess.run(["rm", "-rf", pin])
        sh("ip", "link", "del", "dpkf0", check_rc=False)


def monitoring(ip, pw):
    # 4. Prometheus, Alertmanager, the webhook receiver
    srv = http.server.ThreadingHTTPServer(("10.213.0.1", 8080), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    play(FILES["alertmanager"])
    play(FILES["prometheus"])
    pip = pod_ip("prometheus")
    aip = pod_ip("alertmanager")
    wait_http(f"http://{aip}:9093/-/ready", "Alertmanager ready")
    wait_http(f"http://{pip}:9090/-/ready", "Prometheus ready")
    end = time.time() + 60
    health = None
    while time.time() < end:
        st, body = http_get(f"http://{pip}:9090/api/v1/targets")
        t = [x for x in json.loads(body)["data"]["activeTargets"]
             if x["labels"].get("job") == "dpcache"]
        health = t[0]["health"] if t else None
        if health == "up":
            break
        time.sleep(1)
    check(health == "up", f"Prometheus's target dpcache-0:9121 is {health}")
    time.sleep(6)  # a few scrapes for rate()
    # the dashboard's queries, as Grafana would send them
    dash = json.load(open(os.path.join(ROOT, "dashboards/dpcache.json")))
    exprs = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            e = t.get("expr", "")
            e = e.replace("$__rate_interval", "30s").replace("$instance", ".*") \
                 .replace("$topk", "5")
            exprs.append((p.get("title"), e))
    with_data = [(t, e) for t, e in exprs if prom_query(pip, e)]
    log(f"dashboard queries with data: {len(with_data)} of {len(exprs)}")
    for title in ("Up", "Memory used / maxmemory", "Commands/s", "Clients"):
        check(any(t == title for t, _ in with_data),
              f"the dashboard panel '{title}' gets data from Prometheus")
    # fill to over 90 % of maxmemory (noeviction: it stays there)
    maxmem = int(redis(ip, pw, "config", "get", "maxmemory").split()[-1])
    i = 0
    while True:
        info = redis(ip, pw, "info", "memory")
        used = int(re.search(r"used_memory:(\d+)", info)[1])
        if used > 0.93 * maxmem or i > 200000:
            break
        n = 4000 if used < 0.8 * maxmem else 250  # big steps, then small ones near the top
        pipe = "".join(f"SET fill:{i + j} {'v' * 200}\n" for j in range(n))
        sh("redis-cli", "-h", ip, "--no-auth-warning", "-a", pw, input=pipe)
        i += n
    check(used > 0.9 * maxmem, f"dpcache filled to {100 * used // maxmem} % of maxmemory "
          f"({used} of {maxmem} bytes)")
    v = prom_query(pip, 'redis_memory_used_bytes / redis_memory_max_bytes * 100')
    log(f"Prometheus: memory used {v[0]['value'][1] if v else '?'} % of maxmemory")
    # RedisOutOfConfiguredMaxmemory: for 2m, then Alertmanager's group_wait (30 s)
    end = time.time() + 330
    state = None
    while time.time() < end:
        st, body = http_get(f"http://{pip}:9090/api/v1/alerts")
        al = [a for a in json.loads(body)["data"]["alerts"]
              if a["labels"]["alertname"] == "RedisOutOfConfiguredMaxmemory"]
        state = al[0]["state"] if al else None
        if any(p[1].get("alerts") and any(a["labels"]["alertname"] ==
                                          "RedisOutOfConfiguredMaxmemory"
                                          for a in p[1]["alerts"]) for p in received):
            break
        time.sleep(2)
    check(state == "firing", f"Prometheus: RedisOutOfConfiguredMaxmemory is {state}")
    hits = [p for p in received if any(a["labels"]["alertname"] ==
                                       "RedisOutOfConfiguredMaxmemory"
                                       for a in p[1].get("alerts", []))]
    check(bool(hits), f"Alertmanager delivered RedisOutOfConfiguredMaxmemory to the webhook "
          f"receiver ({len(received)} notifications)")
    if hits:
        a = hits[0][1]
        log(f"webhook: POST {hits[0][0]} receiver={a.get('receiver')} status={a.get('status')} "
            f"groupKey={a.get('groupKey')} instance={a['alerts'][0]['labels'].get('instance')}")
    srv.shutdown()
    # the fill keys stay: the snapshot below carries them as well


if __name__ == "__main__":
    sys.exit(main())
