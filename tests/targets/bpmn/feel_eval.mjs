// Evaluate FEEL expressions with the real interpreter, @bpmn-io/feelin, a whole batch per process.
// Usage: node feel_eval.mjs NPM_PREFIX < cases.json
//   stdin:  [{"expression": "a > 1", "context": {"a": 2}}, ...]
//   stdout: [{"value": true, "warnings": []} or {"error": "..."}, ...], in the same order.
// NPM_PREFIX is where `make tools` installed the package (tests/tools.py passes it).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(join(process.argv[2], 'package.json'));
const { evaluate } = await import(pathToFileURL(require.resolve('@bpmn-io/feelin')).href);

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}
const results = JSON.parse(input).map(({ expression, context }) => {
  try {
    const { value, warnings } = evaluate(expression, context);
    return { value: value === undefined ? null : value, warnings: warnings.map((w) => w.message) };
  } catch (error) {
    return { error: String(error && error.message) };
  }
});
process.stdout.write(JSON.stringify(results));
