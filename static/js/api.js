// The one module that talks to the server: every request of the page goes through `request`.
// Shapes follow CONTRACT.md: samples are rows, W[l] is (out, in), non-finite numbers arrive as null.

/** An answer the server refused (4xx/5xx) or a request that never got an answer. */
export class ApiError extends Error {
  constructor(status, detail, path) {
    super(formatDetail(detail));
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.path = path;
  }
}

/** FastAPI's `detail` is a string, or a list of {loc, msg} for a validation error: make it one readable line each. */
export function formatDetail(detail) {
  if (detail == null) return 'unknown error';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      if (typeof d === 'string') return d;
      const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '';
      return loc ? `${loc}: ${d.msg}` : (d.msg ?? JSON.stringify(d));
    }).join('\n');
  }
  return JSON.stringify(detail);
}

async function request(method, path, { body, query, keepalive } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value == null) continue;
      for (const v of Array.isArray(value) ? value : [value]) qs.append(key, String(v));
    }
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  const init = { method, headers: {}, keepalive };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, `the server did not answer (${err.message}); is it still running?`, path);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && data.detail !== undefined ? data.detail : text || response.statusText, path);
  }
  return data;
}

const session = (id) => `/api/sessions/${encodeURIComponent(id)}`;

/** Registries, limits, datasets and the default config. */
export const options = () => request('GET', '/api/options');

/** POST a SessionConfig; answers the SessionState of the new session. */
export const createSession = (config) => request('POST', '/api/sessions', { body: config });

/** SessionState; `include` picks parts (params, history; config: its arrays whole), `maxElements` the summary threshold. */
export const getSession = (id, { include, maxElements } = {}) =>
  request('GET', session(id), { query: { include, max_elements: maxElements } });

export const deleteSession = (id, { keepalive = false } = {}) =>
  request('DELETE', session(id), { keepalive });

/** One forward and backward pass on the next minibatch, then the update: a BackwardTrace. */
export const backward = (id, { apply = true, indices, include, maxElements } = {}) => {
  const body = { apply };
  if (indices) body.indices = indices;
  if (include) body.include = include;
  if (maxElements) body.max_elements = maxElements;
  return request('POST', `${session(id)}/backward`, { body });
};

export const epochs = (id, count = 1) => request('POST', `${session(id)}/epochs`, { body: { count } });

export const reset = (id) => request('POST', `${session(id)}/reset`);

/**
 * A counterfactual run: a new session at epoch 0 with this one's config and `overrides` (a partial
 * SessionConfig, model and optimizer fields) applied; the same data, seed and minibatch order,
 * and this session's initial weights wherever the shapes agree. Answers its SessionState (201).
 */
export const fork = (id, overrides = {}) => request('POST', `${session(id)}/fork`, { body: { overrides } });

export const gradcheck = (id, body = {}) => request('POST', `${session(id)}/gradcheck`, { body });

/** A seeded sample of the (scaled) train and test data, at most maxPoints rows per split. */
export const data = (id, maxPoints = 2000) => request('GET', `${session(id)}/data`, { query: { max_points: maxPoints } });

/** The model's output over a grid (2 features) or a line (1 feature). */
export const boundary = (id, resolution = 50) => request('GET', `${session(id)}/boundary`, { query: { resolution } });

/** Predictions against the truth on a split, with confusion/accuracy or rmse/r2. */
/** Every hidden and output neuron's activation over the input plane (2-D data only). */
export const neurons = (id, resolution = 24) => request('GET', `${session(id)}/neurons`, { query: { resolution } });

/** The percentiles of W, dW and a per layer and recorded epoch. */
export const distributions = (id) => request('GET', `${session(id)}/distributions`);

/** Where dW[layer][out][in] of the last Step came from (and one sample's graph for small networks). */
export const chain = (id, layer, out, into, sample = 0) =>
  request('GET', `${session(id)}/chain`, { query: { layer, out, in: into, sample } });

export const outputs = (id, split = 'test', maxPoints = 2000) =>
  request('GET', `${session(id)}/outputs`, { query: { split, max_points: maxPoints } });

/** Set one parameter: `{layer, name: 'W'|'b', index: [i, j] or [i], value}`; answers the SessionState. */
export const editParam = (id, edit) => request('PATCH', `${session(id)}/params`, { body: edit });

/** Step back `count` changes (Step, Epoch, an edit); answers the SessionState as it was. 409 when nothing is held. */
export const undo = (id, count = 1) => request('POST', `${session(id)}/undo`, { body: { count } });

/**
 * Parse a CSV table on the server: `{csv, target, task, has_header}` ->
 * `{X, y, feature_names, target_name, task, n_samples, n_features, class_names}`, ready as an inline dataset.
 */
export const parseCsv = (body) => request('POST', '/api/datasets/csv', { body });

/** Where the browser downloads the session as JSON (the export document) and the HTML report. */
export const exportUrl = (id) => `${session(id)}/export`;
export const reportUrl = (id) => `${session(id)}/report`;

/**
 * GET /api/sessions/{id}/code: the session as a standalone script (`framework` 'numpy' or 'pytorch')
 * that takes its next `steps` steps (1..1000) exactly. Answers `{text, filename}`.
 */
export async function codeScript(id, framework, steps = 1) {
  const path = `${session(id)}/code`;
  const query = new URLSearchParams({ framework, steps: String(steps) });
  let response;
  try {
    response = await fetch(`${path}?${query}`);
  } catch (err) {
    throw new ApiError(0, `the server did not answer (${err.message}); is it still running?`, path);
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try { detail = JSON.parse(text).detail; } catch { /* not JSON: the text itself */ }
    throw new ApiError(response.status, detail, path);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return { text, filename: named ? named[1] : `mlp_${framework}.py` };
}

/** The backpropagation write-ups' experiments as lessons: [{name, title, summary}] in order. */
export const lessons = () => request('GET', '/api/lessons');

/** Run a lesson: {name, title, summary, quick, sessions: [{id, label}], measured, finite}. */
export const startLesson = (name, quick = false) =>
  request('POST', `/api/lessons/${encodeURIComponent(name)}`, { body: { quick } });

/**
 * WS /api/sessions/{id}/live: live training. `onMessage` gets each server message parsed
 * (`hello`, `frame`, `playing`, `paused`, `trace`, `set`, `error`), `onClose(code, reason)` the end
 * (1013: too many live connections; 4404: no such session). Messages sent before the socket
 * opens wait for it.
 * @returns {{send: (message: object) => void, close: () => void}}
 */
export function liveSocket(id, { onMessage, onClose }) {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${window.location.host}${session(id)}/live`);
  const waiting = [];
  ws.onopen = () => waiting.splice(0).forEach((text) => ws.send(text));
  ws.onmessage = (event) => onMessage(JSON.parse(event.data));
  ws.onclose = (event) => onClose(event.code, event.reason);
  return {
    send(message) {
      const text = JSON.stringify(message);
      if (ws.readyState === WebSocket.CONNECTING) waiting.push(text);
      else if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close() { ws.close(); },
  };
}
