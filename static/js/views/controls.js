// The sidebar: every setting of a SessionConfig. Controls show the server's resolved config;
// a change builds the next config from it and hands it to `onChange` (which starts a new session).
import { clone } from '../state.js';
import { featuresFor, renderFeatures } from './features.js';

const $ = (id) => document.getElementById(id);

let opts = null;          // GET /api/options
let state = null;         // the SessionState on screen
let onChange = () => {};
let onPreset = () => {};
let onError = () => {};

const fill = (select, values, labels = {}) => {
  select.innerHTML = values.map((v) => `<option value="${v}">${labels[v] ?? v.replaceAll('_', ' ')}</option>`).join('');
};

const numberOf = (input) => (input.value.trim() === '' ? null : Number(input.value));

function hiddenOf(config) {
  return config.model.layers.slice(1, -1);
}

/** The next config: a copy of the one on screen with `patch` applied. */
function emit(patch) {
  const next = clone(state.config);
  patch(next);
  onChange(next);
}

/** Layer sizes changed: the preset weights no longer fit. */
function dropWeights(config) {
  delete config.model.weights;
  delete config.model.biases;
}

/** The activation of hidden layer i of the session on screen, as the server names it. */
const activationOf = (i) => state.hidden_activations[i];

/**
 * Hidden layer sizes changed. model.activation is one name or a list per hidden layer (the only
 * place the page writes either): a list keeps its names, and a new layer takes the last one's.
 */
function setLayers(config, hidden) {
  const layers = config.model.layers;
  config.model.layers = [layers[0], ...hidden, layers[layers.length - 1]];
  dropWeights(config);
  if (Array.isArray(config.model.activation)) {
    const names = state.hidden_activations;
    config.model.activation = hidden.map((_, i) => names[Math.min(i, names.length - 1)] ?? opts.defaults.model.activation);
  }
}

/** Hidden layer i's activation set to `name`: one name when every layer agrees (the plain config), else a list. */
function setActivation(config, i, name) {
  const names = hiddenOf(config).map((_, k) => activationOf(k));
  names[i] = name;
  config.model.activation = names.every((a) => a === names[0]) ? names[0] : names;
}

function renderArch() {
  const { layers } = state.config.model;
  const hidden = hiddenOf(state.config);
  const maxWidth = opts.limits.max_width;
  const parts = [`<span class="fixed" title="inputs (set by the data)">${layers[0]}</span>`];
  hidden.forEach((n, i) => {
    parts.push('<span class="arrow">→</span>');
    parts.push(`<span class="hidden-layer" data-testid="hidden-layer-${i}">
      <button type="button" data-testid="neurons-minus-${i}" data-i="${i}" data-d="-1" aria-label="fewer neurons in hidden layer ${i}" ${n <= 1 ? 'disabled' : ''}>−</button>
      <span>${n}</span>
      <button type="button" data-testid="neurons-plus-${i}" data-i="${i}" data-d="1" aria-label="more neurons in hidden layer ${i}" ${n >= maxWidth ? 'disabled' : ''}>+</button>
      <select data-testid="layer-activation-${i}" data-layer="${i}" aria-label="activation of hidden layer ${i}">
        ${opts.activations.map((a) => `<option value="${a}" ${a === activationOf(i) ? 'selected' : ''}>${a.replaceAll('_', ' ')}</option>`).join('')}
      </select>
    </span>`);
  });
  parts.push('<span class="arrow">→</span>');
  parts.push(`<span class="fixed" title="outputs (set by the data)">${layers[layers.length - 1]}</span>`);
  const arch = $('arch');
  arch.innerHTML = parts.join('');
  arch.querySelectorAll('button[data-i]').forEach((b) => b.addEventListener('click', () => {
    const i = Number(b.dataset.i);
    const step = Number(b.dataset.d);
    emit((c) => {
      const h = hiddenOf(c);
      h[i] = Math.max(1, Math.min(maxWidth, h[i] + step));
      setLayers(c, h);
    });
  }));
  arch.querySelectorAll('select[data-layer]').forEach((sel) => sel.addEventListener('change', () => {
    const i = Number(sel.dataset.layer);
    emit((c) => setActivation(c, i, sel.value));
  }));
  const maxLayers = opts.limits.max_layers;
  $('btn-layer-add').disabled = hidden.length + 1 >= maxLayers;
  $('btn-layer-remove').disabled = hidden.length === 0;
}

function parseJsonField(text, field) {
  try {
    const value = JSON.parse(text);
    if (!Array.isArray(value)) throw new Error('not a list');
    return value;
  } catch (err) {
    onError(`${field}: not a JSON list of rows (${err.message})`);
    return null;
  }
}

function wire() {
  $('ctl-dataset').addEventListener('change', (e) => {
    const name = e.target.value;
    if (name === 'inline') {
      onPreset();
      return;
    }
    const info = opts.datasets.find((d) => d.name === name);
    emit((c) => {
      c.dataset = { name, seed: c.dataset.seed ?? c.seed };
      const hidden = hiddenOf(c);
      c.model.layers = [info.n_features, ...hidden, info.n_outputs];
      dropWeights(c);
      delete c.model.output_activation; // the server picks the usual pair for the task
      delete c.model.loss;
    });
  });
  const datasetField = (id, key) => $(id).addEventListener('change', (e) => emit((c) => {
    const v = numberOf(e.target);
    if (v === null) delete c.dataset[key];
    else c.dataset[key] = v;
  }));
  datasetField('ctl-samples', 'n_samples');
  datasetField('ctl-noise', 'noise');
  datasetField('ctl-test', 'test_fraction');
  datasetField('ctl-dseed', 'seed');
  $('btn-regenerate').addEventListener('click', () => emit((c) => {
    c.dataset.seed = Math.floor(Math.random() * 2 ** 31);
  }));
  for (const key of ['X', 'y']) {
    $(`ctl-inline-${key}`).addEventListener('change', (e) => {
      const value = parseJsonField(e.target.value, `dataset.${key}`);
      if (!value) return;
      emit((c) => {
        c.dataset[key] = value;
        const width = Array.isArray(value[0]) ? value[0].length : 1;
        const layers = c.model.layers;
        const at = key === 'X' ? 0 : layers.length - 1;
        if (layers[at] !== width) {
          layers[at] = width;
          dropWeights(c);
        }
      });
    });
  }

  $('btn-layer-add').addEventListener('click', () => emit((c) => {
    const h = hiddenOf(c);
    setLayers(c, [...h, h.length ? h[h.length - 1] : 4]);
  }));
  $('btn-layer-remove').addEventListener('click', () => emit((c) => setLayers(c, hiddenOf(c).slice(0, -1))));

  $('ctl-activation').addEventListener('change', (e) => emit((c) => { c.model.activation = e.target.value; }));
  $('ctl-init').addEventListener('change', (e) => emit((c) => {
    c.model.init = e.target.value;
    dropWeights(c); // explicit weights would override the initialiser
  }));
  $('ctl-output').addEventListener('change', (e) => emit((c) => {
    c.model.output_activation = e.target.value;
    const losses = opts.valid_pairs[e.target.value];
    if (!losses.includes(c.model.loss)) c.model.loss = losses[0];
  }));
  $('ctl-loss').addEventListener('change', (e) => emit((c) => { c.model.loss = e.target.value; }));
  $('ctl-optimizer').addEventListener('change', (e) => emit((c) => { c.optimizer.name = e.target.value; }));
  const optimizerField = (id, key, integer = false) => $(id).addEventListener('change', (e) => emit((c) => {
    const v = numberOf(e.target);
    c.optimizer[key] = v === null ? v : integer ? Math.round(v) : v;
  }));
  optimizerField('ctl-lr', 'learning_rate');
  optimizerField('ctl-batch', 'batch_size', true);
  optimizerField('ctl-l2', 'l2');
  optimizerField('ctl-l1', 'l1');
  $('ctl-dropout').addEventListener('change', (e) => emit((c) => {
    const v = numberOf(e.target);
    if (!v) delete c.model.dropout;
    else c.model.dropout = v;
  }));
  for (const [id, key] of [['ctl-batch-norm', 'batch_norm'], ['ctl-residual', 'residual']]) {
    $(id).addEventListener('change', (e) => emit((c) => {
      if (e.target.checked) c.model[key] = true;
      else delete c.model[key];
    }));
  }
  optimizerField('ctl-momentum', 'momentum');
  $('ctl-seed').addEventListener('change', (e) => emit((c) => { c.seed = Math.round(numberOf(e.target) ?? 0); }));
  wireSchedule();
}

/** Learning-rate schedule and early stopping (optimizer.schedule, optimizer.early_stopping). */
function wireSchedule() {
  $('ctl-schedule').addEventListener('change', (e) => emit((c) => { c.optimizer.schedule = { name: e.target.value }; }));
  const scheduleField = (id, key, integer = false) => $(id).addEventListener('change', (e) => emit((c) => {
    const v = numberOf(e.target);
    if (v === null) delete c.optimizer.schedule[key];
    else c.optimizer.schedule[key] = integer ? Math.round(v) : v;
  }));
  scheduleField('ctl-step-size', 'step_size', true);
  scheduleField('ctl-gamma', 'gamma');
  scheduleField('ctl-power-t', 'power_t');
  $('ctl-early').addEventListener('change', (e) => emit((c) => {
    c.optimizer.early_stopping = e.target.checked
      ? { patience: Math.max(1, Math.round(numberOf($('ctl-patience')) ?? 5)), min_delta: numberOf($('ctl-min-delta')) ?? 0 }
      : null;
  }));
  const earlyField = (id, key, integer = false) => $(id).addEventListener('change', (e) => {
    if (!state.config.optimizer.early_stopping) return; // kept for when the box is ticked
    emit((c) => {
      const v = numberOf(e.target);
      c.optimizer.early_stopping[key] = v === null ? v : integer ? Math.round(v) : v;
    });
  });
  earlyField('ctl-patience', 'patience', true);
  earlyField('ctl-min-delta', 'min_delta');
}

/** Features toggled: the input layer follows (the old weights no longer fit). */
function setFeatures(features) {
  emit((c) => {
    c.dataset.features = features;
    c.model.layers[0] = features.length;
    dropWeights(c);
  });
}

function showSchedule(o) {
  // Shown only when the server knows schedules (its resolved config carries the field).
  const known = o.schedule !== undefined;
  $('schedule-block').hidden = !known;
  if (!known) return;
  const sched = o.schedule || { name: 'constant' };
  setValue('ctl-schedule', sched.name);
  $('schedule-step-fields').hidden = sched.name !== 'step';
  $('schedule-power-field').hidden = sched.name !== 'invscaling';
  setValue('ctl-step-size', sched.step_size);
  setValue('ctl-gamma', sched.gamma);
  setValue('ctl-power-t', sched.power_t);
  const early = o.early_stopping;
  $('ctl-early').checked = !!early;
  $('early-fields').hidden = !early;
  if (early) {
    setValue('ctl-patience', early.patience);
    setValue('ctl-min-delta', early.min_delta);
  }
  if (sched.name !== 'constant' || early) $('schedule-block').open = true;
}

/**
 * Build the dropdowns from GET /api/options and wire every control.
 * @param {object} options
 * @param {{onChange: (config) => void, onPreset: () => void, onError: (text) => void}} handlers
 */
export function initControls(options, handlers) {
  opts = options;
  ({ onChange, onPreset, onError } = handlers);
  fill($('ctl-dataset'), opts.datasets.map((d) => d.name), { inline: 'inline (your X and y)' });
  fill($('ctl-activation'), opts.activations);
  fill($('ctl-init'), opts.inits);
  fill($('ctl-optimizer'), opts.optimizers);
  wire();
}

const setValue = (id, value) => {
  $(id).value = value ?? '';
};

/** Show a session's resolved config in the controls. */
export function showConfig(session) {
  state = session;
  const c = session.config;
  const ds = c.dataset;
  const info = session.dataset || opts.datasets.find((d) => d.name === ds.name) || {};
  const inline = ds.name === 'inline';
  setValue('ctl-dataset', ds.name);
  const split = session.n_train !== undefined ? ` ${session.n_train} training and ${session.n_test} test samples.` : '';
  $('dataset-description').textContent = `${info.description || ''}${split}`;
  $('toy-data-controls').hidden = inline;
  $('inline-data-controls').hidden = !inline;
  $('btn-regenerate').hidden = inline;
  $('ctl-noise').disabled = info.kind !== undefined && info.kind !== 'toy';
  setValue('ctl-samples', ds.n_samples ?? (session.n_train !== undefined ? session.n_train + session.n_test : info.n_samples));
  setValue('ctl-noise', ds.noise ?? (info.kind === 'toy' ? opts.defaults.dataset.noise : ''));
  setValue('ctl-test', ds.test_fraction ?? (inline ? 0 : opts.defaults.dataset.test_fraction));
  setValue('ctl-dseed', ds.seed ?? c.seed);
  if (inline) {
    setValue('ctl-inline-X', JSON.stringify(ds.X));
    setValue('ctl-inline-y', JSON.stringify(ds.y));
  }
  renderArch();
  const m = c.model;
  setValue('ctl-activation', activationOf(0) ?? opts.defaults.model.activation);
  setValue('ctl-dropout', m.dropout ?? 0);
  $('ctl-batch-norm').checked = !!m.batch_norm;
  $('ctl-residual').checked = !!m.residual;
  const outputs = [...session.output_choices];
  if (!outputs.includes(m.output_activation)) outputs.push(m.output_activation);
  fill($('ctl-output'), outputs);
  setValue('ctl-output', m.output_activation);
  fill($('ctl-loss'), opts.valid_pairs[m.output_activation] || [m.loss]);
  setValue('ctl-loss', m.loss);
  setValue('ctl-init', m.init);
  const o = c.optimizer;
  setValue('ctl-optimizer', o.name);
  setValue('ctl-lr', o.learning_rate);
  setValue('ctl-batch', o.batch_size);
  setValue('ctl-l2', o.l2);
  setValue('ctl-l1', o.l1 ?? 0);
  setValue('ctl-momentum', o.momentum);
  $('momentum-label').hidden = o.name !== 'momentum';
  setValue('ctl-seed', c.seed);
  showSchedule(o);
  renderFeatures($('features-block'), featuresFor(opts, session), setFeatures);
}
