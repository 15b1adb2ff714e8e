// Drive bpmn-engine (paed01, npm) for statewright's `bpmn-engine` scenario engine: one node process per
// batch of scenarios, one JSON request per stdin line, one JSON answer per stdout line.
// Usage: node bpmn_engine_driver.mjs NPM_PREFIX   (the prefix `make tools` installs bpmn-engine into)
//
// Requests ({"op": ...}):
//   start   {source, variables, writes} a fresh engine on the process, executed with the variables;
//                                      writes: {script task id: the variable its `set` writes}
//   message {id, variables}            set the variables, then signal the message with that element id
//   task    {id, variables}            set the variables, then complete one waiting instance of user task `id`
//   work    {id, error, variables}     set the variables, then finish service task `id` (error: a code or null)
//   timer   {id}                       fire the armed timer of catch or boundary event `id` now
// Every answer: {ok, ended: [element ids completed since the last answer, in order], waiting: [ids],
//   timers: [ids], completed, error, written: [[variable, value] each `writes` task left, in order]}. Timers are never armed for real: they fire only when asked
// (bpmn-engine would not arm one over 2^31-1 ms at all).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Script } from 'node:vm';
import { pathToFileURL } from 'node:url';

const require = createRequire(join(process.argv[2], 'package.json'));
const { Engine } = await import(pathToFileURL(require.resolve('bpmn-engine')).href);
const { Timers } = await import(pathToFileURL(require.resolve('bpmn-elements')).href);

const EXECUTING = Symbol.for('executing');
let run = null;
const parsed = new Map(); // source text -> its serialized moddle context: parse each process once
const compiled = new Map(); // script text -> vm.Script: compile each condition and script once

// bpmn-engine's own JavaScript runner (JavaScripts), with compiled scripts shared between engines.
function Scripts() {
  this.scripts = new Map();
}
Scripts.prototype.register = function register({ id, type, behaviour, environment }) {
  let body, language;
  if (type === 'bpmn:SequenceFlow') {
    if (!behaviour.conditionExpression) return undefined;
    language = behaviour.conditionExpression.language;
    body = behaviour.conditionExpression.body;
  } else {
    language = behaviour.scriptFormat;
    body = behaviour.script;
  }
  if (!language || !body || !/^(javascript|js)$/i.test(language)) return undefined;
  if (!compiled.has(body)) compiled.set(body, new Script(body, { filename: `${type}/${id}` }));
  const script = {
    id,
    language,
    execute(executionContext, callback) {
      const timers = environment.timers.register(executionContext);
      return compiled.get(body).runInNewContext({ ...executionContext, ...timers, next: callback });
    },
  };
  this.scripts.set(id, script);
  return script;
};
Scripts.prototype.getScript = function getScript(language, { id }) {
  return this.scripts.get(id);
};

function settle() {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

async function start({ source, variables, writes }) {
  const ended = [];
  const written = [];
  const pending = new Map();
  const timers = new Timers({ setTimeout: () => ({}), clearTimeout: () => undefined });
  const listener = {
    emit(name, api) {
      if (name === 'activity.end' && api && api.id) {
        ended.push(api.id);
        const field = writes && writes[api.id];
        const scope = api.environment && api.environment.variables;
        if (field && scope && field in scope) written.push([field, scope[field]]);
      }
    },
  };
  const extension = (activity) => {
    if (activity.type !== 'bpmn:ServiceTask') return;
    activity.behaviour.Service = function Service() {
      return {
        execute(message, callback) {
          // One attempt at a time: a new one (a retry after an interrupting heartbeat timer, say)
          // replaces the callback of the attempt the boundary event discarded, which answers nothing.
          pending.set(activity.id, [callback]);
        },
      };
    };
  };
  if (!parsed.has(source)) parsed.set(source, await new Engine()._serializeSource(source));
  const engine = new Engine({
    sourceContext: parsed.get(source),
    timers,
    scripts: new Scripts(),
    extensions: { statewright: extension },
  });
  const state = { engine, ended, written, pending, timers, completed: false, error: null };
  engine.once('end', () => {
    state.completed = true;
  });
  engine.once('error', (error) => {
    state.error = String(error && error.message);
  });
  run = state;
  try {
    state.execution = await engine.execute({ listener, variables });
  } catch (error) {
    state.error = String(error && error.message);
  }
}

function setVariables(variables) {
  // Each definition and process keeps its own copy of the environment: set the variables in all.
  if (!variables || !run.execution) return;
  const environments = new Set([run.execution.environment]);
  for (const definition of run.execution.definitions) {
    environments.add(definition.environment);
    const processes = definition.getRunningProcesses ? definition.getRunningProcesses() : [];
    for (const process of processes) environments.add(process.environment);
  }
  for (const api of waiting()) {
    // a running sub-process (and each activity in it) reads its own clone of the environment
    if (api.environment) environments.add(api.environment);
    if (api.owner && api.owner.environment) environments.add(api.owner.environment);
  }
  for (const environment of environments) {
    if (environment && environment.variables) Object.assign(environment.variables, variables);
  }
}

function postponed(apis, found) {
  for (const api of apis) {
    found.push(api);
    if (typeof api.getPostponed === 'function') {
      const inner = api.getPostponed().filter((child) => child !== api && child.id !== api.id);
      postponed(inner, found);
    }
  }
  return found;
}

function waiting() {
  if (!run.execution || run.completed) return [];
  return postponed(run.execution.getPostponed(), []);
}

async function answer(ok) {
  await settle();
  const ended = run.ended.splice(0);
  const written = run.written.splice(0);
  const armed = [...run.timers[EXECUTING]].map((ref) => ref.owner && ref.owner.id).filter(Boolean);
  return {
    ok,
    ended,
    waiting: waiting().map((api) => api.id),
    timers: armed,
    completed: run.completed,
    error: run.error,
    written,
  };
}

async function handle(request) {
  switch (request.op) {
    case 'start':
      await start(request);
      return answer(true);
    case 'message': {
      setVariables(request.variables);
      run.execution.signal({ id: request.id });
      return answer(true);
    }
    case 'task': {
      setVariables(request.variables);
      const api = waiting().find((candidate) => candidate.id === request.id);
      if (!api) return answer(false);
      // A multi-instance task (an approval level with a quorum) waits in its iterations, each under its
      // own execution id (`<root>_<index>`): a signal to the root's id reaches none of them, so complete
      // the first iteration still waiting. The loop then reads its completion condition.
      const iterations = typeof api.getExecuting === 'function' ? api.getExecuting() : [];
      (iterations[0] || api).signal();
      return answer(true);
    }
    case 'work': {
      setVariables(request.variables);
      const callbacks = run.pending.get(request.id) || [];
      const callback = callbacks.shift();
      if (!callback) return answer(false);
      if (request.error) {
        const error = new Error(request.error);
        error.code = request.error;
        callback(error);
      } else {
        callback(null, {});
      }
      return answer(true);
    }
    case 'timer': {
      const ref = [...run.timers[EXECUTING]].find((candidate) => candidate.owner && candidate.owner.id === request.id);
      if (!ref) return answer(false);
      run.timers[EXECUTING].delete(ref);
      ref.callback(...ref.args);
      return answer(true);
    }
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (error) {
    reply = { ok: false, failure: String((error && error.stack) || error) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
