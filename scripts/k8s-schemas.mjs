// Validates every Kubernetes and Flux object in the YAML files under DIR (outside .github)
// against the published models: kubernetes-models for core kinds, @kubernetes-models/flux-cd
// for Flux kinds, @kubernetes-models/external-secrets for External Secrets Operator kinds. An
// unknown kind is a failure: nothing goes unchecked silently.
// Usage: NODE_PATH=<node_modules> node k8s-schemas.mjs DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const modules = process.env.NODE_PATH;
const require = createRequire(path.join(modules, "noop.js"));
const YAML = require("yaml");

const yamlFiles = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return [".git", ".github", "node_modules"].includes(entry.name) ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(entry.name) ? [p] : [];
  });

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = group.endsWith("fluxcd.io")
    ? `@kubernetes-models/flux-cd/${group}/${version}`
    : group.endsWith("external-secrets.io")
    ? `@kubernetes-models/external-secrets/${group}/${version}`
    : group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  try {
    const mod = await import(pathToFileURL(path.join(modules, pkg, "index.js")).href);
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

let objects = 0, problems = 0;
for (const file of yamlFiles(process.argv[2])) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    if (doc.errors.length) { console.log(`${file}: ${doc.errors[0].message}`); problems++; continue; }
    const obj = doc.toJSON();
    if (!obj?.apiVersion || !obj?.kind || obj.apiVersion.startsWith("kustomize.config.k8s.io")) continue;
    objects++;
    const Model = await model(obj.apiVersion, obj.kind);
    if (!Model) { console.log(`${file}: no schema for ${obj.apiVersion} ${obj.kind}`); problems++; continue; }
    try { new Model(obj).validate(); }
    catch (e) { console.log(`${file}: ${obj.kind}/${obj.metadata?.name}: ${String(e.message).slice(0, 300)}`); problems++; }
  }
}
console.log(`schemas: ${objects} objects, ${problems} problems`);
process.exit(problems ? 1 : 0);
