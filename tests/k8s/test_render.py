#!/usr/bin/python3
"""Renders every overlay of k8s/ with `kubectl kustomize` and checks the objects offline
(meson test k8s.render; docs/kubernetes.md, "Tests"):

1. every rendered object validates against the Kubernetes OpenAPI schema of kubernetes-models
   (npm, tests/k8s/validate) or, for the NetworkAttachmentDefinition, its CRD's schema; unknown
   fields are errors; the validator is first shown to reject broken objects;
2. what a schema cannot say: Guaranteed QoS with whole CPUs for dpcache, every reference
   (ConfigMap, Secret, PVC, Service selector, PDB, NAD, SR-IOV resource, downward API file)
   resolves inside the rendered set;
3. the configuration files inside the ConfigMaps: `promtool check config/rules`,
   `amtool check-config`, and `dpcache-k8s --dry-run` on each overlay's rendered dpcache.conf
   and settings (sriov: with the fixtures' VF and annotation and the rendered limits);
4. k8s/monitoring's copies of dashboards/alerts.yml and dpcache.json are identical.

Usage: test_render.py --dpcache-k8s build/control/dpcache-k8s
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VALIDATE = os.path.join(ROOT, "tests/k8s/validate")
CRD = os.path.join(ROOT, "tests/k8s/schemas/network-attachment-definition-crd.yaml")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def render(overlay):
    out = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "k8s/overlays", overlay)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"kubectl kustomize k8s/overlays/{overlay} failed:\n{out.stderr}")
    return out.stdout


def validate(paths):
    out = subprocess.run(["node", os.path.join(VALIDATE, "validate.js"), "--crd", CRD] + paths,
                         capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


def pod_specs(objs):
    """(workload, pod template spec, template labels) of every workload."""
    for o in objs:
        if o["kind"] in ("StatefulSet", "Deployment", "DaemonSet"):
            t = o["spec"]["template"]
            yield o, t["spec"], t["metadata"].get("labels", {})


def semantic(name, objs):
    by = {(o["kind"], o["metadata"]["name"]) for o in objs}
    names = lambda kind: {n for k, n in by if k == kind}
    ss = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "dpcache"]
    check(len(ss) == 1, f"{name}: one dpcache StatefulSet")
    sts = ss[0]
    spec = sts["spec"]["template"]["spec"]
    # Guaranteed QoS: every container requests == limits for cpu and memory; dpcache whole CPUs
    for c in spec["containers"]:
        r = c.get("resources", {})
        req, lim = r.get("requests", {}), r.get("limits", {})
        check(all(k in req and k in lim for k in ("cpu", "memory")) and req == lim,
              f"{name}: container {c['name']}: requests == limits with cpu and memory "
              f"(Guaranteed QoS)")
        if c["name"] == "dpcache":
            check(str(lim["cpu"]).isdigit(), f"{name}: dpcache's CPU count is an integer "
                  f"({lim['cpu']}: the static CPU manager's exclusive cores)")
    check(sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] in
          {m["name"] for c in spec["containers"] for m in c.get("volumeMounts", [])},
          f"{name}: the snapshot volume claim is mounted")
    # references resolve inside the rendered objects
    for w, ps, labels in pod_specs(objs):
        wn = f"{name}: {w['kind']} {w['metadata']['name']}"
        for v in ps.get("volumes", []):
            if "configMap" in v:
                check(v["configMap"]["name"] in names("ConfigMap"),
                      f"{wn}: ConfigMap volume {v['configMap']['name']} exists")
            if "secret" in v:
                check(v["secret"]["secretName"] in names("Secret"),
                      f"{wn}: Secret volume {v['secret']['secretName']} exists")
                # dpcache-control refuses a token others (or a non-root owner's group) may
                # read; the kubelet writes Secret files root:<fsGroup>: 0440 is the mode
                if any(i.get("key") == "admin-token" for i in v["secret"].get("items", [])):
                    check(v["secret"].get("defaultMode") == 0o440,
                          f"{wn}: the admin token is mounted 0440 (defaultMode 288), "
                          f"not {oct(v['secret'].get('defaultMode', 0o644))}")
            if "persistentVolumeClaim" in v:
                check(v["persistentVolumeClaim"]["claimName"] in names("PersistentVolumeClaim"),
                      f"{wn}: PVC {v['persistentVolumeClaim']['claimName']} exists")
        for c in ps["containers"]:
            for e in c.get("envFrom", []):
                if "configMapRef" in e:
                    check(e["configMapRef"]["name"] in names("ConfigMap"),
                          f"{wn}: envFrom ConfigMap {e['configMapRef']['name']} exists")
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    sec = [o for o in objs if o["kind"] == "Secret"
                           and o["metadata"]["name"] == ref["name"]]
                    check(sec and ref["key"] in sec[0].get("data", {}),
                          f"{wn}: Secret key {ref['name']}/{ref['key']} exists")
        if ps.get("serviceAccountName"):
            check(ps["serviceAccountName"] in names("ServiceAccount"),
                  f"{wn}: ServiceAccount {ps['serviceAccountName']} exists")
    for o in objs:
        sel = None
        if o["kind"] == "Service":
            sel = o["spec"].get("selector")
        elif o["kind"] == "PodDisruptionBudget":
            sel = o["spec"]["selector"]["matchLabels"]
        if sel:
            sel = {k: v for k, v in sel.items() if k != "statefulset.kubernetes.io/pod-name"}
            check(any(all(lab.get(k) == v for k, v in sel.items())
                      for _, _, lab in pod_specs(objs)),
                  f"{name}: {o['kind']} {o['metadata']['name']} selects a workload's pods")
        if o["kind"] == "Ingress":
            for r in o["spec"]["rules"]:
                for p in r["http"]["paths"]:
                    check(p["backend"]["service"]["name"] in names("Service"),
                          f"{name}: Ingress backend {p['backend']['service']['name']} exists")
    return sts, spec


def sriov_checks(objs, sts, spec):
    nads = {o["metadata"]["name"]: o for o in objs if o["kind"] == "NetworkAttachmentDefinition"}
    ann = sts["spec"]["template"]["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"]
    check(ann in nads, f"sriov: the pod's network annotation names the NAD {ann}")
    nad = nads[ann]
    res = nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"]
    dp = [c for c in spec["containers"] if c["name"] == "dpcache"][0]
    check(dp["resources"]["limits"].get(res) == "1",
          f"sriov: dpcache requests one {res}, the NAD's resource")
    cfg = json.loads(nad["spec"]["config"])
    check(cfg["type"] == "sriov" and "ipam" in cfg, "sriov: the NAD is of type sriov with IPAM")
    env = [o for o in objs if o["kind"] == "ConfigMap"
           and o["metadata"]["name"].startswith("dpcache-k8s-")][0]["data"]
    check(env["DPCACHE_SRIOV_RESOURCE"] == res, "sriov: DPCACHE_SRIOV_RESOURCE is the NAD's "
          "resource")
    check(env["DPCACHE_NETWORK"] == ann, "sriov: DPCACHE_NETWORK is the attachment")
    dpcm = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] ==
            "sriovdp-config"][0]
    pool = json.loads(dpcm["data"]["config.json"])["resourceList"][0]
    check(f"{pool['resourcePrefix']}/{pool['resourceName']}" == res and
          pool["selectors"][0]["drivers"] == ["vfio-pci"],
          "sriov: the device plugin's pool is the resource, of VFs bound to vfio-pci")
    check(dp["resources"]["limits"].get("hugepages-2Mi") and
          any(v.get("emptyDir", {}).get("medium") == "HugePages-2Mi" for v in spec["volumes"]),
          "sriov: 2 MiB hugepages requested and mounted (emptyDir medium HugePages-2Mi)")
    podinfo = [v for v in spec["volumes"] if "downwardAPI" in v][0]["downwardAPI"]["items"][0]
    mount = [m["mountPath"] for m in dp["volumeMounts"] if m["name"] == "podinfo"][0]
    check(os.path.join(mount, podinfo["path"]) == env["DPCACHE_NETWORK_STATUS_FILE"] and
          "network-status" in podinfo["fieldRef"]["fieldPath"],
          "sriov: the network-status annotation is at DPCACHE_NETWORK_STATUS_FILE")
    check(dp["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]},
          "sriov: dpcache keeps IPC_LOCK only")


def config_checks(name, objs, tmp, k8s_bin):
    data = {}
    for o in objs:
        if o["kind"] == "ConfigMap":
            base = o["metadata"]["name"].rsplit("-", 1)[0]
            for k, v in o.get("data", {}).items():
                data[(base, k)] = v
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    for (cm, key) in [("prometheus-config", "prometheus.yml"), ("prometheus-rules", "alerts.yml"),
                      ("alertmanager-config", "alertmanager.yml"),
                      ("dpcache-config", "dpcache.conf")]:
        with open(os.path.join(d, key), "w") as f:
            f.write(data[(cm, key)])
    for cmd, what in [(["promtool", "check", "config", "--syntax-only",
                        os.path.join(d, "prometheus.yml")], "promtool check config"),
                      (["promtool", "check", "rules", os.path.join(d, "alerts.yml")],
                       "promtool check rules"),
                      (["amtool", "check-config", os.path.join(d, "alertmanager.yml")],
                       "amtool check-config")]:
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, f"{name}: {what}" + ("" if r.returncode == 0 else
                                                      f": {r.stdout}{r.stderr}"))
    if name == "sriov":
        # dpcache-k8s on the rendered sriov configuration with what the pod would get: the
        # device plugin's variables and Multus's annotation of tests/k8s/fixtures (attachment
        # dpcache/sriov-dpdk, the overlay's), its hugepage and memory limits, a cgroup of two CPUs
        # (this machine's) with the matching quota; the VFIO group device is stood in for by
        # /dev/null (no VF here); one worker plus the control CPU
        sts = [o for o in objs if o["kind"] == "StatefulSet"][0]
        dp = [c for c in sts["spec"]["template"]["spec"]["containers"]
              if c["name"] == "dpcache"][0]
        lim = dp["resources"]["limits"]
        giB = {"2Gi": 2 << 30}
        fx = os.path.join(ROOT, "tests/k8s/fixtures")
        cg = os.path.join(d, "cgroup")
        os.makedirs(cg, exist_ok=True)
        with open(os.path.join(cg, "cpu.max"), "w") as f:
            f.write("200000 100000\n")
        status = os.path.join(d, "network-status")
        with open(status, "w") as f:
            f.write(open(os.path.join(fx, "network-status-one.json")).read())
        k8senv = [o for o in objs if o["kind"] == "ConfigMap"
                  and o["metadata"]["name"].startswith("dpcache-k8s-")][0]["data"]
        env = {"PATH": os.environ["PATH"], "POD_NAME": "dpcache-2",
               "DPCACHE_TERMINATION_LOG": "", "DPCACHE_WORKERS": "1",
               "DPCACHE_HUGEPAGES_2MI": str(giB[lim["hugepages-2Mi"]]),
               "DPCACHE_MEMORY_LIMIT": str(giB[lim["memory"]]), "DPCACHE_CGROUP_ROOT": cg}
        env.update(k8senv)
        env["DPCACHE_CONFIG"] = os.path.join(d, "dpcache.conf")
        env["DPCACHE_NETWORK_STATUS_FILE"] = status
        for line in open(os.path.join(fx, "pcidevice-one.env")):
            k, v = line.rstrip("\n").split("=", 1)
            env[k] = v.replace("/dev/vfio/169", "/dev/null")
        r = subprocess.run([k8s_bin, "--dry-run"], env=env, capture_output=True, text=True)
        argv = r.stdout.split("\n")
        check(r.returncode == 0 and "-a" in argv and "0000:3b:02.1" in argv and
              "192.0.2.12/24" in argv and "192.0.2.1" in argv and "--no-huge" not in argv,
              f"sriov: dpcache-k8s --dry-run on the rendered config with a VF: "
              f"{' '.join(argv)}{r.stderr.strip()}")
    if name == "kernel":
        # dpcache-k8s on the rendered configuration, as the pod's container would run it
        env = {"PATH": os.environ["PATH"], "POD_NAME": "dpcache-0",
               "DPCACHE_MEMORY_LIMIT": str(1 << 30), "DPCACHE_TERMINATION_LOG": ""}
        k8senv = [o for o in objs if o["kind"] == "ConfigMap"
                  and o["metadata"]["name"].startswith("dpcache-k8s-")][0]["data"]
        env.update(k8senv)
        env["DPCACHE_CONFIG"] = os.path.join(d, "dpcache.conf")
        r = subprocess.run([k8s_bin, "--dry-run", "--", "--requirepass", "x"], env=env,
                           capture_output=True, text=True)
        argv = r.stdout.split("\n")
        check(r.returncode == 0 and "--no-huge" in argv and "--no-pci" in argv and
              "dpcache-0" in argv, f"kernel: dpcache-k8s --dry-run on the rendered config: "
              f"{' '.join(argv)}{r.stderr.strip()}")


def negative(tmp, kernel_path):
    """The validator rejects a typo'd field, a wrong type and a broken NAD."""
    objs = [o for o in yaml.safe_load_all(open(kernel_path)) if o]
    sts = [o for o in objs if o["kind"] == "StatefulSet"][0]
    cases = {}
    a = yaml.safe_load(yaml.safe_dump(sts))
    c = a["spec"]["template"]["spec"]["containers"][1]
    c["readinesProbe"] = c.pop("readinessProbe")
    cases["unknown field readinesProbe"] = a
    b = yaml.safe_load(yaml.safe_dump(sts))
    b["spec"]["replicas"] = "three"
    cases["replicas: \"three\""] = b
    cases["NAD with spec.configs"] = {
        "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": "x"}, "spec": {"configs": "{}"}}
    cases["NAD with a non-string config"] = {
        "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": "x"}, "spec": {"config": {"type": "sriov"}}}
    cases["an unknown kind"] = {"apiVersion": "example.com/v1", "kind": "Widget",
                                "metadata": {"name": "x"}}
    for what, obj in cases.items():
        p = os.path.join(tmp, "bad.yaml")
        with open(p, "w") as f:
            yaml.safe_dump(obj, f)
        rc, out = validate([p])
        check(rc == 1 and "0 objects valid, 1 invalid" in out,
              f"the validator rejects {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpcache-k8s", required=True)
    args = ap.parse_args()
    for tool in ("kubectl", "node", "promtool", "amtool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/deps.sh")
    if not os.path.isdir(os.path.join(VALIDATE, "node_modules")):
        sys.exit("tests/k8s/validate/node_modules is missing: run scripts/deps.sh (npm ci)")
    for f in ("alerts.yml", "dpcache.json"):
        check(open(os.path.join(ROOT, "dashboards", f), "rb").read() ==
              open(os.path.join(ROOT, "k8s/monitoring", f), "rb").read(),
              f"k8s/monitoring/{f} is a copy of dashboards/{f} (cp dashboards/{f} k8s/monitoring/)")
    tmp = tempfile.mkdtemp(prefix="dpcache-k8s-render-")
    try:
        paths, total = [], 0
        overlays = sorted(os.listdir(os.path.join(ROOT, "k8s/overlays")))
        for ov in overlays:
            text = render(ov)
            p = os.path.join(tmp, f"{ov}.yaml")
            with open(p, "w") as f:
                f.write(text)
            objs = [o for o in yaml.safe_load_all(text) if o]
            kinds = {}
            for o in objs:
                kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
            print(f"k8s/overlays/{ov}: {len(objs)} objects: " +
                  ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
            total += len(objs)
            paths.append(p)
            sts, spec = semantic(ov, objs)
            if ov == "sriov":
                sriov_checks(objs, sts, spec)
            config_checks(ov, objs, tmp, args.dpcache_k8s)
        negative(tmp, paths[overlays.index("kernel")])
        rc, out = validate(paths)
        print("\n".join(l for l in out.splitlines() if not l.startswith("valid ")))
        check(rc == 0 and f"{total} objects valid, 0 invalid" in out,
              f"all {total} rendered objects of {len(overlays)} overlays validate offline")
    finally:
        shutil.rmtree(tmp)
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
