// validate.js - offline validation of rendered Kubernetes objects (tests/k8s/test_render.py).
//
//   node validate.js [--crd crd.yaml ...] rendered.yaml ...
//
// Every object of the YAML streams is checked against the Kubernetes OpenAPI schema of
// kubernetes-models (the package's Kubernetes release, printed), or, for custom resources,
// against the openAPIV3Schema of the CustomResourceDefinitions given with --crd (ajv). Fields
// the schema does not know are errors too, as with `kubectl apply --validate=strict`: the
// property names come from the models' type declarations. Prints one line per object and
// "N objects valid" or the errors; exits 1 on any error, 2 on bad usage.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import Ajv from "ajv";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const modelsDir = path.dirname(require.resolve("kubernetes-models/package.json", { paths: [here] }));
const machineryDir = path.join(here, "node_modules", "@kubernetes-models", "apimachinery");

// ---- property names of every interface of the models' declarations ----
// Interfaces are keyed "file#name" (several API versions declare an IStatefulSetSpec); the
// exported names that properties refer to (IIoK8sApi...) are aliases of one of them.
const ifaces = new Map(); // "file#interface" -> Map(property -> type text)
const aliases = new Map(); // exported name (IIoK8sApi...) -> "file#interface"
function scanDecl(file) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/export type \{([^}]*)\}/g))
        for (const part of m[1].split(",")) {
            const a = /^\s*(\w+) as (\w+)\s*$/.exec(part);
            if (a) aliases.set(a[2], `${file}#${a[1]}`);
        }
    const re = /export interface (\w+)(?: extends ([\w, <>]+))? \{([\s\S]*?)\n\}/g;
    for (let m; (m = re.exec(text));) {
        const props = new Map();
        // "name"?: Type; with types over several lines ({ [key: string]: string; })
        const body = m[3].replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ");
        for (let i = 0; i < body.length;) {
            const p = /^ *"([^"]+)"\??: /.exec(body.slice(i));
            if (!p) break;
            let j = i + p[0].length, depth = 0;
            for (; j < body.length && !(body[j] === ";" && depth === 0); j++)
                depth += "{<".includes(body[j]) ? 1 : "}>".includes(body[j]) ? -1 : 0;
            props.set(p[1], body.slice(i + p[0].length, j).trim());
            i = j + 1;
        }
        if (m[2] && /TypeMeta/.test(m[2])) {
            props.set("apiVersion", "string");
            props.set("kind", "string");
        }
        ifaces.set(`${file}#${m[1]}`, props);
    }
}
function scanTree(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== "node_modules" && e.name !== "_schemas") scanTree(p);
        else if (e.name.endsWith(".d.ts")) scanDecl(p);
    }
}
scanTree(modelsDir);
scanTree(machineryDir);

// Unknown fields of @obj for the interface @name, appended to @errs with their paths.
function unknownFields(obj, name, where, errs) {
    const props = ifaces.get(name) ?? ifaces.get(aliases.get(name));
    if (!props && obj && typeof obj === "object") errs.push(`${where}: no declaration of ${name}`);
    if (!props || obj === null || typeof obj !== "object" || Array.isArray(obj)) return;
    for (const [k, v] of Object.entries(obj)) {
        const t = props.get(k);
        if (t === undefined) {
            errs.push(`${where}: unknown field "${k}"`);
            continue;
        }
        let m;
        if ((m = /^(I\w+)$/.exec(t))) unknownFields(v, m[1], `${where}.${k}`, errs);
        else if ((m = /^Array<(I\w+)>$/.exec(t)) && Array.isArray(v))
            v.forEach((x, i) => unknownFields(x, m[1], `${where}.${k}[${i}]`, errs));
        else if ((m = /^\{\s*\[key: string\]: (I\w+);?\s*\}$/.exec(t)) && v && typeof v === "object")
            for (const [kk, vv] of Object.entries(v)) unknownFields(vv, m[1], `${where}.${k}.${kk}`, errs);
    }
}

// ---- CRDs ----
const ajv = new Ajv({ strict: false, allErrors: true });
const crds = new Map(); // "group/version Kind" -> ajv validate
const args = process.argv.slice(2);
const files = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--crd") {
        const doc = yaml.load(fs.readFileSync(args[++i], "utf8"));
        for (const v of doc.spec.versions) {
            const schema = JSON.parse(JSON.stringify(v.schema.openAPIV3Schema));
            (function strict(s) { // structural schema: no unknown fields either
                if (s && s.type === "object" && s.properties && s.additionalProperties === undefined &&
                    !s["x-kubernetes-preserve-unknown-fields"])
                    s.additionalProperties = false;
                for (const c of Object.values((s && s.properties) || {})) strict(c);
                if (s && s.items) strict(s.items);
            })(schema);
            // metadata is checked by the ObjectMeta model below
            if (schema.properties) schema.properties.metadata = { type: "object" };
            crds.set(`${doc.spec.group}/${v.name} ${doc.spec.names.kind}`, ajv.compile(schema));
        }
    } else {
        files.push(args[i]);
    }
}
if (!files.length) {
    console.error("usage: node validate.js [--crd crd.yaml ...] rendered.yaml ...");
    process.exit(2);
}

// ---- the objects ----
const release = JSON.parse(fs.readFileSync(path.join(modelsDir, "package.json"), "utf8")).version;
let ok = 0, bad = 0;
for (const f of files) {
    for (const obj of yaml.loadAll(fs.readFileSync(f, "utf8"))) {
        if (!obj) continue;
        const id = `${f}: ${obj.apiVersion} ${obj.kind} ${obj.metadata?.namespace ?? "-"}/${obj.metadata?.name}`;
        const errs = [];
        const crd = crds.get(`${obj.apiVersion} ${obj.kind}`);
        if (crd) {
            if (!crd(obj)) for (const e of crd.errors) errs.push(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
            unknownFields(obj.metadata, "IIoK8sApimachineryPkgApisMetaV1ObjectMeta", "metadata", errs);
        } else {
            const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
            const sub = group ? `${group}/${version}` : version;
            let Model;
            try {
                Model = (await import(`kubernetes-models/${sub}`))[obj.kind];
            } catch (e) { /* below */ }
            if (!Model) {
                errs.push(`no schema for ${obj.apiVersion} ${obj.kind} (neither Kubernetes ${release} nor a --crd)`);
            } else {
                try {
                    new Model(obj).validate();
                } catch (e) {
                    errs.push(String(e.message || e).split("\n").slice(0, 8).join("; "));
                }
                unknownFields(obj, `${path.join(modelsDir, sub, obj.kind)}.d.ts#I${obj.kind}`, obj.kind, errs);
            }
        }
        if (errs.length) {
            bad++;
            console.log(`INVALID ${id}`);
            for (const e of errs) console.log(`    ${e}`);
        } else {
            ok++;
            console.log(`valid   ${id}`);
        }
    }
}
console.log(`kubernetes-models ${release}: ${ok} objects valid, ${bad} invalid`);
process.exit(bad ? 1 : 0);
