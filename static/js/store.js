// What is on screen, in one place. Views and actions read `store`; only the named transitions
// below change it (writing to `store` from outside throws), so every change of what the page
// shows has a name to search for.
import { isSummary } from './format.js';
import { stagesOf } from './stages.js';

const s = {
  options: null,          // GET /api/options
  session: null,          // the SessionState fields on screen (params and history kept apart)
  params: null,           // [{W, b}] now
  history: { train_loss: [], test_loss: [], grad_norms: [] },
  trace: null,            // the last BackwardTrace, walked by the step-through panel
  before: null,           // the parameters that trace's pass used
  stageIndex: 0,
  grads: null,            // [{dW}] for the dW heatmap
  gradsLabel: '',
  data: null,             // GET /data of this session (it does not change while training)
  boundary: null,         // the newest boundary grid a live frame carried
  neurons: null,          // every neuron's grid over the plane (GET .../neurons or a live frame)
  lastLoss: null,         // {value, label} for the status bar
  playing: false,
  heatLayer: 0,
  hash: '',               // the URL hash this page wrote last
  owned: false,           // whether this page made the session (a lesson's is kept when we move on)
  hide: [],               // classroom mode: the controls the link hides
  drawing: false,         // draw mode on the output view
  practice: false,        // practice mode: the step-through asks for the numbers (views/practice.js)
  compare: null,          // a second run B side by side (compare.js): {session, params, history, outputs, boundary, overrides}
};

/** The read-only face of the state. */
export const store = new Proxy(s, {
  set(_, key) { throw new TypeError(`store.${String(key)} changes only through a transition of store.js`); },
  deleteProperty(_, key) { throw new TypeError(`store.${String(key)} changes only through a transition of store.js`); },
});

const hasSummary = (params) => params.some((p) => isSummary(p.W) || isSummary(p.b));

/** Whether these parameters came in full (big layers come summarised unless asked for). */
export const paramsInFull = (params) => !!params && !hasSummary(params);

/** The config's arrays that may come summarised: inline X and y, and per layer the preset weights and biases. */
const CONFIG_ARRAYS = [['dataset', 'X'], ['dataset', 'y'], ['model', 'weights'], ['model', 'biases']];
const summarised = (v) => isSummary(v) || (Array.isArray(v) && v.some(isSummary));

/** Whether a config came in full (its big arrays come summarised unless asked for). */
export const configInFull = (config) => CONFIG_ARRAYS.every(([part, key]) => !summarised(config[part]?.[key]));

/**
 * An answer's config, each array it summarised taken from `held` (the same session's config in
 * full): a session's data and preset weights never change, and the page builds the next config
 * from the one it holds, so it must never hold a summary.
 */
function keepWhole(config, held) {
  if (!config) return held;
  if (!held || configInFull(config)) return config;
  const out = { ...config, dataset: { ...config.dataset }, model: { ...config.model } };
  for (const [part, key] of CONFIG_ARRAYS) if (summarised(config[part]?.[key])) out[part][key] = held[part][key];
  return out;
}

function epochLoss() {
  const t = s.history.train_loss;
  return t.length ? { value: t[t.length - 1], label: 'Train loss' } : null;
}

/** The options the server offers (fetched once at start). */
export function setOptions(options) {
  s.options = options;
}

/**
 * Adopt a state: a SessionState from the server (its parameters and config in full) becomes what is
 * on screen; everything of the previous session (trace, gradients, data) is dropped.
 * @returns {string|null} the id of the previous session when this page made it (to delete)
 */
export function adoptState(state, params, owned) {
  const old = s.owned && s.session && s.session.id !== state.id ? s.session.id : null;
  s.session = null;
  s.owned = owned;
  takeState(state);
  s.params = params;
  s.trace = null;
  s.before = null;
  s.grads = null;
  s.data = null;
  s.boundary = null;
  s.neurons = null;
  s.heatLayer = Math.min(s.heatLayer, state.config.model.layers.length - 2);
  s.lastLoss = epochLoss();
  return old;
}

/** Take the scalars of a SessionState of the session on screen (and its history when sent). */
export function takeState(state) {
  const { params, history, ...rest } = state;
  s.session = { ...s.session, ...rest, config: keepWhole(rest.config, s.session?.config) };
  if (history) s.history = history;
}

/** The parameters now, as full lists. */
export function takeParams(params) {
  s.params = params;
}

/** The status bar's loss is the last epoch's training loss. */
export function showEpochLoss() {
  s.lastLoss = epochLoss();
}

/** Clear the trace: no Step to walk through; `grads: false` keeps the dW heatmap's gradients. */
export function clearTrace({ grads = true } = {}) {
  s.trace = null;
  s.before = null;
  if (grads) s.grads = null;
  s.boundary = null;
}

/** A Step's BackwardTrace (made with the parameters `before`), shown from its first stage. */
export function takeTrace(trace, before) {
  s.trace = trace;
  s.before = before;
  s.grads = trace.backward;
  s.gradsLabel = `of step ${trace.step}`;
  s.lastLoss = { value: trace.loss, label: 'Batch loss' };
  s.stageIndex = 0;
}

/** dW for the heatmap without a Step (e.g. on the next minibatch). */
export function takeGrads(backward, label) {
  s.grads = backward;
  s.gradsLabel = label;
}

/** Show stage `i` of the trace's step-through (kept within its stages). */
export function setStage(i) {
  const n = s.trace ? stagesOf(s.trace).length : 1;
  s.stageIndex = Math.max(0, Math.min(Number(i) || 0, n - 1));
}

/**
 * Absorb a frame of live training: position, learning rate, the new epochs' losses and
 * gradient norms, and the parameters (kept as they were when a layer came as a summary).
 * Every frame is absorbed (its epochs join the history, so the loss chart misses none).
 * @param {object} frame `{epoch, step, position, learning_rate, new_epochs, params, boundary?, finite}`
 */
export function absorbFrame(frame) {
  const session = s.session;
  session.epoch = frame.epoch;
  session.step = frame.step;
  session.position = frame.position;
  session.finite = frame.finite;
  session.config.optimizer.learning_rate = frame.learning_rate;
  const h = s.history;
  const e = frame.new_epochs;
  e.epoch.forEach((n, i) => {
    if (n !== h.train_loss.length + 1) return; // had it, or a gap (the sync after Pause fills it)
    // train/test loss, grad norms, and whatever per-epoch series the history has (metrics, learning rate)
    for (const [key, values] of Object.entries(e)) if (key !== 'epoch' && Array.isArray(h[key])) h[key].push(values[i]);
  });
  if (paramsInFull(frame.params)) s.params = frame.params;
  if (frame.boundary) s.boundary = { ...frame.boundary, finite: frame.finite };
  if (frame.neurons) s.neurons = frame.neurons;
}

/** The learning rate the live server took while playing. */
export function setLearningRate(rate) {
  s.session.config.optimizer.learning_rate = rate;
}

/** Every neuron's grid over the plane, as GET .../neurons answered (null: none to show). */
export function setNeurons(grids) {
  s.neurons = grids;
}

/** This session's points as the network sees them (GET .../data). */
export function setData(data) {
  s.data = data;
}

export function setPlaying(playing) {
  s.playing = playing;
}

export function setDrawing(drawing) {
  s.drawing = drawing;
}

export function setHeatLayer(l) {
  s.heatLayer = l;
}

/** Classroom mode: the controls a link hides. */
export function setHide(hide) {
  s.hide = hide;
}

/** Practice mode on or off. */
export function setPractice(on) {
  s.practice = !!on;
}

/** Compare: run B beside the session on screen (`b`: its SessionState, its config and parameters in full). */
export function startCompare(state, params, overrides) {
  const { params: _, history, ...rest } = state;
  s.compare = { session: rest, params, history, overrides, outputs: null, boundary: null, lastLoss: null };
}

/** Run B's news: any of `session` (scalars of a SessionState), `history`, `params`, `outputs`, `boundary`, `lastLoss`. */
export function takeCompare(part) {
  const { session, ...rest } = part;
  if (session) {
    const { params, history, ...scalars } = session;
    s.compare.session = { ...s.compare.session, ...scalars, config: keepWhole(scalars.config, s.compare.session.config) };
    if (history) s.compare.history = history;
  }
  Object.assign(s.compare, rest);
}

/** No second run any more. */
export function stopCompare() {
  s.compare = null;
}

/** The hash the page wrote (a hashchange to it is our own). */
export function setHash(hash) {
  s.hash = hash;
}
