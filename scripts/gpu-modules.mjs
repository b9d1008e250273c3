// Prints the node_modules folders a GPU rental needs (scripts/gpu-pack.sh): what builds the
// addon (node-addon-api, node-api-headers), the tests' runner (ava and its TypeScript provider),
// every runtime dependency in package.json but onnxruntime (300 MB, loaded only by ONNX export
// checks, which need no GPU), and everything those depend on — never the linters. Reading the
// list from package.json keeps a newly added dependency from breaking a rental (jpeg-js once did).
// One path per line.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const LEFT_OUT = new Set(['onnxruntime-node']);
const runtime = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies ?? {});
const ROOTS = [
  'node-addon-api',
  'node-api-headers',
  'ava',
  '@ava/typescript',
  ...runtime.filter((name) => !LEFT_OUT.has(name)),
];

const found = new Set();
// Resolves `name` as Node does from `fromDir`: the nearest node_modules upwards that holds it.
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return null;
  }
}

function visit(name, fromDir, optional) {
  const where = locate(name, fromDir);
  if (!where) {
    if (optional) return;
    throw new Error(`gpu-modules: ${name} is needed but not installed (run npm ci)`);
  }
  const relative = path.relative(process.cwd(), where);
  if (found.has(relative)) return;
  found.add(relative);
  const pkg = JSON.parse(readFileSync(path.join(where, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, where, false);
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, where, true);
}

for (const root of ROOTS) visit(root, process.cwd(), false);
process.stdout.write([...found].sort().join('\n') + '\n');
