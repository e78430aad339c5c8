// Every colour the charts use, for the light and the dark theme, in one place. The palette is
// Okabe and Ito's, which people with the common colour-vision deficiencies (deuteranopia,
// protanopia, tritanopia) can tell apart; every chart also carries its meaning by line style or
// marker (DASHES, SYMBOLS), never by colour alone. The exported objects are changed in place when
// the theme changes, so the views that imported them draw with the new colours on their next draw.
//
// The theme follows the system's prefers-color-scheme until the learner picks one with the
// toggle; the pick is remembered in localStorage. CSS keys off <html data-theme="light|dark">.

const OKABE_ITO = {
  black: '#000000', orange: '#E69F00', sky: '#56B4E9', green: '#009E73',
  yellow: '#F0E442', blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7',
};

/** Colours per theme. Text colours meet WCAG AA (4.5:1) on the theme's panel colour. */
const THEMES = {
  light: {
    colors: {
      ink: '#111827', muted: '#4b5563', grid: '#e5e7eb', zero: '#cbd5e1', paper: '#ffffff',
      pos: OKABE_ITO.blue, neg: OKABE_ITO.vermillion, bad: '#b91c1c',
      train: OKABE_ITO.blue, test: OKABE_ITO.vermillion, second: OKABE_ITO.green, third: OKABE_ITO.purple,
      unlit: '#e5e7eb', none: '#9ca3af', dropped: '#cbd5e1', labelBg: 'rgba(255,255,255,0.9)', outline: '#111827', onAccent: '#ffffff',
    },
    diverging: [[0, OKABE_ITO.vermillion], [0.5, '#f8fafc'], [1, OKABE_ITO.blue]],
    probability: [[0, '#f2b98a'], [0.5, '#ffffff'], [1, '#8cbde0']],
    confusion: [[0, '#ffffff'], [1, OKABE_ITO.blue]],
    classes: [OKABE_ITO.vermillion, OKABE_ITO.blue, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.orange,
      OKABE_ITO.sky, OKABE_ITO.black, '#8c6d1f', '#7f7f7f', '#b8a500'],
    series: [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.orange,
      OKABE_ITO.sky, OKABE_ITO.black, '#8c6d1f'],
  },
  dark: {
    colors: {
      ink: '#e5e7eb', muted: '#a8b3c4', grid: '#2b3647', zero: '#475569', paper: '#162033',
      pos: OKABE_ITO.sky, neg: OKABE_ITO.orange, bad: '#f87171',
      train: OKABE_ITO.sky, test: OKABE_ITO.orange, second: OKABE_ITO.green, third: OKABE_ITO.purple,
      unlit: '#334155', none: '#64748b', dropped: '#1e293b', labelBg: 'rgba(22,32,51,0.9)', outline: '#e5e7eb', onAccent: '#0b1220',
    },
    diverging: [[0, OKABE_ITO.orange], [0.5, '#1e293b'], [1, OKABE_ITO.sky]],
    probability: [[0, '#6b4a12'], [0.5, '#162033'], [1, '#1d4f73']],
    confusion: [[0, '#162033'], [1, OKABE_ITO.sky]],
    classes: [OKABE_ITO.orange, OKABE_ITO.sky, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.yellow,
      OKABE_ITO.vermillion, '#f8fafc', '#c9a45c', '#a3a3a3', '#8fd18f'],
    series: [OKABE_ITO.sky, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.yellow,
      OKABE_ITO.vermillion, '#f8fafc', '#c9a45c'],
  },
};

/** Line styles and marker symbols, taken in order with the series colours. */
export const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'];
export const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'cross', 'x', 'triangle-down', 'star', 'hexagon', 'pentagon'];

export const COLORS = {};
export const DIVERGING = [];
export const PROBABILITY = [];
export const CONFUSION = [];
export const CLASS_COLORS = [];
export const SERIES = [];

/** '#rrggbb' or '#rgb' as [r, g, b] (0-255), for the views that paint canvas pixels themselves. */
export function rgbOf(hex) {
  const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
  return [0, 2, 4].map((k) => parseInt(h.slice(k, k + 2), 16));
}

/**
 * A colour scale ([[t, '#rrggbb'], ...], t from 0 to 1, e.g. DIVERGING) as a function of v in
 * [0, 1] (clamped) to [r, g, b], linear in RGB between stops as Plotly's colorscales are.
 */
export function scaleOf(stops) {
  const parsed = stops.map(([t, c]) => [t, rgbOf(c)]);
  return (v) => {
    const t = Math.max(0, Math.min(1, v));
    let k = 1;
    while (k < parsed.length - 1 && parsed[k][0] < t) k += 1;
    const [t0, a] = parsed[k - 1];
    const [t1, b] = parsed[k];
    const w = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    return a.map((x, n) => Math.round(x + (b[n] - x) * w));
  };
}

const KEY = 'mlp-playground-theme';
const listeners = [];
let current = null;

const fillArray = (target, source) => target.splice(0, target.length, ...source);

/** The theme on screen: 'light' or 'dark'. */
export const themeName = () => current;

/** Show a theme: the page's CSS, and the chart colours above (then the listeners redraw). */
export function applyTheme(name) {
  const theme = THEMES[name] ? name : 'light';
  const t = THEMES[theme];
  Object.assign(COLORS, t.colors);
  fillArray(DIVERGING, t.diverging);
  fillArray(PROBABILITY, t.probability);
  fillArray(CONFUSION, t.confusion);
  fillArray(CLASS_COLORS, t.classes);
  fillArray(SERIES, t.series);
  const changed = current !== null && current !== theme;
  current = theme;
  if (typeof document !== 'undefined') document.documentElement.dataset.theme = theme;
  if (changed) for (const fn of listeners) fn(theme);
}

/** Call `fn(theme)` after every change of theme. */
export const onThemeChange = (fn) => listeners.push(fn);

function stored() {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null; // storage refused (a private window): follow the system
  }
}

function systemTheme() {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/**
 * Wire the theme toggle: the system's preference until the learner presses it, then theirs.
 * @param {HTMLButtonElement} button aria-pressed says whether the dark theme is on
 */
export function initThemeToggle(button) {
  const show = () => {
    const dark = current === 'dark';
    button.setAttribute('aria-pressed', String(dark));
    button.title = dark ? 'Dark theme on: press for the light theme' : 'Light theme on: press for the dark theme (for projectors in dark rooms)';
  };
  button.addEventListener('click', () => {
    const next = current === 'dark' ? 'light' : 'dark';
    try {
      window.localStorage.setItem(KEY, next);
    } catch {
      // not remembered; the page still switches
    }
    applyTheme(next);
    show();
  });
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => {
    if (!stored()) {
      applyTheme(systemTheme());
      show();
    }
  });
  show();
}

// The first theme is set when this module loads, before any chart is drawn.
applyTheme(typeof window === 'undefined' ? 'light' : stored() || systemTheme());
