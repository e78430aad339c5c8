// Numbers and arrays as text: up to 6 significant digits with trailing zeros trimmed, so the
// worked example's numbers read exactly (0.00405, -0.09, -0.099); null (a non-finite number) reads "NaN".

/** A number with at most `digits` significant digits; null/NaN -> "NaN". */
export function fmt(x, digits = 6) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const rounded = Number(x.toPrecision(digits));
  const text = String(rounded);
  // Below 1e-6 JS writes an exponent anyway; from a million up we do too, keeping it short.
  if (text.includes('e') || Math.abs(rounded) >= 1e6) return rounded.toExponential(Math.min(digits - 1, 3)).replace(/\.?0+e/, 'e');
  return text;
}

/** A loss for the status bar: NaN is said as such. */
export const fmtLoss = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'NaN (diverged)' : fmt(x));

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text (the server's, a user's) made safe to put inside HTML. */
export const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ESCAPES[c]);

export const isSummary = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && v.summary === true;

/** [rows, cols] of a 2-D list, [n] of a vector, [] of a scalar, the shape of a summary. */
export function shapeOf(v) {
  if (isSummary(v)) return v.shape;
  if (!Array.isArray(v)) return [];
  if (v.length && Array.isArray(v[0])) return [v.length, v[0].length];
  return [v.length];
}

const cellClass = (x) => (x === null ? 'nan' : x > 0 ? 'pos' : x < 0 ? 'neg' : '');

function tableHtml(rows, maxRows, maxCols, digits = 6) {
  const nr = rows.length;
  const nc = nr ? rows[0].length : 0;
  const showRows = nr > maxRows ? maxRows - 1 : nr;
  const showCols = nc > maxCols ? maxCols - 1 : nc;
  const line = (row) => {
    const cells = row.slice(0, showCols).map((x) => `<td class="${cellClass(x)}">${fmt(x, digits)}</td>`);
    if (showCols < nc) cells.push(`<td class="more">… ${fmt(row[nc - 1], digits)}</td>`);
    return `<tr>${cells.join('')}</tr>`;
  };
  const body = rows.slice(0, showRows).map(line);
  if (showRows < nr) {
    body.push(`<tr><td class="more" colspan="${showCols + 1}">⋮ ${nr - showRows - 1} more rows ⋮</td></tr>`);
    body.push(line(rows[nr - 1]));
  }
  return `<table class="mat">${body.join('')}</table>`;
}

function summaryHtml(v) {
  return `<div class="summary-box">too large to send in full (${v.shape.join('×')}): min ${fmt(v.min, 4)}, max ${fmt(v.max, 4)}, mean ${fmt(v.mean, 4)}, std ${fmt(v.std, 4)}, norm ${fmt(v.norm, 4)}</div>`;
}

const FULL_CELLS = 4096;

/**
 * One named quantity (scalar, vector, matrix or server summary) as HTML.
 * Vectors show as one row; matrices are cut to maxRows x maxCols (the last row and column
 * stay in view) with a "show all" expander.
 * @param {string} name e.g. "z[0]"
 * @param {*} value number | number[] | number[][] | summary object
 */
export function quantityHtml(name, value, { maxRows = 6, maxCols = 4, note = '' } = {}) {
  const shape = shapeOf(value);
  const shapeText = shape.length ? `<span class="shape">${shape.join('×')}</span>` : '';
  const head = `<div class="name">${name}${shapeText}${note ? ` <span class="shape">${note}</span>` : ''}</div>`;
  let body;
  if (isSummary(value)) body = summaryHtml(value);
  else if (!Array.isArray(value)) body = `<div class="scalar ${cellClass(value)}">${fmt(value)}</div>`;
  else {
    const rows = shape.length === 2 ? value : [value];
    const truncated = rows.length > maxRows || (rows[0] || []).length > maxCols;
    // A cut-down preview of a big array reads better at 4 digits; "show all" has all 6.
    body = tableHtml(rows, maxRows, maxCols, truncated ? 4 : 6);
    if (truncated) {
      const cells = rows.length * (rows[0] || []).length;
      const full = cells <= FULL_CELLS ? tableHtml(rows, Infinity, Infinity) : '<p class="hint">too many numbers to list; see the heatmaps below</p>';
      body += `<details><summary>show all ${shape.join('×')}</summary><div class="full">${full}</div></details>`;
    }
  }
  return `<div class="qty" data-name="${name}">${head}${body}</div>`;
}
