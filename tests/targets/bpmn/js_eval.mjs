// Run generated JavaScript condition / set scripts as bpmn-engine's script runner does (node:vm, a
// fresh context with `environment` and `next`), a whole batch per process.
// Usage: node js_eval.mjs < cases.json
//   stdin:  [{"script": "...; next(null, ...)", "variables": {"a": "2"}}, ...]
//   stdout: [{"value": <what next received>, "variables": {...after}} or {"error": "..."}, ...]
import { Script } from 'node:vm';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}
const results = JSON.parse(input).map(({ script, variables }) => {
  try {
    const environment = { variables: { ...variables } };
    let value = null;
    new Script(script).runInNewContext({
      environment,
      next: (error, result) => {
        if (error) throw error;
        value = result === undefined ? null : result;
      },
    });
    return { value, variables: environment.variables };
  } catch (error) {
    return { error: String(error && error.message) };
  }
});
process.stdout.write(JSON.stringify(results));
