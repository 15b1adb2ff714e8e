// Lay out BPMN models with bpmn-auto-layout (the bpmn.io reference layouter), a whole batch per call,
// so the geometry tests can compare our layout with it on the same models.
// Usage: node auto_layout.mjs <npm prefix> < models.json
//   stdin:  ["<definitions ...> without a diagram", ...]
//   stdout: ["<the same definitions with bpmn-auto-layout's diagram>" or {"error": "..."}, ...]
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.argv[2], 'node_modules', 'x.js'));
const { layoutProcess } = require('bpmn-auto-layout');

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}
const results = [];
for (const xml of JSON.parse(input)) {
  try {
    results.push(await layoutProcess(xml));
  } catch (error) {
    results.push({ error: String(error && error.message) });
  }
}
process.stdout.write(JSON.stringify(results));
