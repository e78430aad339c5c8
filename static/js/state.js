// The whole run lives in the URL hash, so a copied link reproduces it:
//   #dataset.name=xor&dataset.seed=0&model.layers=[2,8,8,1]&optimizer.learning_rate=0.1&seed=0&progress.steps=30
// Keys are the SessionConfig's dotted paths (every field the server resolved, so nothing is left
// to a default that could change); values are JSON (plain text for strings). `progress.steps` is
// how many training steps were taken, and `progress.stage` which stage of the last Step is shown.
// `hide=dataset,optimizer` (classroom mode) names controls the page hides; it is kept as it is.
// `practice=1` opens the step-through in practice mode (a teacher's exercise link).
// `session=ID` opens that existing session and follows it (a notebook's Session.show()).

const PROGRESS = 'progress';
const HIDE = 'hide';
const PRACTICE = 'practice';
const SESSION = 'session';
// Characters JSON needs that are safe to leave readable in a fragment.
const READABLE = { '%5B': '[', '%5D': ']', '%2C': ',', '%3A': ':' };

function flatten(obj, prefix, out) {
  for (const [key, value] of Object.entries(obj)) {
    if (value === null || value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && !Array.isArray(value)) flatten(value, path, out);
    else out.push([path, value]);
  }
  return out;
}

function encodeValue(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return encodeURIComponent(text).replace(/%5B|%5D|%2C|%3A/g, (m) => READABLE[m]);
}

function decodeValue(text) {
  const raw = decodeURIComponent(text);
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(obj, path, value) {
  const parts = path.split('.');
  let node = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null || Array.isArray(node[part])) node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * The hash for a config and the run's progress.
 * @param {object} config a SessionConfig (ideally the server's resolved one)
 * @param {{steps?: number, stage?: number|null}} progress
 * @param {string[]} hide classroom mode: the names of the hidden controls
 */
export function toHash(config, progress = {}, hide = [], practice = false) {
  const pairs = flatten(config, '', []);
  if (progress.steps) pairs.push([`${PROGRESS}.steps`, progress.steps]);
  if (progress.stage != null) pairs.push([`${PROGRESS}.stage`, progress.stage]);
  if (hide.length) pairs.push([HIDE, hide.join(',')]);
  if (practice) pairs.push([PRACTICE, 1]);
  return pairs.map(([k, v]) => `${k}=${encodeValue(v)}`).join('&');
}

/**
 * Parse a hash (with or without the leading '#') back into {config, progress, hide, practice, session}.
 * An empty hash gives config null. Malformed pairs are skipped (the server validates the rest).
 */
export function fromHash(hash) {
  const text = (hash || '').replace(/^#/, '');
  if (!text) return { config: null, progress: {}, hide: [], practice: false, session: null };
  const config = {};
  const progress = {};
  let hide = [];
  let practice = false;
  let session = null;
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = decodeURIComponent(pair.slice(0, eq));
    if (key === SESSION) { // an id as it is: never read as JSON (an all-digit id would become a number)
      session = decodeURIComponent(pair.slice(eq + 1));
      continue;
    }
    let value;
    try {
      value = decodeValue(pair.slice(eq + 1));
    } catch {
      continue;
    }
    if (key === PRACTICE) practice = value === 1 || value === true || value === '1';
    else if (key === HIDE) hide = String(value).split(',').map((n) => n.trim()).filter(Boolean);
    else if (key.startsWith(`${PROGRESS}.`)) progress[key.slice(PROGRESS.length + 1)] = value;
    else setPath(config, key, value);
  }
  return { config: Object.keys(config).length ? config : null, progress, hide, practice, session };
}

/** Write the hash without adding a history entry (and without firing hashchange). */
export function writeHash(config, progress, hide = [], practice = false) {
  const hash = `#${toHash(config, progress, hide, practice)}`;
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
  return hash;
}

/** A deep copy of plain JSON data. */
export const clone = (value) => JSON.parse(JSON.stringify(value));
